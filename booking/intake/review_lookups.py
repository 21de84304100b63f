"""Small reads the clinician's list, the intake review page and its course section share: the
clinic's local today, whether an intake changed since it was reviewed, and staff names (who
reviewed).
"""
from sqlalchemy import select

from ..extensions import db
from ..models import StaffUser
from ..timeutil import clinic_tz, utcnow


def local_today():
    return utcnow().astimezone(clinic_tz()).date()


def changed_since_review(intake):
    """The patient saved answers after the review (the review is of older answers)."""
    return intake.reviewed_at is not None and intake.updated_at is not None \
        and intake.updated_at > intake.reviewed_at


def staff_names(ids):
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    users = db.session.execute(select(StaffUser).where(StaffUser.id.in_(ids))).scalars()
    return {user.id: user.full_name or user.email for user in users}

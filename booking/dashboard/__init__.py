"""Staff pages: the reception desk, the clinician's list and intake review, administration.

One blueprint; each area has its own module. Every view is behind `staff_required(...)`: a
sign-in and a role check on the server (booking/auth/access.py).
"""
from .blueprint import ADMIN, CLINICAL, RECEPTION, bp  # noqa: F401

from . import (  # noqa: E402,F401
    admin, admin_audit, admin_staff, attention, clinician, closures, desk_courses, feeds_admin,
    outbox, outcomes, pain, privacy_admin, reception, sessions, waitlist_admin,
)

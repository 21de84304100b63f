"""What a clinician changes on the intake review page: marking the intake reviewed (with an
optional note) and a HIT-6 total typed from a licensed paper form; and the errors they raise.

Each function is one transaction. Audit events carry ids and non-clinical facts only: never a
score, a band, a flag, an answer or the review note.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from .. import audit
from ..extensions import db
from ..models import Intake, IntakeFlag, QuestionnaireResponse
from ..rule_error import RuleError
from ..scheduler.appointment_changes import locked_row
from ..timeutil import utcnow
from . import scoring

NOTE_MAX = 2000


# --- Domain errors: the views turn them into a message next to the field (422). -----------------

class ReviewError(RuleError):
    """A rule broken; `fields` maps field keys to messages (422)."""


class NoIntake(ReviewError):
    """There is no intake (yet) for this appointment."""


class IntakeNotSubmitted(ReviewError):
    """The action needs a submitted intake."""


class InvalidInput(ReviewError):
    """A typed value breaks a rule (a note too long, an impossible HIT-6 total)."""


def _locked_intake(appointment_id):
    appointment = locked_row(appointment_id)
    return appointment, appointment.intake


def clean_note(note):
    """The review note as stored: trimmed, line ends as \\n; InvalidInput when too long."""
    note = (note or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(note) > NOTE_MAX or "\x00" in note:
        raise InvalidInput(_l("Please keep the note to %(n)d characters.", n=NOTE_MAX),
                           {"note": _l("Please keep the note to %(n)d characters.", n=NOTE_MAX)})
    return note


def mark_reviewed(appointment_id, note, actor, *, now=None):
    """The clinician has reviewed the intake (again, if the answers changed): who, when, and an
    optional note. Audited without the note. LookupError, NoIntake, InvalidInput."""
    now = now or utcnow()
    try:
        appointment, intake = _locked_intake(appointment_id)
        note = clean_note(note)
        if intake is None:
            message = _l("There is no intake to review yet.")
            raise NoIntake(message, {"note": message})
        again = intake.reviewed_at is not None
        # A plain UPDATE that keeps updated_at: it tells when the PATIENT last saved answers,
        # which is how a change after the review is noticed.
        db.session.execute(
            update(Intake).where(Intake.id == intake.id).values(
                reviewed_at=now, reviewed_by_id=actor.id, review_note=note or None,
                updated_at=Intake.updated_at),
            execution_options={"synchronize_session": False})
        audit.record("intake.review", object_type="intake", object_id=intake.id, actor=actor,
                     details={"appointment_id": appointment.id, "with_note": bool(note),
                              "again": again})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def _hit6_score(total):
    try:
        return scoring.score_hit6_total(total)
    except scoring.InvalidAnswer:
        if isinstance(total, int) and not isinstance(total, bool) \
                and scoring.HIT6_MIN_TOTAL <= total <= scoring.HIT6_MAX_TOTAL:
            message = _l("No six HIT-6 answers add up to %(n)d (37, 39 and 77 are not possible "
                         "totals). Please check the paper form.", n=total)
        else:
            message = _l("Please enter a HIT-6 total from %(low)d to %(high)d.",
                         low=scoring.HIT6_MIN_TOTAL, high=scoring.HIT6_MAX_TOTAL)
        raise InvalidInput(message, {"hit6_total": message}) from None


def record_hit6_total(appointment_id, total, actor, *, now=None):
    """Store (or replace) a HIT-6 total typed from a licensed paper form, with its band and the
    "hit6_severe" flag when severe. The total must be one six answers can add up to
    (scoring.validate_hit6_total). LookupError, IntakeNotSubmitted, InvalidInput."""
    now = now or utcnow()
    try:
        appointment, intake = _locked_intake(appointment_id)
        score = _hit6_score(total)
        if intake is None or intake.status != "submitted":
            # Scores are stored with a submitted intake; submission replaces them all.
            message = _l("A HIT-6 total can be recorded once the patient has submitted the "
                         "intake.")
            raise IntakeNotSubmitted(message, {"hit6_total": message})
        replaced = any(r.instrument == "hit6" for r in intake.responses)
        intake.responses = [r for r in intake.responses if r.instrument != "hit6"] + [
            QuestionnaireResponse(
                instrument="hit6", version=score.version, language=intake.language, items=[],
                total=score.total, band=score.band, flags=list(score.flags), warnings=[],
                recorded_at=now, loinc_total=scoring.INSTRUMENTS["hit6"]["loinc"].get("total"))]
        intake.flags = [f for f in intake.flags if f.code != "hit6_severe"] + [
            IntakeFlag(code=flag.code, urgent=flag.urgent, action=flag.action,
                       details=list(flag.details))
            for flag in scoring.red_flags(hit6=score)]
        audit.record("intake.hit6_total", object_type="intake", object_id=intake.id, actor=actor,
                     details={"appointment_id": appointment.id, "replaced": replaced})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise

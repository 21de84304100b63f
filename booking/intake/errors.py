"""Domain errors of the intake. Views turn them into a page with messages (422) or a 404."""
from flask_babel import lazy_gettext as _l


class IntakeError(Exception):
    status = 422

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


class InvalidAnswers(IntakeError):
    """Some answers are wrong; `fields` maps each answer key to a message for the person.
    `clean`: what validation made of the answers it could read (a page that asks part of a
    step keeps its own, valid keys from it while other pages are still to come)."""

    def __init__(self, fields, clean=None):
        super().__init__(_l("Please check the answers marked below."))
        self.fields = {key: str(message) for key, message in fields.items()}
        self.clean = dict(clean or {})


class IntakeLocked(IntakeError):
    """The appointment has started or was cancelled: the intake is read-only."""

    def __init__(self):
        super().__init__(_l("Your appointment has started or was cancelled, so your answers can "
                            "no longer be changed online."))


class IntakeIncomplete(IntakeError):
    def __init__(self, missing):
        super().__init__(_l("Some steps are not finished yet."))
        self.missing = missing

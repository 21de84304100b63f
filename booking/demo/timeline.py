"""Playing the demo's past: actions in time order, each at its own moment of the app's clock.

Every action runs with app.config["FROZEN_NOW"] set to its moment (booking.timeutil.utcnow
reads it), so the real services apply their real rules at that moment: a booking is checked
against the slots free then, a status only after the start, a record only once the session has
begun. An action may plan later actions (a booking plans the visit); actions due after the end
(the real "now") never run, so what lies ahead stays booked.

Staff actions run as a signed-in staff member (a request context with them logged in), so the
audit log names who did what, as it would for a click on a staff page. The emails the actions
queue are marked sent as they were written (mark_outbox_sent): the demo's patients (reserved
example.org addresses) are never written to, and nothing waits in the outbox afterwards.
"""
import heapq
import itertools
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app
from flask_login import login_user
from sqlalchemy import update

from ..extensions import db
from ..models import OutboxMessage

_NOT_SET = object()


class Timeline:
    def __init__(self):
        self._queue = []
        self._order = itertools.count()  # same moment: in the order planned
        self.now = None
        self.ran = 0

    def at(self, moment, action, *args, **kwargs):
        heapq.heappush(self._queue, (moment, next(self._order), action, args, kwargs))

    def play(self, until):
        """Run every action due up to `until`, in time order. Returns how many ran."""
        while self._queue and self._queue[0][0] <= until:
            moment, _order, action, args, kwargs = heapq.heappop(self._queue)
            with frozen_at(moment):
                self.now = moment
                try:
                    action(*args, **kwargs)
                finally:
                    db.session.remove()  # as after a request: nothing carried to the next
            self.ran += 1
        return self.ran


@contextmanager
def frozen_at(moment):
    """The app's clock stands at `moment` inside the block (and as it was afterwards)."""
    config = current_app.config
    before = config.get("FROZEN_NOW", _NOT_SET)
    config["FROZEN_NOW"] = moment
    try:
        yield moment
    finally:
        if before is _NOT_SET:
            config.pop("FROZEN_NOW", None)
        else:
            config["FROZEN_NOW"] = before


@dataclass(frozen=True)
class StaffIdentity:
    """Who a staff action is done as: what Flask-Login, the audit log and the services'
    `actor=` read of a signed-in StaffUser (a plain copy, so no action reloads the row)."""

    id: int
    email: str
    session_version: int
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    @classmethod
    def of(cls, user):
        return cls(user.id, user.email, user.session_version)

    def get_id(self):
        return f"{self.id}:{self.session_version}"


@contextmanager
def as_staff(identity):
    """Run a staff action as `identity`, signed in (the audit log records them)."""
    with current_app.test_request_context("/staff/demo"):
        login_user(identity)
        yield


def mark_outbox_sent():
    """Every pending email counts as sent when it was written (the demo writes to nobody)."""
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.status == "pending")
        .values(status="sent", attempts=1, sent_at=OutboxMessage.created_at)
        .execution_options(synchronize_session=False))
    db.session.commit()

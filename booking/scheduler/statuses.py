"""What an appointment's status may become, and from when (design.md, "Records follow time").

PURE: stdlib only. `now` and the arrival window are parameters, so tests need no clock tricks.
booking/scheduler/attendance.py enforces these rules whatever a client sends, and the desk pages
offer exactly the moves they allow (attendance.allowed_statuses is the one source for both).

- booked -> arrived -> completed, or booked -> no-show.
- "arrived" from the arrival window before the start on; "no_show" and "completed" from the
  start on: nothing is marked attended or missed before it could have happened.
- One step back (arrived -> booked, no-show -> booked, completed -> arrived) corrects a slip and
  is allowed at any time: it records nothing that has not happened.
"""
BOOKED, ARRIVED, COMPLETED, NO_SHOW = "booked", "arrived", "completed", "no_show"

STATUS_MOVES = {
    BOOKED: frozenset({ARRIVED, NO_SHOW}),
    ARRIVED: frozenset({COMPLETED, BOOKED}),
    NO_SHOW: frozenset({BOOKED}),
    COMPLETED: frozenset({ARRIVED}),
}
STEPS_BACK = frozenset({(ARRIVED, BOOKED), (NO_SHOW, BOOKED), (COMPLETED, ARRIVED)})

# Why a move is refused.
NOT_A_MOVE = "not_a_move"  # STATUS_MOVES has no such move from the current status
TOO_EARLY = "too_early"    # a move forward asked before its time


def earliest(current, new, starts_at, arrival_window):
    """The first instant at which `current` may become `new`, or None when time does not
    matter (a step back) or the move does not exist."""
    if new not in STATUS_MOVES.get(current, ()) or (current, new) in STEPS_BACK:
        return None
    if new == ARRIVED:
        return starts_at - arrival_window
    return starts_at  # a no-show or a completed visit: once the appointment has started


def refusal(current, new, starts_at, now, arrival_window):
    """None when `current` may become `new` at `now`; else NOT_A_MOVE or TOO_EARLY."""
    if new not in STATUS_MOVES.get(current, ()):
        return NOT_A_MOVE
    first = earliest(current, new, starts_at, arrival_window)
    if first is not None and now < first:
        return TOO_EARLY
    return None


def allowed(current, starts_at, now, arrival_window):
    """Every status `current` may become at `now`."""
    return frozenset(new for new in STATUS_MOVES.get(current, ())
                     if refusal(current, new, starts_at, now, arrival_window) is None)

"""The attention queue listens for urgent marks (booking/events.py)."""
from .. import events
from . import services


@events.subscriber("intake_urgent")
def open_attention_item(intake_id, reasons):
    services.raise_for_intake(intake_id, reasons)

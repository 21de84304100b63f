"""Helpers the reception desk tests share (test_reception.py, test_desk_courses.py)."""
import html
import re
from datetime import datetime, time
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from booking.extensions import db

KYIV = ZoneInfo("Europe/Kyiv")


def at(day, hhmm="10:00"):
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=KYIV)


def text(response):
    return response.get_data(as_text=True)


def links(response):
    """The page's links, decoded (a start's "+02:00" reads as such)."""
    return [unquote(html.unescape(href)) for href in re.findall(r'href="([^"]+)"', text(response))]


def count(model):
    db.session.rollback()  # see what the requests committed
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def new_patient(start, consent=True, **changes):
    """The desk's booking form for a caller who is a new patient."""
    data = {"action": "book", "start": start.isoformat(), "patient": "new",
            "full_name": "Oksana Caller", "phone": "067 111 22 33",
            "email": "oksana@example.com", "date_of_birth": "1985-02-03", **changes}
    if consent:
        data["consent"] = "y"
    return data

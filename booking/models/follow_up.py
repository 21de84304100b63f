"""Follow-up after a course: about 1 and 3 months later the patient reports pain through a link."""
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow


class FollowUpRequest(db.Model):
    __tablename__ = "follow_up_request"
    # One request per course and time point, however often the command runs.
    __table_args__ = (UniqueConstraint("course_id", "label", name="uq_follow_up_course_label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    label: Mapped[str] = mapped_column(String(8))  # "1m", "3m"
    due_on: Mapped[date] = mapped_column(Date)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pain: Mapped[int | None] = mapped_column(Integer)
    headache_days: Mapped[int | None] = mapped_column(Integer)
    midas: Mapped[dict | None] = mapped_column(JSON)  # item answers, when MIDAS is on

    course: Mapped["Course"] = relationship()  # noqa: F821

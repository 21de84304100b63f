"""The headache diary: one entry per patient per clinic (Kyiv) date, with the acute medicines
taken that day; the patient's diary settings (invitation, daily reminder); the short-lived
links that daily reminders carry; and the new preventives a clinician notes (they end the
durability follow-up of earlier courses).

Definitions and figures: booking/diary/figures.py (pure), after shared/clinical.md, "Headache
diary and durability". An unfilled date has no row: it is missing, never "no headache".
"""
from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Integer, String,
                        UniqueConstraint, false)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow


class DiaryEntry(db.Model):
    """One date of a patient's diary (clinical.md "Daily form"). `headache` False is the
    one-tap "no headache": every other answer then stays empty."""

    __tablename__ = "diary_entry"
    __table_args__ = (
        # One entry per date, however the form is sent (two tabs, a double tap).
        UniqueConstraint("patient_id", "entry_on", name="uq_diary_entry_patient_day"),
        CheckConstraint("worst_pain IS NULL OR (worst_pain >= 0 AND worst_pain <= 10)",
                        name="diary_worst_pain_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    entry_on: Mapped[date] = mapped_column(Date)  # the clinic (Kyiv) date the entry is about
    headache: Mapped[bool] = mapped_column(Boolean)
    # Total headache time: under_30_min, 30_min_to_4_h, 4_h_or_more (figures.DURATIONS).
    duration: Mapped[str | None] = mapped_column(String(16))
    worst_pain: Mapped[int | None] = mapped_column(Integer)  # 0-10
    one_side: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    throbbing: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    worse_with_activity: Mapped[bool] = mapped_column(Boolean, default=False,
                                                      server_default=false())
    nausea_vomiting: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    light_hurts: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    sound_hurts: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    aura: Mapped[str] = mapped_column(String(8), default="no", server_default="no")
    felt_like_migraine: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default=false())
    # Pain 2 hours after a triptan or an ergot: none, mild, moderate, severe.
    relief_2h: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    medicines: Mapped[list["DiaryMedicine"]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="DiaryMedicine.id")

    def __repr__(self):
        return f"<DiaryEntry {self.id}>"  # no dates or answers in logs


class DiaryMedicine(db.Model):
    """An acute medicine taken on the entry's date: a row of the patient's own list (its name
    and ICHD class, copied so a later change of the list does not rewrite the past), or
    "other / not sure" (class "other", no name). No dose: days are counted, not pills."""

    __tablename__ = "diary_medicine"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("diary_entry.id", ondelete="CASCADE"),
                                          index=True)
    name: Mapped[str] = mapped_column(String(80), default="", server_default="")
    drug_class: Mapped[str] = mapped_column(String(32))  # scoring.ACUTE_MEDICATION_CLASSES

    entry: Mapped[DiaryEntry] = relationship(back_populates="medicines")


class DiarySettings(db.Model):
    """A patient's diary: when they were invited, and their daily reminder."""

    __tablename__ = "diary_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), unique=True)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The clinic (Kyiv) hour of the daily reminder, never after 21; None: no reminder chosen.
    reminder_hour: Mapped[int | None] = mapped_column(Integer)
    reminders_stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def reminding(self):
        return self.reminder_hour is not None and self.reminders_stopped_at is None


class DiaryLink(db.Model):
    """A private link to the diary alone, sent in one daily reminder (the token itself is never
    stored, only its sha256). It opens the diary pages, nothing else, until it expires."""

    __tablename__ = "diary_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PreventiveStart(db.Model):
    """A clinician's note that the patient began a new preventive treatment on a date: the
    diary's durability follow-up of earlier courses ends the day before (clinical.md)."""

    __tablename__ = "preventive_start"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    started_on: Mapped[date] = mapped_column(Date)
    noted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Headache diaries for the demo's completed ketamine courses: the 28 days before the first
session (the baseline) and the days after the last session up to today or 84 days, with a few
days left blank (missing, never "no headache"). Deterministic: one random generator per course.

Rows are written directly, as the patient's daily form would write them (booking/diary), and
dated in the past; the patients are invited, with no reminders (nothing is queued to send).
"""
import random
from datetime import timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import Appointment, AppointmentStatus, Course, CourseStatus
from ..models.diary import DiaryEntry, DiaryMedicine, DiarySettings

BASELINE_DAYS = 28
AFTER_DAYS = 84


def _entry(patient_id, day, rng, *, headache_share, migraine_share, at):
    entry = DiaryEntry(patient_id=patient_id, entry_on=day, headache=False, created_at=at,
                       updated_at=at)
    roll = rng.random()
    if roll < migraine_share:
        entry.headache, entry.duration, entry.worst_pain = True, "4_h_or_more", rng.randint(6, 9)
        entry.one_side = entry.throbbing = True
        entry.nausea_vomiting = rng.random() < 0.6
        entry.light_hurts = entry.sound_hurts = rng.random() < 0.7
        if rng.random() < 0.6:
            entry.medicines.append(DiaryMedicine(name="Sumatriptan", drug_class="triptan"))
            entry.relief_2h = rng.choice(("none", "mild", "moderate"))
    elif roll < headache_share:
        entry.headache, entry.duration, entry.worst_pain = True, "30_min_to_4_h", rng.randint(2, 5)
        if rng.random() < 0.5:
            entry.medicines.append(DiaryMedicine(name="Ibuprofen", drug_class="nsaid"))
    return entry


def add_course_diaries(today, tz):
    """Diaries for every completed course; returns the number of entries written."""
    courses = db.session.execute(
        select(Course).where(Course.status == CourseStatus.COMPLETED.value).order_by(Course.id)
    ).scalars().all()
    written, diarists = 0, set()
    for course in courses:
        attended = [a for a in course.appointments if a.status in (
            AppointmentStatus.ARRIVED.value, AppointmentStatus.COMPLETED.value)]
        if not attended or course.patient_id in diarists:
            continue
        diarists.add(course.patient_id)
        rng = random.Random(f"diary-{course.reference}")
        first = min(a.starts_at for a in attended).astimezone(tz).date()
        last = max(a.starts_at for a in attended).astimezone(tz).date()
        baseline_share = rng.uniform(0.45, 0.75)
        relief = rng.choice((0.3, 0.45, 0.6, 0.9))  # share of headache days left after
        fill = rng.uniform(0.8, 0.97)
        days = [(first - timedelta(days=n), baseline_share) for n in range(1, BASELINE_DAYS + 1)]
        days += [(last + timedelta(days=n), min(baseline_share * relief * (1 + n / 150), 0.9))
                 for n in range(1, AFTER_DAYS + 1) if last + timedelta(days=n) < today]
        for day, share in days:
            if rng.random() > fill:
                continue  # a day left blank: missing
            at = _noon_utc(day, tz)
            db.session.add(_entry(course.patient_id, day, rng, headache_share=share,
                                  migraine_share=share * 0.55, at=at))
            written += 1
        db.session.add(DiarySettings(patient_id=course.patient_id,
                                     invited_at=_noon_utc(first - timedelta(days=BASELINE_DAYS + 1), tz),
                                     reminder_hour=None))
    db.session.commit()
    return written


def _noon_utc(day, tz):
    from datetime import datetime, time, timezone
    return datetime.combine(day, time(20, 30), tzinfo=tz).astimezone(timezone.utc)

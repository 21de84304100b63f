"""What can be booked (services) and who provides it (practitioners)."""
from sqlalchemy import Boolean, false, CheckConstraint, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

practitioner_service = Table(
    "practitioner_service",
    db.metadata,
    Column("practitioner_id", ForeignKey("practitioner.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
)


class Service(db.Model):
    __table_args__ = (
        CheckConstraint("duration_minutes > 0 AND duration_minutes <= 540", name="duration_range"),
        CheckConstraint("grid_minutes > 0 AND grid_minutes <= 540", name="grid_range"),
        CheckConstraint("buffer_minutes >= 0 AND buffer_minutes <= 240", name="buffer_range"),
        CheckConstraint("observation_minutes >= 0 AND observation_minutes <= 480",
                        name="observation_range"),
        CheckConstraint("NOT is_course OR (min_sessions >= 1 AND max_sessions <= 7 "
                        "AND min_sessions <= max_sessions)", name="course_sessions"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Names the clinic types come in the site's two languages: the main one (English, like the
    # source text of the pages) and its Ukrainian wording, shown on Ukrainian pages and in
    # Ukrainian emails when given (booking.localized).
    name: Mapped[str] = mapped_column(String(120))
    name_uk: Mapped[str] = mapped_column(String(120), default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="")
    description_uk: Mapped[str] = mapped_column(Text, default="", server_default="")
    duration_minutes: Mapped[int] = mapped_column(Integer)
    # Slots start on this grid, counted from local midnight (30 gives 10:00, 10:30, ...).
    grid_minutes: Mapped[int] = mapped_column(Integer, default=30)
    # Time the practitioner keeps free after the appointment (notes, cleaning).
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=0)
    online_bookable: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # A setting per service: its intake includes the ketamine pre-screen.
    needs_ketamine_prescreen: Mapped[bool] = mapped_column(Boolean, default=False,
                                                           server_default=false())
    # A resource of this kind (e.g. "infusion_chair") must be free too, for the clinician's part
    # and the observation after it (the chair stays occupied, the clinician is free again).
    resource_kind: Mapped[str | None] = mapped_column(String(32))
    observation_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A course service books min..max sessions on consecutive clinic days as one unit.
    is_course: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    min_sessions: Mapped[int | None] = mapped_column(Integer)
    max_sessions: Mapped[int | None] = mapped_column(Integer)
    # A setting per course service: a clinician confirms every course, even after a clean
    # intake (courses.services.needs_review). Off: a clean intake confirms the course itself.
    clinician_confirms_courses: Mapped[bool] = mapped_column(Boolean, default=False,
                                                             server_default=false())
    # What a visit (a course: the whole course) costs in whole hryvnias, shown to patients on
    # the service list and in the confirmation; None shows no price (migration 0017).
    price_uah: Mapped[int | None] = mapped_column(Integer)
    # A setting per service: booking it invites the patient to the headache diary (the manage
    # page links to it; booking.diary). On for course services by migration 0015.
    offers_diary: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    practitioners: Mapped[list["Practitioner"]] = relationship(
        secondary=practitioner_service, back_populates="services", order_by="Practitioner.id"
    )

    def __repr__(self):
        return f"<Service {self.id} {self.name!r}>"


class Practitioner(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(120))
    full_name_uk: Mapped[str] = mapped_column(String(120), default="", server_default="")
    title: Mapped[str] = mapped_column(String(120), default="")
    title_uk: Mapped[str] = mapped_column(String(120), default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    services: Mapped[list[Service]] = relationship(
        secondary=practitioner_service, back_populates="practitioners"
    )
    working_hours: Mapped[list["WorkingHours"]] = relationship(  # noqa: F821
        back_populates="practitioner", cascade="all, delete-orphan",
        order_by="(WorkingHours.weekday, WorkingHours.start_time)",
    )

    def __repr__(self):
        return f"<Practitioner {self.id} {self.full_name!r}>"

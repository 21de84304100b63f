"""Bookable resources: rooms and infusion chairs."""
from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

RESOURCE_KINDS = ("infusion_chair", "room")


class Resource(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(32), index=True)  # one of RESOURCE_KINDS
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self):
        return f"<Resource {self.id} {self.kind}>"

"""Idempotency keys of the JSON API: the first answer to a POST, kept for a retry.

A client sends `Idempotency-Key: <random value>` with a POST; the same key with the same body
within IDEMPOTENCY_HOURS gets the first answer again without the work being done twice. The
unique key_hash makes two requests racing with one key impossible to both run: the second
finds the row (or fails to insert it) and is told the first is in progress.

Nothing readable is stored: the key only as an HMAC under SECRET_KEY, the request as an HMAC
(its fingerprint), and the answer (which can hold a private manage link) encrypted with a key
derived from the client's Idempotency-Key, which is not stored (booking/idempotency.py).
"""
from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime
from ..extensions import db


class IdempotencyKey(db.Model):
    __tablename__ = "idempotency_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Method, path and body of the first request (an HMAC): another body gets 422.
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # While the first request runs: until when its claim holds (a dead worker's runs out).
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The first answer, once there is one: its status and its body, encrypted.
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[bytes | None] = mapped_column(LargeBinary)

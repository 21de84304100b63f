"""Retry-safe POSTs: `Idempotency-Key` on the JSON API.

    begin(key, method, path, body)  -> Claimed | Replay | InProgress | Reused
    finish(claim, status, body)        the first answer, kept for IDEMPOTENCY_HOURS
    abandon(claim)                     the request did nothing (5xx): a retry may run it

Decisions:
- The same key with the same method, path and body within IDEMPOTENCY_HOURS (24) gets the first
  answer (status and body) again, marked `Idempotent-Replayed: true`, without the work being
  done again; another body (or another endpoint) with that key gets 422 `key_reused`.
- Two requests racing with one key never both run: the key is claimed (its row committed) before
  the work starts, under a unique index. The second is answered at once with 409 `in_progress`
  and Retry-After; it does not wait.
- A claim holds for IDEMPOTENCY_LEASE_SECONDS (60, longer than gunicorn lets a request run): if
  the worker died mid-request, a retry after that runs the request again (the booking rules
  still refuse a second booking of the same time).
- Only answers below 500 are kept. After a 5xx the request did nothing (services roll back), so
  the claim is dropped and a retry runs it; when even that fails (the database is away), the
  claim runs out with its lease.
- Stored unreadably: the key as an HMAC under SECRET_KEY, the fingerprint as an HMAC, the answer
  (it may hold a private manage link) encrypted with a key derived from the client's key, which
  is never stored (SHAKE-256 keystream, HMAC-SHA256 tag). Changing SECRET_KEY forgets them all.
"""
import hashlib
import hmac
import json
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from .database import begin_write, brief_lock_wait
from .extensions import db
from .models import IdempotencyKey
from .timeutil import utcnow

log = logging.getLogger(__name__)

# Visible ASCII, no spaces: a UUID, a ULID, base64 ... (a random value, at most 255 characters).
KEY_PATTERN = re.compile(r"[!-~]{1,255}")
NONCE_BYTES, TAG_BYTES = 16, 32


@dataclass
class Claimed:
    """This request runs; record its answer with finish(), or drop the claim with abandon()."""
    row_id: int
    secret: bytes


@dataclass
class Replay:
    status: int
    body: bytes


@dataclass
class InProgress:
    retry_after: int  # seconds


@dataclass
class Reused:
    """The key came with another request (another body, or another endpoint)."""


def valid_key(key):
    return bool(KEY_PATTERN.fullmatch(key or ""))


def window():
    return timedelta(hours=current_app.config["IDEMPOTENCY_HOURS"])


def _lease():
    return timedelta(seconds=current_app.config["IDEMPOTENCY_LEASE_SECONDS"])


def _mac(secret, *parts):
    return hmac.new(secret, b"\x00".join(parts), hashlib.sha256)


def _server_key():
    return current_app.config["SECRET_KEY"].encode()


def _lookup(key):
    return _mac(_server_key(), b"lookup", key.encode()).hexdigest()


def _secret(key):
    return _mac(_server_key(), b"answer", key.encode()).digest()


def _fingerprint(secret, method, path, body, on_behalf_of):
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _mac(secret, method.encode(), path.encode(), canonical.encode(),
                on_behalf_of.encode()).hexdigest()


def _keystream(secret, nonce, length):
    return hashlib.shake_256(secret + nonce).digest(length)


def seal(secret, plaintext):
    nonce = secrets.token_bytes(NONCE_BYTES)
    ciphertext = bytes(a ^ b for a, b in zip(plaintext, _keystream(secret, nonce,
                                                                   len(plaintext))))
    return nonce + _mac(secret, nonce, ciphertext).digest() + ciphertext


def unseal(secret, sealed):
    """The plaintext, or None when the tag does not match (another key, a damaged row)."""
    nonce, tag = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:NONCE_BYTES + TAG_BYTES]
    ciphertext = sealed[NONCE_BYTES + TAG_BYTES:]
    if not hmac.compare_digest(tag, _mac(secret, nonce, ciphertext).digest()):
        return None
    return bytes(a ^ b for a, b in zip(ciphertext, _keystream(secret, nonce, len(ciphertext))))


def _seconds_until(instant, now):
    return max(1, int((instant - now).total_seconds() + 0.999))


def begin(key, method, path, body, *, on_behalf_of="", now=None):
    """Claim `key` for this request, or say why not (see the module's decisions).

    `on_behalf_of`: what else makes two requests different besides the body, such as the
    private token a request acts with: the same key and body for another booking are another
    request (422), never that booking's answer."""
    now = now or utcnow()
    lookup, secret = _lookup(key), _secret(key)
    fingerprint = _fingerprint(secret, method, path, body, on_behalf_of)
    try:
        begin_write()
        row = db.session.execute(
            select(IdempotencyKey).where(IdempotencyKey.key_hash == lookup).with_for_update()
        ).scalar_one_or_none()
        if row is not None and row.created_at <= now - window():
            db.session.delete(row)  # an old use of the key: forgotten, as if purged
            db.session.flush()
            row = None
        if row is None:
            row = IdempotencyKey(key_hash=lookup, fingerprint=fingerprint, created_at=now,
                                 locked_until=now + _lease())
            db.session.add(row)
            db.session.flush()
            claim = Claimed(row.id, secret)
            db.session.commit()
            return claim
        outcome = _outcome(row, fingerprint, secret, now)
        if isinstance(outcome, Claimed):  # the first request's worker died: take over
            row.locked_until = now + _lease()
        db.session.commit()
        return outcome
    except IntegrityError:
        # Another request inserted this key a moment ago (PostgreSQL: its insert came first).
        db.session.rollback()
        return InProgress(retry_after=1)
    except Exception:
        db.session.rollback()
        raise


def _outcome(row, fingerprint, secret, now):
    if not hmac.compare_digest(row.fingerprint, fingerprint):
        return Reused()
    if row.status_code is not None:
        body = unseal(secret, row.response)
        return Reused() if body is None else Replay(row.status_code, body)
    if row.locked_until is not None and row.locked_until > now:
        return InProgress(retry_after=_seconds_until(row.locked_until, now))
    return Claimed(row.id, secret)


def finish(claim, status, body):
    """Keep the answer of a claimed request."""
    try:
        begin_write()
        db.session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == claim.row_id, IdempotencyKey.status_code.is_(None))
            .values(status_code=status, response=seal(claim.secret, body), locked_until=None)
            .execution_options(synchronize_session=False))
        db.session.commit()
    except Exception:  # noqa: BLE001  (the answer still goes out; the claim runs out later)
        db.session.rollback()
        log.warning("an idempotent answer could not be kept", exc_info=True)


def abandon(claim):
    """Drop the claim of a request that did nothing, waiting only briefly for the database (it
    may be the reason the request failed)."""
    try:
        with brief_lock_wait():
            db.session.execute(
                delete(IdempotencyKey)
                .where(IdempotencyKey.id == claim.row_id, IdempotencyKey.status_code.is_(None))
                .execution_options(synchronize_session=False))
        db.session.commit()
    except Exception:  # noqa: BLE001  (then the claim runs out with its lease)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001
            db.session.invalidate()
        log.warning("an idempotency claim could not be dropped; it runs out with its lease")


def expired(now):
    """The ids of keys older than the window (for privacy.purge)."""
    return select(IdempotencyKey.id).where(IdempotencyKey.created_at <= now - window()) \
        .order_by(IdempotencyKey.id)

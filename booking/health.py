"""Health checks for load balancers and monitoring, outside /api/ and never rate-limited.

    GET /healthz   200 while the process answers requests (it reads no database): "is it alive"
    GET /readyz    200 when the database answers and its migrations are at this code's head;
                   else 503 with Retry-After: "send it traffic"

Neither says more than ok / not ok per check: no versions, no error texts.
"""
import os

from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from .errors import DATABASE_UNAVAILABLE, end_transaction
from .extensions import db, limiter

bp = Blueprint("health", __name__)
limiter.exempt(bp)

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                              "migrations")
_heads = None


def code_heads():
    """The head revision(s) of the migrations shipped with this code (read once per process)."""
    global _heads
    if _heads is None:
        _heads = frozenset(ScriptDirectory(MIGRATIONS_DIR).get_heads())
    return _heads


def _answer(status, **checks):
    response = jsonify({"status": "ok" if status == 200 else "unavailable", **checks})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 503:
        response.headers["Retry-After"] = str(current_app.config["DATABASE_RETRY_AFTER_SECONDS"])
    return response


@bp.get("/healthz")
def healthz():
    return _answer(200)


@bp.get("/readyz")
def readyz():
    try:
        db.session.execute(text("SELECT 1"))
    except DATABASE_UNAVAILABLE:
        end_transaction()
        return _answer(503, database="unavailable", migrations="unknown")
    try:
        applied = frozenset(db.session.execute(
            text("SELECT version_num FROM alembic_version")).scalars())
    except DBAPIError:  # never migrated: no alembic_version table
        applied = frozenset()
    end_transaction()
    if applied != code_heads():
        return _answer(503, database="ok", migrations="not_current")
    return _answer(200, database="ok", migrations="current")

"""Who may open a staff page: sign-in required, then a role check, both on the server.

Also keeps staff sessions honest: an idle timeout and an absolute lifetime, checked on every
request from times kept in the (signed) session cookie.
"""
from datetime import datetime, timedelta, timezone
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from .. import audit
from ..timeutil import utcnow


def staff_required(*roles):
    """The view needs a signed-in staff member holding at least one of `roles`."""
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
            if roles and not current_user.has_role(*roles):
                audit.record_now("access.refused", details={"endpoint": request.endpoint or "",
                                                            "method": request.method})
                abort(403)
            return view(*args, **kwargs)
        wrapped.staff_roles = roles  # the role matrix test reads this
        return wrapped
    return decorate


def safe_next(target):
    """A `?next=` target only when it stays on this site (a path, never another host)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return None
    return target


def start_session(user):
    """A fresh session for a fresh sign-in: nothing from before it survives."""
    session.clear()
    now = utcnow().timestamp()
    session["signed_in_at"] = now
    session["last_seen"] = now
    session.permanent = True


def enforce_session_limits():
    """before_request: end staff sessions that were idle too long or are too old."""
    if not current_user.is_authenticated:
        return None
    now = utcnow()
    config = current_app.config
    signed_in = datetime.fromtimestamp(session.get("signed_in_at", 0), timezone.utc)
    last_seen = datetime.fromtimestamp(session.get("last_seen", 0), timezone.utc)
    if now - last_seen > timedelta(minutes=config["STAFF_IDLE_MINUTES"]) or \
            now - signed_in > timedelta(hours=config["STAFF_SESSION_HOURS"]):
        logout_user()
        session.clear()
        flash(_("You were signed out after a period of inactivity. Please sign in again."), "info")
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    session["last_seen"] = now.timestamp()
    return None

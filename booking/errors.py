"""Error pages for people and JSON errors for programs (everything under /api/)."""
from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from .extensions import db

# The database is busy (a lock held longer than DATABASE_LOCK_WAIT_MS, every pooled connection
# in use) or unreachable (stopped, restarting, a connection cut): the request did nothing, and
# the same request a few seconds later may well succeed.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)


def end_transaction():
    """Roll back whatever the request started, even on a connection that has died (then it is
    dropped from the pool, and the next request gets a fresh one through pool_pre_ping)."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001  (the connection is gone: nothing to roll back)
        db.session.invalidate()


def wants_json():
    """Programs get JSON errors: the API, and JSON exports such as /staff/outcomes.json."""
    return request.path.startswith("/api/") or request.path.endswith(".json")


def json_error(status, code, message, fields=None):
    body = {"error": code, "message": message}
    if fields:
        body["fields"] = fields
    return jsonify(body), status


def register_error_handlers(app):
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = _("Your form expired. Please go back, reload the page and try again.")
        if wants_json():
            return json_error(400, "csrf", message)
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error):
        messages = {
            400: _("The request could not be understood."),
            403: _("You do not have access to this page."),
            404: _("We could not find that page. If you followed a link from an email, "
                   "please check that it was copied whole."),
            405: _("That action is not allowed here."),
            413: _("What you sent is too large."),
            429: _("Too many requests. Please wait a minute and try again."),
        }
        message = messages.get(error.code, error.description)
        if wants_json():
            code = {404: "not_found", 405: "method_not_allowed", 413: "too_large",
                    429: "throttled"}.get(error.code, "bad_request" if error.code < 500 else "error")
            return json_error(error.code, code, message)
        return render_template("errors/error.html", status=error.code, message=message), error.code

    def database_unavailable(error):
        end_transaction()  # nothing half-written stays
        app.logger.warning("database unavailable: %s",
                           type(getattr(error, "orig", None) or error).__name__)
        message = _("The booking system is busy for a moment. Nothing was saved; please try "
                    "again in a few seconds.")
        if wants_json():
            response = json_error(503, "unavailable", message)[0]
        else:
            response = current_app.make_response(
                render_template("errors/error.html", status=503, message=message))
        response.status_code = 503
        response.headers["Retry-After"] = str(current_app.config["DATABASE_RETRY_AFTER_SECONDS"])
        response.headers["Cache-Control"] = "no-store"
        return response

    for kind in DATABASE_UNAVAILABLE:
        app.register_error_handler(kind, database_unavailable)

    @app.errorhandler(500)
    def server_error(error):
        # Whatever half-done work the failing request left must not leak into the next one.
        db.session.rollback()
        message = _("Something went wrong on our side. Nothing was booked twice; please try again "
                    "or call the clinic.")
        if wants_json():
            return json_error(500, "server_error", message)
        return render_template("errors/error.html", status=500, message=message), 500

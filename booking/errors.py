"""Error pages for people and JSON errors for programs (everything under /api/)."""
from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db


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

    @app.errorhandler(500)
    def server_error(error):
        # Whatever half-done work the failing request left must not leak into the next one.
        db.session.rollback()
        message = _("Something went wrong on our side. Nothing was booked twice; please try again "
                    "or call the clinic.")
        if wants_json():
            return json_error(500, "server_error", message)
        return render_template("errors/error.html", status=500, message=message), 500

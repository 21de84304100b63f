"""The practitioners' calendar subscriptions: GET /feeds/<token>.ics (no sign-in: the secret
token in the URL is the key, so the answer is never cached and never leaks as a referrer)."""
from flask import Blueprint, Response, abort

from ..extensions import limiter
from ..security import limit_blueprint
from . import feeds
from .views import private_headers

bp = Blueprint("feeds", __name__, url_prefix="/feeds")
limit_blueprint(limiter, bp, "RATELIMIT_PRIVATE_LINKS")

bp.after_request(private_headers)  # also on the 404 of a wrong token


@bp.route("/<token>.ics")
def practitioner_feed(token):
    body = feeds.practitioner_feed(token)
    if body is None:
        abort(404)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'inline; filename="expio.ics"'})

"""The patient's "Add to calendar" download, and the email commands.

    GET /manage/<token>/calendar.ics   the appointment (or every session of the course) behind
                                       a private manage link, as an .ics file (METHOD:PUBLISH)

No sign-in: the link is the key (404 for a wrong one); never cached, never sent on as a
referrer. The blueprint also carries the CLI commands `send-mail` and `send-reminders`
(commands.py; cli_group=None puts them at the top level: `flask --app wsgi send-mail`).
"""
from flask import Blueprint, Response, abort

from . import calendar, commands

bp = Blueprint("notifications", __name__, cli_group=None)

PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}


def private_headers(response):
    """Also on the 404 of a wrong token (feed_views.py registers it on its blueprint too)."""
    response.headers.update(PRIVATE_HEADERS)
    return response


bp.after_request(private_headers)


@bp.route("/manage/<token>/calendar.ics")
def calendar_file(token):
    found = calendar.download_for_token(token)
    if found is None:
        abort(404)
    filename, body = found
    return Response(body, content_type="text/calendar; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


for command in commands.COMMANDS:
    bp.cli.add_command(command)

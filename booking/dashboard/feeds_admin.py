"""Administration: each practitioner's private calendar feed (admins only).

Creating or rotating a feed shows its secret URL once, on the page answering the POST (never in
a flash message or a redirect, so it stays out of cookies and logs); rotating makes the old URL
stop at once.
"""
from flask import abort, render_template
from flask_login import current_user

from ..auth.access import staff_required
from ..notifications import feeds
from .blueprint import ADMIN, bp


def _feeds_page(*, new_url=None, new_for=None, status=200):
    response = render_template("dashboard/feeds/list.html", rows=feeds.feeds_overview(),
                               new_url=new_url, new_for=new_for)
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"} if new_url else {}
    return response, status, headers


@bp.route("/admin/feeds")
@staff_required(*ADMIN)
def feeds_list():
    return _feeds_page()


@bp.route("/admin/feeds/<int:practitioner_id>", methods=["POST"])
@staff_required(*ADMIN)
def feed_rotate(practitioner_id):
    try:
        feed, token = feeds.rotate_feed(practitioner_id, actor=current_user._get_current_object())
    except LookupError:
        abort(404)
    return _feeds_page(new_url=feeds.feed_url(token), new_for=feed.practitioner_id)


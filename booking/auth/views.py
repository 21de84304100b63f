"""Staff sign-in, sign-out and password change."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from . import services
from .access import safe_next, staff_required, start_session
from .forms import ChangePasswordForm, SignInForm

bp = Blueprint("auth", __name__, url_prefix="/staff")


def home_for(user):
    """Where a staff member lands after signing in."""
    if user.has_role("clinician"):
        return url_for("dashboard.clinician_list")
    if user.has_role("receptionist"):
        return url_for("dashboard.calendar_day")
    return url_for("dashboard.admin_home")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    form = SignInForm()
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or home_for(current_user))
    status, message = 200, None
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.SignInRefused as refused:
            status, message = refused.status, refused.message
        else:
            start_session(user)
            login_user(user)
            return redirect(next_url or home_for(user), 303)
    elif request.method == "POST":
        status = 422
    form.password.data = ""
    return render_template("auth/sign_in.html", form=form, message=message), status


@bp.route("/sign-out", methods=["POST"])
@staff_required()
def sign_out():
    services.sign_out(current_user.id)
    logout_user()
    flash(_("You are signed out."), "success")
    return redirect(url_for(".sign_in"), 303)


@bp.route("/password", methods=["GET", "POST"])
@staff_required()
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = services.change_password(current_user.id, form.current_password.data,
                                            form.new_password.data)
        except services.StaffError as error:
            form.add_errors(error.fields)
        else:
            # Other sessions ended with the new password; this one continues under it.
            start_session(user)
            login_user(user)
            flash(_("Your password was changed. Other sessions were signed out."), "success")
            return redirect(home_for(user), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status

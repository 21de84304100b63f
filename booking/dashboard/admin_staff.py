"""Administration: staff accounts (the list, a new account, roles and the linked practitioner,
disabling and enabling an account, a new password).

Views are thin: the forms check shape, booking/auth/services.py decides what is right, writes,
and audits in the same transaction.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import Length

from .. import clinic_admin
from ..auth import services as accounts
from ..auth.access import staff_required
from ..models import ROLES
from .admin_forms import CheckboxesField, add_errors, current_actor, practitioner_choices
from .blueprint import ADMIN, bp

ROLE_LABELS = {"admin": _l("Administrator"), "receptionist": _l("Receptionist"),
               "clinician": _l("Clinician")}
PASSWORD_HINT = _l("At least 8 characters, not a common password. A few unrelated words make a "
                   "strong, memorable password. Give it to the person privately.")


def _role_field():
    return CheckboxesField(_l("Roles"),
                           choices=[SelectChoice(role, ROLE_LABELS[role]) for role in ROLES],
                           description=_l("A person may hold several roles, for example "
                                          "administrator and clinician."))


def _practitioner_field():
    return SelectField(_l("Linked practitioner"), choices=[], validate_choice=True,
                       description=_l("A clinician sees the calendar of this practitioner."))


class StaffCreateForm(FlaskForm):
    email = EmailField(_l("Email"), [Length(max=254)], render_kw={"autocomplete": "off"})
    full_name = StringField(_l("Full name"), [Length(max=120)])
    roles = _role_field()
    practitioner_id = _practitioner_field()
    password = PasswordField(_l("Initial password"), [Length(max=256)],
                             description=PASSWORD_HINT, render_kw={"autocomplete": "new-password"})


class StaffAccessForm(FlaskForm):
    roles = _role_field()
    practitioner_id = _practitioner_field()


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(_l("New password"), [Length(max=256)], description=PASSWORD_HINT,
                                 render_kw={"autocomplete": "new-password"})


def _optional_id(value):
    return int(value) if value and str(value).isdigit() else None


# --- Staff accounts -------------------------------------------------------------------------------

@bp.route("/admin/staff")
@staff_required(*ADMIN)
def staff_list():
    return render_template("dashboard/admin/staff_list.html",
                           users=clinic_admin.staff_accounts(), role_labels=ROLE_LABELS)


@bp.route("/admin/staff/new", methods=["GET", "POST"])
@staff_required(*ADMIN)
def staff_new():
    form = StaffCreateForm()
    form.practitioner_id.choices = practitioner_choices(_("None"))
    status, messages = 200, []
    if form.validate_on_submit():
        try:
            user = accounts.create_staff(
                form.email.data, form.password.data, form.roles.data,
                full_name=form.full_name.data or "",
                practitioner_id=_optional_id(form.practitioner_id.data), actor=current_actor())
        except accounts.StaffError as error:
            status = error.status
            messages = add_errors(form, error.fields) or [error.message]
        else:
            flash(_("The account for %(email)s was created.", email=user.email), "success")
            return redirect(url_for(".staff_edit", user_id=user.id), 303)
    elif request.method == "POST":
        status, messages = 422, [_("Please check the fields marked below.")]
    return render_template("dashboard/admin/staff_new.html", form=form, messages=messages), status


def _staff_page(user, *, access_form=None, password_form=None, messages=(), status=200):
    if access_form is None:
        access_form = StaffAccessForm(formdata=None, data={
            "roles": sorted(user.roles),
            "practitioner_id": str(user.practitioner_id or "")})
    access_form.practitioner_id.choices = practitioner_choices(_("None"))
    return render_template(
        "dashboard/admin/staff_edit.html", user=user, access_form=access_form,
        password_form=password_form or ResetPasswordForm(formdata=None),
        messages=list(messages), role_labels=ROLE_LABELS,
        is_self=user.id == current_user.id), status


def _user_or_404(user_id):
    user = clinic_admin.staff_account(user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/admin/staff/<int:user_id>", methods=["GET", "POST"])
@staff_required(*ADMIN)
def staff_edit(user_id):
    user = _user_or_404(user_id)
    if request.method == "GET":
        return _staff_page(user)
    form = StaffAccessForm()
    form.practitioner_id.choices = practitioner_choices(_("None"))
    if not form.validate():
        return _staff_page(user, access_form=form, status=422,
                           messages=[_("Please check the fields marked below.")])
    try:
        accounts.change_access(user_id, form.roles.data,
                               practitioner_id=_optional_id(form.practitioner_id.data),
                               actor=current_actor())
    except LookupError:
        abort(404)
    except accounts.StaffError as error:
        general = add_errors(form, error.fields)
        return _staff_page(_user_or_404(user_id), access_form=form, status=error.status,
                           messages=general or [error.message])
    flash(_("Roles saved."), "success")
    return redirect(url_for(".staff_edit", user_id=user_id), 303)


@bp.route("/admin/staff/<int:user_id>/active", methods=["POST"])
@staff_required(*ADMIN)
def staff_set_active(user_id):
    _user_or_404(user_id)
    wanted = request.form.get("active")
    if wanted not in ("0", "1"):
        abort(400)
    try:
        user = accounts.update_staff(user_id, active=wanted == "1", actor=current_actor())
    except LookupError:
        abort(404)
    except accounts.StaffError as error:
        return _staff_page(_user_or_404(user_id), status=error.status, messages=[error.message])
    if user.active:
        flash(_("The account is enabled again."), "success")
    else:
        flash(_("The account is disabled: its sessions have ended and it cannot sign in."),
              "success")
    return redirect(url_for(".staff_edit", user_id=user_id), 303)


@bp.route("/admin/staff/<int:user_id>/password", methods=["POST"])
@staff_required(*ADMIN)
def staff_reset_password(user_id):
    _user_or_404(user_id)
    form = ResetPasswordForm()
    if not form.validate():
        return _staff_page(_user_or_404(user_id), password_form=form, status=422)
    try:
        accounts.reset_password(user_id, form.new_password.data, current_actor())
    except LookupError:
        abort(404)
    except accounts.StaffError as error:
        general = add_errors(form, error.fields)
        return _staff_page(_user_or_404(user_id), password_form=form, status=error.status,
                           messages=general)
    flash(_("The new password is set and the person's sessions have ended."), "success")
    return redirect(url_for(".staff_edit", user_id=user_id), 303)

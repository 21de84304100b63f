"""Staff accounts and sign-in: create, authenticate (throttled in the database), sign out,
change password, change roles, disable. Each function is one transaction and is audited."""
from datetime import timedelta

from email_validator import EmailNotValidError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit
from ..database import begin_write
from ..extensions import db
from ..models import ROLES, SignInThrottle, StaffUser
from ..scheduler.contacts import normalise_email
from ..timeutil import utcnow
from .passwords import DUMMY_HASH, hash_password, password_matches, password_problem


class StaffError(Exception):
    status = 422

    def __init__(self, message, fields=None):
        super().__init__(str(message))
        self.message = str(message)
        self.fields = {key: str(value) for key, value in (fields or {}).items()}


class SignInRefused(StaffError):
    status = 401


class TooManyAttempts(SignInRefused):
    status = 429


GENERIC_REFUSAL = _l("That email and password do not match an active account.")


def _email_or_none(raw):
    try:
        return normalise_email(str(raw or "").strip())
    except EmailNotValidError:
        return None


def user_by_email(email):
    return db.session.execute(
        select(StaffUser).where(StaffUser.email == email)).scalar_one_or_none()


def load_user(session_user_id):
    """Flask-Login's loader: "id:version" from the cookie; a stale version signs the person out."""
    try:
        user_id, version = (int(part) for part in str(session_user_id).split(":"))
    except ValueError:
        return None
    user = db.session.get(StaffUser, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


# --- Sign-in, throttled per email in the database (shared by every worker and server). ----------

def _throttle_settings():
    config = current_app.config
    return (config["SIGN_IN_MAX_FAILURES"], timedelta(minutes=config["SIGN_IN_WINDOW_MINUTES"]),
            timedelta(minutes=config["SIGN_IN_LOCK_MINUTES"]))


def authenticate(email, password, *, now=None):
    """The active staff user with that email and password, or raise SignInRefused /
    TooManyAttempts. An unknown account and a wrong password are refused alike, in the same
    time, and both count towards the lock-out of that email."""
    now = now or utcnow()
    max_failures, window, lock = _throttle_settings()
    key = _email_or_none(email) or str(email or "").strip().lower()[:254]
    begin_write()
    try:
        throttle = db.session.get(SignInThrottle, key, with_for_update=True)
        if throttle is not None and throttle.locked_until and throttle.locked_until > now:
            minutes = max(1, int((throttle.locked_until - now).total_seconds() // 60) + 1)
            audit.record("sign_in.refused_locked", details={"email": key})
            db.session.commit()
            raise TooManyAttempts(_l(
                "Too many failed attempts. Please wait %(minutes)d minutes and try again, or ask "
                "an administrator.", minutes=minutes))
        user = user_by_email(key)
        ok = password_matches(user.password_hash if user else DUMMY_HASH, password or "")
        if ok and user is not None and user.active:
            if throttle is not None:
                db.session.delete(throttle)
            audit.record("sign_in.success", actor=user)
            db.session.commit()
            return user
        if throttle is None:
            throttle = SignInThrottle(email=key, failures=0, window_started_at=now)
            db.session.add(throttle)
        if throttle.window_started_at <= now - window:
            throttle.failures, throttle.window_started_at = 0, now
        throttle.failures += 1
        if throttle.failures >= max_failures:
            throttle.locked_until = now + lock
            throttle.failures, throttle.window_started_at = 0, now
        audit.record("sign_in.failure", details={"email": key})
        db.session.commit()
    except StaffError:
        raise
    except Exception:
        db.session.rollback()
        raise
    raise SignInRefused(GENERIC_REFUSAL)


def sign_out(user_id):
    """End every session of this person: old cookies stop working, copies included."""
    begin_write()
    user = db.session.get(StaffUser, user_id)
    if user is not None:
        user.session_version += 1
        audit.record("sign_out", actor=user)
    db.session.commit()


# --- Accounts ------------------------------------------------------------------------------------

def _clean_roles(roles):
    roles = set(roles or ())
    unknown = roles - set(ROLES)
    if unknown or not roles:
        raise StaffError(_l("Choose at least one role."), {"roles": _l("Choose at least one role.")})
    return roles


def create_staff(email, password, roles, *, full_name="", practitioner_id=None, actor=None):
    clean_email = _email_or_none(email)
    fields = {}
    if clean_email is None:
        fields["email"] = _l("Please enter an email address like name@example.com.")
    problem = password_problem(password or "", user_inputs=[email or "", full_name])
    if problem:
        fields["password"] = problem
    try:
        roles = _clean_roles(roles)
    except StaffError as error:
        fields.update(error.fields)
    if "clinician" in roles and practitioner_id is None and actor is not None:
        fields["practitioner_id"] = _l("A clinician is linked to a practitioner.")
    if fields:
        raise StaffError(_l("Please check the fields marked below."), fields)
    begin_write()
    try:
        if user_by_email(clean_email) is not None:
            raise StaffError(_l("There is already an account with that email."),
                             {"email": _l("There is already an account with that email.")})
        user = StaffUser(email=clean_email, full_name=" ".join(full_name.split()),
                         password_hash=hash_password(password), practitioner_id=practitioner_id)
        user.roles = roles
        db.session.add(user)
        db.session.flush()
        audit.record("staff.create", object_type="staff_user", object_id=user.id,
                     details={"roles": sorted(roles)}, actor=actor,
                     actor_label=None if actor else "command line")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return user


def change_password(user_id, current_password, new_password):
    begin_write()
    try:
        user = db.session.get(StaffUser, user_id)
        if not password_matches(user.password_hash, current_password or ""):
            message = _l("Your current password is not right.")
            raise StaffError(message, {"current_password": message})
        problem = password_problem(new_password or "", user_inputs=[user.email, user.full_name])
        if problem:
            raise StaffError(problem, {"new_password": problem})
        user.password_hash = hash_password(new_password)
        user.password_changed_at = utcnow()
        user.session_version += 1  # every other session of this person ends
        audit.record("staff.password_change", object_type="staff_user", object_id=user.id,
                     actor=user)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return user


def update_staff(user_id, *, roles=None, active=None, practitioner_id=..., actor):
    """Change roles, enable/disable, or the linked practitioner. Disabling ends their sessions."""
    begin_write()
    try:
        user = db.session.get(StaffUser, user_id)
        if user is None:
            raise LookupError("staff_user")
        before = {"roles": sorted(user.roles), "active": user.active,
                  "practitioner_id": user.practitioner_id}
        if roles is not None:
            roles = _clean_roles(roles)
            if user.id == actor.id and "admin" not in roles:
                raise StaffError(_l("You cannot remove your own admin role."),
                                 {"roles": _l("You cannot remove your own admin role.")})
            user.roles = roles
        if practitioner_id is not ...:
            user.practitioner_id = practitioner_id
        if active is not None and active != user.active:
            if user.id == actor.id and not active:
                raise StaffError(_l("You cannot disable your own account."))
            user.active = active
            user.session_version += 1
        after = {"roles": sorted(user.roles), "active": user.active,
                 "practitioner_id": user.practitioner_id}
        if before != after:
            action = "staff.role_change" if before["roles"] != after["roles"] else "staff.update"
            audit.record(action, object_type="staff_user", object_id=user.id,
                         details={"before": before, "after": after}, actor=actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return user


def change_access(user_id, roles, *, practitioner_id, actor):
    """An admin changes someone's roles and linked practitioner (one transaction, through
    update_staff): a clinician must be linked to a practitioner, as when the account is
    created, and nobody drops their own admin role."""
    roles = set(roles or ())
    if "clinician" in roles and practitioner_id is None:
        message = _l("A clinician is linked to a practitioner.")
        raise StaffError(_l("Please check the fields marked below."),
                         {"practitioner_id": message})
    return update_staff(user_id, roles=roles, practitioner_id=practitioner_id, actor=actor)


def reset_password(user_id, new_password, actor):
    """An admin sets a new password for someone (who forgot theirs, or was locked out): every
    session of that person ends and their sign-in lock is lifted. Admins change their own
    password on the password page, which asks for the current one."""
    begin_write()
    try:
        user = db.session.get(StaffUser, user_id)
        if user is None:
            raise LookupError("staff_user")
        if user.id == actor.id:
            message = _l("Please change your own password on the Password page.")
            raise StaffError(message, {"new_password": message})
        problem = password_problem(new_password or "", user_inputs=[user.email, user.full_name])
        if problem:
            raise StaffError(problem, {"new_password": problem})
        user.password_hash = hash_password(new_password)
        user.password_changed_at = utcnow()
        user.session_version += 1  # every session of this person ends
        throttle = db.session.get(SignInThrottle, user.email)
        if throttle is not None:
            db.session.delete(throttle)
        audit.record("staff.password_reset", object_type="staff_user", object_id=user.id,
                     actor=actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return user

"""Sign-in and password forms (shape only; the auth services decide what is right)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length


class SignInForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    submit = SubmitField(_l("Sign in"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=256)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)],
                                 description=_l("At least 8 characters. A few unrelated words "
                                                "make a strong, memorable password."))
    submit = SubmitField(_l("Change password"))

    def add_errors(self, fields):
        for name, message in fields.items():
            getattr(self, name).errors = [*getattr(self, name).errors, message]

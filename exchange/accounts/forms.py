"""Account forms: sign-in, sign-up, password reset, invitation acceptance, profile."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from exchange.core.fields import choices
from exchange.core.forms import Form

LANGUAGE_CHOICES = choices([("en", "English"), ("ko", "한국어")])


class SignInForm(Form):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    next = HiddenField()


class NewPasswordMixin:
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=12, max=256)],
        description=_l("At least 12 characters. A passphrase of several words works well."),
    )
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class SignUpForm(NewPasswordMixin, Form):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        _l("Institute e-mail address"),
        validators=[DataRequired(), Email(), Length(max=254)],
        description=_l("Use the address your institute gave you; we e-mail a link to confirm it."),
    )


class EmailOnlyForm(Form):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])


class ConfirmForm(Form):
    """A button: following a link never changes anything by itself (mail scanners fetch links)."""


class ResetPasswordForm(NewPasswordMixin, Form):
    pass


class AcceptInvitationForm(NewPasswordMixin, Form):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])


class ProfileForm(Form):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    locale = SelectField(_l("Interface language"), choices=LANGUAGE_CHOICES)


class ChangePasswordForm(NewPasswordMixin, Form):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=256)]
    )


class ApiTokenForm(Form):
    name = StringField(
        _l("What will use the token"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("For example: nightly Inspect pipeline."),
    )
    days = SelectField(
        _l("Valid for"),
        choices=choices([("30", _l("30 days")), ("90", _l("90 days")), ("365", _l("1 year"))]),
        default="90",
    )

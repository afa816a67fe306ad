"""Admin forms for institutes and users."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from exchange.core.fields import CheckboxListField
from exchange.core.forms import Form


class InstituteForm(Form):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=32)],
        description=_l("Short unique code, e.g. KR-AISI."),
    )
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=200)])
    name_ko = StringField(_l("Name in Korean"), validators=[DataRequired(), Length(max=200)])
    country = StringField(
        _l("Country"),
        validators=[
            DataRequired(),
            Regexp(r"^[A-Za-z]{2}$", message=_l("Use the two-letter ISO 3166 code, e.g. KR.")),
        ],
        description=_l("Two-letter ISO 3166 code; EU for the European Union."),
    )
    domains = TextAreaField(
        _l("E-mail domains"),
        description=_l("One per line. Staff with these addresses may sign up themselves."),
    )
    is_active = BooleanField(_l("Active"), default=True)


class UserForm(Form):
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    institute = SelectField(_l("Institute"), coerce=int)
    roles = CheckboxListField(_l("Roles in addition to member"))
    is_active = BooleanField(_l("Active (may sign in)"))

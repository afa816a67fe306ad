"""The invitation form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField
from wtforms.validators import DataRequired, Email, Length

from exchange import access
from exchange.accounts.forms import LANGUAGE_CHOICES
from exchange.core.fields import CheckboxListField, choices
from exchange.core.forms import Form

ROLE_LABELS = {
    "member": _l("Member"),
    "coordinator": _l("Coordinator"),
    "reviewer": _l("Reviewer"),
    "admin": _l("Admin"),
}


class InviteForm(Form):
    institute = SelectField(_l("Institute"), coerce=int)
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    roles = CheckboxListField(
        _l("Roles in addition to member"),
        description=_l("Every account is a member. Coordinators run rotations and endorsements."),
    )
    locale = SelectField(_l("Language of the invitation e-mail"), choices=LANGUAGE_CHOICES)


def role_choices(actor):
    """The roles ``actor`` may grant, as form choices."""
    return choices((r.value, ROLE_LABELS[r.value]) for r in access.grantable_roles(actor))

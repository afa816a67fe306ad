"""Forms and labels for rotation programs (the host's side)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from exchange.core.fields import CheckboxListField, choices
from exchange.core.forms import Form
from exchange.rotations.models import CLEARANCE_LEVELS

PROGRAM_STATUS_LABELS = {
    "draft": _l("Draft (only your institute's coordinators see it)"),
    "open": _l("Open for applications"),
    "closed": _l("Closed"),
}
STATUS_BADGES = {"draft": _l("Draft"), "open": _l("Open"), "closed": _l("Closed")}
CLEARANCE_LABELS = {
    "none": _l("None"),
    "baseline": _l("Baseline check"),
    "official_sensitive": _l("Official-sensitive handling"),
    "security_check": _l("Security check"),
    "developed_vetting": _l("Developed vetting"),
}
# policy.is_eligible gives untranslated keys; these are what the viewer reads.
INELIGIBLE_REASONS = {
    "own_institute": _l("Your own institute hosts this program"),
    "institute_not_eligible": _l("Not open to staff of your institute"),
    "sign_in": _l("Sign in to apply"),
}
WINDOW_LABELS = {
    "draft": _l("Not published yet"),
    "not_yet": _l("Applications not open yet"),
    "open": _l("Open for applications"),
    "closed": _l("Applications closed"),
}
SORT_LABELS = {
    "deadline": _l("Deadline"),
    "start": _l("Start date"),
    "newest": _l("Newest"),
}
assert set(CLEARANCE_LABELS) == set(CLEARANCE_LEVELS)


class ProgramForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(
        _l("Description"),
        validators=[Length(max=50_000)],
        description=_l("Markdown: the work, the team, what the person will learn and bring."),
    )
    focus_areas = StringField(
        _l("Focus areas"),
        validators=[Length(max=500)],
        description=_l("Comma-separated, e.g. cyber evaluations, agentic red-teaming."),
    )
    skills_sought = StringField(
        _l("Skills sought"),
        validators=[Length(max=500)],
        description=_l("Comma-separated, e.g. Inspect, Python, Korean."),
    )
    location = StringField(_l("Location"), validators=[Length(max=200)])
    start_date = DateField(_l("Starts on"), validators=[Optional()])
    end_date = DateField(_l("Ends on"), validators=[Optional()])
    seats = IntegerField(
        _l("Seats"), default=1, validators=[InputRequired(), NumberRange(min=0, max=500)]
    )
    opens_at = DateField(
        _l("Applications open on"),
        validators=[Optional()],
        description=_l("From 00:00 UTC that day. Empty: as soon as the program is open."),
    )
    closes_at = DateField(
        _l("Applications close on"),
        validators=[Optional()],
        description=_l("Until 23:59 UTC that day; late applications are refused."),
    )
    required_clearance = SelectField(
        _l("Required clearance"), choices=choices(CLEARANCE_LABELS.items()), default="none"
    )
    offer_valid_days = IntegerField(
        _l("Days to answer an offer"),
        default=14,
        validators=[InputRequired(), NumberRange(min=1, max=90)],
        description=_l("An unanswered offer expires and the seat goes to the waitlist."),
    )
    status = SelectField(
        _l("Status"), choices=choices(PROGRAM_STATUS_LABELS.items()), default="draft"
    )
    eligible = CheckboxListField(
        _l("Open to staff of"),
        coerce=int,
        description=_l("None checked: open to every partner institute."),
    )
    reviewers = CheckboxListField(
        _l("Reviewers"),
        coerce=int,
        description=_l(
            "Colleagues who score the applications; they are recused automatically "
            "from applicants of their own institute or with a declared tie."
        ),
    )
    criteria = TextAreaField(
        _l("Review criteria"),
        validators=[Length(max=10_000)],
        description=_l(
            "One per line: name | weight from 1 to 10 | description. "
            "For example: Evaluation experience | 3 | Has run Inspect evaluations."
        ),
    )

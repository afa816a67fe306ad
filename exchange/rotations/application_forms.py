"""Forms for applying to a rotation, acting on an application, reviewing and exit reports."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from exchange.core.fields import CheckboxListField, choices
from exchange.core.forms import Form
from exchange.rotations.services import ApplicationFields
from exchange.wiki.forms import VISIBILITY_LABELS

INELIGIBLE = {
    "sign_in": _l("Sign in to apply."),
    "own_institute": _l(
        "This program is hosted by your own institute; rotations place staff at another institute."
    ),
    "institute_not_eligible": _l("This program is not open to staff of your institute."),
}
SCORE_LABELS = {
    "": _l("Choose a score"),
    "1": _l("1: weak"),
    "2": _l("2: below expectations"),
    "3": _l("3: meets expectations"),
    "4": _l("4: strong"),
    "5": _l("5: outstanding"),
}


class ApplicationForm(Form):
    statement = TextAreaField(
        _l("Statement"),
        validators=[Length(max=20_000)],
        description=_l(
            "Why this rotation, what you would work on and what you would bring back home."
        ),
    )
    skills = StringField(
        _l("Skills"),
        validators=[Length(max=500)],
        description=_l("Comma-separated, e.g. red teaming, Inspect, statistics."),
    )
    languages = StringField(
        _l("Languages"),
        validators=[Length(max=200)],
        description=_l("The languages you work in, e.g. English, Korean."),
    )
    available_from = DateField(_l("Available from"), validators=[Optional()])
    available_until = DateField(_l("Available until"), validators=[Optional()])
    cv = FileField(
        _l("CV (PDF)"),
        description=_l("A PDF file. Choosing a new file replaces the current CV."),
        render_kw={"accept": ".pdf,application/pdf"},
    )
    save = SubmitField(_l("Save draft"))
    send = SubmitField(_l("Submit"))

    def fields(self) -> ApplicationFields:
        return ApplicationFields(
            statement=self.statement.data or "",
            skills=self.skills.data or "",
            languages=self.languages.data or "",
            available_from=self.available_from.data,
            available_until=self.available_until.data,
        )


class TransitionForm(Form):
    transition = HiddenField(validators=[DataRequired()])
    # No length check: browsers count a line break as one character, the service truncates.
    reason = TextAreaField(_l("Reason"))


class ConflictForm(Form):
    reason = StringField(
        _l("Your tie to the applicant"),
        validators=[Length(max=500)],
        description=_l(
            "E.g. a former colleague, co-author or friend. You will no longer see this "
            "application and your scores, if any, are removed."
        ),
    )


def review_form(criteria, data: dict[int, int] | None = None, comment: str = "", **kwargs):
    """A scoring form with one 1-to-5 choice per criterion (fields named score_<id>)."""

    class ReviewForm(Form):
        comment_text = TextAreaField(
            _l("Comment"),
            validators=[Length(max=5000)],
            description=_l("Seen by the host coordinators and the other reviewers."),
        )

    for criterion in criteria:
        label = _l("%(name)s (weight %(weight)d)", name=criterion.name, weight=criterion.weight)
        setattr(
            ReviewForm,
            f"score_{criterion.id}",
            SelectField(
                label,
                choices=choices(SCORE_LABELS.items()),
                validators=[DataRequired(_l("Choose a score from 1 to 5."))],
                description=criterion.description or None,
            ),
        )
    if data is not None:
        kwargs.setdefault(
            "data",
            {
                "comment_text": comment,
                **{f"score_{cid}": str(value) for cid, value in data.items()},
            },
        )
    return ReviewForm(**kwargs)


class ExitReportForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    source = TextAreaField(
        _l("Report (Markdown)"),
        validators=[DataRequired(), Length(max=300_000)],
        description=_l(
            "What you worked on, what you learned and what your home institute can reuse. "
            "It becomes a wiki page of kind “Rotation report”."
        ),
    )
    visibility = SelectField(
        _l("Who may read it"), choices=choices(VISIBILITY_LABELS.items()), default="network"
    )
    institutes = CheckboxListField(
        _l("Institutes that may read it"),
        coerce=int,
        description=_l("Used with “Listed institutes only”. Your institute always has access."),
    )

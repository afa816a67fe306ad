"""Forms for evaluation records, their results, workflow and Inspect imports."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from exchange.core.fields import CheckboxListField, choices
from exchange.core.forms import Form
from exchange.evaluations.models import RISK_DOMAINS, TECHNIQUES
from exchange.wiki.forms import VISIBILITY_LABELS

TYPE_LABELS = {
    "pre_deployment": _l("Pre-deployment evaluation"),
    "post_deployment": _l("Post-deployment evaluation"),
    "joint_testing_exercise": _l("Joint testing exercise"),
    "research_study": _l("Research study"),
    "benchmark_run": _l("Benchmark run"),
}
STATUS_LABELS = {
    "draft": _l("Draft"),
    "in_review": _l("In review"),
    "published": _l("Published"),
    "archived": _l("Archived"),
}
DOMAIN_LABELS = {
    "biological": _l("Biological"),
    "chemical": _l("Chemical"),
    "cyber": _l("Cyber"),
    "software_ai_development": _l("Software and AI development"),
    "autonomy": _l("Autonomy"),
    "safeguard_efficacy": _l("Safeguard efficacy"),
    "multilingual_safety": _l("Multilingual safety"),
    "agentic_common_risks": _l("Agentic common risks"),
    "hallucination": _l("Hallucination"),
    "societal_harms": _l("Societal harms"),
}
TECHNIQUE_LABELS = {
    "question_answering": _l("Question answering"),
    "agent_task": _l("Agent tasks"),
    "qualitative_probing": _l("Qualitative probing"),
    "benchmarking": _l("Benchmarking"),
    "red_teaming": _l("Red teaming"),
    "human_uplift_study": _l("Human uplift study"),
    "llm_as_judge": _l("LLM as judge"),
    "human_annotation": _l("Human annotation"),
}
ACCESS_LABELS = {
    "": _l("Not stated"),
    "public_api": _l("Public API"),
    "pre_release_api": _l("Pre-release API"),
    "open_weights": _l("Open weights"),
    "helpful_only": _l("Helpful-only version"),
    "safeguards_enabled": _l("With safeguards"),
}
assert set(DOMAIN_LABELS) == set(RISK_DOMAINS) and set(TECHNIQUE_LABELS) == set(TECHNIQUES)


class RecordForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        _l("Address"),
        validators=[Length(max=120)],
        description=_l(
            "Part of the link and of [[eval:address]] citations. Empty: from the title."
        ),
    )
    record_type = SelectField(_l("Type"), choices=choices(TYPE_LABELS.items()))
    summary = TextAreaField(_l("Summary"), validators=[Length(max=20_000)])
    model_developer = StringField(_l("Developer"), validators=[Length(max=120)])
    model_name = StringField(_l("Model"), validators=[DataRequired(), Length(max=200)])
    model_version = StringField(_l("Version or snapshot"), validators=[Length(max=200)])
    model_access = SelectField(_l("Access"), choices=choices(ACCESS_LABELS.items()), default="")
    reference_models = StringField(
        _l("Reference models"),
        validators=[Length(max=500)],
        description=_l("Comma-separated; compared against, never judged on their own."),
    )
    shared_with_developer_on = DateField(
        _l("Shared with the developer on"), validators=[Optional()]
    )
    access_start = DateField(_l("Access from"), validators=[Optional()])
    access_end = DateField(_l("Access until"), validators=[Optional()])
    evaluated_on = DateField(_l("Evaluated on"), validators=[Optional()])
    participants = CheckboxListField(_l("Participating institutes"), coerce=int)
    domains = CheckboxListField(_l("Risk domains"), choices=choices(DOMAIN_LABELS.items()))
    techniques = CheckboxListField(_l("Techniques"), choices=choices(TECHNIQUE_LABELS.items()))
    languages = StringField(
        _l("Languages"),
        validators=[Length(max=200)],
        description=_l("Comma-separated language codes, e.g. en, ko, ja."),
    )
    scaffold = StringField(_l("Scaffold or agent"), validators=[Length(max=300)])
    tools = StringField(_l("Tools"), validators=[Length(max=300)])
    attempts = IntegerField(
        _l("Attempts per task"), validators=[Optional(), NumberRange(min=1, max=10_000)]
    )
    epochs = IntegerField(_l("Epochs"), validators=[Optional(), NumberRange(min=1, max=10_000)])
    limits = StringField(
        _l("Limits"),
        validators=[Length(max=300)],
        description=_l("Token, time or message limits, e.g. 500k tokens, 2 h per task."),
    )
    elicitation_notes = TextAreaField(_l("Elicitation notes"), validators=[Length(max=5000)])
    headline_finding = TextAreaField(_l("Headline finding"), validators=[Length(max=5000)])
    caveats = TextAreaField(_l("Caveats"), validators=[Length(max=10_000)])
    visibility = SelectField(
        _l("Who may read it once published"),
        choices=choices(VISIBILITY_LABELS.items()),
        default="institutes",
        description=_l("Drafts are seen only by your institute and the participating ones."),
    )
    readers = CheckboxListField(_l("Institutes that may read it"), coerce=int)
    embargo_until = DateField(_l("Embargo until"), validators=[Optional()])


class ResultsForm(Form):
    results = TextAreaField(
        _l("Results"),
        validators=[Length(max=200_000)],
        description=_l(
            "One result per line: benchmark | metric | model | reference (yes/no) | value | "
            "stderr | n. Lines starting with # are ignored."
        ),
    )


class TransitionForm(Form):
    status = HiddenField(validators=[DataRequired()])


class CiteForm(Form):
    page = StringField(
        _l("Wiki page address"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("The page is cited at its current revision."),
    )


class UploadLogsForm(Form):
    logs = FileField(_l("Inspect logs (.eval or .json)"), render_kw={"multiple": True})
    record = HiddenField()


class ConfirmImportForm(Form):
    record = HiddenField()
    title = StringField(_l("Title of the new record"), validators=[Length(max=200)])

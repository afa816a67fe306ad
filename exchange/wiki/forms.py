"""Wiki forms: page text, settings, rename, upload, sign-off."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from exchange.core.fields import CheckboxListField, choices
from exchange.core.forms import Form

KIND_LABELS = {
    "methodology": _l("Methodology"),
    "finding": _l("Finding"),
    "guide": _l("Guide"),
    "rotation_report": _l("Rotation report"),
}
LANGUAGE_LABELS = {"en": _l("English"), "ko": _l("Korean")}
VISIBILITY_LABELS = {
    "public": _l("Public: anyone, also without signing in"),
    "network": _l("Network: every signed-in member of a partner institute"),
    "institutes": _l("Listed institutes only"),
}
STATUS_LABELS = {"draft": _l("Draft"), "reviewed": _l("Reviewed"), "endorsed": _l("Endorsed")}


class SettingsFields:
    kind = SelectField(_l("Kind"), choices=choices(KIND_LABELS.items()))
    language = SelectField(_l("Language"), choices=choices(LANGUAGE_LABELS.items()))
    visibility = SelectField(
        _l("Who may read it"), choices=choices(VISIBILITY_LABELS.items()), default="network"
    )
    institutes = CheckboxListField(
        _l("Institutes that may read it"),
        coerce=int,
        description=_l("Used with “Listed institutes only”. Your institute always has access."),
    )
    embargo_until = DateField(
        _l("Embargo until"),
        validators=[Optional()],
        description=_l("Before this date only your institute sees the page, whatever else is set."),
    )
    tags = StringField(
        _l("Tags"),
        validators=[Length(max=400)],
        description=_l("Comma-separated, e.g. cyber, agentic, statistics."),
    )


class TextFields:
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    source = TextAreaField(
        _l("Text (Markdown)"),
        validators=[Length(max=300_000)],
        description=_l(
            "Markdown with tables, footnotes, code and $math$. Link pages with [[address]] or "
            "[[address|label]]."
        ),
    )
    summary = StringField(
        _l("Summary of your change"),
        validators=[Length(max=300)],
        description=_l("Shown in the history and recent changes."),
    )


class NewPageForm(TextFields, SettingsFields, Form):
    slug = StringField(
        _l("Address"),
        validators=[Length(max=120)],
        description=_l("Part of the link: /wiki/address. Leave empty to derive it from the title."),
    )
    translation_of = HiddenField()


class EditPageForm(TextFields, Form):
    base_revision_id = HiddenField(validators=[DataRequired()])
    translation_in_sync = BooleanField(_l("This translation now matches its source page"))


class SettingsForm(SettingsFields, Form):
    pass


class RenameForm(Form):
    slug = StringField(_l("New address"), validators=[DataRequired(), Length(max=120)])


class UploadForm(Form):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file."))])


class SignOffForm(Form):
    level = HiddenField(validators=[DataRequired()])


class ActionForm(Form):
    """A button that changes something (watch, revert)."""


class TranslationForm(Form):
    source_slug = StringField(
        _l("This page translates"),
        validators=[Length(max=120)],
        description=_l("The address of the page in the other language; empty to unlink."),
    )

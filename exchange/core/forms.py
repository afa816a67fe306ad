"""Helpers shared by every form view."""

from __future__ import annotations

from functools import cache

from babel import support
from flask import current_app, flash, has_request_context
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path

from exchange.accounts.errors import ServiceError


def show_service_error(form, error: ServiceError) -> None:
    """Attach a service refusal to its form field, or flash it when it concerns the whole form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        flash(str(error.message), "error")


@cache
def _wtforms_catalog(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Form(FlaskForm):
    """The base of Exchange's forms: a FlaskForm whose WTForms messages ("This field is
    required." and the like) come from a catalog parsed once per language and process.

    Flask-WTF parses WTForms' catalog from disk again on every request that builds a form (it
    caches it on the request only), which costs about 0.2 ms per such request.
    """

    class Meta:
        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True) or not has_request_context():
                return super().get_translations(form)
            return _wtforms_catalog(str(get_locale()))

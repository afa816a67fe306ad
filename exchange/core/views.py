"""Home page, language switch and the honest placeholders of features still to come."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from exchange.accounts import services as account_services
from exchange.core import bp
from exchange.core.urls import safe_next
from exchange.extensions import csrf

SECTIONS = {
    "wiki": (
        _l("Wiki"),
        _l(
            "Methodology and findings pages in Markdown with full history, conflict-safe "
            "editing, review sign-off and need-to-know visibility."
        ),
    ),
    "evaluations": (
        _l("Evaluations"),
        _l(
            "Structured evaluation records linked to methodologies and findings, imported "
            "straight from Inspect logs."
        ),
    ),
    "rotations": (
        _l("Rotations"),
        _l(
            "Staff rotation programs: applications with home endorsement, conflict-aware "
            "review, offers, placements and exit reports."
        ),
    ),
    "search": (
        _l("Search"),
        _l(
            "Search across the wiki, findings, evaluation records and programs in English and "
            "Korean, showing only what you may read."
        ),
    ),
}


@bp.get("/")
def home():
    """Show the home page."""
    return render_template("core/home.html", sections=SECTIONS)


@bp.post("/language")
@csrf.exempt
def set_language():
    """Switch the interface language; remembered on the account when signed in.

    The switch is on every page, and a CSRF token in it would give every visitor a session
    cookie just for reading. So a visitor who is not signed in switches without one: a forged
    request could only change the language of that visitor's own session. A signed-in user's
    choice is saved on the account: their form carries a token, and it is checked here.
    """
    if current_user.is_authenticated:
        csrf.protect()
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            account_services.set_locale(current_user, locale)
    return redirect(safe_next(request.form.get("next")) or url_for("core.home"))


@bp.get("/api/docs")
def api_docs():
    """The API documentation, rendered from the OpenAPI document the API serves."""
    from exchange.api.openapi import openapi_document

    return render_template("core/api_docs.html", spec=openapi_document())

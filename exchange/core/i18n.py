"""Choosing the interface language: the user's choice, else Accept-Language, else English.

Also the templates' gettext functions (``_``, ``gettext``, ``ngettext``, ``pgettext``,
``npgettext``), which are a cheaper path to the same translations as Flask-Babel's.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from babel import Locale
from flask import Flask, current_app, has_request_context, request, session
from flask.globals import _cv_app
from flask_babel import format_datetime, get_locale, get_timezone, get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup


def select_locale() -> Locale:
    """The request's language: the account's choice, the session's, the browser's, English.

    Returned as a ``Locale`` made once per language code: Flask-Babel would parse the code into
    a new one on every request, which checks that the locale's data file exists each time.
    """
    return _parsed_locale(_select_locale_code())


@cache
def _parsed_locale(code: str) -> Locale:
    return Locale.parse(code)


def _select_locale_code() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and background work: force_locale decides
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    user = current_user._get_current_object()
    if user and user.is_authenticated and user.locale in languages:
        return user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def current_locale():
    """Flask-Babel's ``get_locale()``, a cheaper way once it is known for this context.

    Flask-Babel keeps the locale of the current application context in
    ``g._flask_babel.babel_locale`` (``force_locale`` and ``refresh()`` change it there); each
    ``get_locale()`` finds it through three context-local proxy look-ups, about 2 µs, and a page
    asks some 40 times (the templates' ``_()``, ``get_locale()`` in the layout). This reads the
    same attribute with one look-up, and asks Flask-Babel whenever it is not set yet (it then
    runs the locale selector and stores the result, as before).
    """
    app_ctx = _cv_app.get(None)
    if app_ctx is not None:
        babel_ctx = app_ctx.g.__dict__.get("_flask_babel")
        if babel_ctx is not None:
            locale = getattr(babel_ctx, "babel_locale", None)
            if locale is not None:
                return locale
    return get_locale()


FORMATTED_DATES_KEPT = 4096


def install_date_filters(app: Flask) -> None:
    """The templates' ``datetimeformat`` filter: Flask-Babel's, remembered per process.

    Formatting a timestamp with Babel (locale data, time zone, pattern) costs about 0.2 ms, and
    a page shows a few. Its result depends only on the instant (with its time zone), the
    format, whether it is moved to the reader's time zone, that time zone, and the locale, which
    are the key; "now" (no value) is never kept. The table is emptied when it is full.
    """
    kept: dict[tuple, str] = {}

    def datetimeformat(value=None, format=None, rebase=True):
        if not isinstance(value, datetime):
            return format_datetime(value, format, rebase)
        key = (
            value,
            value.tzinfo,
            format,
            rebase,
            current_locale(),
            get_timezone() if rebase else None,
        )
        text = kept.get(key)
        if text is None:
            text = format_datetime(value, format, rebase)
            if len(kept) >= FORMATTED_DATES_KEPT:
                kept.clear()
            kept[key] = text
        return text

    app.jinja_env.filters["datetimeformat"] = datetimeformat


def install_template_gettext(app: Flask) -> None:
    """Give the app's templates gettext functions that cost a fraction of Flask-Babel's.

    Flask-Babel (``Babel.init_app``) installs ``lambda s: get_translations().ugettext(s)`` behind
    Jinja's newstyle wrappers and the ``_`` alias: three ``Context.call`` layers and a catalog
    look-up (``get_domain``, ``get_locale``, ``str(locale)``) on every ``_()``, about 15 µs each,
    and a page calls ``_()`` some 35 times. These functions do the same in one layer. They ask
    ``get_locale()`` on every call, as Flask-Babel does, so ``force_locale`` (e-mails rendered in
    the recipient's language inside someone else's request) and ``refresh()`` keep working; they
    only skip the catalog look-up while ``get_locale()`` returns the same object as on the
    previous call (Flask-Babel keeps one per request; ``force_locale`` and ``refresh()`` put
    another in its place). The app uses Flask-Babel's default domain only: a
    ``Domain.as_default()`` would not be seen here. (Nothing is kept per template context: Jinja
    keeps the module of a macro file imported without context between requests, and a
    ``pass_context`` function makes Jinja copy the context for every call in a loop.)

    Their results are those of Jinja's newstyle gettext: ``Markup`` when autoescaping, always
    formatted with the keyword arguments (so ``%%`` means ``%``), also in ``{% trans %}`` blocks
    (tests/core/test_template_i18n.py compares them with Flask-Babel's).
    """
    last = (None, None)  # the locale of the latest call and its translations

    def translations():
        nonlocal last
        locale = current_locale()  # the same object for the whole request, unless forced
        seen, found = last
        if locale is None or locale is not seen:
            found = get_translations()
            if locale is not None:
                last = (locale, found)
        return found

    def finish(eval_ctx, text: str, variables: dict) -> str:
        if eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 - catalog text, trusted as in Jinja's own gettext
        # Without variables and without "%", formatting would return the text unchanged.
        return text % variables if variables or "%" in text else text

    @pass_eval_context
    def gettext(eval_ctx, string: str, /, **variables) -> str:
        return finish(eval_ctx, translations().ugettext(string), variables)

    @pass_eval_context
    def ngettext(eval_ctx, singular: str, plural: str, num: int, /, **variables) -> str:
        variables.setdefault("num", num)
        return finish(eval_ctx, translations().ungettext(singular, plural, num), variables)

    @pass_eval_context
    def pgettext(eval_ctx, context: str, string: str, /, **variables) -> str:
        variables.setdefault("context", context)
        return finish(eval_ctx, translations().upgettext(context, string), variables)

    @pass_eval_context
    def npgettext(
        eval_ctx, context: str, singular: str, plural: str, num: int, /, **variables
    ) -> str:
        variables.setdefault("context", context)
        variables.setdefault("num", num)
        text = translations().unpgettext(context, singular, plural, num)
        return finish(eval_ctx, text, variables)

    env = app.jinja_env
    env.newstyle_gettext = True  # what Flask-Babel set: {% trans %} relies on it
    env.globals.update(
        _=gettext,
        gettext=gettext,
        ngettext=ngettext,
        pgettext=pgettext,
        npgettext=npgettext,
        get_locale=current_locale,
    )

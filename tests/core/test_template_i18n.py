"""The templates' own gettext functions (exchange.core.i18n.install_template_gettext).

They replace Flask-Babel's for speed; these tests hold them to the same results, and check that
the language can still change inside one request (force_locale: e-mails are rendered in the
recipient's language while the request that sends them is in another).
"""

import pytest
from flask import render_template_string
from flask_babel import force_locale, get_translations, lazy_gettext
from jinja2 import Environment

from exchange.i18n_catalogs import read_catalog
from exchange.wiki.forms import KIND_LABELS

KOREAN = read_catalog("ko")
WIKI_KO = KOREAN.get("Wiki").string
PAGES_KO = KOREAN.get(("%(num)d page", "%(num)d pages")).string[0]
SIGN_IN_KO = KOREAN.get("Sign in").string
METHODOLOGY_KO = KOREAN.get("Methodology").string

SNIPPETS = [
    '{{ _("Wiki") }}',
    '{{ gettext("Sign in") }}',
    '{{ ngettext("%(num)d page", "%(num)d pages", 1) }}',
    '{{ ngettext("%(num)d page", "%(num)d pages", 7) }}',
    '{{ ngettext("%(num)d page", "%(num)d pages", n, num=n + 1) }}',
    '{{ _("Revision %(n)d", n=3) }}',
    '{{ _("Reviewed by %(name)s", name=name) }}',
    '{{ _("<b>%(name)s</b>", name=name) }}',
    '{{ _("100%% done") }}',
    '{{ _("no placeholder: <i>kept</i>") }}',
    '{{ pgettext("menu", "Wiki") }}',
    '{{ npgettext("menu", "%(num)d page", "%(num)d pages", 2) }}',
    '{{ _("Wiki") ~ "<x>" }}',
    "{% trans %}Wiki{% endtrans %}",
    "{% trans name=name %}Hello {{ name }}{% endtrans %}",
    "{% trans count=n %}{{ count }} page{% pluralize %}{{ count }} pages{% endtrans %}",
]


def flask_babel_environment(autoescape: bool) -> Environment:
    """What Flask-Babel installs into the app's environment (Babel.init_app)."""
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=autoescape)  # noqa: S701 - .txt too
    env.install_gettext_callables(
        gettext=lambda s: get_translations().ugettext(s),
        ngettext=lambda s, p, n: get_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: get_translations().unpgettext(c, s, p, n),
    )
    return env


@pytest.mark.parametrize("language", ["en", "ko"])
@pytest.mark.parametrize("autoescape", [True, False])
def test_same_output_as_flask_babels_gettext(app, language, autoescape):
    assert app.jinja_env.globals["_"].__module__ == "exchange.core.i18n"  # ours, not Babel's
    reference = flask_babel_environment(autoescape)
    ours = app.jinja_env.overlay(autoescape=autoescape)
    values = {"name": "<Ann & Bo>", "n": 5}
    with app.test_request_context("/", headers={"Accept-Language": language}):
        for snippet in SNIPPETS:
            expected = reference.from_string(snippet).render(values)
            assert ours.from_string(snippet).render(values) == expected, snippet
    assert expected  # the loop ran


def test_a_page_is_in_the_visitors_language(client):
    page = client.get("/wiki/", headers={"Accept-Language": "ko"}).text
    assert f">{WIKI_KO}</a>" in page
    assert f">{SIGN_IN_KO}</a>" in page


def test_force_locale_switches_the_language_inside_a_korean_request(app):
    template = '{{ _("Wiki") }}|{{ ngettext("%(num)d page", "%(num)d pages", 2) }}|{{ kind }}'
    kind = KIND_LABELS["methodology"]  # a lazy string
    with app.test_request_context("/", headers={"Accept-Language": "ko"}):
        korean = f"{WIKI_KO}|{PAGES_KO % {'num': 2}}|{METHODOLOGY_KO}"
        assert render_template_string(template, kind=kind) == korean
        with force_locale("en"):
            assert render_template_string(template, kind=kind) == "Wiki|2 pages|Methodology"
            assert str(lazy_gettext("Wiki")) == "Wiki"
        assert render_template_string(template, kind=kind) == korean
        assert str(lazy_gettext("Wiki")) == WIKI_KO


def test_force_locale_switches_the_language_inside_an_english_request(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string('{{ _("Wiki") }}') == "Wiki"
        with force_locale("ko"):
            assert render_template_string('{{ _("Wiki") }}') == WIKI_KO
            # A template rendered inside a template's render (an e-mail's text) follows too.
            assert render_template_string("{{ _('Wiki') }} {{ inner() }}", inner=english) == (
                f"{WIKI_KO} Wiki"
            )
        assert render_template_string('{{ _("Wiki") }}') == "Wiki"


def test_macros_imported_without_context_follow_the_language_of_each_render(app):
    # Jinja keeps the module of a macro file imported without context between renders.
    template = '{% from "_form.html" import demo_badge %}{{ demo_badge(page) }}'
    page = {"is_demo": True}
    demo_ko = KOREAN.get("demo").string
    with app.test_request_context("/", headers={"Accept-Language": "ko"}):
        assert f">{demo_ko}</span>" in render_template_string(template, page=page)
        with force_locale("en"):
            assert ">demo</span>" in render_template_string(template, page=page)
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert ">demo</span>" in render_template_string(template, page=page)
        text = render_template_string("{{ inner() }} {{ _('Wiki') }}", inner=korean)
        assert text == f"{WIKI_KO} Wiki"


def korean() -> str:
    with force_locale("ko"):
        return render_template_string('{{ _("Wiki") }}')


def english() -> str:
    with force_locale("en"):
        return render_template_string('{{ _("Wiki") }}')


def test_e_mail_goes_out_in_the_recipients_language_from_a_korean_request(
    app, client, make_user, mailbox
):
    user = make_user(locale="en")
    page = client.post(
        "/forgot-password", data={"email": user.email}, headers={"Accept-Language": "ko"}
    )
    assert page.status_code in (200, 302)
    body = mailbox.last(user.email).body
    assert not any("\uac00" <= ch <= "\ud7a3" for ch in body)  # no Hangul: English mail

"""What the app keeps per process to make pages cheaper, and why it cannot show anyone the wrong
thing: built addresses (exchange.core.app.Exchange.url_for), formatted dates
(exchange.core.i18n.install_date_filters), the session's signing serializer
(exchange.core.security.SessionInterface) and the hooks skipped on reads
(exchange.extensions.init_limiter)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from flask import Flask, render_template_string, url_for
from flask_babel import force_locale, format_datetime

from exchange.core.app import Exchange


@pytest.fixture
def fresh_urls(app):
    app._url_cache.clear()
    yield app._url_cache
    app._url_cache.clear()


def plain_flask_url(app, path, base_url, endpoint, **values):
    """The address Flask itself builds for the same request."""
    with app.test_request_context(path, base_url=base_url):
        return Flask.url_for(app, endpoint, **values)


CASES = [
    ("wiki.view_page", {"slug": "a-page"}),
    ("wiki.view_page", {"slug": "한국어-쪽"}),
    ("wiki.view_revision", {"slug": "a-page", "number": 3, "_external": True}),
    ("wiki.list_pages", {"tag": "x", "sort": "title"}),
    ("wiki.list_pages", {"sort": "title", "tag": "x"}),
    ("wiki.list_pages", {"page": 1}),
    ("wiki.list_pages", {"page": True}),
    ("wiki.list_pages", {"tag": None}),
    ("wiki.view_page", {"slug": "a-page", "_anchor": "section 2"}),
    ("static", {"filename": "css/exchange.css"}),
    ("core.home", {"_external": True, "_scheme": "https"}),
]


@pytest.mark.parametrize(("endpoint", "values"), CASES)
def test_kept_addresses_are_flasks_addresses(app, fresh_urls, endpoint, values):
    for base_url in ("http://localhost", "https://exchange.example/prefix"):
        expected = plain_flask_url(app, "/", base_url, endpoint, **values)
        for _ in range(2):  # built, then answered from the table
            with app.test_request_context("/", base_url=base_url):
                assert url_for(endpoint, **values) == expected
    assert fresh_urls  # the table was used


def test_addresses_are_kept_per_host_script_root_and_scheme(app, fresh_urls):
    seen = set()
    for base_url in (
        "http://a.example",
        "http://b.example",
        "https://a.example",
        "http://a.example/sub",
    ):
        with app.test_request_context("/", base_url=base_url):
            seen.add(url_for("wiki.view_page", slug="p", _external=True))
            assert url_for("wiki.view_page", slug="p").startswith(
                "/sub/" if base_url.endswith("/sub") else "/wiki/"
            )
    assert seen == {
        "http://a.example/wiki/p",
        "http://b.example/wiki/p",
        "https://a.example/wiki/p",
        "http://a.example/sub/wiki/p",
    }


def test_argument_types_and_order_are_part_of_the_key(app, fresh_urls):
    with app.test_request_context("/"):
        assert url_for("wiki.list_pages", page=1) == "/wiki/?page=1"
        assert url_for("wiki.list_pages", page=True) == "/wiki/?page=True"
        assert url_for("wiki.list_pages", a="1", b="2") == "/wiki/?a=1&b=2"
        assert url_for("wiki.list_pages", b="2", a="1") == "/wiki/?b=2&a=1"


def test_relative_endpoints_follow_the_requests_blueprint(app, fresh_urls):
    with app.test_request_context("/wiki/"):
        app.preprocess_request()
        assert url_for(".list_pages") == "/wiki/"
    with app.test_request_context("/rotations/"):
        assert url_for(".list_programs") == "/rotations/"


def test_failed_and_unhashable_builds_are_not_kept(app, fresh_urls):
    from werkzeug.routing import BuildError

    with app.test_request_context("/"):
        with pytest.raises(BuildError):
            url_for("wiki.view_page")  # no slug
        assert not fresh_urls
        assert url_for("wiki.list_pages", tag=["a", "b"]) == "/wiki/?tag=a&tag=b"
        assert not fresh_urls


def test_outside_a_request_nothing_is_kept():
    app = Exchange(__name__)
    app.config["SERVER_NAME"] = "exchange.example"
    app.add_url_rule("/x/<name>", "x", lambda name: name)
    with app.app_context():
        assert url_for("x", name="a") == "http://exchange.example/x/a"
    assert not app._url_cache


def test_apps_with_url_defaults_are_not_cached():
    app = Exchange(__name__)
    app.add_url_rule("/<lang>/x", "x", lambda lang: lang)
    current = {"lang": "en"}

    @app.url_defaults
    def add_language(endpoint, values):
        values.setdefault("lang", current["lang"])

    with app.test_request_context("/"):
        assert url_for("x") == "/en/x"
        current["lang"] = "ko"
        assert url_for("x") == "/ko/x"
    assert not app._url_cache


WHEN = datetime(2026, 3, 4, 23, 30, tzinfo=UTC)


def test_formatted_dates_follow_locale_and_time_zone(app):
    template = "{{ when|datetimeformat('medium') }}"
    with app.test_request_context("/"):
        english = render_template_string(template, when=WHEN)
        assert english == format_datetime(WHEN, "medium")
        with force_locale("ko"):
            korean = render_template_string(template, when=WHEN)
            assert korean == format_datetime(WHEN, "medium") != english
        assert render_template_string(template, when=WHEN) == english
        # The same instant in another zone is another key, with the same text (rebased).
        seoul = WHEN.astimezone(timezone(timedelta(hours=9)))
        assert render_template_string(template, when=seoul) == english
        # Without rebasing the zone of the value shows.
        kept = "{{ when|datetimeformat('yyyy-MM-dd HH:mm', rebase=False) }}"
        assert render_template_string(kept, when=seoul) == "2026-03-05 08:30"
        assert render_template_string(kept, when=WHEN) == "2026-03-04 23:30"


def test_formatted_dates_follow_the_time_zone_setting(app):
    template = "{{ when|datetimeformat('HH:mm') }}"
    with app.test_request_context("/"):
        assert render_template_string(template, when=WHEN) == "23:30"
    with app.test_request_context("/"):
        from zoneinfo import ZoneInfo

        from flask import g

        render_template_string("{{ get_locale() }}")  # Flask-Babel's context exists
        g._flask_babel.babel_tzinfo = ZoneInfo("Asia/Seoul")
        assert render_template_string(template, when=WHEN) == "08:30"


def test_session_serializer_follows_the_secret_key(app, client):
    interface = app.session_interface
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    old_key = app.secret_key
    try:
        app.secret_key = "another-secret-key-for-this-test"
        other = interface.get_signing_serializer(app)
        assert other is not first
        assert other.loads(other.dumps({"a": 1})) == {"a": 1}
        with pytest.raises(Exception, match="Signature"):
            first.loads(other.dumps({"a": 1}))
    finally:
        app.secret_key = old_key
    assert interface.get_signing_serializer(app).loads(first.dumps({"b": 2})) == {"b": 2}


def test_limiter_hooks_run_on_writes_only(app, client):
    from exchange.extensions import limiter

    calls = []
    original = limiter._check_request_limit

    def spy(*args, **kwargs):
        calls.append(True)
        return original(*args, **kwargs)

    hooks = app.before_request_funcs[None]
    wrapped = [h for h in hooks if h.__name__ == "before_request_unless_read"]
    assert len(wrapped) == 1
    limiter._check_request_limit = spy
    try:
        # The wrapper holds the bound method it was given, so spy on what it calls instead.
        cell = wrapped[0].__closure__[0]
        saved = cell.cell_contents
        cell.cell_contents = spy
        try:
            client.get("/")
            client.head("/")
            assert calls == []
            client.post("/sign-in", data={"email": "x@example.org", "password": "y"})
            assert calls  # the wrapped hook (and the route's own limit) ran
        finally:
            cell.cell_contents = saved
    finally:
        limiter._check_request_limit = original

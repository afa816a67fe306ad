"""The layout's kept fragments (exchange.core.fragments, exchange.core.layout), the language
switch without a session for readers, prepared statements (exchange.db.Prepared), the
templates' direct calls (exchange.core.templating) and the roles read with the signed-in user:
each shows every reader what it showed before, and nothing of one reader to another."""

import re
from datetime import UTC, datetime

import pytest
from flask import render_template_string
from jinja2 import (
    ChoiceLoader,
    DictLoader,
    Environment,
    pass_context,
    pass_environment,
    pass_eval_context,
)
from jinja2.exceptions import UndefinedError
from sqlalchemy import bindparam, event, func, literal, select, union
from sqlalchemy.exc import StatementError

from exchange.accounts.models import Role, User, UserRole
from exchange.core.fragments import SLOT, Fragments
from exchange.core.templating import TemplateContext
from exchange.db import Prepared, read_rows
from exchange.extensions import db
from exchange.notifications.models import Notification


@pytest.fixture
def fragments(app):
    kept = app.extensions["exchange.fragments"]
    kept.kept.clear()
    yield kept
    kept.kept.clear()


def header(html: str) -> str:
    return html[html.index('<a class="skip-link"') : html.index("</header>")]


def signed_in(app, user):
    """A fresh client signed in as ``user``."""
    client = app.test_client()
    client.post("/sign-in", data={"email": user.email, "password": "correct horse battery staple"})
    return client


# --- the language switch and sessions ---------------------------------------------------------


def test_reading_gives_a_visitor_no_session(client, people, make_page):
    make_page(people.kr, "open-page", visibility="public")
    for path in ("/", "/wiki/", "/wiki/open-page", "/evaluations/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path
        assert 'name="csrf_token"' not in header(response.text), path
        assert 'class="language"' in response.text


def test_visitor_switches_language_without_a_token(client):
    response = client.post("/language", data={"locale": "ko", "next": "/wiki/"}, csrf=False)
    assert response.status_code == 302 and response.headers["Location"] == "/wiki/"
    assert '<html lang="ko">' in client.get("/").text


def test_signed_in_language_switch_needs_its_token(app, people, fetch):
    client = signed_in(app, people.kr)
    page = client.get("/").text
    assert re.search(r'class="language"[^>]*>\s*<input type="hidden" name="csrf_token"', page)
    refused = client.post("/language", data={"locale": "ko"}, csrf=False)
    assert refused.status_code == 400
    assert fetch(User, people.kr.id).locale != "ko"
    assert client.post("/language", data={"locale": "ko"}).status_code == 302
    assert fetch(User, people.kr.id).locale == "ko"


# --- the kept header --------------------------------------------------------------------------


def test_header_follows_language_and_section(client, fragments):
    english = header(client.get("/wiki/").text)
    korean = header(client.get("/wiki/", headers={"Accept-Language": "ko"}).text)
    evaluations = header(client.get("/evaluations/").text)
    assert english != korean and 'lang="ko">한국어' in english and 'lang="en">English' in korean
    assert re.search(r'href="/wiki/" aria-current="page"', english)
    assert re.search(r'href="/evaluations/" aria-current="page"', evaluations)
    assert not re.search(r'href="/wiki/" aria-current="page"', evaluations)
    assert len(fragments.kept) >= 3


def test_header_shows_each_reader_their_own_name_menu_and_count(app, people, make_user, fragments):
    admin = make_user(
        institute=people.kr_institute, roles=["admin"], display_name="Admin <b>KR</b>"
    )
    member = signed_in(app, people.kr)
    boss = signed_in(app, admin)
    first = header(member.get("/").text)
    second = header(boss.get("/").text)
    assert "Kim KR" in first and "Admin" not in first
    assert "Admin &lt;b&gt;KR&lt;/b&gt;" in second and "Kim KR" not in second
    assert "/admin/" not in first and 'href="/admin/' in second
    assert 'class="count"' not in first
    with app.app_context():
        db.session.add(Notification(user_id=people.kr.id, kind="x", params={}, link="/"))
        db.session.commit()
    again = header(member.get("/").text)
    assert '<span class="count" aria-label="1 unread">1</span>' in again
    assert "Kim KR" in header(member.get("/").text)


def test_header_slots_are_per_request_and_escaped(app, client, people, fragments):
    page = header(client.get('/wiki/?tag="><script>').text)
    assert 'name="next" value="/wiki/?tag=' in page and "<script>" not in page
    assert 'name="next" value="/evaluations/?"' not in page
    assert 'name="next" value="/evaluations/?"' in header(client.get("/evaluations/").text)
    search = header(client.get('/search?q="><b>x').text)
    assert "&lt;b&gt;x" in search and "<b>x" not in search
    assert 'name="q" value=""' in header(client.get("/wiki/").text)  # the query is not kept
    one, two = signed_in(app, people.kr), signed_in(app, people.kr2)
    token = re.compile(r'name="csrf_token" value="([^"]+)"')
    assert token.search(one.get("/").text).group(1) != token.search(two.get("/").text).group(1)


def test_header_addresses_follow_the_host_and_script_root(app, fragments):
    with app.test_request_context("/", base_url="http://localhost/sub"):
        assert 'href="/sub/wiki/"' in render_template_string("{{ site_header(0, '') }}")
    with app.test_request_context("/"):
        assert 'href="/wiki/"' in render_template_string("{{ site_header(0, '') }}")


@pytest.fixture
def extra_templates(app):
    """Templates of the test's own, next to the app's."""
    templates = {}
    loader = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader([DictLoader(templates), loader])
    yield templates
    app.jinja_env.loader = loader


def test_fragment_templates_cannot_read_the_request(app, extra_templates):
    extra_templates["leaky.html"] = "{{ request.path }}"
    extra_templates["slotted.html"] = "<p>{{ name }}|{{ where }}</p>"
    with app.test_request_context("/"):
        with pytest.raises(UndefinedError):
            Fragments(app).render("leaky.html", {}, {})
        kept = Fragments(app)
        # A value holding the slot marker is rendered, not kept.
        marker = f"{SLOT}where{SLOT}"
        assert kept.render("slotted.html", {"name": marker}, {"where": "x"}) == f"<p>{marker}|x</p>"
        assert not kept.kept
        assert kept.render("slotted.html", {"name": "a&b"}, {"where": "<i>"}) == (
            "<p>a&amp;b|&lt;i&gt;</p>"
        )
        assert kept.render("slotted.html", {"name": "a&b"}, {"where": "y"}) == "<p>a&amp;b|y</p>"
        assert len(kept.kept) == 1
        assert kept.render("slotted.html", {"name": "c"}, {"where": "y"}) == "<p>c|y</p>"
        assert len(kept.kept) == 2
    outside = Fragments(app)
    with app.app_context():
        assert outside.render("slotted.html", {"name": "n"}, {"where": "w"}) == "<p>n|w</p>"
    assert not outside.kept  # nothing kept outside a request


# --- prepared statements ----------------------------------------------------------------------


def test_prepared_statements_answer_as_sqlalchemy_does(app, people):
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with app.app_context():
        db.session.add(Notification(user_id=people.kr.id, kind="k", params={}, link="/"))
        db.session.flush()
        statement = select(
            Notification.id,
            Notification.created_at,
            (Notification.read_at.is_(None)).label("unread"),
            literal(when).label("when"),
            bindparam("given", type_=Notification.created_at.type).label("given"),
        ).where(Notification.user_id == bindparam("user_id"))
        params = {"user_id": people.kr.id, "given": when}
        expected = db.session.execute(statement, params).all()
        prepared = Prepared(statement)
        rows = read_rows(db.session, prepared, params).all()
        assert [tuple(r) for r in rows] == [tuple(r) for r in expected]
        assert rows[0].given == when and rows[0].unread is True
        assert read_rows(db.session, prepared, {**params, "user_id": -1}).one_or_none() is None
        count = Prepared(select(func.count()).select_from(UserRole))
        assert read_rows(db.session, count).scalar() == db.session.scalar(
            select(func.count()).select_from(UserRole)
        )
        with pytest.raises(StatementError, match="user_id"):
            read_rows(db.session, prepared, {"given": when})


def test_prepared_statements_with_in_lists_and_listeners_run_as_usual(app, people):
    with app.app_context():
        names = Prepared(
            union(
                select(User.display_name).where(User.id.in_([people.kr.id, people.uk.id])),
                select(User.display_name).where(User.id == bindparam("other")),
            )
        )
        assert set(read_rows(db.session, names, {"other": people.jp.id}).scalars()) == {
            "Kim KR",
            "Smith UK",
            "Sato JP",
        }
        seen = []

        def listener(_conn, _cursor, statement, *_args):
            seen.append(statement)

        engine = db.session.get_bind()
        event.listen(engine, "before_cursor_execute", listener)
        try:
            one = Prepared(select(User.id).where(User.id == bindparam("id")))
            assert read_rows(db.session, one, {"id": people.kr.id}).scalar() == people.kr.id
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert seen  # counted by whoever listens


# --- the templates' direct calls --------------------------------------------------------------


def test_template_calls_give_what_jinjas_context_gives():
    @pass_eval_context
    def escaped(eval_ctx, text):
        return f"{eval_ctx.autoescape}:{text}"

    @pass_context
    def who(context, key):
        return context.get(key)

    @pass_environment
    def env_name(environment):
        return type(environment).__name__

    def stops():
        raise StopIteration

    class Thing:
        def method(self, n, *, k=0):
            return n + k

    source = (
        "{% macro m(x) %}<{{ x }}>{% endmacro %}"
        "{% for i in [1, 2] %}{{ who('i') }}{{ plain(i) }}{% endfor %}"
        "{{ escaped('a<') }}{{ who('name') }}{{ env_name() }}{{ thing.method(1, k=2) }}"
        "{{ m('y') }}{{ stops() is undefined }}{{ '%s-%s'|format(1, 2) }}{{ len([1]) }}"
    )
    context = {
        "escaped": escaped,
        "who": who,
        "env_name": env_name,
        "stops": stops,
        "plain": lambda n: n * 10,
        "thing": Thing(),
        "name": "N",
        "len": len,
    }
    results = []
    for context_class in (None, TemplateContext):
        for autoescape in (False, True):
            environment = Environment(autoescape=autoescape)  # noqa: S701 - both compared
            if context_class is not None:
                environment.context_class = context_class
            results.append(environment.from_string(source).render(context))
    assert results[0] == results[2] and results[1] == results[3]
    assert "1" in results[0] and "True:a&lt;" in results[3]


# --- roles read with the signed-in user -------------------------------------------------------


def test_roles_read_with_the_user_are_the_rows_roles(app, people, make_user):
    from exchange.accounts.services import load_session_user

    coordinator = make_user(institute=people.kr_institute, roles=["coordinator", "reviewer"])
    expected = {
        people.kr.id: {Role.MEMBER},
        people.kr2.id: {Role.MEMBER, Role.REVIEWER},
        coordinator.id: {Role.MEMBER, Role.COORDINATOR, Role.REVIEWER},
    }
    with app.test_request_context("/"):
        for person in (people.kr, people.kr2, coordinator):
            user = load_session_user(f"{person.id}:{person.session_version}")
            assert "role_names" in user.__dict__ and "role_rows" not in user.__dict__
            assert user.roles == expected[person.id]
            assert user.roles == {Role.MEMBER} | {Role(r.role) for r in user.role_rows}
        user = load_session_user(f"{coordinator.id}:{coordinator.session_version}")
        user.role_rows = [UserRole(role=Role.ADMIN.value)]  # being changed: the rows decide
        assert user.roles == {Role.MEMBER, Role.ADMIN}
        db.session.rollback()

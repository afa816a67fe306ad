"""Shared fixtures: app, db (rolled back per test), client, auth, mailbox, factories, and a
small world of KR, UK and JP people with a wiki page factory."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask_migrate import upgrade
from sqlalchemy import select
from sqlalchemy.orm import scoped_session, sessionmaker

from exchange import create_app
from exchange.accounts import passwords
from exchange.accounts.models import Institute, InstituteDomain, User, UserRole
from exchange.db import utcnow
from exchange.extensions import db as _db
from exchange.extensions import limiter
from exchange.i18n_catalogs import compile_catalogs
from exchange.wiki import services as wiki_services
from exchange.wiki.models import Page
from tests.support import (
    DEFAULT_PASSWORD,
    Client,
    SmtpServer,
    database_url_for_tests,
    reset_database,
)


@pytest.fixture(scope="session")
def smtp_server():
    server = SmtpServer()
    port = server.start()
    server.port = port
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app(tmp_path_factory, smtp_server):
    """One application for the suite, on a database migrated to head."""
    compile_catalogs()  # the suite tests the catalogs as they are in the working tree
    url = database_url_for_tests(tmp_path_factory.mktemp("db"))
    reset_database(url)
    application = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
            "SEARCH_INDEX_PATH": str(tmp_path_factory.mktemp("search-index")),
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_server.port,
        }
    )
    application.test_client_class = Client
    with application.app_context():
        upgrade()
        _db.session.remove()
    return application


@pytest.fixture(autouse=True)
def db(request, app):
    """Run each test inside one transaction that is rolled back at the end.

    Services commit as usual; their commits release savepoints of the outer transaction.
    The session is shared by every app in the process, so a test that builds its own app on its
    own database (and needs real commits, e.g. for another thread) is marked `own_database`.
    """
    if request.node.get_closest_marker("own_database"):
        yield _db
        return
    with app.app_context():
        connection = _db.engine.connect()
    transaction = connection.begin()
    original = _db.session
    _db.session = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    )
    limiter.reset()
    try:
        yield _db
    finally:
        _db.session.remove()
        _db.session = original
        transaction.rollback()
        connection.close()


@pytest.fixture
def mailbox(smtp_server):
    smtp_server.mailbox.clear()
    yield smtp_server.mailbox
    smtp_server.mailbox.clear()


@pytest.fixture
def client(app, mailbox):
    return app.test_client()


@pytest.fixture
def make_institute(app):
    """Create an institute: make_institute("KR-AISI", domains=["kr.example"])."""
    counter = iter(range(1, 10_000))

    def factory(code: str | None = None, domains: list[str] | None = None, **fields) -> Institute:
        n = next(counter)
        code = code or f"TEST-{n}"
        with app.app_context():
            institute = Institute(
                code=code,
                name_en=fields.pop("name_en", f"Test institute {code}"),
                name_ko=fields.pop("name_ko", f"시험 기관 {code}"),
                country=fields.pop("country", "KR"),
                **fields,
            )
            institute.domains = [
                InstituteDomain(domain=d) for d in (domains or [f"{code.lower()}.example"])
            ]
            _db.session.add(institute)
            _db.session.commit()
            _db.session.refresh(institute)
            institute.domain_names  # noqa: B018 - load before the session closes
            return institute

    return factory


@pytest.fixture
def make_user(app, make_institute):
    """Create an account: make_user(roles=["coordinator"], institute=inst)."""
    counter = iter(range(1, 10_000))
    hashed = {}

    def factory(
        email: str | None = None,
        institute: Institute | None = None,
        roles: tuple[str, ...] | list[str] = (),
        password: str = DEFAULT_PASSWORD,
        confirmed: bool = True,
        active: bool = True,
        **fields,
    ) -> User:
        institute = institute or make_institute()
        n = next(counter)
        with app.app_context():
            if password not in hashed:
                hashed[password] = passwords.hash_password(password)
            domain = institute.domain_names[0]
            user = User(
                email=email or f"user{n}@{domain}",
                display_name=fields.pop("display_name", f"User {n}"),
                password_hash=hashed[password],
                institute_id=institute.id,
                email_confirmed_at=utcnow() if confirmed else None,
                is_active_account=active,
                role_rows=[UserRole(role=r) for r in roles],
                **fields,
            )
            _db.session.add(user)
            _db.session.commit()
            _db.session.refresh(user)
            return user

    return factory


class Auth:
    def __init__(self, client):
        self.client = client

    def sign_in(self, email: str, password: str = DEFAULT_PASSWORD, follow: bool = False):
        return self.client.post(
            "/sign-in", data={"email": email, "password": password}, follow_redirects=follow
        )

    def sign_out(self):
        return self.client.post("/sign-out")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def fetch(app):
    """Load a fresh copy of a row: fetch(User, id) or fetch(User, email=...)."""

    def loader(model, ident=None, **where):
        with app.app_context():
            if ident is not None:
                row = _db.session.get(model, ident)
            else:
                row = _db.session.scalars(select(model).filter_by(**where)).first()
            if row is not None:
                _db.session.refresh(row)
                _db.session.expunge(row)
            return row

    return loader


@dataclass
class People:
    kr: User
    kr2: User
    uk: User
    jp: User
    kr_institute: object
    uk_institute: object
    jp_institute: object


@pytest.fixture
def people(make_institute, make_user):
    kr_i = make_institute("KR-AISI", domains=["kr.example"])
    uk_i = make_institute("UK-AISI", domains=["uk.example"])
    jp_i = make_institute("JP-AISI", domains=["jp.example"])
    return People(
        kr=make_user(institute=kr_i, display_name="Kim KR"),
        kr2=make_user(institute=kr_i, display_name="Park KR", roles=["reviewer"]),
        uk=make_user(institute=uk_i, display_name="Smith UK"),
        jp=make_user(institute=jp_i, display_name="Sato JP"),
        kr_institute=kr_i,
        uk_institute=uk_i,
        jp_institute=jp_i,
    )


@pytest.fixture
def make_page(app):
    """Create a page through the service: make_page(author, "slug", source=..., visibility=...)."""

    def factory(
        author,
        slug,
        source="Some text.\n",
        *,
        title=None,
        visibility="network",
        institutes=(),
        embargo_until=None,
        kind="methodology",
        language="en",
        tags=(),
        translation_of=None,
    ) -> Page:
        with app.app_context():
            fields = wiki_services.PageFields(
                title=title or slug.replace("-", " ").capitalize(),
                kind=kind,
                language=language,
                visibility=visibility,
                institute_ids=[i.id for i in institutes],
                embargo_until=embargo_until,
                tags=list(tags),
            )
            source_page = _db.session.get(Page, translation_of.id) if translation_of else None
            page = wiki_services.create_page(
                _db.session.get(User, author.id),
                slug,
                fields,
                source,
                translation_of=source_page,
            )
            _db.session.refresh(page)
            return page

    return factory

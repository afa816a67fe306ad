"""Operations fixtures: apps on their own databases (SQLite files, fresh PostgreSQL databases),
demo content with an upload, and captured request-log lines."""

from __future__ import annotations

import logging
import os
import shutil
import uuid

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text

from exchange import create_app
from exchange.extensions import db
from tests.support import Client

PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ATTACHMENT = b"Measured on 2026-11-27: 3 of 40 runs refused.\n"


def _admin_engine():
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        admin.connect().close()
    except Exception as error:  # no server here: say so loudly rather than pass
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {error}")
    return admin


@pytest.fixture
def postgres_url():
    """Make a fresh PostgreSQL database: postgres_url() -> its URL; all dropped afterwards."""
    admin = None
    names = []

    def make() -> str:
        nonlocal admin
        admin = admin or _admin_engine()
        name = f"exchange_ops_{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        names.append(name)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    yield make
    if admin is not None:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def make_app(tmp_path):
    """Build an app on its own database and folders: make_app(url=None, migrate=True, **config).

    Without a URL it gets a new SQLite file. Every engine is disposed of afterwards.
    """
    apps = []

    def factory(url: str | None = None, migrate: bool = True, name: str = "site", **config):
        folder = tmp_path / name
        folder.mkdir(exist_ok=True)
        app = create_app(
            {
                "ENV_NAME": "testing",
                "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{folder}/exchange.sqlite3",
                "UPLOAD_FOLDER": str(folder / "uploads"),
                "SEARCH_INDEX_PATH": str(folder / "search-index"),
                "MAIL_BACKEND": "file",  # nothing is sent: the outbox keeps the mail
                **config,
            }
        )
        app.test_client_class = Client
        if migrate:
            with app.app_context():
                upgrade()
                db.session.remove()
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def load_demo():
    """Load the demo content into an app: load_demo(app, everything=True) -> the attachment."""
    return _load_demo


def _load_demo(app, everything: bool = True) -> dict:
    """The demo content as `flask exchange demo` loads it, plus an attachment on a page.

    Returns the page slug, attachment name and its bytes.
    """
    from exchange.accounts.models import User
    from exchange.demo import load_demo_data
    from exchange.evaluations.demo_records import load_demo_records
    from exchange.rotations.demo_programs import load_demo_programs
    from exchange.wiki.demo_loader import load_demo_pages
    from exchange.wiki.models import Page
    from exchange.wiki.services import add_attachment

    with app.app_context():
        load_demo_data()
        if everything:
            load_demo_pages()
            load_demo_records()
            load_demo_programs()
        author = db.session.scalar(select(User).where(User.email == "admin@kr-aisi.example"))
        page = db.session.scalar(
            select(Page).where(Page.owner_institute_id == author.institute_id).order_by(Page.id)
        )
        if page is None:
            from exchange.wiki.services import PageFields, create_page

            page = create_page(
                author,
                "ops-notes",
                PageFields(
                    title="Ops notes",
                    kind="methodology",
                    language="en",
                    visibility="network",
                    institute_ids=[],
                    embargo_until=None,
                    tags=[],
                ),
                "Notes.\n",
            )
        add_attachment(author, page, "results.txt", ATTACHMENT)
        slug = page.slug
        db.session.remove()
    return {"slug": slug, "filename": "results.txt", "data": ATTACHMENT}


@pytest.fixture
def request_lines():
    """The records the "exchange.request" logger writes (its own handlers set aside meanwhile)."""
    logger = logging.getLogger("exchange.request")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    records: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record):
            records.append(record)

    logger.handlers[:] = [Capture()]
    logger.setLevel(logging.INFO)
    yield records
    logger.handlers[:], level, logger.propagate = saved
    logger.setLevel(level)


@pytest.fixture
def pg_tools():
    """pg_dump and pg_restore, or a loud skip."""
    for command in ("pg_dump", "pg_restore"):
        if shutil.which(command) is None:
            pytest.skip(f"{command} is not installed (Debian: apt-get install postgresql-client)")

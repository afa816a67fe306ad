"""Test helpers: an SMTP server on loopback, a CSRF-aware client, database set-up."""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import re
import secrets
import socket
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from exchange.config import normalize_database_url

DEFAULT_PASSWORD = "correct horse battery staple"
LINK_RE = re.compile(r"https?://\S+")


@dataclass
class Received:
    recipients: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return self.message.get_content()

    def links(self) -> list[str]:
        return LINK_RE.findall(self.body)

    def path(self, contains: str = "") -> str:
        """Return the path of the first link (containing ``contains``) for the test client."""
        for link in self.links():
            if contains in link:
                parts = urlsplit(link)
                return parts.path + (f"?{parts.query}" if parts.query else "")
        raise AssertionError(f"no link containing {contains!r} in:\n{self.body}")


@dataclass
class Mailbox:
    """Messages received by the loopback SMTP server."""

    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    refuse: bool = False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 Requested action aborted: local error in processing"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(Received(list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
        self.refuse = False

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.recipients]

    def last(self, address: str) -> Received:
        found = self.to(address)
        assert found, f"no e-mail to {address}; got {[m.recipients for m in self.messages]}"
        return found[-1]


def free_port() -> int:
    """Ask the kernel for a free loopback port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    def __init__(self):
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> int:
        self.controller.start()
        return self.port

    def stop(self) -> None:
        self.controller.stop()


class Client(FlaskClient):
    """A test client that signs its forms with a valid CSRF token unless told not to."""

    def csrf_token(self) -> str:
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", secrets.token_hex(20))
        serializer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return serializer.dumps(raw)

    def post(self, *args, csrf: bool = True, **kwargs):
        data = kwargs.get("data")
        if csrf and (data is None or isinstance(data, dict)) and "json" not in kwargs:
            data = dict(data or {})
            data.setdefault("csrf_token", self.csrf_token())
            kwargs["data"] = data
        return super().post(*args, **kwargs)


def database_url_for_tests(tmp_dir) -> str:
    """The database the suite runs on: TEST_DATABASE_URL, else a fresh SQLite file."""
    import os

    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalize_database_url(url)
    return f"sqlite:///{tmp_dir}/test.sqlite3"


def reset_database(url: str) -> None:
    """Empty a PostgreSQL test database (SQLite test files are new each run)."""
    if make_url(url).get_backend_name() != "postgresql":
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def count_queries(app, client, url: str) -> int:
    """How many SQL statements one GET of ``url`` runs (it must answer 200)."""
    from sqlalchemy import event

    from exchange.extensions import db

    statements = []
    with app.app_context():
        engine = db.engine

    def before(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        assert client.get(url).status_code == 200, url
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return len(statements)


PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextlib.contextmanager
def scratch_database(kind: str, tmp_path, prefix: str = "exchange_scratch"):
    """A database of a test's own: a SQLite file, or a new PostgreSQL database (dropped after).

    Skips the test, saying why, when PostgreSQL is asked for and no server answers.
    """
    import uuid

    import pytest

    if kind == "sqlite":
        yield f"sqlite:///{tmp_path}/{prefix}.sqlite3"
        return
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        admin.connect().close()
    except Exception as error:  # no server here: say so loudly rather than pass
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {error}")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

"""Browser journeys: a live Exchange server on its own database, driven by Debian's chromium.

The live server is a separate application built with ``create_app`` on a fresh SQLite file with
the demo data, served by werkzeug on a loopback port in a daemon thread, with the real
background e-mail sender (MAIL_DISPATCH="thread") talking to a dedicated loopback SMTP server,
and a search index of its own that each request brings up to date after its commit.

When chromium is missing the journeys are skipped with a loud reason and a warning at the end
of the run; with CI=true they fail instead, because CI must never skip them silently.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import pytest
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import make_server

from exchange import create_app
from exchange.demo import load_demo_data
from exchange.extensions import db as _db
from exchange.notifications.outbox import stop_workers
from exchange.search.indexer import sync as search_sync
from tests.support import Mailbox, SmtpServer, free_port

HERE = os.path.dirname(os.path.abspath(__file__))
CHROMIUM = os.environ.get("EXCHANGE_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Playwright's default for actions and navigations; `expect` keeps its own 5 s default.
ACTION_TIMEOUT_MS = 10_000
MISSING_KEY = pytest.StashKey[int]()


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def chromium_missing() -> str | None:
    """Return why the browser journeys cannot run, or None when chromium is there."""
    if os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK):
        return None
    return (
        f"E2E BROWSER JOURNEYS SKIPPED: chromium not found at {CHROMIUM} "
        "— install it with apt-get install chromium (or set EXCHANGE_CHROMIUM)"
    )


def _is_e2e(item: pytest.Item) -> bool:
    return str(item.path).startswith(HERE + os.sep)


# --------------------------------------------------------------------------------------------
# Collection and reporting
# --------------------------------------------------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the journeys last; skip them (outside CI) when chromium is missing.

    Running them last keeps the live app (which re-binds the shared Flask-Limiter singleton)
    and its background e-mail thread away from the unit tests.
    """
    journeys = [item for item in items if _is_e2e(item)]
    if not journeys:
        return
    items[:] = [item for item in items if not _is_e2e(item)] + journeys
    reason = chromium_missing()
    if reason is None:
        return
    config.stash[MISSING_KEY] = len(journeys)
    if not in_ci():
        for item in journeys:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    count = config.stash.get(MISSING_KEY, 0)
    if not count:
        return
    if in_ci():
        line = (
            f"E2E BROWSER JOURNEYS FAILED: chromium not found at {CHROMIUM} and CI=true "
            f"({count} journeys never skip in CI) — install it with apt-get install chromium"
        )
    else:
        line = f"{chromium_missing()} ({count} journeys did not run)"
    terminalreporter.write_sep("!", red=True, bold=True)
    terminalreporter.write_line(line, red=True, bold=True)
    terminalreporter.write_sep("!", red=True, bold=True)


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def db():
    """Replace the unit tests' autouse ``db`` fixture for the journeys.

    That fixture swaps the shared ``exchange.extensions.db.session`` for a session bound to the
    unit-test database for the duration of each test; the live server's request threads use the
    same singleton, so they would read and write the wrong database. The journeys need none of
    it (and no unit-test app either).
    """
    yield None


@dataclass
class LiveServer:
    url: str
    app: Flask
    mailbox: Mailbox


@pytest.fixture(scope="session")
def e2e_smtp_server():
    """A loopback SMTP server of the journeys' own (never the unit tests' one)."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, e2e_smtp_server) -> LiveServer:
    """Exchange on its own fresh SQLite database with the demo data, served on loopback."""
    folder = tmp_path_factory.mktemp("e2e")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'live.sqlite3'}",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": e2e_smtp_server.port,
            "MAIL_DISPATCH": "thread",
            "BASE_URL": url,
            "RATELIMIT_STORAGE_URI": "memory://",
            "UPLOAD_FOLDER": str(folder / "uploads"),
            # Its own index, applied right after each request's commit (never instance/).
            "SEARCH_INDEX_PATH": str(folder / "search-index"),
            "SEARCH_DISPATCH": "sync",
        }
    )
    with app.app_context():
        upgrade()
        load_demo_data()
        search_sync()
        _db.session.remove()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, app=app, mailbox=e2e_smtp_server.mailbox)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        stop_workers()
        with app.app_context():
            _db.engine.dispose()


class Browser:
    """Chromium, launched on first use so that a missing browser fails the test itself (CI)."""

    def __init__(self):
        self._playwright = None
        self._browser = None
        self._error: str | None = None

    def _launch(self):
        reason = chromium_missing()
        if reason is not None:
            # Only reached with CI=true: elsewhere the journeys are skipped at collection.
            pytest.fail(reason.replace("SKIPPED", "FAILED") + " (CI=true never skips them)")
        if self._error is not None:
            pytest.fail(self._error)
        from playwright.sync_api import sync_playwright

        try:
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
        except Exception as error:
            self._error = f"chromium at {CHROMIUM} did not start: {error}"
            self.close()
            pytest.fail(self._error)

    def new_context(self, **options):
        if self._browser is None:
            self._launch()
        context = self._browser.new_context(**options)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        return context

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None


@pytest.fixture(scope="session")
def browser():
    launcher = Browser()
    yield launcher
    launcher.close()


@pytest.fixture
def new_context(browser, live_server):
    """Open a fresh browser context (its own cookies): new_context(locale="ko-KR").

    Every context starts English (en-GB) unless told otherwise and is closed after the test.
    """
    contexts = []

    def factory(**options):
        options.setdefault("locale", "en-GB")
        options.setdefault("base_url", live_server.url)
        context = browser.new_context(**options)
        contexts.append(context)
        return context

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    """A page in a fresh browser context of its own."""
    return new_context().new_page()

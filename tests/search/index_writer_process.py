"""A separate process for the indexing tests: writes pages, holds the index lock, or crashes.

Usage: python index_writer_process.py MODE DATABASE_URL INDEX_PATH UPLOADS [ARGS...]

* ``write PREFIX N READY_FILE``: wait for READY_FILE, then create N pages through the wiki
  service, applying the search outbox after each commit (as the indexer does after a request).
* ``hold READY_FILE SECONDS``: open the index writer (taking its lock), create READY_FILE, keep
  the lock for SECONDS, then give it up without writing.
* ``crash SLUG``: create a page, commit, claim its outbox row, and die before indexing it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from exchange import create_app
from exchange.accounts.models import User
from exchange.extensions import db
from exchange.search import indexer
from exchange.wiki import services as wiki_services


def _app(database_url: str, index_path: str, uploads: str):
    return create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SEARCH_INDEX_PATH": index_path,
            "SEARCH_BACKEND": os.environ.get("TEST_SEARCH_BACKEND", "whoosh"),
            "SEARCH_DISPATCH": "manual",
            "SEARCH_LOCK_TIMEOUT": 30,
            "UPLOAD_FOLDER": uploads,
            "MAIL_BACKEND": "file",
        }
    )


def _fields(title: str) -> wiki_services.PageFields:
    return wiki_services.PageFields(
        title=title,
        kind="methodology",
        language="en",
        visibility="public",
        institute_ids=[],
        embargo_until=None,
        tags=[],
    )


def _author() -> User:
    return db.session.scalar(select(User).order_by(User.id).limit(1))


def _create_retrying(slug: str, title: str, source: str) -> None:
    """Create a page; retry when SQLite refuses a second writer.

    SQLite has one writer at a time: a transaction that read first and then writes fails at
    once ("database is locked") if another process committed in between. That is the page
    save's concern, not the indexer's (whose transactions start with their write), so this
    test writer simply retries. On PostgreSQL it never happens.
    """
    for attempt in range(50):
        try:
            wiki_services.create_page(_author(), slug, _fields(title), source)
            return
        except OperationalError:
            db.session.rollback()
            time.sleep(0.02 * (attempt + 1))
    raise RuntimeError(f"could not create {slug}")


def main(argv: list[str]) -> None:
    mode, database_url, index_path, uploads, *args = argv
    app = _app(database_url, index_path, uploads)
    with app.app_context():
        if mode == "write":
            prefix, count, ready = args[0], int(args[1]), Path(args[2])
            deadline = time.monotonic() + 30
            while not ready.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            for n in range(count):
                slug = f"{prefix}-{n}"
                _create_retrying(slug, f"{prefix} page {n}", f"Text of {slug} quokka.\n")
                indexer.drain()
        elif mode == "hold":
            ready, seconds = Path(args[0]), float(args[1])
            writer = indexer.current_index().open().writer()
            ready.write_text("locked")
            time.sleep(seconds)
            writer.cancel()
        elif mode == "crash":
            slug = args[0]
            wiki_services.create_page(_author(), slug, _fields(slug), "Crash test text.\n")
            indexer._claim(indexer.utcnow())
            os._exit(9)  # no cleanup, no indexing: the process dies holding the claim
        else:
            raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])

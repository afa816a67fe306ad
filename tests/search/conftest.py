"""Search fixtures: a fresh index per test, applied right after each commit.

``search_index`` runs a test against each search backend: Whoosh always, and the PostgreSQL
backend when the suite runs on PostgreSQL (CI runs the whole suite on both databases), so that
every search test is also a contract test between the two backends. ``whoosh_index`` is for
tests of Whoosh's own machinery (lock, generations, segments).
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from exchange.extensions import db as _db
from exchange.search.indexer import current_index, drain
from exchange.search.models import SearchDocumentRow, SearchWord

SETTINGS = ("SEARCH_BACKEND", "SEARCH_INDEX_PATH", "SEARCH_DISPATCH")


def _use(app, backend: str, tmp_path):
    saved = {key: app.config.get(key) for key in SETTINGS}
    app.config.update(
        SEARCH_BACKEND=backend, SEARCH_INDEX_PATH=str(tmp_path / "index"), SEARCH_DISPATCH="sync"
    )
    app.extensions.pop("exchange_search_index", None)
    with app.app_context():
        index = current_index(app)
        index.ensure()
        if backend == "postgres":  # rows written here roll back with the test
            _db.session.execute(delete(SearchDocumentRow))
            _db.session.execute(delete(SearchWord))
            _db.session.commit()
    return index, saved


def _restore(app, index, saved):
    index.close()
    app.config.update(saved)
    app.extensions.pop("exchange_search_index", None)


def on_postgresql(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


@pytest.fixture(params=["whoosh", "postgres"])
def search_index(request, app, tmp_path):
    """A new, empty index of one backend; requests apply the outbox after their commit."""
    if request.param == "postgres" and not on_postgresql(app):
        pytest.skip("the PostgreSQL search backend runs when the suite runs on PostgreSQL")
    index, saved = _use(app, request.param, tmp_path)
    yield index
    _restore(app, index, saved)


@pytest.fixture
def whoosh_index(app, tmp_path):
    """A new, empty Whoosh index (tests of Whoosh's own machinery)."""
    index, saved = _use(app, "whoosh", tmp_path)
    yield index
    _restore(app, index, saved)


@pytest.fixture
def index_now(app):
    """Apply the search outbox now (what the indexer does after a commit)."""

    def apply() -> int:
        with app.app_context():
            written = drain()
            _db.session.expire_all()
            return written

    return apply

"""Search fixtures: a fresh index per test, applied right after each commit."""

from __future__ import annotations

import pytest

from exchange.extensions import db as _db
from exchange.search.indexer import current_index, drain


@pytest.fixture
def search_index(app, tmp_path):
    """A new, empty index for this test; requests apply the outbox after their commit."""
    saved = {key: app.config.get(key) for key in ("SEARCH_INDEX_PATH", "SEARCH_DISPATCH")}
    app.config.update(SEARCH_INDEX_PATH=str(tmp_path / "index"), SEARCH_DISPATCH="sync")
    app.extensions.pop("exchange_search_index", None)
    with app.app_context():
        index = current_index(app)
        index.ensure()
    yield index
    index.close()
    app.config.update(saved)
    app.extensions.pop("exchange_search_index", None)


@pytest.fixture
def index_now(app, search_index):
    """Apply the search outbox now (what the indexer does after a commit)."""

    def apply() -> int:
        with app.app_context():
            written = drain()
            _db.session.expire_all()
            return written

    return apply

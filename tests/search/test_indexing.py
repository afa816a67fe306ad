"""The index follows the database: outbox in the same transaction, applied after commit.

Covers rollback, autoflush, a crash between commit and indexing, a process that dies holding
a claim, the index lock held by another writer, two processes writing at once, deletions,
embargoes, and rebuilding with an atomic swap while searches go on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, update

from exchange import create_app
from exchange.accounts.models import Institute, User
from exchange.db import utcnow
from exchange.extensions import db
from exchange.search import indexer, service
from exchange.search.models import SearchOutbox
from exchange.search.whoosh_backend import LockError
from exchange.wiki.models import Page, Revision
from tests.support import scratch_database

HERE = Path(__file__).resolve().parent


def find(app, q: str, user=None) -> list[str]:
    with app.test_request_context():
        req, _ = service.request_from_args({"q": q})
        return [hit.key for hit in service.search(user, req).hits]


def indexed_keys(index) -> set[str]:
    reader = index.view().reader
    return {
        reader.stored_fields(d)["key"]
        for d in range(reader.doc_count_all())
        if not reader.is_deleted(d)
    }


def outbox_rows(app) -> list[SearchOutbox]:
    with app.app_context():
        return list(db.session.scalars(select(SearchOutbox).order_by(SearchOutbox.id)))


# --- Recording in the same transaction -----------------------------------------------------


def test_a_save_records_its_document_and_indexing_happens_after_commit(
    app, people, make_page, whoosh_index, index_now
):
    page = make_page(people.kr, "okapi-notes", "Okapi field notes.\n", visibility="public")
    rows = [r for r in outbox_rows(app) if r.done_at is None]
    assert [(r.entity, r.object_id) for r in rows] == [("page", page.id)]
    assert find(app, "okapi") == []  # committed, not yet indexed
    assert index_now() == 1
    assert find(app, "okapi") == [f"page:{page.id}"]
    assert all(r.done_at is not None for r in outbox_rows(app))
    assert index_now() == 0  # nothing left to do


def test_rollback_records_nothing_and_indexes_nothing(app, people, whoosh_index, index_now):
    with app.app_context():
        page = Page(
            slug="phantom-page",
            title="Phantom narwhal",
            owner_institute_id=people.kr_institute.id,
            visibility="public",
        )
        db.session.add(page)
        db.session.flush()  # the outbox row is written at this flush...
        assert db.session.scalar(select(SearchOutbox.object_id)) == page.id
        db.session.rollback()  # ...and goes away with the change
        assert db.session.scalar(select(SearchOutbox.id)) is None
    assert index_now() == 0
    assert find(app, "narwhal") == []
    assert indexed_keys(whoosh_index) == set()


def test_autoflushed_rows_are_recorded_once(app, people, whoosh_index, index_now):
    with app.app_context():
        page = Page(
            slug="autoflush-page",
            title="Autoflushed axolotl",
            owner_institute_id=people.kr_institute.id,
            visibility="public",
        )
        db.session.add(page)
        # A query autoflushes the page before the commit (where snapshot hooks miss it).
        assert db.session.scalar(select(Page.id).where(Page.slug == "autoflush-page"))
        revision = Revision(
            page_id=page.id, number=1, title=page.title, source="axolotl", html="<p>axolotl</p>"
        )
        db.session.add(revision)
        db.session.flush()
        page.current_revision_id = revision.id
        db.session.commit()
        rows = db.session.scalars(select(SearchOutbox)).all()
        assert [(r.entity, r.object_id) for r in rows] == [("page", page.id)]
    assert index_now() == 1
    assert find(app, "axolotl") == [f"page:{page.id}"]


def test_changes_to_related_rows_reindex_their_document(
    app, people, make_page, whoosh_index, index_now
):
    from exchange.wiki import services as wiki_services

    page_id = make_page(people.kr, "tapir-page", "Marmot first draft.\n", visibility="public").id
    index_now()
    with app.app_context():
        page = db.session.get(Page, page_id)
        wiki_services.save_page(
            db.session.get(User, people.kr.id),
            page,
            base_revision_id=page.current_revision_id,
            title=page.title,
            source="Capybara second draft.\n",
        )
    index_now()
    assert find(app, "capybara") == [f"page:{page_id}"]
    assert find(app, "marmot") == []


def test_a_deleted_row_leaves_the_index(app, people, make_page, whoosh_index, index_now):
    page = make_page(people.kr, "gone-page", "Quagga text.\n", visibility="public")
    index_now()
    assert find(app, "quagga") == [f"page:{page.id}"]
    with app.app_context():
        db.session.delete(db.session.get(Page, page.id))
        db.session.commit()
    index_now()
    assert find(app, "quagga") == []
    assert f"page:{page.id}" not in indexed_keys(whoosh_index)


def test_an_embargo_schedules_its_own_reindexing(app, people, make_page, whoosh_index, index_now):
    ends = utcnow() + timedelta(days=3)
    page = make_page(
        people.kr, "embargoed", "Pangolin results.\n", visibility="public", embargo_until=ends
    )
    index_now()
    assert find(app, "pangolin") == []  # visitors wait for the embargo
    later = [r for r in outbox_rows(app) if r.done_at is None]
    assert [(r.object_id, r.available_at) for r in later] == [(page.id, ends)]
    # The embargo ends: the row becomes due and the document opens up.
    with app.app_context():
        db.session.execute(update(Page).where(Page.id == page.id).values(embargo_until=utcnow()))
        db.session.execute(update(SearchOutbox).values(available_at=utcnow()))
        db.session.commit()
    index_now()
    assert find(app, "pangolin") == [f"page:{page.id}"]


# --- Crashes and the lock ------------------------------------------------------------------


def test_a_crash_between_commit_and_indexing_is_repaired_by_sync(
    app, people, make_page, whoosh_index
):
    """Nothing applied the outbox (the process died after its commit): `search sync` does."""
    page = make_page(people.kr, "crash-page", "Wombat survey.\n", visibility="public")
    assert find(app, "wombat") == []
    result = app.test_cli_runner().invoke(args=["exchange", "search", "sync"])
    assert result.exit_code == 0, result.output
    assert "1 pending change(s) applied" in result.output
    assert find(app, "wombat") == [f"page:{page.id}"]


def test_a_claim_left_by_a_dead_process_is_taken_over(
    app, people, make_page, whoosh_index, index_now
):
    page = make_page(people.kr, "claimed-page", "Dugong census.\n", visibility="public")
    with app.app_context():
        db.session.execute(update(SearchOutbox).values(claim="deadbeef", claimed_at=utcnow()))
        db.session.commit()
    assert index_now() == 0  # a fresh claim belongs to a live process
    with app.app_context():
        db.session.execute(
            update(SearchOutbox).values(claimed_at=utcnow() - indexer.STALE_CLAIM * 2)
        )
        db.session.commit()
    assert index_now() == 1
    assert find(app, "dugong") == [f"page:{page.id}"]


def test_applying_twice_is_harmless(app, people, make_page, whoosh_index, index_now):
    """A crash after the index commit but before marking rows done only repeats the work."""
    page = make_page(people.kr, "twice-page", "Ibex migration.\n", visibility="public")
    index_now()
    with app.app_context():
        db.session.execute(update(SearchOutbox).values(done_at=None, claim=None, claimed_at=None))
        db.session.commit()
    assert index_now() == 1
    assert find(app, "ibex") == [f"page:{page.id}"]
    assert whoosh_index.view().searcher.doc_count() == 1


def test_a_busy_index_delays_indexing_but_loses_nothing(
    app, people, make_page, whoosh_index, index_now, auth, client
):
    """Another writer holds the lock: the save succeeds, indexing waits, nothing is lost."""
    page = make_page(people.kr, "busy-page", "Kinkajou habitat.\n", visibility="public")
    holder = whoosh_index.open().writer()  # another process's writer (a separate flock)
    try:
        with app.app_context():
            with pytest.raises(LockError):
                indexer.drain(timeout=0.1)
            row = db.session.scalars(select(SearchOutbox)).one()
            assert row.claim is None and row.done_at is None  # released for the next pass
        # A user saving meanwhile gets their page saved and no error.
        app.config["SEARCH_LOCK_TIMEOUT"] = 0.1
        auth.sign_in(people.kr.email)
        response = client.post(
            "/wiki/new",
            data={
                "slug": "busy-second",
                "title": "Busy second",
                "kind": "methodology",
                "language": "en",
                "visibility": "public",
                "source": "Kinkajou tracks.\n",
            },
        )
        assert response.status_code == 302, response.text
    finally:
        app.config["SEARCH_LOCK_TIMEOUT"] = 10
        holder.cancel()
    assert index_now() == 2
    assert sorted(find(app, "kinkajou")) == sorted(
        [f"page:{page.id}", f"page:{_page_id(app, 'busy-second')}"]
    )


def _page_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Page.id).where(Page.slug == slug))


# --- Rebuilding ----------------------------------------------------------------------------


def test_reindex_swaps_atomically_while_searches_go_on(
    app, people, make_page, whoosh_index, index_now
):
    pages = [
        make_page(people.kr, f"gnu-{n}", f"Gnu herd {n}.\n", visibility="public") for n in range(3)
    ]
    index_now()
    old_generation = whoosh_index.current()
    late = {}

    def batches_while_searching():
        from exchange.search.documents import iter_all

        for batch in iter_all(batch=1):
            # Searches keep answering from the old generation during the rebuild.
            assert len(find(app, "gnu")) >= 3
            if not late:  # a change lands while the rebuild runs (another process)
                late["page"] = make_page(
                    people.kr, "gnu-late", "Gnu straggler.\n", visibility="public"
                )
                index_now()
            yield batch

    with app.app_context():
        count = whoosh_index.rebuild(batches_while_searching())
    assert count >= 3
    assert whoosh_index.current() != old_generation
    assert old_generation.exists()  # kept: other processes may still be reading it
    with app.app_context():
        indexer.reindex()  # the command's path: rebuild, then replay recent changes
    found = set(find(app, "gnu"))
    assert found == {f"page:{p.id}" for p in [*pages, late["page"]]}
    # Only the generation in use and the one before it are kept.
    generations = [p for p in Path(whoosh_index.root).iterdir() if p.name.startswith("v")]
    assert len(generations) == 2


def test_reindex_replays_changes_recorded_while_it_ran(
    app, people, make_page, whoosh_index, index_now
):
    make_page(people.kr, "lynx-1", "Lynx one.\n", visibility="public")
    index_now()

    real_rebuild = whoosh_index.rebuild

    def rebuild_with_a_change_in_the_middle(batches, progress=None):
        docs = [doc for batch in batches for doc in batch]  # the rebuild has read the database
        make_page(people.kr, "lynx-2", "Lynx two.\n", visibility="public")
        index_now()  # another process indexes it into the old generation
        return real_rebuild([docs], progress)

    whoosh_index.rebuild = rebuild_with_a_change_in_the_middle
    try:
        with app.app_context():
            indexer.reindex()
    finally:
        del whoosh_index.rebuild
    assert len(find(app, "lynx")) == 2


def test_sync_builds_a_missing_index(app, people, make_page, whoosh_index):
    page = make_page(people.kr, "missing-index", "Serval sightings.\n", visibility="public")
    whoosh_index.close()
    whoosh_index.destroy()
    result = app.test_cli_runner().invoke(args=["exchange", "search", "sync"])
    assert result.exit_code == 0, result.output
    assert "Index built." in result.output
    assert find(app, "serval") == [f"page:{page.id}"]


def test_reindex_command_reports_its_count(app, people, make_page, whoosh_index):
    make_page(people.kr, "reindex-cmd", "Okapi again.\n", visibility="public")
    result = app.test_cli_runner().invoke(args=["exchange", "search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "documents indexed" in result.output
    assert len(find(app, "okapi")) == 1


# --- Several processes ---------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database(request, tmp_path):
    """A database of its own that several processes can open (SQLite file or PostgreSQL)."""
    with scratch_database(request.param, tmp_path, "exchange_search") as url:
        yield url


@pytest.fixture
def shared_app(shared_database, tmp_path):
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": shared_database,
            "SEARCH_INDEX_PATH": str(tmp_path / "index"),
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "MAIL_BACKEND": "file",
        }
    )
    with app.app_context():
        upgrade()
        institute = Institute(
            code="KR-AISI", name_en="Korea AISI", name_ko="한국 AISI", country="KR"
        )
        db.session.add(institute)
        db.session.flush()
        db.session.add(
            User(
                email="writer@kr.example",
                display_name="Writer",
                institute_id=institute.id,
                password_hash="x",
                email_confirmed_at=utcnow(),
            )
        )
        db.session.commit()
        indexer.current_index().ensure()
        db.session.remove()
    yield app
    with app.app_context():
        indexer.current_index().close()
        db.engine.dispose()


def _spawn(app, *args, backend: str = "whoosh") -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            str(HERE / "index_writer_process.py"),
            args[0],
            app.config["SQLALCHEMY_DATABASE_URI"],
            app.config["SEARCH_INDEX_PATH"],
            app.config["UPLOAD_FOLDER"],
            *args[1:],
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=HERE.parents[1],
        env={**os.environ, "TEST_SEARCH_BACKEND": backend},
    )


@pytest.mark.own_database
def test_two_processes_writing_at_once_lose_nothing(shared_app, tmp_path):
    ready = tmp_path / "ready"
    holder = _spawn(shared_app, "hold", str(ready), "1.5")
    writers = [_spawn(shared_app, "write", prefix, "8", str(ready)) for prefix in ("ant", "bee")]
    outputs = [p.communicate(timeout=120)[0] for p in (holder, *writers)]
    for process, output in zip((holder, *writers), outputs, strict=True):
        assert process.returncode == 0, output
        assert "LockError" not in output
    with shared_app.app_context():
        keys = indexed_keys(indexer.current_index())
        assert len(keys) == 16
        assert indexer.pending_count() == 0
    with shared_app.test_request_context():
        req, _ = service.request_from_args({"q": "quokka"})
        assert service.search(None, req).total == 16


@pytest.mark.own_database
def test_a_process_killed_after_claiming_is_recovered(shared_app):
    crashed = _spawn(shared_app, "crash", "crashed-page")
    output = crashed.communicate(timeout=60)[0]
    assert crashed.returncode == 9, output
    with shared_app.app_context():
        row = db.session.scalars(select(SearchOutbox)).one()
        assert row.claim is not None and row.done_at is None
        assert indexer.drain() == 0  # the claim is fresh: its owner might still be alive
        db.session.execute(
            update(SearchOutbox).values(claimed_at=utcnow() - indexer.STALE_CLAIM * 2)
        )
        db.session.commit()
    result = shared_app.test_cli_runner().invoke(args=["exchange", "search", "sync"])
    assert result.exit_code == 0, result.output
    with shared_app.app_context():
        assert {k.split(":")[0] for k in indexed_keys(indexer.current_index())} == {"page"}
        db.session.remove()


def test_a_replaced_document_never_matches_with_its_old_text(
    app, people, make_page, whoosh_index, index_now
):
    """Whoosh's Searcher.refresh() would keep the old version visible; we reopen instead."""
    from exchange.wiki import services as wiki_services

    page_id = make_page(people.kr, "replaced", "Civet notes.\n", visibility="public").id
    index_now()
    assert find(app, "civet") == [f"page:{page_id}"]  # a searcher is open now
    with app.app_context():
        page = db.session.get(Page, page_id)
        wiki_services.save_page(
            db.session.get(User, people.kr.id),
            page,
            base_revision_id=page.current_revision_id,
            title=page.title,
            source="Genet notes.\n",
        )
    index_now()
    with app.test_request_context():
        req, _ = service.request_from_args({"q": "civet"})
        assert service.search(None, req).total == 0
    assert find(app, "genet") == [f"page:{page_id}"]


@pytest.mark.own_database
def test_processes_on_several_machines_share_the_postgresql_backend(shared_app, tmp_path):
    """SEARCH_BACKEND=postgres: three writers (as if on three servers), one shared index."""
    if not shared_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the PostgreSQL search backend needs PostgreSQL")
    ready = tmp_path / "ready"
    writers = [
        _spawn(shared_app, "write", prefix, "8", str(ready), backend="postgres")
        for prefix in ("ant", "bee", "cow")
    ]
    ready.write_text("go")
    outputs = [p.communicate(timeout=120)[0] for p in writers]
    for process, output in zip(writers, outputs, strict=True):
        assert process.returncode == 0, output
    shared_app.config["SEARCH_BACKEND"] = "postgres"
    shared_app.extensions.pop("exchange_search_index", None)
    with shared_app.app_context():
        assert indexer.pending_count() == 0
    with shared_app.test_request_context():
        req, _ = service.request_from_args({"q": "quokka"})
        assert service.search(None, req).total == 24


@pytest.mark.own_database
def test_a_save_never_waits_for_the_index_lock(shared_app):
    """SEARCH_DISPATCH=thread: the request commits and returns while another writer holds
    the index lock; this process's indexer thread applies the change once the lock is free."""
    import time

    from exchange.search.whoosh_backend import WhooshIndex

    shared_app.config.update(
        SEARCH_DISPATCH="thread", SEARCH_LOCK_TIMEOUT=60, WTF_CSRF_ENABLED=False
    )
    with shared_app.app_context():
        user_id = db.session.scalar(select(User.id))
        index = indexer.current_index()
        assert isinstance(index, WhooshIndex)
        holder = index.open().writer()  # as if another process were writing
    client = shared_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:1"
        session["_fresh"] = True

    def outbox() -> list[SearchOutbox]:
        with shared_app.app_context():
            rows = db.session.scalars(select(SearchOutbox)).all()
            db.session.remove()
            return rows

    try:
        response = client.post(
            "/wiki/new",
            data={
                "slug": "threaded",
                "title": "Threaded",
                "kind": "methodology",
                "language": "en",
                "visibility": "public",
                "source": "Numbat burrows.\n",
            },
        )
        assert response.status_code == 302, response.text
        # The request has returned; the indexer thread has claimed the row and is the one
        # waiting for the lock (in "sync" mode the request itself would have waited).
        deadline = time.monotonic() + 20
        while not outbox()[0].claim and time.monotonic() < deadline:
            time.sleep(0.05)
        row = outbox()[0]
        assert row.claim is not None and row.done_at is None
    finally:
        holder.cancel()
    deadline = time.monotonic() + 60
    while outbox()[0].done_at is None and time.monotonic() < deadline:
        time.sleep(0.1)
    indexer.stop_workers()
    with shared_app.test_request_context():
        req, _ = service.request_from_args({"q": "numbat"})
        assert service.search(None, req).total == 1

"""Keeping the index in step with the database: the search outbox and the indexer.

1. **Recording.** A SQLAlchemy ``after_flush`` hook looks at what the flush wrote and, for every
   model in :data:`documents.TRIGGERS`, inserts a :class:`SearchOutbox` row *on the same
   connection, in the same transaction*. A rollback removes the rows with the change; an
   autoflushed object is seen at its flush; nothing touches the index here.
2. **Applying.** After the commit (``after_request``), :func:`dispatch` wakes this process's
   indexer thread (``SEARCH_DISPATCH=thread``) or drains right away (``sync``). :func:`drain`
   claims rows with a conditional UPDATE (several processes and machines can drain one outbox
   without doing the same work twice), builds the documents from committed rows, writes them
   to the index in one commit, and marks the rows done. A process that dies after claiming
   leaves the rows to be taken over after :data:`STALE_CLAIM`; one that dies after the index
   commit but before marking them only causes the same documents to be written again.
3. **Repairing.** ``flask exchange search sync`` creates the index when it is missing (or of an
   older schema) and drains what a crash left behind; ``flask exchange search reindex``
   rebuilds everything into a new generation and swaps it in atomically, then replays what
   changed while it ran.

The request that saved a page never opens the index writer: it only inserts outbox rows. The
indexer waits for another process's write lock up to ``SEARCH_LOCK_TIMEOUT`` seconds, in the
background; if it still cannot write, it releases its claim and the rows wait for the next pass.
"""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from itertools import chain

from flask import current_app
from sqlalchemy import delete, event, insert, or_, select, update
from sqlalchemy.orm import Session

from exchange.core.workers import stop_workers as stop_background_workers
from exchange.core.workers import worker_for as background_worker_for
from exchange.db import utcnow
from exchange.extensions import db
from exchange.search.documents import (
    ENTITIES,
    TRIGGERS,
    SearchDocument,
    all_batches,
    count_all,
    document_key,
    load_documents,
)
from exchange.search.models import SearchOutbox
from exchange.search.postgres_backend import PostgresIndex
from exchange.search.whoosh_backend import LockError, WhooshIndex

log = logging.getLogger(__name__)

STALE_CLAIM = timedelta(minutes=5)
BATCH = 200
KEEP_DONE = timedelta(days=1)
#: A rebuild replays outbox rows created this long before it started (long transactions).
REPLAY_MARGIN = timedelta(minutes=5)
_PENDING = "search_outbox_pending"
_COMMITTED = "search_outbox_committed"


# --- Recording -----------------------------------------------------------------------------


def _changed_documents(session: Session) -> set[tuple[str, int]]:
    changed: set[tuple[str, int]] = set()
    for obj in chain(session.new, session.deleted, session.dirty):
        trigger = TRIGGERS.get(type(obj))
        if trigger is None:
            continue
        if obj in session.dirty and not session.is_modified(obj):
            continue
        entity, object_id = trigger(obj)
        if object_id is not None:
            changed.add((entity, object_id))
    return changed


def _after_flush(session: Session, _flush_context) -> None:
    pending: set = session.info.setdefault(_PENDING, set())
    new = _changed_documents(session) - pending
    if not new:
        return
    now = utcnow()
    session.connection().execute(
        insert(SearchOutbox.__table__),
        [
            {"entity": entity, "object_id": object_id, "created_at": now, "available_at": now}
            for entity, object_id in sorted(new)
        ],
    )
    pending |= new


def _after_commit(session: Session) -> None:
    if session.info.pop(_PENDING, None):
        session.info[_COMMITTED] = True


def _after_rollback(session: Session, _previous_transaction) -> None:
    session.info.pop(_PENDING, None)


def install_session_hooks() -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)


def enqueue(entity: str, object_ids, available_at=None) -> None:
    """Record documents to re-index in the current transaction (e.g. after a bulk UPDATE)."""
    now = utcnow()
    rows = [
        {
            "entity": entity,
            "object_id": object_id,
            "created_at": now,
            "available_at": available_at or now,
        }
        for object_id in object_ids
    ]
    if rows:
        db.session.execute(insert(SearchOutbox.__table__), rows)
        db.session.info.setdefault(_PENDING, set()).update((entity, i) for i in object_ids)


# --- The index of this application ---------------------------------------------------------


def index_path(app=None) -> str:
    app = app or current_app
    return app.config.get("SEARCH_INDEX_PATH") or os.path.join(app.instance_path, "search-index")


def current_index(app=None):
    """This application's search backend: the Whoosh index folder, or PostgreSQL."""
    app = app or current_app._get_current_object()
    if app.config.get("SEARCH_BACKEND", "whoosh") == "postgres":
        index = app.extensions.get("exchange_search_index")
        if not isinstance(index, PostgresIndex):
            index = app.extensions["exchange_search_index"] = PostgresIndex()
        return index
    path = index_path(app)
    index = app.extensions.get("exchange_search_index")
    if not isinstance(index, WhooshIndex) or str(index.root) != path:
        index = app.extensions["exchange_search_index"] = WhooshIndex(path)
    return index


# --- Applying ------------------------------------------------------------------------------


def _claim(now) -> str | None:
    claim = secrets.token_hex(8)
    claimable = or_(SearchOutbox.claimed_at.is_(None), SearchOutbox.claimed_at < now - STALE_CLAIM)
    candidates = (
        select(SearchOutbox.id)
        .where(SearchOutbox.done_at.is_(None), SearchOutbox.available_at <= now, claimable)
        .order_by(SearchOutbox.id)
        .limit(BATCH)
        .scalar_subquery()
    )
    claimed = db.session.execute(
        update(SearchOutbox)
        .where(SearchOutbox.id.in_(candidates), SearchOutbox.done_at.is_(None), claimable)
        .values(claim=claim, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return claim if claimed.rowcount else None


def _documents_for(claim: str) -> dict[str, SearchDocument | None]:
    rows = db.session.execute(
        select(SearchOutbox.entity, SearchOutbox.object_id).where(SearchOutbox.claim == claim)
    ).all()
    docs: dict[str, SearchDocument | None] = {}
    for entity in ENTITIES:
        ids = sorted({row.object_id for row in rows if row.entity == entity})
        if ids:
            for object_id, doc in load_documents(entity, ids).items():
                docs[document_key(entity, object_id)] = doc
    return docs


def _finish(claim: str, docs: dict[str, SearchDocument | None]) -> None:
    now = utcnow()
    db.session.execute(
        update(SearchOutbox)
        .where(SearchOutbox.claim == claim)
        .values(done_at=now)
        .execution_options(synchronize_session=False)
    )
    # An embargoed document is indexed for its owner only; index it again when it lifts.
    for doc in docs.values():
        if doc is not None and doc.recheck_at is not None:
            already = db.session.scalar(
                select(SearchOutbox.id).where(
                    SearchOutbox.entity == doc.entity,
                    SearchOutbox.object_id == doc.object_id,
                    SearchOutbox.done_at.is_(None),
                    SearchOutbox.available_at == doc.recheck_at,
                )
            )
            if already is None:
                db.session.add(
                    SearchOutbox(
                        entity=doc.entity,
                        object_id=doc.object_id,
                        created_at=now,
                        available_at=doc.recheck_at,
                    )
                )
    db.session.commit()


def _release(claim: str) -> None:
    db.session.execute(
        update(SearchOutbox)
        .where(SearchOutbox.claim == claim, SearchOutbox.done_at.is_(None))
        .values(claim=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def drain(timeout: float | None = None, max_batches: int | None = None) -> int:
    """Apply due outbox rows to the index; return how many documents were written.

    Raises LockError when another process held the index writer for longer than ``timeout``
    seconds; the claimed rows are released first, so nothing is lost.
    """
    index = current_index()
    if timeout is None:
        timeout = float(current_app.config.get("SEARCH_LOCK_TIMEOUT", 10))
    written = batches = 0
    while max_batches is None or batches < max_batches:
        claim = _claim(utcnow())
        if claim is None:
            break
        batches += 1
        try:
            docs = _documents_for(claim)
            db.session.rollback()  # end the read transaction before waiting on the index
            index.write(docs, timeout)  # PostgreSQL: in the transaction _finish commits
        except BaseException:
            db.session.rollback()
            _release(claim)
            raise
        _finish(claim, docs)
        written += len(docs)
    return written


def purge_done(older_than: timedelta = KEEP_DONE) -> int:
    result = db.session.execute(
        delete(SearchOutbox)
        .where(SearchOutbox.done_at.is_not(None), SearchOutbox.done_at < utcnow() - older_than)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount or 0


def pending_count() -> int:
    from sqlalchemy import func

    return (
        db.session.scalar(
            select(func.count()).where(
                SearchOutbox.done_at.is_(None), SearchOutbox.available_at <= utcnow()
            )
        )
        or 0
    )


# --- Repairing -----------------------------------------------------------------------------


def reindex(progress=None) -> int:
    """Rebuild the whole index into a new generation, swap it in, replay what changed."""
    started = utcnow()
    index = current_index()
    count = index.rebuild(all_batches(release=not index.transactional), progress)
    # Whatever was recorded while the rebuild read the database may be missing from it.
    rows = db.session.execute(
        select(SearchOutbox.entity, SearchOutbox.object_id)
        .where(SearchOutbox.created_at >= started - REPLAY_MARGIN)
        .distinct()
    ).all()
    if rows:
        now = utcnow()
        db.session.execute(
            insert(SearchOutbox.__table__),
            [
                {
                    "entity": r.entity,
                    "object_id": r.object_id,
                    "created_at": now,
                    "available_at": now,
                }
                for r in rows
            ],
        )
    db.session.commit()
    drain()
    return count


def sync(progress=None) -> tuple[bool, int]:
    """Create the index if it is missing or outdated (full build), then drain the outbox.

    Returns (rebuilt, documents written by the drain).
    """
    index = current_index()
    rebuilt = False
    if index.needs_rebuild():
        reindex(progress)
        rebuilt = True
    written = drain()
    purge_done()
    return rebuilt, written


def total_documents() -> int:
    return count_all()


# --- Dispatching after commits -------------------------------------------------------------


def dispatch() -> None:
    """After a request: apply what its commits recorded (now, or in the indexer thread)."""
    if not db.session.registry.has():
        return
    if not db.session().info.pop(_COMMITTED, False):
        return
    mode = current_app.config.get("SEARCH_DISPATCH", "thread")
    if mode == "sync":
        try:
            drain()
        except Exception:  # the outbox keeps the rows; a later pass applies them
            log.exception("search indexing failed; the changes stay in the outbox")
            db.session.rollback()
    elif mode == "thread":
        worker_for(current_app._get_current_object()).wake()


def worker_for(app):
    """This process's indexer thread: drains after commits, and every 30 s (embargoes end)."""
    return background_worker_for(app, "exchange-search", drain, interval=30, expected=(LockError,))


def stop_workers() -> None:
    stop_background_workers("exchange-search")

"""The search outbox: which documents the index must catch up with, written with the change."""

from __future__ import annotations

from datetime import date as date_type
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Date, Index, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import Base, utcnow


class SearchOutbox(Base):
    """One document to (re)index or drop, recorded in the transaction that changed it.

    Rows are claimed by a conditional UPDATE (``claim``, ``claimed_at``), applied to the index,
    then marked ``done_at``; a claim older than a few minutes is taken over (the process died).
    ``available_at`` delays a row: an embargoed document is re-indexed when its embargo ends.
    Done rows are kept for a day so that a rebuild can replay what changed while it ran.
    """

    __tablename__ = "search_outbox"
    __table_args__ = (
        CheckConstraint("entity IN ('page', 'record', 'program')", name="entity_known"),
        Index("ix_search_outbox_pending", "done_at", "available_at"),
        Index("ix_search_outbox_claim", "claim"),
        Index("ix_search_outbox_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(10))
    object_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<SearchOutbox {self.id} {self.entity}:{self.object_id}>"


# --- The PostgreSQL search backend's tables (SEARCH_BACKEND=postgres) ----------------------
# On SQLite they exist but stay empty: the embedded default searches a Whoosh index.

_Terms = ARRAY(Text()).with_variant(JSON(), "sqlite")
_Vector = TSVECTOR().with_variant(Text(), "sqlite")


class SearchDocumentRow(Base):
    """One searchable document for the PostgreSQL backend (see postgres_backend.py)."""

    __tablename__ = "search_documents"
    __table_args__ = (
        Index("ix_search_documents_tsv", "tsv", postgresql_using="gin"),
        Index("ix_search_documents_acl", "acl", postgresql_using="gin"),
        Index("ix_search_documents_tags", "tags", postgresql_using="gin"),
        Index("ix_search_documents_date", "date"),
    )

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    entity: Mapped[str] = mapped_column(String(10))
    object_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    institute: Mapped[str] = mapped_column(String(32))
    lang: Mapped[str] = mapped_column(String(8))
    tags: Mapped[list] = mapped_column(_Terms)
    domains: Mapped[list] = mapped_column(_Terms)
    acl: Mapped[list] = mapped_column(_Terms)
    date: Mapped[date_type] = mapped_column(Date)
    year: Mapped[int]
    tsv: Mapped[str] = mapped_column(_Vector)
    data: Mapped[dict] = mapped_column(JSON)


class SearchWord(Base):
    """Every surface word ever indexed (spelling candidates; checked against documents)."""

    __tablename__ = "search_words"
    __table_args__ = (
        Index("ix_search_words_pattern", "word", postgresql_ops={"word": "varchar_pattern_ops"}),
    )

    word: Mapped[str] = mapped_column(String(64), primary_key=True)

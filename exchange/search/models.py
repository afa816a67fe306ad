"""The search outbox: which documents the index must catch up with, written with the change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
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

"""Wiki pages, their append-only revisions, links, attachments, sign-offs and watchers."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.accounts.models import Institute, User
from exchange.db import Base, TimestampMixin, utcnow


class PageKind(enum.StrEnum):
    METHODOLOGY = "methodology"
    FINDING = "finding"
    GUIDE = "guide"
    ROTATION_REPORT = "rotation_report"


class ReviewStatus(enum.StrEnum):
    DRAFT = "draft"
    REVIEWED = "reviewed"
    ENDORSED = "endorsed"


page_institutes = Table(
    "wiki_page_institutes",
    Base.metadata,
    Column("page_id", ForeignKey("wiki_pages.id", ondelete="CASCADE"), primary_key=True),
    Column("institute_id", ForeignKey("institutes.id", ondelete="CASCADE"), primary_key=True),
)


class Page(TimestampMixin, Base):
    __tablename__ = "wiki_pages"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('methodology', 'finding', 'guide', 'rotation_report')", name="kind_known"
        ),
        CheckConstraint("language IN ('en', 'ko')", name="language_known"),
        CheckConstraint(
            "visibility IN ('public', 'network', 'institutes')", name="visibility_known"
        ),
        CheckConstraint(
            "review_status IN ('draft', 'reviewed', 'endorsed')", name="review_status_known"
        ),
        Index("ix_wiki_pages_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default=PageKind.METHODOLOGY.value)
    language: Mapped[str] = mapped_column(String(8), default="en")
    visibility: Mapped[str] = mapped_column(String(12), default="network")
    owner_institute_id: Mapped[int] = mapped_column(ForeignKey("institutes.id"), index=True)
    embargo_until: Mapped[datetime | None]
    review_status: Mapped[str] = mapped_column(String(10), default=ReviewStatus.DRAFT.value)
    current_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("wiki_revisions.id", use_alter=True, name="fk_wiki_pages_current_revision")
    )
    translation_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("wiki_pages.id", ondelete="SET NULL"), index=True
    )
    # The source's revision this translation was last brought in line with.
    translation_source_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("wiki_revisions.id", use_alter=True, name="fk_wiki_pages_translation_rev")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    is_demo: Mapped[bool] = mapped_column(default=False)

    owner_institute: Mapped[Institute] = relationship()
    allowed_institutes: Mapped[list[Institute]] = relationship(
        secondary=page_institutes, order_by=Institute.code
    )
    tag_rows: Mapped[list[PageTag]] = relationship(
        cascade="all, delete-orphan", order_by="PageTag.tag"
    )
    current_revision: Mapped[Revision | None] = relationship(
        foreign_keys=[current_revision_id], post_update=True
    )
    translation_of: Mapped[Page | None] = relationship(
        remote_side=[id], foreign_keys=[translation_of_id], back_populates="translations"
    )
    translations: Mapped[list[Page]] = relationship(
        foreign_keys=[translation_of_id], back_populates="translation_of"
    )

    @property
    def allowed_institute_ids(self) -> list[int]:
        return [i.id for i in self.allowed_institutes]

    @property
    def tags(self) -> list[str]:
        return [t.tag for t in self.tag_rows]

    def __repr__(self) -> str:
        return f"<Page {self.id} {self.slug}>"


class PageTag(Base):
    __tablename__ = "wiki_page_tags"

    page_id: Mapped[int] = mapped_column(
        ForeignKey("wiki_pages.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)

    def __repr__(self) -> str:
        return f"<PageTag {self.page_id} {self.tag}>"


class Revision(Base):
    """One saved state of a page. Rows are never updated or deleted (append-only)."""

    __tablename__ = "wiki_revisions"
    __table_args__ = (
        UniqueConstraint("page_id", "number"),
        CheckConstraint("kind IN ('create', 'edit', 'merge', 'revert')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("wiki_pages.id", ondelete="CASCADE"))
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10), default="edit")
    title: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    toc_html: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(String(300), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    base_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("wiki_revisions.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Revision {self.id} page={self.page_id} #{self.number}>"


@event.listens_for(Revision, "before_update")
def _refuse_revision_update(_mapper, _connection, target):
    raise RuntimeError(f"revisions are append-only; refused to update {target!r}")


class PageLink(Base):
    """A `[[target]]` link from a page: backlinks, wanted pages, citations of records."""

    __tablename__ = "wiki_page_links"
    __table_args__ = (
        UniqueConstraint("source_page_id", "kind", "target_slug"),
        CheckConstraint("kind IN ('page', 'eval')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_page_id: Mapped[int] = mapped_column(ForeignKey("wiki_pages.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8), default="page")
    target_slug: Mapped[str] = mapped_column(String(120), index=True)

    def __repr__(self) -> str:
        return f"<PageLink {self.source_page_id} -> {self.kind}:{self.target_slug}>"


class SlugRedirect(Base):
    """An old slug of a renamed page, so that old links keep working."""

    __tablename__ = "wiki_slug_redirects"

    old_slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("wiki_pages.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<SlugRedirect {self.old_slug} -> {self.page_id}>"


class Attachment(Base):
    __tablename__ = "wiki_attachments"
    __table_args__ = (UniqueConstraint("page_id", "filename"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("wiki_pages.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    uploaded_by: Mapped[User | None] = relationship()

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    def __repr__(self) -> str:
        return f"<Attachment {self.id} {self.filename}>"


class SignOff(Base):
    """A named person of the owning institute marks a revision reviewed or endorsed."""

    __tablename__ = "wiki_signoffs"
    __table_args__ = (
        UniqueConstraint("revision_id", "level", "user_id"),
        CheckConstraint("level IN ('reviewed', 'endorsed')", name="level_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(
        ForeignKey("wiki_pages.id", ondelete="CASCADE"), index=True
    )
    revision_id: Mapped[int] = mapped_column(ForeignKey("wiki_revisions.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User | None] = relationship()
    revision: Mapped[Revision] = relationship()

    def __repr__(self) -> str:
        return f"<SignOff {self.id} {self.level} rev={self.revision_id}>"


class Watch(Base):
    __tablename__ = "wiki_watches"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    page_id: Mapped[int] = mapped_column(
        ForeignKey("wiki_pages.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Watch user={self.user_id} page={self.page_id}>"

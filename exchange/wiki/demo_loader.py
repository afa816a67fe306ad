"""Load the demo wiki pages (exchange/wiki/demo/*.md) through the ordinary services."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import select

from exchange.accounts.models import Institute, Role, User
from exchange.extensions import db
from exchange.wiki import services
from exchange.wiki.demo_content import read_demo_pages
from exchange.wiki.models import Page, ReviewStatus


def _reviewers(institute_id: int, author: User) -> list[User]:
    """People of the owning institute other than the author, reviewers first."""
    people = db.session.scalars(
        select(User).where(User.institute_id == institute_id, User.id != author.id)
    ).all()
    return sorted(people, key=lambda u: (Role.REVIEWER not in u.roles, u.id)) or [author]


def load_demo_pages() -> int:
    """Create the demo pages that are missing; return how many were created."""
    codes = dict(db.session.execute(select(Institute.code, Institute.id)).all())
    created = 0
    for demo in read_demo_pages():
        if db.session.scalar(select(Page.id).where(Page.slug == demo.slug)) is not None:
            continue
        author = db.session.scalar(select(User).where(User.email == demo.author))
        if author is None:
            raise RuntimeError(f"demo author {demo.author} is missing; load the demo accounts")
        source_page = None
        if demo.translation_of:
            source_page = db.session.scalar(select(Page).where(Page.slug == demo.translation_of))
        embargo = (
            datetime.combine(demo.embargo_until, time.min, tzinfo=UTC)
            if demo.embargo_until
            else None
        )
        fields = services.PageFields(
            title=demo.title,
            kind=demo.kind,
            language=demo.language,
            visibility=demo.visibility,
            institute_ids=[codes[c] for c in demo.institutes if c in codes],
            embargo_until=embargo,
            tags=list(demo.tags),
        )
        page = services.create_page(
            author,
            demo.slug,
            fields,
            demo.body,
            demo.summary,
            translation_of=source_page,
            is_demo=True,
        )
        reviewers = _reviewers(page.owner_institute_id, author)
        if demo.review_status in (ReviewStatus.REVIEWED, ReviewStatus.ENDORSED):
            services.sign_off(reviewers[0], page, ReviewStatus.REVIEWED)
        if demo.review_status == ReviewStatus.ENDORSED:
            endorser = reviewers[1] if len(reviewers) > 1 else author
            services.sign_off(endorser, page, ReviewStatus.ENDORSED)
        created += 1
    return created

"""Wiki fixtures: institutes KR, UK and JP with members, and a page factory."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from exchange.accounts.models import User
from exchange.extensions import db
from exchange.wiki import services
from exchange.wiki.models import Page


@dataclass
class People:
    kr: User
    kr2: User
    uk: User
    jp: User
    kr_institute: object
    uk_institute: object
    jp_institute: object


@pytest.fixture
def people(make_institute, make_user):
    kr_i = make_institute("KR-AISI", domains=["kr.example"])
    uk_i = make_institute("UK-AISI", domains=["uk.example"])
    jp_i = make_institute("JP-AISI", domains=["jp.example"])
    return People(
        kr=make_user(institute=kr_i, display_name="Kim KR"),
        kr2=make_user(institute=kr_i, display_name="Park KR", roles=["reviewer"]),
        uk=make_user(institute=uk_i, display_name="Smith UK"),
        jp=make_user(institute=jp_i, display_name="Sato JP"),
        kr_institute=kr_i,
        uk_institute=uk_i,
        jp_institute=jp_i,
    )


@pytest.fixture
def make_page(app):
    """Create a page through the service: make_page(author, "slug", source=..., visibility=...)."""

    def factory(
        author,
        slug,
        source="Some text.\n",
        *,
        title=None,
        visibility="network",
        institutes=(),
        embargo_until=None,
        kind="methodology",
        language="en",
        tags=(),
        translation_of=None,
    ) -> Page:
        with app.app_context():
            fields = services.PageFields(
                title=title or slug.replace("-", " ").capitalize(),
                kind=kind,
                language=language,
                visibility=visibility,
                institute_ids=[i.id for i in institutes],
                embargo_until=embargo_until,
                tags=list(tags),
            )
            source_page = db.session.get(Page, translation_of.id) if translation_of else None
            page = services.create_page(
                db.session.get(User, author.id),
                slug,
                fields,
                source,
                translation_of=source_page,
            )
            db.session.refresh(page)
            return page

    return factory

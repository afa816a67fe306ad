"""Loading pages through the access policy: every read path of the wiki goes through here."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from flask import abort, redirect, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import bindparam, exists, func, select, union
from sqlalchemy.orm import aliased, joinedload, selectinload

from exchange import access
from exchange.accounts.models import Institute, User
from exchange.db import Prepared, read_rows, utcnow
from exchange.extensions import db
from exchange.wiki.models import (
    Attachment,
    Page,
    PageTag,
    Revision,
    SignOff,
    SlugRedirect,
    Watch,
    page_institutes,
)
from exchange.wiki.services import find_page

WIKILINK_RE = re.compile(r'<a class="wikilink" data-wikilink="([^"]*)" href="[^"]*">')
# Other features turn their own links in stored page HTML into live content for the reader
# (e.g. [[eval:slug]] cards); each function takes and returns HTML and applies the policy.
LINK_RENDERERS: list[Callable[[str], str]] = []


def visible_pages():
    """A select of the pages the current user may see."""
    return select(Page).where(access.visibility_filter(current_user, Page))


def load_page(slug: str) -> Page:
    """Load a page the current user may see, else 404 (hidden and missing look the same).

    A renamed page's old address redirects to the new one, keeping the rest of the path.
    """
    page, redirected = find_page(slug)
    if page is None or not access.can_view(current_user, page):
        abort(404)
    if redirected:
        new_path = request.path.replace(f"/wiki/{slug}", f"/wiki/{page.slug}", 1)
        query = request.query_string.decode()
        abort(redirect(new_path + (f"?{query}" if query else ""), code=301))
    return page


class InstituteRow:
    """An institute as a page view shows it (the attributes of ``Institute`` it reads)."""

    __slots__ = ("code", "id", "name_en", "name_ko")

    def __init__(self, id: int, code: str, name_en: str = "", name_ko: str = "") -> None:
        self.id = id
        self.code = code
        self.name_en = name_en
        self.name_ko = name_ko

    name_for = Institute.name_for


class AuthorRow:
    __slots__ = ("display_name",)

    def __init__(self, display_name: str) -> None:
        self.display_name = display_name


class RevisionRow:
    """The current revision as a page view shows it."""

    __slots__ = ("author", "created_at", "html", "id", "number", "toc_html")

    def __init__(self, id, number, html, toc_html, created_at, author) -> None:
        self.id = id
        self.number = number
        self.html = html
        self.toc_html = toc_html
        self.created_at = created_at
        self.author = author


class PageRow:
    """A page read from plain rows for its view: the attributes of ``Page`` that the view, its
    template and the access policy (``access.can_view``, a ``Guarded``) read, without the
    ORM's cost of building, tracking and expiring objects. Read-only: changes go through
    ``services`` with a ``Page``. The page it translates and its translations, which few pages
    have, are loaded as ``Page`` objects when asked for.
    """

    __slots__ = (
        "_translation_of",
        "_translations",
        "allowed_institutes",
        "current_revision",
        "current_revision_id",
        "embargo_until",
        "id",
        "is_demo",
        "kind",
        "language",
        "owner_institute",
        "owner_institute_id",
        "review_status",
        "slug",
        "title",
        "translation_of_id",
        "translation_source_revision_id",
        "visibility",
    )

    @property
    def allowed_institute_ids(self) -> list[int]:
        return [i.id for i in self.allowed_institutes]

    @property
    def translation_of(self) -> Page | None:
        if self.translation_of_id is None:
            return None
        if self._translation_of is None:
            self._translation_of = db.session.get(Page, self.translation_of_id)
        return self._translation_of

    @property
    def translations(self) -> list[Page]:
        if self._translations is None:
            self._translations = db.session.scalars(
                select(Page).where(Page.translation_of_id == self.id)
            ).all()
        return self._translations


@cache
def _page_row_query():
    """A page by slug (bind parameter ``slug``) with its institute, current revision and its
    author, tags, and what else there is to show (counts of sign-offs, attachments and
    translations; whether the reader, bind parameter ``user_id``, watches it): one statement,
    built once. (Tags are slugs: they hold no comma.)"""
    page_id = Page.id

    def count(column):
        return select(func.count()).where(column == page_id).scalar_subquery()

    author = aliased(User)
    translation = aliased(Page)
    return Prepared(
        select(
            Page.id,
            Page.slug,
            Page.title,
            Page.kind,
            Page.language,
            Page.visibility,
            Page.owner_institute_id,
            Page.embargo_until,
            Page.review_status,
            Page.current_revision_id,
            Page.translation_of_id,
            Page.translation_source_revision_id,
            Page.is_demo,
            Institute.code,
            Institute.name_en,
            Institute.name_ko,
            Revision.id.label("revision_id"),
            Revision.number,
            Revision.html,
            Revision.toc_html,
            Revision.created_at,
            Revision.author_id,
            author.display_name,
            select(func.aggregate_strings(PageTag.tag, ","))
            .where(PageTag.page_id == page_id)
            .scalar_subquery()
            .label("tags"),
            count(SignOff.page_id).label("n_signoffs"),
            count(Attachment.page_id).label("n_attachments"),
            count(translation.translation_of_id).label("n_translations"),
            exists()
            .where(Watch.page_id == page_id, Watch.user_id == bindparam("user_id"))
            .label("watching"),
        )
        .join(Institute, Institute.id == Page.owner_institute_id)
        .outerjoin(Revision, Revision.id == Page.current_revision_id)
        .outerjoin(author, author.id == Revision.author_id)
        .where(Page.slug == bindparam("slug"))
    )


@cache
def _allowed_institutes_query():
    return Prepared(
        select(Institute.id, Institute.code)
        .join(page_institutes, page_institutes.c.institute_id == Institute.id)
        .where(page_institutes.c.page_id == bindparam("page_id"))
        .order_by(Institute.code)
    )


def load_page_row(slug: str):
    """``load_page`` for reading a page: (the page as a ``PageRow``, its extras row).

    The same policy decides: a page the reader may not see (``access.can_view``) and a missing
    page answer 404, an old address of a renamed page redirects (through ``load_page``).
    """
    reader = current_user._get_current_object()
    signed_in = access.is_signed_in(reader)
    params = {"slug": slug, "user_id": reader.id if signed_in else None}
    row = read_rows(db.session, _page_row_query(), params).one_or_none()
    if row is None:
        load_page(slug)  # an old address redirects; a missing or hidden page is 404
        row = read_rows(db.session, _page_row_query(), params).one_or_none()
        if row is None:  # pragma: no cover - the page was renamed between the two reads
            abort(404)
    page = PageRow()
    (
        page.id,
        page.slug,
        page.title,
        page.kind,
        page.language,
        page.visibility,
        page.owner_institute_id,
        page.embargo_until,
        page.review_status,
        page.current_revision_id,
        page.translation_of_id,
        page.translation_source_revision_id,
        page.is_demo,
    ) = row[:13]
    page.owner_institute = InstituteRow(page.owner_institute_id, *row[13:16])
    author = AuthorRow(row.display_name) if row.author_id is not None else None
    page.current_revision = (
        RevisionRow(row.revision_id, row.number, row.html, row.toc_html, row.created_at, author)
        if row.revision_id is not None
        else None
    )
    page.allowed_institutes = (
        [
            InstituteRow(*institute)
            for institute in read_rows(
                db.session, _allowed_institutes_query(), {"page_id": page.id}
            )
        ]
        if page.visibility == access.Visibility.INSTITUTES
        else []
    )
    page._translation_of = page._translations = None
    if not access.can_view(reader, page):
        abort(404)
    return page, row


def load_editable_page(slug: str) -> Page:
    page = load_page(slug)
    if not access.can_edit(current_user, page):
        abort(403)
    return page


def load_revision(page: Page, number: int) -> Revision:
    revision = db.session.scalar(
        select(Revision).where(Revision.page_id == page.id, Revision.number == number)
    )
    if revision is None:
        abort(404)
    return revision


# Slugs are checked in lists of a fixed length (the smallest of these that holds them, padded
# with NULL, which matches nothing), so that each statement is compiled once: an "expanding"
# IN list is rendered into SQL again on every call, which costs more than running it.
SLUG_LIST_SIZES = (8, 32, 128, 512)


@cache
def _visible_slugs_query(signed_in: bool, size: int):
    """Slugs (bind parameters ``slug_0`` ... ``slug_<size - 1>``) of pages, or old addresses of
    pages, that a reader may see; built once per kind of reader and list length, the reader's
    institute and the time are parameters."""
    slugs = [bindparam(f"slug_{n}") for n in range(size)]
    institute_id = bindparam("institute_id") if signed_in else None
    visible = access.visibility_condition(Page, institute_id, bindparam("now"))
    direct = select(Page.slug).where(Page.slug.in_(slugs), visible)
    renamed = (
        select(SlugRedirect.old_slug)
        .join(Page, Page.id == SlugRedirect.page_id)
        .where(SlugRedirect.old_slug.in_(slugs), visible)
    )
    return Prepared(union(direct, renamed))


def visible_slugs(slugs: set[str]) -> set[str]:
    """Of these slugs, those that name a page (or an old address of one) the user may see."""
    if not slugs:
        return set()
    reader = current_user._get_current_object()
    signed_in = access.is_signed_in(reader)
    params = {"now": utcnow()}
    if signed_in:
        params["institute_id"] = reader.institute_id
    found = set()
    pending = sorted(slugs)
    largest = SLUG_LIST_SIZES[-1]
    while pending:
        chunk, pending = pending[:largest], pending[largest:]
        size = next(n for n in SLUG_LIST_SIZES if n >= len(chunk))
        chunk_params = {f"slug_{n}": slug for n, slug in enumerate(chunk)}
        chunk_params.update({f"slug_{n}": None for n in range(len(chunk), size)})
        statement = _visible_slugs_query(signed_in, size)
        found.update(read_rows(db.session, statement, {**params, **chunk_params}).scalars())
    return found


def mark_links(html: str) -> Markup:
    """Mark wiki links to pages that do not exist (or that the reader cannot see) as wanted.

    The stored HTML keeps the address as written; an old address of a renamed page still counts
    as existing (it redirects).
    """
    existing = visible_slugs(set(WIKILINK_RE.findall(html)))

    def replace(match: re.Match) -> str:
        slug = match.group(1)
        if slug in existing:
            return match.group(0)
        href = url_for("wiki.new_page", slug=slug)
        return f'<a class="wikilink wanted" data-wikilink="{slug}" href="{href}">'

    html = WIKILINK_RE.sub(replace, html)
    for render in LINK_RENDERERS:
        html = render(html)
    return Markup(html)  # noqa: S704 - sanitized at save time, renderers escape what they add


def with_list_options(query):
    """Load what a list of pages shows (tags, institutes, latest change) in a fixed number of
    queries, not one per page."""
    return query.options(
        selectinload(Page.tag_rows),
        selectinload(Page.allowed_institutes),
        joinedload(Page.owner_institute),
        joinedload(Page.current_revision).joinedload(Revision.author).lazyload(User.role_rows),
    )

"""Loading pages through the access policy: every read path of the wiki goes through here."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from flask import abort, redirect, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import Select, bindparam, select, union
from sqlalchemy.orm import joinedload, selectinload

from exchange import access
from exchange.accounts.models import User
from exchange.db import read_rows, utcnow
from exchange.extensions import db
from exchange.wiki.models import Page, Revision, SlugRedirect
from exchange.wiki.services import find_page

WIKILINK_RE = re.compile(r'<a class="wikilink" data-wikilink="([^"]*)" href="[^"]*">')
# Other features turn their own links in stored page HTML into live content for the reader
# (e.g. [[eval:slug]] cards); each function takes and returns HTML and applies the policy.
LINK_RENDERERS: list[Callable[[str], str]] = []


def visible_pages():
    """A select of the pages the current user may see."""
    return select(Page).where(access.visibility_filter(current_user, Page))


def load_page(slug: str, query: Select | None = None) -> Page:
    """Load a page the current user may see, else 404 (hidden and missing look the same).

    A renamed page's old address redirects to the new one, keeping the rest of the path.
    ``query`` (from ``services.page_by_slug``) loads more with the page in the same query.
    """
    page, redirected = find_page(slug, query)
    if page is None or not access.can_view(current_user, page):
        abort(404)
    if redirected:
        new_path = request.path.replace(f"/wiki/{slug}", f"/wiki/{page.slug}", 1)
        query = request.query_string.decode()
        abort(redirect(new_path + (f"?{query}" if query else ""), code=301))
    return page


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


@cache
def _visible_slugs_query(signed_in: bool):
    """Slugs (bind parameter ``slugs``) of pages, or old addresses of pages, that a reader may
    see; built once per kind of reader, the reader's institute and the time are parameters."""
    slugs = bindparam("slugs", expanding=True)
    institute_id = bindparam("institute_id") if signed_in else None
    visible = access.visibility_condition(Page, institute_id, bindparam("now"))
    direct = select(Page.slug).where(Page.slug.in_(slugs), visible)
    renamed = (
        select(SlugRedirect.old_slug)
        .join(Page, Page.id == SlugRedirect.page_id)
        .where(SlugRedirect.old_slug.in_(slugs), visible)
    )
    return union(direct, renamed)


def visible_slugs(slugs: set[str]) -> set[str]:
    """Of these slugs, those that name a page (or an old address of one) the user may see."""
    if not slugs:
        return set()
    signed_in = access.is_signed_in(current_user)
    params = {"slugs": sorted(slugs), "now": utcnow()}
    if signed_in:
        params["institute_id"] = current_user.institute_id
    return set(read_rows(db.session, _visible_slugs_query(signed_in), params).scalars())


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

"""History of pages: revisions, diffs, permalinks, raw source, revert, backlinks, recent
changes, the Atom feed and wanted pages."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from exchange import access
from exchange.accounts.errors import ServiceError
from exchange.core.pagination import paginate
from exchange.extensions import db
from exchange.wiki import bp, services
from exchange.wiki.forms import ActionForm
from exchange.wiki.merge import diff_stats, render_word_diff, word_diff
from exchange.wiki.models import Page, PageLink, Revision, SlugRedirect
from exchange.wiki.queries import (
    load_editable_page,
    load_page,
    load_revision,
    mark_links,
    visible_pages,
    visible_slugs,
    with_list_options,
)


@bp.get("/<slug>/history")
def page_history(slug: str):
    """List a page's revisions, newest first, with a form to compare any two."""
    page = load_page(slug)
    query = (
        select(Revision)
        .where(Revision.page_id == page.id)
        .options(joinedload(Revision.author))
        .order_by(Revision.number.desc())
    )
    revisions = paginate(query, per_page=50)
    return render_template(
        "wiki/page_history.html", page=page, revisions=revisions, action_form=ActionForm()
    )


def _revision_number(name: str, default: int) -> int:
    raw = request.args.get(name, str(default))
    if not raw.isdigit():
        abort(400)
    return int(raw)


@bp.get("/<slug>/diff")
def diff_page(slug: str):
    """Compare two revisions word by word."""
    page = load_page(slug)
    latest = page.current_revision.number
    new_number = _revision_number("to", latest)
    old_number = _revision_number("from", max(1, new_number - 1))
    old = load_revision(page, old_number)
    new = load_revision(page, new_number)
    ops = word_diff(old.source, new.source)
    inserted, deleted = diff_stats(ops)
    return render_template(
        "wiki/diff_page.html",
        page=page,
        old=old,
        new=new,
        diff=render_word_diff(ops),
        title_changed=old.title != new.title,
        inserted=inserted,
        deleted=deleted,
    )


@bp.get("/<slug>/r/<int:number>")
def view_revision(slug: str, number: int):
    """A citable permalink to one exact revision."""
    page = load_page(slug)
    revision = load_revision(page, number)
    return render_template(
        "wiki/view_revision.html",
        page=page,
        revision=revision,
        html=mark_links(revision.html),
        is_current=revision.id == page.current_revision_id,
    )


@bp.get("/<slug>/raw")
def raw_page(slug: str):
    """The Markdown source of the current (or a given) revision as plain text."""
    page = load_page(slug)
    number = request.args.get("r")
    revision = load_revision(page, int(number)) if number and number.isdigit() else None
    if number and revision is None:
        abort(404)
    revision = revision or page.current_revision
    return Response(revision.source, mimetype="text/plain")


@bp.post("/<slug>/revert/<int:number>")
@login_required
def revert_page(slug: str, number: int):
    """Restore an old revision as a new revision."""
    page = load_editable_page(slug)
    revision = load_revision(page, number)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        new = services.revert(current_user, page, revision)
    except ServiceError as error:
        flash(str(error.message), "error")
    else:
        flash(
            _("Revision %(old)d restored as revision %(new)d.", old=number, new=new.number),
            "success",
        )
    return redirect(url_for("wiki.page_history", slug=page.slug))


@bp.get("/<slug>/backlinks")
def page_backlinks(slug: str):
    """What links here: the pages the user may see that link to this one."""
    page = load_page(slug)
    old = select(SlugRedirect.old_slug).where(SlugRedirect.page_id == page.id)
    sources = (
        db.session.scalars(
            with_list_options(visible_pages())
            .join(PageLink, PageLink.source_page_id == Page.id)
            .where(
                PageLink.kind == "page",
                (PageLink.target_slug == page.slug) | PageLink.target_slug.in_(old),
            )
            .distinct()
            .order_by(Page.title)
        )
        .unique()
        .all()
    )
    return render_template("wiki/page_backlinks.html", page=page, sources=sources)


def _recent_query():
    return (
        select(Revision, Page)
        .join(Page, Page.id == Revision.page_id)
        .where(access.visibility_filter(current_user, Page))
        .options(joinedload(Revision.author))
        .order_by(Revision.created_at.desc(), Revision.id.desc())
    )


@bp.get("/recent")
def recent_changes():
    """The latest revisions of pages the user may see."""
    rows = paginate(_recent_query(), per_page=50, rows=True)
    return render_template("wiki/recent_changes.html", rows=rows)


@bp.get("/recent.atom")
def recent_feed():
    """Atom feed of recent changes, filtered by the same policy as every list."""
    rows = db.session.execute(_recent_query().limit(50)).all()
    body = render_template("wiki/recent.atom.xml", rows=rows)
    return Response(body, mimetype="application/atom+xml")


@bp.get("/wanted")
def wanted_pages():
    """Addresses that visible pages link to but where no visible page exists yet."""
    links = db.session.execute(
        select(PageLink.target_slug, func.count(PageLink.source_page_id))
        .join(Page, Page.id == PageLink.source_page_id)
        .where(PageLink.kind == "page", access.visibility_filter(current_user, Page))
        .group_by(PageLink.target_slug)
        .order_by(func.count(PageLink.source_page_id).desc(), PageLink.target_slug)
    ).all()
    existing = visible_slugs({slug for slug, _count in links})
    wanted = [(slug, count) for slug, count in links if slug not in existing]
    return render_template("wiki/wanted_pages.html", wanted=wanted)

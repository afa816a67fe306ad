"""Wiki pages: browse, read, create, edit (conflict-safe), preview, settings, sign-off, watch."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time
from functools import cache
from types import SimpleNamespace

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import bindparam, func, select

from exchange import access
from exchange.accounts.errors import ServiceError
from exchange.accounts.models import Institute, User
from exchange.core.fields import choices
from exchange.core.forms import show_service_error
from exchange.core.pagination import paginate
from exchange.db import Prepared, read_rows
from exchange.extensions import db, limiter
from exchange.wiki import bp, services
from exchange.wiki.forms import (
    KIND_LABELS,
    LANGUAGE_LABELS,
    STATUS_LABELS,
    ActionForm,
    EditPageForm,
    NewPageForm,
    RenameForm,
    SettingsForm,
    SignOffForm,
    TranslationForm,
)
from exchange.wiki.merge import side_by_side
from exchange.wiki.models import Attachment, Page, PageTag, Revision, SignOff
from exchange.wiki.queries import (
    load_editable_page,
    load_page,
    load_page_row,
    mark_links,
    visible_pages,
    with_list_options,
)
from exchange.wiki.rendering import render_markdown

FILTERS = ("kind", "tag", "institute", "language", "status")


FACET_COLUMNS = {
    "kind": Page.kind,
    "language": Page.language,
    "status": Page.review_status,
    "institute": Page.owner_institute_id,
}
FACET_LIMIT = 30


def _facet_counts(query) -> tuple[dict[str, list[tuple]], int]:
    """Counts per value of each facet among the pages ``query`` selects, most frequent first,
    and the number of pages it selects.

    The page columns are counted in one pass over the selection (grouped by all of them at once,
    then summed per column; the sum of all groups is the number of pages, so the list needs no
    count of its own); tags in a second query over the same, semi-joined, selection.
    """
    columns = list(FACET_COLUMNS.values())
    rows = db.session.execute(
        query.with_only_columns(*columns, func.count()).order_by(None).group_by(*columns)
    ).all()
    counters = {key: Counter() for key in FACET_COLUMNS}
    total = 0
    for row in rows:
        for key, value in zip(FACET_COLUMNS, row, strict=False):
            counters[key][value] += row[-1]
        total += row[-1]
    facets = {
        key: sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:FACET_LIMIT]
        for key, counter in counters.items()
    }
    ids = query.with_only_columns(Page.id).order_by(None)
    facets["tag"] = db.session.execute(
        select(PageTag.tag, func.count())
        .where(PageTag.page_id.in_(ids))
        .group_by(PageTag.tag)
        .order_by(func.count().desc(), PageTag.tag)
        .limit(FACET_LIMIT)
    ).all()
    return facets, total


@bp.get("/")
def list_pages():
    """Browse the pages the user may read, by kind, tag, institute, language and status."""
    query = visible_pages()
    args = {key: request.args.get(key, "").strip()[:60] for key in FILTERS}
    if args["kind"]:
        query = query.where(Page.kind == args["kind"])
    if args["language"]:
        query = query.where(Page.language == args["language"])
    if args["status"]:
        query = query.where(Page.review_status == args["status"])
    if args["tag"]:
        query = query.where(Page.tag_rows.any(PageTag.tag == args["tag"]))
    if args["institute"]:
        query = query.join(Institute, Institute.id == Page.owner_institute_id).where(
            Institute.code == args["institute"]
        )
    sort = request.args.get("sort", "updated")
    order = Page.title if sort == "title" else Page.updated_at.desc()
    facets, total = _facet_counts(query)
    page = paginate(with_list_options(query.order_by(order, Page.id)), per_page=25, total=total)
    institutes = dict(db.session.execute(select(Institute.id, Institute.code)).all())
    facets["institute"] = [(institutes[i], n) for i, n in facets["institute"]]

    def link(**changes) -> str:
        """This list's address with some filters changed (empty values dropped)."""
        params = {**args, "sort": "title" if sort == "title" else "", **changes}
        return url_for("wiki.list_pages", **{k: v for k, v in params.items() if v})

    return render_template(
        "wiki/list_pages.html",
        page=page,
        args=args,
        sort=sort,
        facets=facets,
        link=link,
        labels={"kind": KIND_LABELS, "language": LANGUAGE_LABELS, "status": STATUS_LABELS},
    )


def _institute_choices():
    rows = db.session.scalars(
        select(Institute).where(Institute.is_active.is_(True)).order_by(Institute.code)
    )
    return choices((i.id, f"{i.code} · {i.name_en}") for i in rows)


def _fields(form, title: str) -> services.PageFields:
    embargo = form.embargo_until.data
    return services.PageFields(
        title=title,
        kind=form.kind.data,
        language=form.language.data,
        visibility=form.visibility.data,
        institute_ids=form.institutes.data or [],
        embargo_until=datetime.combine(embargo, time.min, tzinfo=UTC) if embargo else None,
        tags=(form.tags.data or "").split(","),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_page():
    """Create a page (optionally as a translation of another)."""
    form = NewPageForm()
    form.institutes.choices = _institute_choices()
    source_page = None
    translation_slug = request.values.get("translation_of", "")
    if translation_slug:
        source_page = load_page(translation_slug)
    if request.method == "GET":
        form.slug.data = request.args.get("slug", "")
        form.title.data = request.args.get("slug", "").replace("-", " ").capitalize()
        if source_page is not None:
            form.translation_of.data = source_page.slug
            form.kind.data = source_page.kind
            form.language.data = "ko" if source_page.language == "en" else "en"
            form.visibility.data = source_page.visibility
            form.institutes.data = source_page.allowed_institute_ids
            form.tags.data = ", ".join(source_page.tags)
            form.source.data = source_page.current_revision.source
            form.title.data = source_page.title
    preview = None
    if form.validate_on_submit():
        if "preview" in request.form:
            preview = _preview(form)
        else:
            try:
                page = services.create_page(
                    current_user,
                    form.slug.data,
                    _fields(form, form.title.data),
                    form.source.data or "",
                    form.summary.data,
                    translation_of=source_page,
                )
            except ServiceError as error:
                show_service_error(form, error)
            else:
                flash(_("The page is created."), "success")
                return redirect(url_for("wiki.view_page", slug=page.slug))
    return render_template(
        "wiki/new_page.html", form=form, preview=preview, source_page=source_page
    )


def _preview(form):
    """Render the form's text for the preview button, or put the refusal on the field."""
    try:
        services.check_renderable(form.source.data or "")
    except ServiceError as error:
        show_service_error(form, error)
        return None
    return render_markdown(form.source.data or "")


@cache
def _view_queries():
    """The statements of a page view besides the page itself, built once."""
    page_id = bindparam("page_id")
    return SimpleNamespace(
        # Plain rows: the page shows who signed off which revision, nothing more.
        signoffs=Prepared(
            select(
                SignOff.level,
                SignOff.created_at,
                SignOff.revision_id,
                Revision.number.label("revision_number"),
                User.display_name.label("user_name"),
            )
            .join(Revision, Revision.id == SignOff.revision_id)
            .outerjoin(User, User.id == SignOff.user_id)
            .where(SignOff.page_id == page_id)
            .order_by(SignOff.created_at, SignOff.id)
        ),
        attachments=Prepared(
            select(Attachment.filename, Attachment.size)
            .where(Attachment.page_id == page_id)
            .order_by(Attachment.filename)
        ),
    )


@bp.get("/<slug>")
def view_page(slug: str):
    """Read a page: its stored HTML, contents, attachments, sign-offs and translations."""
    page, extras = load_page_row(slug)
    reader = current_user._get_current_object()
    revision = page.current_revision
    queries = _view_queries()
    params = {"page_id": page.id}
    signoffs = read_rows(db.session, queries.signoffs, params).all() if extras.n_signoffs else []
    attachments = (
        read_rows(db.session, queries.attachments, params).all() if extras.n_attachments else []
    )
    translations = [
        p
        for p in [page.translation_of, *(page.translations if extras.n_translations else [])]
        if p is not None and access.can_view(reader, p)
    ]
    return render_template(
        "wiki/view_page.html",
        page=page,
        revision=revision,
        html=mark_links(revision.html),
        tags=sorted(extras.tags.split(",")) if extras.tags else [],
        signoffs=signoffs,
        attachments=attachments,
        translations=translations,
        stale_translation=services.translation_is_stale(page)
        and access.can_view(reader, page.translation_of),
        watching=access.is_signed_in(reader) and bool(extras.watching),
        can_sign_off=services.can_sign_off(reader, page),
        labels={"kind": KIND_LABELS, "language": LANGUAGE_LABELS, "status": STATUS_LABELS},
    )


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_page(slug: str):
    """Edit a page; a concurrent save is merged or shown side by side, never lost."""
    page = load_editable_page(slug)
    current = page.current_revision
    form = EditPageForm()
    if request.method == "GET":
        form.title.data = page.title
        form.source.data = current.source
        form.base_revision_id.data = str(current.id)
    state = {"preview": None, "merged": None, "conflict": None}
    if form.validate_on_submit():
        if not form.base_revision_id.data.isdigit():
            abort(400)
        if "preview" in request.form:
            state["preview"] = _preview(form)
        else:
            try:
                result = services.save_page(
                    current_user,
                    page,
                    base_revision_id=int(form.base_revision_id.data),
                    title=form.title.data,
                    source=form.source.data or "",
                    summary=form.summary.data,
                    translation_in_sync=form.translation_in_sync.data,
                )
            except ServiceError as error:
                show_service_error(form, error)
            else:
                if result.status == "saved":
                    flash(_("Saved as revision %(n)d.", n=result.revision.number), "success")
                    return redirect(url_for("wiki.view_page", slug=page.slug))
                if result.status == "unchanged":
                    flash(_("Nothing changed, so no new revision was made."), "info")
                    return redirect(url_for("wiki.view_page", slug=page.slug))
                # Someone saved meanwhile: continue from their revision, keeping this text.
                form.base_revision_id.data = str(result.theirs.id)
                if result.status == "merged":
                    form.source.data = result.merged_text
                    state["merged"] = result.theirs
                else:
                    state["conflict"] = result.theirs
                    state["rows"] = side_by_side(
                        services.normalize_text(form.source.data or ""), result.theirs.source
                    )
    status = 409 if state["conflict"] is not None or state["merged"] is not None else 200
    if form.errors:
        status = 400
    return render_template("wiki/edit_page.html", form=form, page=page, **state), status


@bp.post("/preview")
@login_required
@limiter.limit("120 per minute", key_func=lambda: f"user:{current_user.get_id()}")
def preview():
    """Render Markdown for the live preview (JSON); saves nothing."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    source = request.form.get("source", "")
    try:
        services.check_renderable(source)
    except ServiceError as error:
        return jsonify(error=str(error.message)), 413
    rendered = render_markdown(source)
    return jsonify(html=rendered.html, toc=rendered.toc_html)


@bp.route("/<slug>/settings", methods=["GET", "POST"])
@login_required
def page_settings(slug: str):
    """Change who may read a page, its kind, language, embargo and tags."""
    page = load_editable_page(slug)
    form = _settings_form(page)
    if form.validate_on_submit():
        try:
            services.update_settings(current_user, page, _fields(form, page.title))
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            flash(_("The page settings are saved."), "success")
            return redirect(url_for("wiki.view_page", slug=page.slug))
    return _render_settings(page, form=form)


def _settings_form(page: Page, from_page: bool | None = None) -> SettingsForm:
    """The settings form: filled from the page (GET, or beside another form's errors) or from
    the submitted data."""
    from_page = request.method == "GET" if from_page is None else from_page
    form = SettingsForm(formdata=None, obj=page) if from_page else SettingsForm()
    form.institutes.choices = _institute_choices()
    if from_page:
        form.institutes.data = page.allowed_institute_ids
        form.tags.data = ", ".join(page.tags)
        form.embargo_until.data = page.embargo_until.date() if page.embargo_until else None
    return form


def _render_settings(page, form=None, rename_form=None, translation_form=None):
    """The settings page with its three forms; a form given here failed validation."""
    failed = rename_form is not None or translation_form is not None or bool(form and form.errors)
    return render_template(
        "wiki/page_settings.html",
        page=page,
        form=form or _settings_form(page, from_page=True),
        rename_form=rename_form or RenameForm(formdata=None, slug=page.slug),
        translation_form=translation_form or _translation_form(page),
    ), (400 if failed else 200)


def _translation_form(page: Page) -> TranslationForm:
    source = page.translation_of
    visible = source is not None and access.can_view(current_user, source)
    return TranslationForm(formdata=None, source_slug=source.slug if visible else "")


@bp.post("/<slug>/translation")
@login_required
def link_translation(slug: str):
    """Link this page to the page it translates (or unlink it)."""
    page = load_editable_page(slug)
    form = TranslationForm()
    if form.validate_on_submit():
        wanted = (form.source_slug.data or "").strip()
        source = None
        if wanted:
            source, _redirected = services.find_page(wanted)
            source = (
                source if source is not None and access.can_view(current_user, source) else None
            )
        try:
            if wanted and source is None:
                raise ServiceError(_("No such page to translate."), field="source_slug")
            services.link_translation(current_user, page, source)
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            flash(_("The translation link is saved."), "success")
            return redirect(url_for("wiki.view_page", slug=page.slug))
    return _render_settings(page, translation_form=form)


@bp.post("/<slug>/rename")
@login_required
def rename_page(slug: str):
    """Move a page to a new address; the old one keeps working."""
    page = load_editable_page(slug)
    form = RenameForm()
    if form.validate_on_submit():
        try:
            services.rename(current_user, page, form.slug.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("The page now lives at its new address."), "success")
            return redirect(url_for("wiki.view_page", slug=page.slug))
    return _render_settings(page, rename_form=form)


@bp.post("/<slug>/signoff")
@login_required
def sign_off_page(slug: str):
    """Mark the current revision reviewed or endorsed."""
    page = load_page(slug)
    form = SignOffForm()
    if not form.validate_on_submit():
        abort(400)
    if not services.can_sign_off(current_user, page):
        abort(403)
    try:
        services.sign_off(current_user, page, form.level.data)
    except ServiceError as error:
        flash(str(error.message), "error")
    else:
        flash(_("Your sign-off is recorded."), "success")
    return redirect(url_for("wiki.view_page", slug=page.slug))


@bp.post("/<slug>/watch")
@login_required
def watch_page(slug: str):
    """Start or stop watching a page."""
    page = load_page(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    watching = request.form.get("watch") == "1"
    services.set_watch(current_user, page, watching)
    flash(
        _("You will be told when this page changes.")
        if watching
        else _("You no longer watch this page."),
        "success",
    )
    return redirect(url_for("wiki.view_page", slug=page.slug))

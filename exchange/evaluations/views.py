"""Evaluation records: browse, read (results table and chart), create, edit, workflow, cite."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from exchange import access
from exchange.accounts.errors import ServiceError
from exchange.accounts.models import Institute
from exchange.core.fields import choices
from exchange.core.forms import show_service_error
from exchange.core.pagination import paginate
from exchange.evaluations import bp, presenters, services
from exchange.evaluations.forms import (
    ACCESS_LABELS,
    DOMAIN_LABELS,
    STATUS_LABELS,
    TECHNIQUE_LABELS,
    TYPE_LABELS,
    CiteForm,
    RecordForm,
    ResultsForm,
    TransitionForm,
)
from exchange.evaluations.models import EvaluationRecord, RecordLabel
from exchange.evaluations.queries import (
    load_editable_record,
    load_record,
    visible_records,
    with_list_options,
)
from exchange.extensions import db
from exchange.wiki.forms import VISIBILITY_LABELS
from exchange.wiki.services import find_page

FILTERS = (
    "q",
    "model",
    "developer",
    "domain",
    "technique",
    "institute",
    "type",
    "status",
    "since",
    "until",
)
LABELS = {
    "type": TYPE_LABELS,
    "status": STATUS_LABELS,
    "domain": DOMAIN_LABELS,
    "technique": TECHNIQUE_LABELS,
    "access": ACCESS_LABELS,
    "visibility": VISIBILITY_LABELS,
}


def _day(value: str):
    try:
        return datetime.strptime(value, "%Y-%m-%d").date() if value else None
    except ValueError:
        return None


def filtered_records(args: dict):
    """The visible records matching the list filters (shared by the page and the exports)."""
    query = visible_records()
    if args.get("q"):
        pattern = f"%{args['q'].lower()}%"
        query = query.where(
            or_(
                func.lower(EvaluationRecord.title).like(pattern),
                func.lower(EvaluationRecord.model_name).like(pattern),
            )
        )
    if args.get("model"):
        query = query.where(EvaluationRecord.model_name == args["model"])
    if args.get("developer"):
        query = query.where(EvaluationRecord.model_developer == args["developer"])
    for kind in ("domain", "technique"):
        if args.get(kind):
            query = query.where(
                EvaluationRecord.labels.any(
                    (RecordLabel.kind == kind) & (RecordLabel.value == args[kind])
                )
            )
    if args.get("institute"):
        institute_id = db.session.scalar(
            select(Institute.id).where(Institute.code == args["institute"])
        )
        query = query.where(
            or_(
                EvaluationRecord.owner_institute_id == institute_id,
                EvaluationRecord.participating_institutes.any(Institute.id == institute_id),
            )
        )
    if args.get("type"):
        query = query.where(EvaluationRecord.record_type == args["type"])
    if args.get("status"):
        query = query.where(EvaluationRecord.status == args["status"])
    if _day(args.get("since", "")):
        query = query.where(EvaluationRecord.evaluated_on >= _day(args["since"]))
    if _day(args.get("until", "")):
        query = query.where(EvaluationRecord.evaluated_on <= _day(args["until"]))
    return query


def list_args() -> dict:
    return {key: request.args.get(key, "").strip()[:100] for key in FILTERS}


def _facet(column, query, label_kind: str | None = None):
    ids = query.with_only_columns(EvaluationRecord.id).order_by(None).subquery()
    if label_kind:
        statement = (
            select(RecordLabel.value, func.count())
            .join(ids, ids.c.id == RecordLabel.record_id)
            .where(RecordLabel.kind == label_kind)
            .group_by(RecordLabel.value)
        )
    else:
        statement = (
            select(column, func.count())
            .select_from(EvaluationRecord)
            .join(ids, ids.c.id == EvaluationRecord.id)
            .where(column.is_not(None))
            .group_by(column)
        )
    return db.session.execute(statement.order_by(func.count().desc()).limit(30)).all()


@bp.get("/")
def list_records():
    """Browse the records the user may read, filtered by model, domain, institute, type, date."""
    args = list_args()
    query = filtered_records(args)
    page = paginate(
        with_list_options(query).order_by(
            EvaluationRecord.evaluated_on.desc().nulls_last(), EvaluationRecord.id.desc()
        ),
        per_page=25,
    )
    codes = dict(db.session.execute(select(Institute.id, Institute.code)).all())
    owners = _facet(EvaluationRecord.owner_institute_id, query)
    facets = {
        "type": _facet(EvaluationRecord.record_type, query),
        "status": _facet(EvaluationRecord.status, query),
        "domain": _facet(None, query, "domain"),
        "technique": _facet(None, query, "technique"),
        "developer": [(v, n) for v, n in _facet(EvaluationRecord.model_developer, query) if v],
        "model": [(v, n) for v, n in _facet(EvaluationRecord.model_name, query) if v],
        "institute": [(codes[i], n) for i, n in owners],
    }

    def link(**changes) -> str:
        params = {**args, **changes}
        return url_for("evaluations.list_records", **{k: v for k, v in params.items() if v})

    return render_template(
        "evaluations/list_records.html",
        page=page,
        args=args,
        facets=facets,
        labels=LABELS,
        link=link,
    )


@bp.get("/<slug>")
def view_record(slug: str):
    """A record: what was evaluated and how, its results as a chart and a table, provenance."""
    record = load_record(slug, detail=True)
    return render_template(
        "evaluations/view_record.html",
        record=record,
        groups=presenters.result_groups(record),
        citations=presenters.citations(record),
        citing_pages=presenters.citing_pages(record),
        transitions=[
            status
            for status in STATUS_LABELS
            if services.may_transition(current_user, record, status)
        ],
        transition_form=TransitionForm(),
        cite_form=CiteForm(),
        can_edit=access.can_edit(current_user, record),
        labels=LABELS,
    )


def _institute_choices():
    rows = db.session.scalars(
        select(Institute).where(Institute.is_active.is_(True)).order_by(Institute.code)
    )
    return choices((i.id, f"{i.code} · {i.name_en}") for i in rows)


def _record_form(record: EvaluationRecord | None = None) -> RecordForm:
    if request.method == "GET" and record is not None:
        form = RecordForm(obj=record)
        elicitation = record.elicitation or {}
        form.scaffold.data = elicitation.get("scaffold", "")
        form.tools.data = elicitation.get("tools", "")
        form.attempts.data = elicitation.get("attempts")
        form.epochs.data = elicitation.get("epochs")
        form.limits.data = elicitation.get("limits", "")
        form.elicitation_notes.data = elicitation.get("notes", "")
        form.participants.data = record.team_institute_ids
        form.readers.data = record.allowed_institute_ids
        form.domains.data = record.labels_of("domain")
        form.techniques.data = record.labels_of("technique")
        form.languages.data = ", ".join(record.labels_of("language"))
        form.embargo_until.data = record.embargo_until.date() if record.embargo_until else None
    else:
        form = RecordForm()
    form.participants.choices = _institute_choices()
    form.readers.choices = _institute_choices()
    return form


def _fields(form: RecordForm) -> services.RecordFields:
    embargo = form.embargo_until.data
    return services.RecordFields(
        title=form.title.data or "",
        record_type=form.record_type.data,
        summary=form.summary.data or "",
        visibility=form.visibility.data,
        reader_ids=form.readers.data or [],
        participant_ids=form.participants.data or [],
        embargo_until=datetime.combine(embargo, time.min, tzinfo=UTC) if embargo else None,
        model_developer=form.model_developer.data or "",
        model_name=form.model_name.data or "",
        model_version=form.model_version.data or "",
        model_access=form.model_access.data or "",
        reference_models=form.reference_models.data or "",
        shared_with_developer_on=form.shared_with_developer_on.data,
        access_start=form.access_start.data,
        access_end=form.access_end.data,
        evaluated_on=form.evaluated_on.data,
        elicitation={
            "scaffold": form.scaffold.data,
            "tools": form.tools.data,
            "attempts": form.attempts.data,
            "epochs": form.epochs.data,
            "limits": form.limits.data,
            "notes": form.elicitation_notes.data,
        },
        headline_finding=form.headline_finding.data or "",
        caveats=form.caveats.data or "",
        domains=form.domains.data or [],
        techniques=form.techniques.data or [],
        languages=[x.strip().lower() for x in (form.languages.data or "").split(",") if x.strip()],
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_record():
    """Create a record by hand (it starts as a draft)."""
    form = _record_form()
    if form.validate_on_submit():
        try:
            record = services.create_record(current_user, _fields(form), form.slug.data or "")
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            flash(_("The record is created as a draft."), "success")
            return redirect(url_for("evaluations.view_record", slug=record.slug))
    return render_template("evaluations/edit_record.html", form=form, record=None), (
        400 if form.errors else 200
    )


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_record(slug: str):
    """Edit a record's description."""
    record = load_editable_record(slug)
    form = _record_form(record)
    del form.slug
    if form.validate_on_submit():
        try:
            services.update_record(current_user, record, _fields(form))
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            flash(_("The record is saved."), "success")
            return redirect(url_for("evaluations.view_record", slug=record.slug))
    return render_template("evaluations/edit_record.html", form=form, record=record), (
        400 if form.errors else 200
    )


@bp.route("/<slug>/results", methods=["GET", "POST"])
@login_required
def edit_results(slug: str):
    """Enter or correct results by hand (imported results stay tied to their logs)."""
    record = load_editable_record(slug)
    form = ResultsForm()
    if request.method == "GET":
        form.results.data = services.format_result_lines(record)
    if form.validate_on_submit():
        try:
            rows = services.parse_result_lines(form.results.data)
            services.replace_results(current_user, record, rows)
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            flash(_("The results are saved."), "success")
            return redirect(url_for("evaluations.view_record", slug=record.slug))
    return render_template("evaluations/edit_results.html", form=form, record=record), (
        400 if form.errors else 200
    )


@bp.post("/<slug>/status")
@login_required
def change_status(slug: str):
    """Move a record through draft → in review → published → archived."""
    record = load_record(slug)
    form = TransitionForm()
    if not form.validate_on_submit():
        abort(400)
    if not services.may_transition(current_user, record, form.status.data):
        abort(403)
    services.transition(current_user, record, form.status.data)
    flash(_("The record is now: %(status)s.", status=STATUS_LABELS[record.status]), "success")
    return redirect(url_for("evaluations.view_record", slug=record.slug))


@bp.post("/<slug>/citations")
@login_required
def cite_page(slug: str):
    """Cite a methodology page at its current revision."""
    record = load_editable_record(slug)
    form = CiteForm()
    if form.validate_on_submit():
        page, _redirected = find_page(form.page.data.strip().strip("/").rsplit("/", 1)[-1])
        if page is None or not access.can_view(current_user, page):
            flash(_("No page you can read has that address."), "error")
        else:
            services.cite_methodology(current_user, record, page)
            flash(
                _(
                    "“%(title)s” is cited at revision %(n)d.",
                    title=page.title,
                    n=page.current_revision.number,
                ),
                "success",
            )
    else:
        flash(_("Give the address of a wiki page."), "error")
    return redirect(url_for("evaluations.view_record", slug=record.slug) + "#methodology")


@bp.post("/<slug>/citations/<int:citation_id>/delete")
@login_required
def uncite_page(slug: str, citation_id: int):
    """Remove a methodology citation."""
    record = load_editable_record(slug)
    try:
        services.uncite_methodology(current_user, record, citation_id)
    except ServiceError:
        abort(404)
    flash(_("The citation is removed."), "success")
    return redirect(url_for("evaluations.view_record", slug=record.slug) + "#methodology")

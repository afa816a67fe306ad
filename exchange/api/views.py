"""API v1 endpoints: evaluation records and results, Inspect log import, the OpenAPI document."""

from __future__ import annotations

from flask import g, jsonify, request, url_for

from exchange.accounts.errors import ServiceError
from exchange.api import bp
from exchange.api.auth import api_error
from exchange.api.openapi import openapi_document
from exchange.core.pagination import paginate
from exchange.evaluations import importing, presenters
from exchange.evaluations.inspect_logs import InspectLogError
from exchange.evaluations.models import EvaluationRecord
from exchange.evaluations.queries import load_record, with_list_options
from exchange.evaluations.views import filtered_records, list_args

MAX_FILES = 50


def _summary(record: EvaluationRecord) -> dict:
    row = presenters.record_row(record)
    row["risk_domains"] = record.labels_of("domain")
    row["techniques"] = record.labels_of("technique")
    row["languages"] = record.labels_of("language")
    row["participating_institutes"] = [i.code for i in record.participating_institutes]
    row["url"] = url_for("evaluations.view_record", slug=record.slug, _external=True)
    return row


@bp.get("/evaluations")
def list_evaluations():
    """Records the caller may read, with the same filters as the web list."""
    query = with_list_options(filtered_records(list_args())).order_by(EvaluationRecord.id)
    page = paginate(query, per_page=min(max(request.args.get("per_page", 50, int), 1), 200))
    return jsonify(
        records=[_summary(r) for r in page.items],
        page=page.number,
        pages=page.pages,
        total=page.total,
    )


@bp.get("/evaluations/<slug>")
def get_evaluation(slug: str):
    """One record with results and provenance."""
    return jsonify(presenters.record_json(load_record(slug, detail=True)))


@bp.get("/evaluations/<slug>/results")
def get_results(slug: str):
    """One record's results."""
    record = load_record(slug, detail=True)
    return jsonify(record=record.slug, results=presenters.result_rows(record))


@bp.post("/evaluations/import")
def import_logs():
    """Import one or more Inspect logs (multipart field `files`) into a new or given record."""
    user = g.api_user
    if user is None:
        return api_error(401, "Send a personal access token to import.")
    files = [f for f in request.files.getlist("files") if f and f.filename]
    if not files:
        return api_error(400, "Send one or more Inspect logs in the multipart field 'files'.")
    if len(files) > MAX_FILES:
        return api_error(400, f"Send at most {MAX_FILES} files per request.")
    record = None
    if request.form.get("record"):
        record = load_record(request.form["record"])
    references = set(request.form.getlist("reference"))
    items, failed = [], []
    for upload in files:
        data = upload.read()
        try:
            run = importing.read(data, upload.filename)
        except InspectLogError as error:
            failed.append({"file": upload.filename, "error": str(error)})
            continue
        items.append((run, data, upload.filename in references))
    try:
        summary = importing.import_runs(user, items, record, request.form.get("title", ""))
    except ServiceError as error:
        return api_error(403, str(error.message))
    status = 201 if summary.imported else (200 if not failed else 422)
    response = jsonify(
        imported=[
            {
                "file": s.file_name,
                "record": s.record.slug,
                "run_status": s.run_status,
                "task": s.task,
                "model": s.model,
            }
            for s in summary.imported
        ],
        duplicates=summary.duplicates,
        failed=failed,
    )
    response.status_code = status
    return response


@bp.get("/search")
def search():
    """Search what the caller may read: the web search's query language, facets and paging."""
    from exchange.search import service
    from exchange.search.wording import hint_text

    per_page = min(max(request.args.get("per_page", service.PER_PAGE, int), 1), 50)
    req, hints = service.request_from_args(request.args, per_page=per_page)
    response = service.search(g.api_user, req, hints)
    return jsonify(
        query=req.q,
        total=response.total,
        page=req.page,
        pages=response.pages if response.searched else 0,
        results=[hit.as_json() for hit in response.hits],
        facets={
            name: [[value, count] for value, count in values]
            for name, values in response.facets.items()
        },
        did_you_mean=response.did_you_mean,
        hints=[hint_text(h) for h in response.hints],
    )


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document())


@bp.get("/me")
def whoami():
    """Who the token belongs to (useful to check a pipeline's configuration)."""
    user = g.api_user
    if user is None:
        return api_error(401, "No token was sent.")
    return jsonify(email=user.email, name=user.display_name, institute=user.institute.code)

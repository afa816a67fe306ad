"""Exports of records and results as CSV and JSON, filtered by the same policy as every list."""

from __future__ import annotations

import csv
import io

from flask import Response, jsonify

from exchange.evaluations import bp, presenters
from exchange.evaluations.queries import load_record, with_detail_options
from exchange.evaluations.views import filtered_records, list_args
from exchange.extensions import db

EXPORT_LIMIT = 5000
RESULT_COLUMNS = [
    "record",
    "benchmark",
    "metric",
    "model",
    "is_reference",
    "value",
    "stderr",
    "ci_low",
    "ci_high",
    "n_samples",
    "run_status",
    "source_log",
]


def _records():
    query = with_detail_options(filtered_records(list_args())).order_by("id").limit(EXPORT_LIMIT)
    return db.session.scalars(query).unique().all()


def _csv(rows: list[dict], columns: list[str], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        # Spreadsheet formula injection: a cell starting with = + - @ is read as text.
        writer.writerow(
            {
                k: ("'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v)
                for k, v in row.items()
            }
        )
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/export.json")
def export_records_json():
    """Every visible record matching the list filters, with results, as JSON."""
    return jsonify(records=[presenters.record_json(r) for r in _records()])


@bp.get("/export.csv")
def export_records_csv():
    """One row per visible record matching the list filters."""
    rows = [presenters.record_row(r) for r in _records()]
    return _csv(rows, presenters.RECORD_COLUMNS, "evaluation-records.csv")


@bp.get("/results.csv")
def export_results_csv():
    """One row per result of the visible records matching the list filters."""
    rows = [row for r in _records() for row in presenters.result_rows(r)]
    return _csv(rows, RESULT_COLUMNS, "evaluation-results.csv")


@bp.get("/<slug>.json")
def export_record_json(slug: str):
    """One record with its results and provenance as JSON."""
    return jsonify(presenters.record_json(load_record(slug, detail=True)))


@bp.get("/<slug>/results.csv")
def export_record_results_csv(slug: str):
    """One record's results as CSV."""
    record = load_record(slug, detail=True)
    return _csv(presenters.result_rows(record), RESULT_COLUMNS, f"{record.slug}-results.csv")

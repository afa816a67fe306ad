"""Rotation statistics for coordinators and admins: a page with charts and tables, and CSV."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from exchange import access
from exchange.accounts.models import Role
from exchange.evaluations.charts import ChartLabels, ChartPoint, ChartSeries, render_chart
from exchange.rotations import bp
from exchange.rotations import stats as figures
from exchange.rotations.program_forms import STATUS_BADGES
from exchange.rotations.program_views import visible_programs_clause

CSV_COLUMNS = [
    "scope",
    "institute",
    "program",
    "home_institute",
    "host_institute",
    "metric",
    "value",
]
INSTITUTE_METRICS = (
    "programs",
    "applications",
    "offered",
    "waitlisted",
    "rejected",
    "median_days",
    "applications_sent",
    "released",
    "not_released",
    "people_sent",
    "months_sent",
    "people_received",
    "months_received",
)
PROGRAM_METRICS = (
    "seats",
    "seats_taken",
    "applications",
    "offered",
    "waitlisted",
    "rejected",
    "median_days",
)


def _require_access() -> None:
    if not (access.has_role(current_user, Role.COORDINATOR) or access.is_admin(current_user)):
        abort(403)


def _labels(note: str) -> ChartLabels:
    return ChartLabels(
        evaluated=_("Institutes"),
        reference="",
        error_none=note,
        n=_("n = %(n)d"),
        not_reported=_("none yet"),
        no_data=_("Nothing to show yet"),
    )


def _chart(
    chart_id: str, title: str, note: str, points, unit: str = "", least: float = 5
) -> Markup:
    """A chart of one figure per institute, on an axis from zero (counts and lengths)."""
    points = tuple(points)
    top = max([least, *(p.value for p in points)])
    series = ChartSeries(title, unit, points=points, domain=(0, top))
    return render_chart(series, chart_id=chart_id, labels=_labels(note))


def _charts(report: figures.Report) -> list:
    institutes = report.institutes
    return [
        _chart(
            "chart-applications",
            _("Applications received, by host institute"),
            _("Submitted applications; drafts are not counted."),
            [ChartPoint(i.code, i.applications) for i in institutes],
        ),
        _chart(
            "chart-decision-days",
            _("Median days from submission to decision, by host institute"),
            _("The first decision counts: an offer, a place on the waitlist or a rejection."),
            [
                ChartPoint(i.code, i.median_days, n=i.decided)
                for i in institutes
                if i.median_days is not None
            ],
            _("days"),
            least=1,
        ),
        _chart(
            "chart-months-received",
            _("Person-months received, by host institute"),
            _("Placements started; the length of each placement in months."),
            [ChartPoint(i.code, i.months_received, n=i.people_received) for i in institutes],
        ),
        _chart(
            "chart-months-sent",
            _("Person-months sent, by home institute"),
            _("Placements started; the length of each placement in months."),
            [ChartPoint(i.code, i.months_sent, n=i.people_sent) for i in institutes],
        ),
    ]


@bp.get("/stats", endpoint="stats")
@login_required
def view_stats():
    """Applications, decisions, time to decision and person-months, per institute and program."""
    _require_access()
    report = figures.build_report(visible_programs_clause(current_user))
    return render_template(
        "rotations/stats/view_stats.html",
        report=report,
        charts=_charts(report),
        status_labels=STATUS_BADGES,
    )


def _cell(value):
    # Spreadsheet formula injection: a cell starting with = + - @ (or a tab or carriage
    # return) is read as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def csv_rows(report: figures.Report):
    """The report in long form: one row per figure."""
    for i in report.institutes:
        for metric in INSTITUTE_METRICS:
            yield {
                "scope": "institute",
                "institute": i.code,
                "metric": metric,
                "value": getattr(i, metric),
            }
    for p in report.programs:
        for metric in PROGRAM_METRICS:
            yield {
                "scope": "program",
                "institute": p.host_code,
                "program": p.slug,
                "metric": metric,
                "value": getattr(p, metric),
            }
    for e in report.exchanges:
        for metric in ("people", "months"):
            yield {
                "scope": "exchange",
                "home_institute": e.home_code,
                "host_institute": e.host_code,
                "metric": metric,
                "value": getattr(e, metric),
            }


@bp.get("/stats.csv")
@login_required
def export_stats_csv():
    """The statistics as CSV (one row per figure)."""
    _require_access()
    report = figures.build_report(visible_programs_clause(current_user))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, restval="")
    writer.writeheader()
    for row in csv_rows(report):
        writer.writerow({key: _cell(value) for key, value in row.items()})
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="rotation-statistics.csv"'
    return response

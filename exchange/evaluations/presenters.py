"""Shaping records for pages and exports: result groups with charts, citations, JSON and rows."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from exchange import access
from exchange.evaluations.charts import (
    ChartLabels,
    ChartPoint,
    ChartSeries,
    proportion_unit,
    render_chart,
)
from exchange.evaluations.models import EvaluationRecord, EvaluationResult
from exchange.extensions import db
from exchange.wiki.models import Page, PageLink


@dataclass
class ResultGroup:
    benchmark: str
    metric: str
    unit: str
    results: list[EvaluationResult]
    chart: Markup


def chart_labels() -> ChartLabels:
    """The chart's words in the reader's language."""
    return ChartLabels(
        evaluated=_("Evaluated model"),
        reference=_("Reference models"),
        error_stderr=_("Error bars show ±1 standard error"),
        error_ci=_("Error bars show the reported confidence interval"),
        error_mixed=_("Error bars show ±1 standard error or the reported confidence interval"),
        error_none=_("No uncertainty was reported"),
        clipped=_("Arrows mark error bars cut off at the edge of the axis"),
        n=_("n = %(n)d"),
        point_stderr=_("%(value)s ± %(stderr)s"),
        point_ci=_("%(value)s (%(low)s to %(high)s)"),
        not_reported=_("not reported"),
        no_data=_("No results to show"),
    )


def result_groups(record: EvaluationRecord) -> list[ResultGroup]:
    """Results grouped by benchmark and metric, each with its chart (evaluated model first)."""
    grouped: OrderedDict[tuple[str, str], list[EvaluationResult]] = OrderedDict()
    for result in record.results:
        grouped.setdefault((result.benchmark, result.metric), []).append(result)
    labels = chart_labels()
    groups = []
    for index, ((benchmark, metric), results) in enumerate(grouped.items()):
        results.sort(key=lambda r: (r.is_reference, r.model))
        unit = proportion_unit(metric, [r.value for r in results])
        points = tuple(
            ChartPoint(
                model=r.model,
                value=r.value,
                is_reference=r.is_reference,
                stderr=r.stderr,
                ci_low=r.ci_low,
                ci_high=r.ci_high,
                n=r.n_samples,
            )
            for r in results
            if r.value is not None
        )
        series = ChartSeries(f"{benchmark} · {metric}", unit, points=points)
        chart = render_chart(series, chart_id=f"chart-{index}", labels=labels)
        groups.append(ResultGroup(benchmark, metric, unit, results, chart))
    return groups


def citations(record: EvaluationRecord) -> list[dict]:
    """Cited methodology pages the reader may see, flagged when they changed since citing."""
    shown = []
    for citation in record.citations:
        page = citation.page
        if page is None or not access.can_view(current_user, page):
            continue
        shown.append(
            {
                "citation": citation,
                "page": page,
                "revision": citation.revision,
                "changed": page.current_revision_id != citation.revision_id,
            }
        )
    return shown


def citing_pages(record: EvaluationRecord) -> list[Page]:
    """Wiki pages (the reader may see) that cite this record with [[eval:slug]]."""
    return list(
        db.session.scalars(
            select(Page)
            .join(PageLink, PageLink.source_page_id == Page.id)
            .where(
                PageLink.kind == "eval",
                PageLink.target_slug == record.slug,
                access.visibility_filter(current_user, Page),
            )
            .order_by(Page.title)
        ).unique()
    )


def headline_results(record: EvaluationRecord, limit: int = 3) -> list[EvaluationResult]:
    """The evaluated model's first results, for cards embedded in wiki pages."""
    own = [r for r in record.results if not r.is_reference and r.value is not None]
    return sorted(own, key=lambda r: r.id)[:limit]  # in the order they were entered


RECORD_COLUMNS = [
    "slug",
    "title",
    "record_type",
    "status",
    "owner_institute",
    "participating_institutes",
    "model_developer",
    "model_name",
    "model_version",
    "model_access",
    "reference_models",
    "shared_with_developer_on",
    "access_start",
    "access_end",
    "evaluated_on",
    "risk_domains",
    "techniques",
    "languages",
    "headline_finding",
    "caveats",
    "visibility",
    "is_demo",
]


def record_row(record: EvaluationRecord) -> dict:
    return {
        "slug": record.slug,
        "title": record.title,
        "record_type": record.record_type,
        "status": record.status,
        "owner_institute": record.owner_institute.code,
        "participating_institutes": " ".join(i.code for i in record.participating_institutes),
        "model_developer": record.model_developer,
        "model_name": record.model_name,
        "model_version": record.model_version,
        "model_access": record.model_access,
        "reference_models": record.reference_models,
        "shared_with_developer_on": (
            record.shared_with_developer_on.isoformat() if record.shared_with_developer_on else ""
        ),
        "access_start": record.access_start.isoformat() if record.access_start else "",
        "access_end": record.access_end.isoformat() if record.access_end else "",
        "evaluated_on": record.evaluated_on.isoformat() if record.evaluated_on else "",
        "risk_domains": " ".join(record.labels_of("domain")),
        "techniques": " ".join(record.labels_of("technique")),
        "languages": " ".join(record.labels_of("language")),
        "headline_finding": record.headline_finding,
        "caveats": record.caveats,
        "visibility": record.visibility,
        "is_demo": record.is_demo,
    }


def result_rows(record: EvaluationRecord) -> list[dict]:
    return [
        {
            "record": record.slug,
            "benchmark": r.benchmark,
            "metric": r.metric,
            "model": r.model,
            "is_reference": r.is_reference,
            "value": r.value,
            "stderr": r.stderr,
            "ci_low": r.ci_low,
            "ci_high": r.ci_high,
            "n_samples": r.n_samples,
            "run_status": r.source_log.run_status if r.source_log else "",
            "source_log": r.source_log.file_name if r.source_log else "",
        }
        for r in record.results
    ]


def record_json(record: EvaluationRecord) -> dict:
    data = record_row(record)
    data["risk_domains"] = record.labels_of("domain")
    data["techniques"] = record.labels_of("technique")
    data["languages"] = record.labels_of("language")
    data["participating_institutes"] = [i.code for i in record.participating_institutes]
    data["summary"] = record.summary
    data["elicitation"] = record.elicitation
    data["results"] = [
        {k: v for k, v in row.items() if k != "record"} for row in result_rows(record)
    ]
    data["source_logs"] = [
        {
            "file_name": s.file_name,
            "format": s.format,
            "sha256": s.sha256,
            "inspect_version": s.inspect_version,
            "run_status": s.run_status,
            "run_id": s.run_id,
            "task_id": s.task_id,
            "task": s.task,
            "model": s.model,
            "total_samples": s.total_samples,
            "completed_samples": s.completed_samples,
            "started_at": s.started_at.isoformat() if s.started_at else None,
            "completed_at": s.completed_at.isoformat() if s.completed_at else None,
            "total_tokens": s.total_tokens,
        }
        for s in record.source_logs
    ]
    return data

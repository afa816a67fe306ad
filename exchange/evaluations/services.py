"""Evaluation record services: create and edit, results, workflow, methodology citations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from exchange import access
from exchange.accounts.errors import ServiceError
from exchange.accounts.models import Institute, Role, User
from exchange.db import utcnow
from exchange.evaluations.models import (
    RISK_DOMAINS,
    TECHNIQUES,
    EvaluationRecord,
    EvaluationResult,
    MethodologyCitation,
    RecordLabel,
    RecordStatus,
    RecordType,
)
from exchange.extensions import db
from exchange.wiki.models import Page
from exchange.wiki.rendering import normalize_slug

LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")

# Who may move a record from one status to another (besides being of the owner institute).
TRANSITIONS = {
    (RecordStatus.DRAFT, RecordStatus.IN_REVIEW): "member",
    (RecordStatus.IN_REVIEW, RecordStatus.DRAFT): "member",
    (RecordStatus.IN_REVIEW, RecordStatus.PUBLISHED): "approver",
    (RecordStatus.PUBLISHED, RecordStatus.ARCHIVED): "approver",
    (RecordStatus.ARCHIVED, RecordStatus.PUBLISHED): "approver",
}


@dataclass
class RecordFields:
    title: str
    record_type: str = RecordType.BENCHMARK_RUN.value
    summary: str = ""
    visibility: str = "institutes"
    reader_ids: list[int] = field(default_factory=list)
    participant_ids: list[int] = field(default_factory=list)
    embargo_until: datetime | None = None
    model_developer: str = ""
    model_name: str = ""
    model_version: str = ""
    model_access: str = ""
    reference_models: str = ""
    shared_with_developer_on: date | None = None
    access_start: date | None = None
    access_end: date | None = None
    evaluated_on: date | None = None
    elicitation: dict = field(default_factory=dict)
    headline_finding: str = ""
    caveats: str = ""
    domains: list[str] = field(default_factory=list)
    techniques: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)


@dataclass
class ResultRow:
    benchmark: str
    metric: str
    model: str
    value: float | None
    is_reference: bool = False
    stderr: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n_samples: int | None = None
    risk_domain: str | None = None


def find_record(slug: str) -> EvaluationRecord | None:
    return db.session.scalar(select(EvaluationRecord).where(EvaluationRecord.slug == slug))


def _check(fields: RecordFields) -> None:
    if not fields.title.strip():
        raise ServiceError(_l("Give the record a title."), field="title")
    if fields.record_type not in {t.value for t in RecordType}:
        raise ServiceError(_l("Choose a record type."), field="record_type")
    if fields.visibility not in {v.value for v in access.Visibility}:
        raise ServiceError(_l("Choose who may read the record."), field="visibility")
    if fields.access_start and fields.access_end and fields.access_end < fields.access_start:
        raise ServiceError(_l("The access window ends before it starts."), field="access_end")
    unknown = [d for d in fields.domains if d not in RISK_DOMAINS]
    if unknown:
        raise ServiceError(_l("Unknown risk domain."), field="domains")
    if [t for t in fields.techniques if t not in TECHNIQUES]:
        raise ServiceError(_l("Unknown technique."), field="techniques")
    if [lang for lang in fields.languages if not LANGUAGE_RE.match(lang)]:
        raise ServiceError(_l("Use language codes such as en, ko, ja, zh, sw."), field="languages")


def _institutes(ids: list[int]) -> list[Institute]:
    if not ids:
        return []
    return list(db.session.scalars(select(Institute).where(Institute.id.in_(ids))))


def _apply(record: EvaluationRecord, fields: RecordFields) -> None:
    for name in (
        "record_type",
        "summary",
        "visibility",
        "embargo_until",
        "model_developer",
        "model_name",
        "model_version",
        "model_access",
        "access_start",
        "access_end",
        "evaluated_on",
        "headline_finding",
        "caveats",
    ):
        value = getattr(fields, name)
        setattr(record, name, value.strip() if isinstance(value, str) else value)
    record.title = fields.title.strip()
    record.elicitation = {k: v for k, v in fields.elicitation.items() if v not in (None, "")}
    record.allowed_institutes = (
        _institutes(fields.reader_ids) if fields.visibility == access.Visibility.INSTITUTES else []
    )
    record.participating_institutes = [
        i for i in _institutes(fields.participant_ids) if i.id != record.owner_institute_id
    ]
    wanted = (
        {("domain", v) for v in fields.domains}
        | {("technique", v) for v in fields.techniques}
        | {("language", v) for v in fields.languages}
    )
    record.labels = [lab for lab in record.labels if (lab.kind, lab.value) in wanted] + [
        RecordLabel(kind=k, value=v)
        for k, v in sorted(wanted)
        if (k, v) not in {(lab.kind, lab.value) for lab in record.labels}
    ]
    record.updated_at = utcnow()


def unique_slug(text: str) -> str:
    base = normalize_slug(text)[:100] or "record"
    slug, n = base, 2
    while db.session.scalar(select(EvaluationRecord.id).where(EvaluationRecord.slug == slug)):
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_record(
    actor: User, fields: RecordFields, slug: str = "", *, is_demo=False, commit=True
) -> EvaluationRecord:
    """Create a draft record led by the actor's institute."""
    if not access.is_signed_in(actor):
        raise ServiceError(_l("Sign in to create records."))
    _check(fields)
    if slug:
        slug = normalize_slug(slug)
        if not slug:
            raise ServiceError(_l("Choose an address with letters or digits."), field="slug")
        if find_record(slug) is not None:
            raise ServiceError(_l("Another record already uses this address."), field="slug")
    record = EvaluationRecord(
        slug=slug or unique_slug(fields.title),
        title=fields.title,
        owner_institute_id=actor.institute_id,
        created_by_id=actor.id,
        status=RecordStatus.DRAFT.value,
        is_demo=is_demo,
    )
    db.session.add(record)
    _apply(record, fields)
    db.session.flush()
    if commit:
        db.session.commit()
    return record


def update_record(actor: User, record: EvaluationRecord, fields: RecordFields) -> None:
    if not access.can_edit(actor, record):
        raise ServiceError(_l("You may not change this record."))
    _check(fields)
    _apply(record, fields)
    db.session.commit()


def replace_results(actor: User, record: EvaluationRecord, rows: list[ResultRow]) -> None:
    """Replace the hand-entered results (imported ones, tied to a source log, stay)."""
    if not access.can_edit(actor, record):
        raise ServiceError(_l("You may not change this record."))
    record.results = [r for r in record.results if r.source_log_id is not None] + [
        EvaluationResult(**row.__dict__) for row in rows
    ]
    record.updated_at = utcnow()
    db.session.commit()


def parse_result_lines(text: str) -> list[ResultRow]:
    """Parse hand-entered results, one per line:
    benchmark | metric | model | reference (yes/no) | value | stderr | n."""
    rows = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 5:
            raise ServiceError(
                _l(
                    "Line %(n)d: give at least benchmark | metric | model | reference | value.",
                    n=number,
                ),
                field="results",
            )
        cells += [""] * (7 - len(cells))
        try:
            value = float(cells[4]) if cells[4] else None
            stderr = float(cells[5]) if cells[5] else None
            n = int(cells[6]) if cells[6] else None
        except ValueError:
            raise ServiceError(
                _l("Line %(n)d: value and stderr must be numbers and n a whole number.", n=number),
                field="results",
            ) from None
        if not (cells[0] and cells[1] and cells[2]):
            raise ServiceError(
                _l("Line %(n)d: benchmark, metric and model are required.", n=number),
                field="results",
            )
        if cells[3].lower() not in ("yes", "no", "y", "n", "reference", ""):
            raise ServiceError(
                _l("Line %(n)d: write yes or no for reference.", n=number), field="results"
            )
        rows.append(
            ResultRow(
                benchmark=cells[0][:200],
                metric=cells[1][:100],
                model=cells[2][:200],
                is_reference=cells[3].lower() in ("yes", "y", "reference"),
                value=value,
                stderr=stderr,
                n_samples=n,
            )
        )
    return rows


def format_result_lines(record: EvaluationRecord) -> str:
    def num(x):
        return "" if x is None else f"{x:g}"

    return "\n".join(
        " | ".join(
            [
                r.benchmark,
                r.metric,
                r.model,
                "yes" if r.is_reference else "no",
                num(r.value),
                num(r.stderr),
                "" if r.n_samples is None else str(r.n_samples),
            ]
        )
        for r in record.results
        if r.source_log_id is None
    )


def may_transition(actor: User, record: EvaluationRecord, target: str) -> bool:
    """May ``actor`` move ``record`` to ``target``? Only people of the owner institute;
    publishing and archiving need a coordinator or reviewer."""
    need = TRANSITIONS.get((RecordStatus(record.status), RecordStatus(target)))
    if need is None or not access.can_edit(actor, record):
        return False
    if need == "approver":
        return actor.has_role(Role.COORDINATOR) or actor.has_role(Role.REVIEWER)
    return True


def transition(actor: User, record: EvaluationRecord, target: str) -> None:
    if target not in {s.value for s in RecordStatus}:
        raise ServiceError(_l("Unknown status."))
    if not may_transition(actor, record, target):
        raise ServiceError(_l("You may not move this record to that status."))
    record.status = target
    record.updated_at = utcnow()
    db.session.commit()


def cite_methodology(actor: User, record: EvaluationRecord, page: Page) -> MethodologyCitation:
    """Cite a wiki page at its current revision (re-citing moves it to the newest revision)."""
    if not access.can_edit(actor, record):
        raise ServiceError(_l("You may not change this record."))
    if not access.can_view(actor, page):
        raise ServiceError(_l("No such page."), field="page")
    citation = db.session.scalar(
        select(MethodologyCitation).where(
            MethodologyCitation.record_id == record.id, MethodologyCitation.page_id == page.id
        )
    )
    if citation is None:
        citation = MethodologyCitation(record_id=record.id, page_id=page.id)
        db.session.add(citation)
    citation.revision_id = page.current_revision_id
    citation.created_at = utcnow()
    db.session.commit()
    return citation


def uncite_methodology(actor: User, record: EvaluationRecord, citation_id: int) -> None:
    if not access.can_edit(actor, record):
        raise ServiceError(_l("You may not change this record."))
    citation = db.session.get(MethodologyCitation, citation_id)
    if citation is None or citation.record_id != record.id:
        raise ServiceError(_l("No such citation."))
    db.session.delete(citation)
    db.session.commit()


def max_upload_bytes() -> int:
    return current_app.config["INSPECT_LOG_MAX_BYTES"]

"""Importing Inspect logs: stage uploads, preview them, and turn runs into records and results.

A run is identified by its (run id, task id): importing the same run again is recognised and
skipped. Cancelled and errored runs import as what they are, never as a success.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from exchange import access
from exchange.accounts.errors import ServiceError
from exchange.accounts.models import User
from exchange.db import utcnow
from exchange.evaluations import services
from exchange.evaluations.inspect_logs import InspectLogError, InspectRun, read_inspect_log
from exchange.evaluations.models import EvaluationRecord, EvaluationResult, SourceLog
from exchange.extensions import db


@dataclass
class Staged:
    """An uploaded file waiting for confirmation, with what reading it gave."""

    sha256: str
    file_name: str
    size: int
    run: InspectRun | None = None
    error: str | None = None
    duplicate_of: EvaluationRecord | None = None  # only when the user may see that record
    is_duplicate: bool = False


@dataclass
class ImportSummary:
    imported: list[SourceLog] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    records: list[EvaluationRecord] = field(default_factory=list)


def STATUS_PREFERENCE(run: InspectRun) -> int:
    return {"success": 0, "cancelled": 1, "error": 2}.get(run.status, 3)


def dedupe_key(run: InspectRun) -> str:
    return f"{run.run_id}:{run.task_id or run.eval_id or run.task}"


def _storage(kind: str) -> Path:
    root = current_app.config.get("UPLOAD_FOLDER") or Path(current_app.instance_path) / "uploads"
    return Path(root) / kind


def staging_path(user: User, sha256: str) -> Path:
    return _storage("inspect-staging") / str(user.id) / sha256


def log_path(sha256: str) -> Path:
    return _storage("inspect") / sha256[:2] / sha256


def _existing(run: InspectRun) -> SourceLog | None:
    return db.session.scalar(select(SourceLog).where(SourceLog.dedupe_key == dedupe_key(run)))


def read(source: bytes | Path, file_name: str) -> InspectRun:
    """Read a log's header (from bytes, or streaming from a path) within the size limit."""
    return read_inspect_log(
        source, file_name=file_name, max_bytes=current_app.config["INSPECT_LOG_MAX_BYTES"]
    )


def _keep(source: bytes | Path, digest: str) -> int:
    """Store the log once under its SHA-256 (copied in chunks from a path); return its size."""
    path = log_path(digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        if isinstance(source, Path):
            shutil.copyfile(source, partial)
        else:
            partial.write_bytes(source)
        partial.replace(path)
    return path.stat().st_size


def stage(actor: User, file_name: str, data: bytes) -> Staged:
    """Keep an upload for this user and read its header for the preview."""
    digest = hashlib.sha256(data).hexdigest()
    staged = Staged(sha256=digest, file_name=file_name, size=len(data))
    try:
        staged.run = read(data, file_name)
    except InspectLogError as error:
        staged.error = str(error)
        return staged
    path = staging_path(actor, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    existing = _existing(staged.run)
    if existing is not None:
        staged.is_duplicate = True
        if access.can_view(actor, existing.record):
            staged.duplicate_of = existing.record
    return staged


def load_staged(actor: User, sha256: str, file_name: str) -> tuple[InspectRun, bytes]:
    """Read back a file this user staged; anything else is refused."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ServiceError(_l("That upload is no longer available; upload it again."))
    path = staging_path(actor, sha256)
    if not path.exists():
        raise ServiceError(_l("That upload is no longer available; upload it again."))
    data = path.read_bytes()
    return read(data, file_name), data


def new_record_fields(runs: list[InspectRun], title: str = "") -> services.RecordFields:
    """Describe a new record from the runs being imported."""
    subject = runs[0]
    tasks = sorted({r.task_registry_name or r.task for r in runs})
    completed = [r.completed_at for r in runs if r.completed_at]
    epochs = {r.epochs for r in runs if r.epochs}
    return services.RecordFields(
        title=title.strip() or f"{', '.join(tasks)[:120]} · {subject.model}",
        record_type="benchmark_run",
        visibility="institutes",
        model_name=subject.model,
        model_developer=subject.model.split("/", 1)[0] if "/" in subject.model else "",
        evaluated_on=max(completed).date() if completed else None,
        elicitation={
            "scaffold": ", ".join(dict.fromkeys(s for r in runs for s in r.solver_steps))[:300],
            "epochs": max(epochs) if epochs else None,
            "limits": ", ".join(
                f"{k}={v}" for k, v in subject.limits.items() if v and k != "epochs"
            )[:300],
        },
        techniques=["benchmarking"],
    )


def add_run(
    actor: User,
    record: EvaluationRecord,
    run: InspectRun,
    data: bytes | Path,
    is_reference: bool = False,
) -> SourceLog:
    """Attach one run to a record: its provenance and one result per metric (no commit)."""
    size = _keep(data, run.sha256)
    source = SourceLog(
        record_id=record.id,
        dedupe_key=dedupe_key(run),
        file_name=run.file_name[:255],
        format=run.format,
        sha256=run.sha256,
        size=size,
        inspect_version=run.inspect_version,
        log_version=run.log_version,
        run_status=run.status,
        run_id=run.run_id,
        eval_id=run.eval_id,
        task_id=run.task_id,
        task=run.task_registry_name or run.task,
        model=run.model,
        dataset_name=run.dataset_name,
        total_samples=run.total_samples,
        completed_samples=run.completed_samples,
        epochs=run.epochs,
        started_at=run.started_at,
        completed_at=run.completed_at,
        total_tokens=run.total_tokens,
        token_usage=run.token_usage,
        error_message=run.error_message,
        raw_header=run.raw_header,
        uploaded_by_id=actor.id,
    )
    db.session.add(source)
    db.session.flush()
    scorers = {m.scorer for m in run.metrics}
    for metric in run.metrics:
        name = metric.metric if len(scorers) < 2 else f"{metric.scorer}/{metric.metric}"
        db.session.add(
            EvaluationResult(
                record_id=record.id,
                source_log_id=source.id,
                benchmark=(run.task_registry_name or run.task)[:200],
                metric=name[:100],
                model=run.model[:200],
                is_reference=is_reference,
                value=metric.value,
                stderr=metric.stderr,
                n_samples=metric.scored_samples or run.completed_samples,
                notes="" if run.status == "success" else f"run {run.status}",
            )
        )
    record.updated_at = utcnow()
    return source


def import_runs(
    actor: User,
    items: list[tuple[InspectRun, bytes | Path, bool]],
    record: EvaluationRecord | None = None,
    title: str = "",
) -> ImportSummary:
    """Import runs into ``record`` (or one new draft record); duplicates are skipped."""
    if record is not None and not access.can_edit(actor, record):
        raise ServiceError(_l("You may not change this record."))
    summary = ImportSummary()
    fresh = []
    seen = set()
    # Two logs of one run in a batch: keep the most complete one, whatever the upload order.
    for run, data, is_reference in sorted(items, key=lambda item: STATUS_PREFERENCE(item[0])):
        key = dedupe_key(run)
        if key in seen or _existing(run) is not None:
            summary.duplicates.append(run.file_name)
            continue
        seen.add(key)
        fresh.append((run, data, is_reference))
    if not fresh:
        return summary
    if record is None:
        subjects = [run for run, _data, ref in fresh if not ref] or [fresh[0][0]]
        record = services.create_record(actor, new_record_fields(subjects, title), commit=False)
    for run, data, is_reference in fresh:
        summary.imported.append(add_run(actor, record, run, data, is_reference))
    summary.records.append(record)
    db.session.commit()
    return summary


def import_files(
    actor: User, paths: list[Path], record: EvaluationRecord | None = None, progress=None
) -> ImportSummary:
    """Import log files from disk (the CLI): one new record per run unless a record is given."""
    summary = ImportSummary()
    for path in paths:
        try:
            run = read(path, path.name)  # streams: the samples are never loaded
        except (OSError, InspectLogError) as error:
            summary.failed.append((str(path), str(error)))
        else:
            result = import_runs(actor, [(run, path, False)], record)
            summary.imported += result.imported
            summary.duplicates += result.duplicates
            summary.records += result.records
        if progress is not None:
            progress(path)
    return summary

"""Reading records through the access policy: every read path of records goes through here."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from exchange import access
from exchange.evaluations.models import EvaluationRecord, EvaluationResult, SourceLog
from exchange.extensions import db


def visible_records(user=None):
    """A select of the records ``user`` (default: the current user) may see."""
    user = current_user if user is None else user
    return select(EvaluationRecord).where(access.visibility_filter(user, EvaluationRecord))


def with_list_options(query):
    return query.options(
        joinedload(EvaluationRecord.owner_institute),
        selectinload(EvaluationRecord.labels),
        selectinload(EvaluationRecord.participating_institutes),
        selectinload(EvaluationRecord.allowed_institutes),
    )


def with_detail_options(query):
    return with_list_options(query).options(
        selectinload(EvaluationRecord.results).joinedload(EvaluationResult.source_log),
        selectinload(EvaluationRecord.source_logs).joinedload(SourceLog.uploaded_by),
        selectinload(EvaluationRecord.citations),
    )


def load_record(slug: str, detail: bool = False) -> EvaluationRecord:
    """The record the current user may see, else 404 (hidden and missing look the same)."""
    query = visible_records().where(EvaluationRecord.slug == slug)
    record = db.session.scalar(with_detail_options(query) if detail else query)
    if record is None:
        abort(404)
    return record


def load_editable_record(slug: str) -> EvaluationRecord:
    record = load_record(slug)
    if not access.can_edit(current_user, record):
        abort(403)
    return record

"""Recording audit events; callers own the transaction."""

from __future__ import annotations

from flask import has_request_context, request

from exchange.audit.models import AuditEvent
from exchange.extensions import db

EVENTS = (
    "sign_in",
    "sign_in_failed",
    "sign_in_rate_limited",
    "sign_out",
    "sign_up",
    "email_confirmed",
    "invitation_sent",
    "invitation_revoked",
    "invitation_accepted",
    "password_reset_requested",
    "password_reset_completed",
    "password_changed",
    "role_changed",
    "user_activated",
    "user_deactivated",
    "user_updated",
    "institute_created",
    "institute_updated",
    "api_token_created",
    "api_token_revoked",
)


def record(event, *, actor=None, subject=None, institute=None, email=None, **details):
    """Add an audit event to the current unit of work (the caller commits)."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    entry = AuditEvent(
        event=event,
        actor_id=getattr(actor, "id", None),
        subject_user_id=getattr(subject, "id", None),
        institute_id=getattr(institute, "id", None)
        or getattr(subject, "institute_id", None)
        or getattr(actor, "institute_id", None),
        email=email or getattr(subject, "email", None),
        details=details,
    )
    if has_request_context():
        entry.ip_address = (request.remote_addr or "")[:45] or None
        entry.user_agent = (request.user_agent.string or "")[:300] or None
    db.session.add(entry)
    return entry

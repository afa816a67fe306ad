"""Creating, listing, revoking and checking personal access tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from exchange import access
from exchange.accounts.errors import ServiceError
from exchange.accounts.models import User
from exchange.accounts.tokens import hash_token
from exchange.api.models import ApiToken
from exchange.audit.services import record
from exchange.db import utcnow
from exchange.extensions import db

PREFIX = "exch_"
MAX_TOKENS = 20


def create_token(user: User, name: str, days: int | None = 90) -> tuple[ApiToken, str]:
    """Create a token for ``user``; the raw value is returned once and never stored."""
    if not access.is_signed_in(user):
        raise ServiceError(_l("Sign in to create tokens."))
    name = (name or "").strip()[:100]
    if not name:
        raise ServiceError(_l("Name the token after what will use it."), field="name")
    active = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    if len([t for t in active if t.is_usable]) >= MAX_TOKENS:
        raise ServiceError(_l("You have too many tokens; revoke one first."), field="name")
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=raw[: len(PREFIX) + 6],
        token_hash=hash_token(raw),
        expires_at=utcnow() + timedelta(days=days) if days else None,
    )
    db.session.add(token)
    record("api_token_created", actor=user, subject=user, name=name, prefix=token.prefix)
    db.session.commit()
    return token, raw


def revoke_token(user: User, token: ApiToken) -> None:
    """Revoke one of the user's own tokens."""
    if token.user_id != user.id:
        raise ServiceError(_l("No such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record("api_token_revoked", actor=user, subject=user, prefix=token.prefix)
        db.session.commit()


def user_for_token(raw: str) -> User | None:
    """The active user a raw token belongs to, or None (unknown, revoked, expired, inactive)."""
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now  # coarse, so that reads do not write on every call
        db.session.commit()
    return token.user

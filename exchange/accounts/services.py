"""Account services: sign-in, sign-up with e-mail confirmation, password reset, profile."""

from __future__ import annotations

import enum
from datetime import timedelta
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import lazyload, undefer

from exchange.accounts import passwords
from exchange.accounts.errors import ServiceError
from exchange.accounts.models import AccountToken, Institute, InstituteDomain, TokenPurpose, User
from exchange.accounts.tokens import hash_token, new_token
from exchange.audit.services import record
from exchange.db import utcnow
from exchange.extensions import db
from exchange.notifications.outbox import external_url, queue_email
from exchange.notifications.services import notify


class SignInResult(enum.Enum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    UNCONFIRMED = "unconfirmed"
    DEACTIVATED = "deactivated"


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def institute_for_email(email: str) -> Institute | None:
    """Return the active institute whose e-mail domains cover ``email`` (sub-domains included)."""
    domain = normalize_email(email).rpartition("@")[2]
    if not domain:
        return None
    labels = domain.split(".")
    candidates = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    match = db.session.execute(
        select(Institute, InstituteDomain.domain)
        .join(InstituteDomain)
        .where(InstituteDomain.domain.in_(candidates), Institute.is_active.is_(True))
        .order_by(func.length(InstituteDomain.domain).desc())
    ).first()
    return match[0] if match else None


def check_password_rules(password: str, email: str = "") -> None:
    if len(password) < passwords.MIN_LENGTH:
        raise ServiceError(
            _l("Use at least %(n)d characters.", n=passwords.MIN_LENGTH), field="password"
        )
    if len(password) > passwords.MAX_LENGTH:
        raise ServiceError(
            _l("Use at most %(n)d characters.", n=passwords.MAX_LENGTH), field="password"
        )
    if email and password.strip().lower() == normalize_email(email):
        raise ServiceError(_l("Do not use your e-mail address as password."), field="password")


def sign_in(email: str, password: str) -> tuple[SignInResult, User | None]:
    """Check credentials, record the attempt in the audit log and commit."""
    user = user_by_email(email)
    if user is None or not passwords.verify_password(user.password_hash, password):
        record("sign_in_failed", subject=user, email=normalize_email(email)[:254])
        db.session.commit()
        return SignInResult.BAD_CREDENTIALS, None
    if not user.is_active_account:
        record("sign_in_failed", subject=user, reason="deactivated")
        db.session.commit()
        return SignInResult.DEACTIVATED, None
    if user.email_confirmed_at is None:
        record("sign_in_failed", subject=user, reason="unconfirmed")
        db.session.commit()
        return SignInResult.UNCONFIRMED, user
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_sign_in_at = utcnow()
    record("sign_in", actor=user, subject=user)
    db.session.commit()
    return SignInResult.OK, user


def record_sign_out(user: User) -> None:
    record("sign_out", actor=user, subject=user)
    db.session.commit()


def _issue_token(user: User, purpose: TokenPurpose, max_age: timedelta) -> str:
    raw, digest = new_token()
    db.session.add(
        AccountToken(
            user_id=user.id, purpose=purpose.value, token_hash=digest, expires_at=utcnow() + max_age
        )
    )
    return raw


def find_token(raw: str, purpose: TokenPurpose) -> AccountToken | None:
    """Return the unused, unexpired token matching ``raw``, or None."""
    token = db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == hash_token(raw), AccountToken.purpose == purpose.value
        )
    )
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        return None
    return token


def _consume(token: AccountToken) -> None:
    """Mark a token used; a concurrent use of the same token loses (single use)."""
    result = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == token.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise ServiceError(_l("This link has already been used."))


def sign_up(email: str, display_name: str, password: str, locale: str) -> None:
    """Register an account on an institute's e-mail domain and e-mail a confirmation link.

    The response never says whether an address already has an account; its owner gets an
    e-mail instead.
    """
    email = normalize_email(email)
    institute = institute_for_email(email)
    if institute is None:
        raise ServiceError(
            _l(
                "Sign-up is open to staff of partner institutes only: use your institute e-mail "
                "address, or ask your coordinator for an invitation."
            ),
            field="email",
        )
    check_password_rules(password, email)
    existing = user_by_email(email)
    if existing is not None:
        queue_email(
            existing.email,
            _l("Someone tried to sign up with your address"),
            "account_exists",
            locale=existing.locale or locale,
            user=existing,
            sign_in_url=external_url("accounts.sign_in"),
            reset_url=external_url("accounts.forgot_password"),
        )
        db.session.commit()
        return
    user = User(
        email=email,
        display_name=display_name.strip(),
        password_hash=passwords.hash_password(password),
        institute=institute,
        locale=locale,
    )
    db.session.add(user)
    db.session.flush()
    _send_confirmation(user)
    record("sign_up", actor=user, subject=user, institute=institute)
    db.session.commit()


def _send_confirmation(user: User) -> None:
    raw = _issue_token(user, TokenPurpose.CONFIRM_EMAIL, current_app.config["CONFIRMATION_MAX_AGE"])
    queue_email(
        user.email,
        _l("Confirm your e-mail address for Exchange"),
        "confirm_email",
        locale=user.locale,
        user=user,
        confirm_url=external_url("accounts.confirm_email", token=raw),
        max_age=current_app.config["CONFIRMATION_MAX_AGE"],
    )


def resend_confirmation(email: str) -> None:
    """E-mail a fresh confirmation link if the address belongs to an unconfirmed account."""
    user = user_by_email(email)
    if user is not None and user.email_confirmed_at is None and user.is_active_account:
        _send_confirmation(user)
        db.session.commit()


def confirm_email(raw: str) -> User:
    """Confirm an address with a single-use token; return the now active user."""
    token = find_token(raw, TokenPurpose.CONFIRM_EMAIL)
    if token is None:
        raise ServiceError(_l("This confirmation link is invalid, used or expired."))
    _consume(token)
    user = token.user
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    user.last_sign_in_at = utcnow()
    record("email_confirmed", actor=user, subject=user)
    notify(user, "welcome", name=user.display_name, institute=user.institute.code)
    db.session.commit()
    return user


def request_password_reset(email: str, locale: str) -> None:
    """E-mail a reset link when the address has an account; say nothing either way."""
    user = user_by_email(email)
    record("password_reset_requested", subject=user, email=normalize_email(email)[:254])
    if user is not None and user.is_active_account:
        raw = _issue_token(user, TokenPurpose.RESET_PASSWORD, current_app.config["RESET_MAX_AGE"])
        queue_email(
            user.email,
            _l("Reset your Exchange password"),
            "reset_password",
            locale=user.locale or locale,
            user=user,
            reset_url=external_url("accounts.reset_password", token=raw),
            max_age=current_app.config["RESET_MAX_AGE"],
        )
    db.session.commit()


def reset_password(raw: str, new_password: str) -> User:
    """Set a new password with a single-use token; every other session of the user ends."""
    token = find_token(raw, TokenPurpose.RESET_PASSWORD)
    if token is None:
        raise ServiceError(_l("This reset link is invalid, used or expired."))
    user = token.user
    check_password_rules(new_password, user.email)
    _consume(token)
    user.password_hash = passwords.hash_password(new_password)
    user.session_version += 1
    # Following the e-mailed link proves the address, as confirmation would.
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    user.last_sign_in_at = utcnow()
    record("password_reset_completed", actor=user, subject=user)
    notify(user, "password_changed")
    db.session.commit()
    return user


def change_password(user: User, current: str, new_password: str) -> None:
    if not passwords.verify_password(user.password_hash, current):
        raise ServiceError(_l("Your current password is not correct."), field="current_password")
    check_password_rules(new_password, user.email)
    user.password_hash = passwords.hash_password(new_password)
    user.session_version += 1
    record("password_changed", actor=user, subject=user)
    notify(user, "password_changed")
    db.session.commit()


def update_profile(user: User, display_name: str, locale: str) -> None:
    user.display_name = display_name.strip()
    if locale in current_app.config["LANGUAGES"]:
        user.locale = locale
    db.session.commit()


def set_locale(user: User, locale: str) -> None:
    """Remember the user's interface language."""
    if locale in current_app.config["LANGUAGES"] and user.locale != locale:
        user.locale = locale
        db.session.commit()


@cache
def _session_user_query():
    """The user with their roles (as ``User.role_names``), which every page needs, in one row.

    Not the role rows themselves nor the institute: building those objects cost more than the
    user (a joined collection also needs de-duplicating); the few pages that show the
    institute load it when they ask. Built once: a statement that is run again skips
    SQLAlchemy's cache-key work.
    """
    return (
        select(User)
        .where(User.id == bindparam("user_id"))
        .options(undefer(User.role_names), lazyload(User.role_rows))
    )


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: the id must carry the current session version."""
    user_id, _, version = (session_id or "").partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    params = {"user_id": int(user_id)}
    user = db.session.scalars(_session_user_query(), params).one_or_none()
    if user is None or user.session_version != int(version) or not user.is_active:
        return None
    return user

"""The e-mail outbox: messages are rows written with the change, delivered after commit.

A message is queued in the same transaction as the change it reports, so a rolled-back change
sends nothing and a committed one is never lost. After the commit the dispatcher delivers due
messages: in a background worker thread (default; the request never waits on SMTP) or, in tests
and CLI commands, right away in the same thread. Claiming a message is a conditional UPDATE, so
several processes or machines can drain one outbox without sending anything twice. A failed send
is retried with exponential back-off; `flask exchange outbox send` drains what is left (cron).
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from exchange.core.workers import stop_workers as stop_background_workers
from exchange.core.workers import worker_for
from exchange.db import utcnow
from exchange.extensions import db
from exchange.notifications.models import OutboxEmail

log = logging.getLogger(__name__)

STALE_CLAIM = timedelta(minutes=10)
_SESSION_FLAG = "outbox_queued"


def external_url(endpoint: str, **values) -> str:
    """Build an absolute link for an e-mail from BASE_URL, never from the request's Host header."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        with current_app.test_request_context():
            path = url_for(endpoint, **values)
    return current_app.config["BASE_URL"].rstrip("/") + path


def queue_email(recipient: str, subject, template: str, locale: str | None = None, **context):
    """Render an e-mail in the recipient's language and add it to the current unit of work."""
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        message = OutboxEmail(
            recipient=recipient,
            subject=str(subject),
            body_text=render_template(f"email/{template}.txt", **context),
        )
    db.session.add(message)
    db.session.info[_SESSION_FLAG] = True
    return message


def _after_commit(session: Session) -> None:
    if session.info.pop(_SESSION_FLAG, False):
        session.info["outbox_committed"] = True


def _after_rollback(session: Session) -> None:
    session.info.pop(_SESSION_FLAG, None)


def install_session_hooks() -> None:
    """Note commits that queued mail so that `dispatch()` knows there is work."""
    from sqlalchemy import event

    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", lambda s, _t: _after_rollback(s))


def dispatch(force: bool = False) -> None:
    """Deliver what the last commits queued: now (sync) or via the worker thread."""
    if not force:
        if not db.session.registry.has():  # this request never touched the database
            return
        if not db.session().info.pop("outbox_committed", False):
            return
    if current_app.config["MAIL_DISPATCH"] == "sync":
        try:
            send_due()
        except Exception:  # the outbox keeps the messages; a later pass sends them
            log.exception("sending queued e-mail failed; it stays in the outbox")
            db.session.rollback()
    else:
        _worker_for(current_app._get_current_object()).wake()


def _claim(now) -> OutboxEmail | None:
    """Take one due message for this process, or None when nothing is due."""
    for _ in range(20):
        candidate = db.session.execute(
            select(OutboxEmail.id, OutboxEmail.status, OutboxEmail.claimed_at)
            .where(
                or_(
                    (OutboxEmail.status == "pending") & (OutboxEmail.next_attempt_at <= now),
                    (OutboxEmail.status == "sending")
                    & (OutboxEmail.claimed_at < now - STALE_CLAIM),
                )
            )
            .order_by(OutboxEmail.id)
            .limit(1)
        ).first()
        if candidate is None:
            return None
        claimed = db.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == candidate.id, OutboxEmail.status == candidate.status)
            .values(status="sending", claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if claimed.rowcount == 1:
            return db.session.get(OutboxEmail, candidate.id, populate_existing=True)
    return None


def send_due(limit: int = 500) -> tuple[int, int]:
    """Send due messages; return (sent, failed attempts)."""
    sent = failed = 0
    for _ in range(limit):
        now = utcnow()
        message = _claim(now)
        if message is None:
            break
        try:
            deliver(message)
        except Exception as exc:  # any transport error: keep the message and retry later
            failed += 1
            message.attempts += 1
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            give_up = message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]
            message.status = "failed" if give_up else "pending"
            delay = current_app.config["MAIL_RETRY_BASE_SECONDS"] * 2 ** (message.attempts - 1)
            message.next_attempt_at = now + timedelta(seconds=min(delay, 6 * 3600))
            log.warning("e-mail %s to %s failed: %s", message.id, message.recipient, exc)
        else:
            sent += 1
            message.status = "sent"
            message.sent_at = utcnow()
            message.attempts += 1
            message.last_error = None
        db.session.commit()
    return sent, failed


def build_message(message: OutboxEmail) -> EmailMessage:
    config = current_app.config
    email = EmailMessage()
    email["From"] = config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    domain = parseaddr(config["MAIL_DEFAULT_SENDER"])[1].rpartition("@")[2] or "exchange.invalid"
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain=domain)
    email.set_content(message.body_text)
    return email


def deliver(message: OutboxEmail) -> None:
    """Hand one message to the configured backend; raise on failure."""
    config = current_app.config
    email = build_message(message)
    if config["MAIL_BACKEND"] == "file":
        folder = Path(current_app.instance_path) / "mail"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{utcnow():%Y%m%dT%H%M%S}-{message.id:06d}.eml"
        path.write_bytes(bytes(email))
        log.info(
            "e-mail to %s written to %s\nSubject: %s\n\n%s",
            message.recipient,
            path,
            message.subject,
            message.body_text,
        )
        return
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(
        config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]
    ) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(email)


def _worker_for(app):
    return worker_for(app, "exchange-outbox", send_due, interval=60)


def stop_workers() -> None:
    """Stop this process's background senders (tests and orderly shutdown)."""
    stop_background_workers("exchange-outbox")

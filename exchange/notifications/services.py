"""Creating, reading and marking in-app notices."""

from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update

from exchange.db import Prepared, read_rows, utcnow
from exchange.extensions import db
from exchange.notifications.models import Notification

# Every kind of notice and its text; later features add theirs here.
MESSAGES = {
    "welcome": _l("Welcome to Exchange, %(name)s. Your account at %(institute)s is ready."),
    "invitation_accepted": _l("%(name)s accepted your invitation and joined Exchange."),
    "roles_changed": _l("Your roles on Exchange are now: %(roles)s."),
    "password_changed": _l("Your password was changed. If this was not you, reset it now."),
    "page_changed": _l("%(name)s changed the page “%(title)s”."),
    "rotation_to_endorse": _l(
        "%(name)s applied to “%(program)s”. As their home coordinator, release them or decline."
    ),
    "rotation_endorsed": _l("Your home institute released you for “%(program)s”."),
    "rotation_to_review": _l("%(name)s's application to “%(program)s” is ready for review."),
    "rotation_release_declined": _l(
        "Your home institute did not release you for “%(program)s”: %(reason)s"
    ),
    "rotation_under_review": _l("The host is now reviewing your application to “%(program)s”."),
    "rotation_to_score": _l("Please score %(name)s's application to “%(program)s”."),
    "rotation_offered": _l("You are offered a seat in “%(program)s”. Please answer by %(date)s."),
    "rotation_waitlisted": _l("You are on the waitlist of “%(program)s”, number %(rank)d in line."),
    "rotation_rejected": _l("You were not selected for “%(program)s”: %(reason)s"),
    "rotation_accepted": _l("%(name)s accepted the offer for “%(program)s”."),
    "rotation_declined": _l("%(name)s declined the offer for “%(program)s”; the seat is free."),
    "rotation_expired": _l("Your offer for “%(program)s” expired before you answered."),
    "rotation_expired_host": _l(
        "The offer to %(name)s for “%(program)s” expired; the seat is free."
    ),
    "rotation_placed": _l("Your placement in “%(program)s” is confirmed."),
    "rotation_placed_home": _l("%(name)s is placed in “%(program)s”."),
    "rotation_completed": _l(
        "Your placement in “%(program)s” is complete. Please file your exit report."
    ),
    "rotation_withdrawn": _l("%(name)s withdrew their application to “%(program)s”."),
}


def notify(user, kind: str, link: str | None = None, **params) -> Notification:
    """Add a notice for ``user`` to the current unit of work (the caller commits)."""
    if kind not in MESSAGES:
        raise ValueError(f"unknown notification kind {kind!r}")
    notice = Notification(user_id=user.id, kind=kind, params=params, link=link)
    db.session.add(notice)
    return notice


def message_for(notice: Notification) -> str:
    """Return the notice's text in the current interface language."""
    return notice_text(notice.kind, notice.params)


def notice_text(kind: str, params: dict) -> str:
    """A notice's words in the current language (also used by e-mail templates)."""
    try:
        return str(MESSAGES[kind]) % params
    except (KeyError, TypeError, ValueError):
        return str(_l("You have a new notice."))


@cache
def _unread_count_query():
    """COUNT over the (user_id, read_at) index; built once, since every page shows it."""
    return Prepared(
        select(func.count(Notification.id)).where(
            Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None)
        )
    )


def unread_count(user) -> int:
    return read_rows(db.session, _unread_count_query(), {"user_id": user.id}).scalar()


def mark_read(user, notice_ids: list[int] | None = None) -> int:
    """Mark the user's notices (all, or the given ones) read; return how many changed."""
    statement = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notice_ids is not None:
        statement = statement.where(Notification.id.in_(notice_ids))
    result = db.session.execute(
        statement.values(read_at=utcnow()).execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount

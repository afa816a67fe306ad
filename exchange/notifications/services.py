"""Creating, reading and marking in-app notices."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from exchange.db import utcnow
from exchange.extensions import db
from exchange.notifications.models import Notification

# Every kind of notice and its text; later features add theirs here.
MESSAGES = {
    "welcome": _l("Welcome to Exchange, %(name)s. Your account at %(institute)s is ready."),
    "invitation_accepted": _l("%(name)s accepted your invitation and joined Exchange."),
    "roles_changed": _l("Your roles on Exchange are now: %(roles)s."),
    "password_changed": _l("Your password was changed. If this was not you, reset it now."),
    "page_changed": _l("%(name)s changed the page “%(title)s”."),
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
    try:
        return str(MESSAGES[notice.kind]) % notice.params
    except (KeyError, TypeError, ValueError):
        return str(_l("You have a new notice."))


def unread_count(user) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )


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

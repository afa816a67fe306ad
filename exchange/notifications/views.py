"""The notifications page."""

from __future__ import annotations

from flask import abort, flash, has_request_context, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from exchange.core.pagination import paginate
from exchange.core.urls import safe_next
from exchange.extensions import db
from exchange.notifications import bp, services
from exchange.notifications.models import Notification


@bp.get("/")
@login_required
def list_notifications():
    """List the signed-in user's notices, newest first."""
    query = (
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    page = paginate(query, per_page=30)
    return render_template(
        "notifications/list_notifications.html", page=page, message_for=services.message_for
    )


@bp.post("/read")
@login_required
def mark_all_read():
    """Mark every notice read."""
    services.mark_read(current_user)
    flash(_("All notices are marked as read."), "success")
    return redirect(url_for("notifications.list_notifications"))


@bp.post("/<int:notice_id>/open")
@login_required
def open_notification(notice_id: int):
    """Mark one notice read and follow its link."""
    notice = db.session.get(Notification, notice_id)
    if notice is None or notice.user_id != current_user.id:
        abort(404)
    services.mark_read(current_user, [notice.id])
    target = safe_next(notice.link) or url_for("notifications.list_notifications")
    return redirect(target)


@bp.app_context_processor
def inject_unread_count():
    user = current_user._get_current_object() if has_request_context() else None
    if user is not None and user.is_authenticated:
        return {"unread_notifications": services.unread_count(user)}
    return {"unread_notifications": 0}

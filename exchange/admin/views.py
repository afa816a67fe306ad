"""Admin pages: institutes, users and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from exchange import access
from exchange.accounts import management
from exchange.accounts.errors import ServiceError
from exchange.accounts.models import Institute, Role, User, UserRole
from exchange.admin import bp
from exchange.admin.forms import InstituteForm, UserForm
from exchange.audit.models import AuditEvent
from exchange.audit.services import EVENTS
from exchange.core.fields import choices
from exchange.core.forms import show_service_error
from exchange.core.pagination import paginate
from exchange.extensions import db
from exchange.members.forms import ROLE_LABELS, role_choices


@bp.before_request
@login_required
def require_admin():
    if not access.can_administer(current_user):
        abort(403)


@bp.get("/")
def dashboard():
    """Admin overview."""
    return redirect(url_for("admin.list_users"))


@bp.get("/institutes")
def list_institutes():
    """List institutes."""
    institutes = db.session.scalars(select(Institute).order_by(Institute.code)).all()
    return render_template("admin/list_institutes.html", institutes=institutes)


@bp.route("/institutes/new", methods=["GET", "POST"], defaults={"institute_id": None})
@bp.route("/institutes/<int:institute_id>", methods=["GET", "POST"])
def edit_institute(institute_id: int | None):
    """Create or edit an institute."""
    institute = None
    if institute_id is not None:
        institute = db.session.get(Institute, institute_id) or abort(404)
    form = InstituteForm(obj=institute)
    if request.method == "GET" and institute is not None:
        form.domains.data = "\n".join(institute.domain_names)
    if form.validate_on_submit():
        try:
            saved = management.save_institute(
                current_user,
                institute,
                code=form.code.data,
                name_en=form.name_en.data,
                name_ko=form.name_ko.data,
                country=form.country.data,
                domains=management.parse_domains(form.domains.data),
                is_active=form.is_active.data,
            )
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            flash(_("Institute %(code)s is saved.", code=saved.code), "success")
            return redirect(url_for("admin.list_institutes"))
    return render_template("admin/edit_institute.html", form=form, institute=institute)


@bp.get("/users")
def list_users():
    """List and filter user accounts."""
    query = select(User).order_by(User.display_name, User.id)
    text = request.args.get("q", "").strip()[:100]
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(or_(User.email.like(pattern), User.display_name.ilike(pattern)))
    institute_code = request.args.get("institute", "")
    if institute_code:
        query = query.join(Institute).where(Institute.code == institute_code)
    role = request.args.get("role", "")
    if role in (Role.COORDINATOR, Role.REVIEWER, Role.ADMIN):
        query = query.where(User.role_rows.any(UserRole.role == role))
    status = request.args.get("status", "")
    if status == "active":
        query = query.where(User.is_active_account.is_(True))
    elif status == "inactive":
        query = query.where(User.is_active_account.is_(False))
    page = paginate(query, per_page=50)
    institutes = db.session.scalars(select(Institute).order_by(Institute.code)).all()
    return render_template(
        "admin/list_users.html",
        page=page,
        institutes=institutes,
        role_labels=ROLE_LABELS,
        filters={"q": text, "institute": institute_code, "role": role, "status": status},
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    """Edit a user's name, institute, roles and status."""
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm(obj=user)
    institutes = db.session.scalars(select(Institute).order_by(Institute.code)).all()
    form.institute.choices = choices((i.id, f"{i.code} · {i.name_en}") for i in institutes)
    form.roles.choices = role_choices(current_user)
    if request.method == "GET":
        form.institute.data = user.institute_id
        form.roles.data = [r.role for r in user.role_rows]
        form.is_active.data = user.is_active_account
    if form.validate_on_submit():
        try:
            management.update_user(
                current_user,
                user,
                display_name=form.display_name.data,
                institute=db.session.get(Institute, form.institute.data),
                roles=form.roles.data,
                is_active=form.is_active.data,
            )
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            flash(_("The account of %(name)s is saved.", name=user.display_name), "success")
            return redirect(url_for("admin.list_users"))
    events = db.session.scalars(
        select(AuditEvent)
        .where(or_(AuditEvent.subject_user_id == user.id, AuditEvent.actor_id == user.id))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(20)
    ).all()
    return render_template("admin/edit_user.html", form=form, user=user, events=events)


def _parse_day(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC) if value else None
    except ValueError:
        return None


@bp.get("/audit")
def list_audit_events():
    """The audit log of security-relevant events, newest first, with filters."""
    query = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    event = request.args.get("event", "")
    if event in EVENTS:
        query = query.where(AuditEvent.event == event)
    email = request.args.get("email", "").strip().lower()[:254]
    if email:
        query = query.where(AuditEvent.email.like(f"%{email}%"))
    since = _parse_day(request.args.get("since", ""))
    if since is not None:
        query = query.where(AuditEvent.created_at >= since)
    page = paginate(query, per_page=50)
    return render_template(
        "admin/list_audit_events.html",
        page=page,
        events=EVENTS,
        filters={"event": event, "email": email, "since": request.args.get("since", "")},
    )

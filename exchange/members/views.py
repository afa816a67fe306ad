"""An institute's members and invitations, for its coordinators and for admins."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from exchange import access
from exchange.accounts import management
from exchange.accounts.errors import ServiceError
from exchange.accounts.models import Institute, Invitation, User
from exchange.core.fields import choices
from exchange.core.forms import show_service_error
from exchange.db import utcnow
from exchange.extensions import db
from exchange.members import bp
from exchange.members.forms import ROLE_LABELS, InviteForm, role_choices


def _institute_or_abort(code: str | None) -> Institute:
    """Load the institute to manage: the user's own unless an admin names another."""
    if not (access.is_admin(current_user) or access.has_role(current_user, "coordinator")):
        abort(403)
    if code:
        institute = db.session.scalar(select(Institute).where(Institute.code == code.upper()))
        if institute is None:
            abort(404)
    else:
        institute = current_user.institute
    if not access.can_manage_institute(current_user, institute):
        abort(404)
    return institute


@bp.get("/")
@login_required
def list_members():
    """List an institute's members and open invitations."""
    institute = _institute_or_abort(request.args.get("institute"))
    members = db.session.scalars(
        select(User).where(User.institute_id == institute.id).order_by(User.display_name)
    ).all()
    invitations = db.session.scalars(
        select(Invitation)
        .where(
            Invitation.institute_id == institute.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.created_at.desc())
    ).all()
    return render_template(
        "members/list_members.html",
        institute=institute,
        members=members,
        invitations=invitations,
        role_labels=ROLE_LABELS,
    )


@bp.route("/invite", methods=["GET", "POST"])
@login_required
def invite_member():
    """Invite a colleague by e-mail."""
    institute = _institute_or_abort(request.args.get("institute"))
    form = InviteForm()
    if access.is_admin(current_user):
        institutes = db.session.scalars(select(Institute).order_by(Institute.code)).all()
    else:
        institutes = [institute]
    locale = str(get_locale())
    form.institute.choices = choices((i.id, f"{i.code} · {i.name_for(locale)}") for i in institutes)
    form.roles.choices = role_choices(current_user)
    if request.method == "GET":
        form.institute.data = institute.id
        form.locale.data = str(get_locale())
    if form.validate_on_submit():
        target = db.session.get(Institute, form.institute.data)
        try:
            management.invite(
                current_user, target, form.email.data, form.roles.data, form.locale.data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Invitation sent to %(email)s.", email=form.email.data), "success")
            return redirect(url_for("members.list_members", institute=target.code))
    return render_template("members/invite_member.html", form=form, institute=institute)


@bp.post("/invitations/<int:invitation_id>/revoke")
@login_required
def revoke_invitation(invitation_id: int):
    """Withdraw an open invitation."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or not access.can_manage_institute(current_user, invitation.institute_id):
        abort(404)
    try:
        management.revoke_invitation(current_user, invitation)
    except ServiceError as error:
        flash(str(error.message), "error")
    else:
        flash(_("The invitation to %(email)s is withdrawn.", email=invitation.email), "success")
    return redirect(url_for("members.list_members", institute=invitation.institute.code))

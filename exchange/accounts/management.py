"""Managing people and institutes: invitations, roles, activation, institute records."""

from __future__ import annotations

import re

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from exchange import access
from exchange.accounts import passwords
from exchange.accounts.errors import ServiceError
from exchange.accounts.models import Institute, InstituteDomain, Invitation, Role, User, UserRole
from exchange.accounts.services import check_password_rules, normalize_email, user_by_email
from exchange.accounts.tokens import hash_token, new_token
from exchange.audit.services import record
from exchange.db import utcnow
from exchange.extensions import db
from exchange.notifications.outbox import external_url, queue_email
from exchange.notifications.services import notify

DOMAIN_RE = re.compile(r"^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
CODE_RE = re.compile(r"^[A-Z][A-Z0-9-]{1,31}$")


def _email_domain_allowed(email: str, institute: Institute) -> bool:
    domain = normalize_email(email).rpartition("@")[2]
    return any(domain == d or domain.endswith("." + d) for d in institute.domain_names)


def _check_roles(actor: User, roles: list[str]) -> list[str]:
    allowed = {role.value for role in access.grantable_roles(actor)}
    unknown = [r for r in roles if r not in allowed]
    if unknown:
        raise ServiceError(_l("You may not grant these roles."), field="roles")
    return sorted(set(roles))


def pending_invitation(email: str) -> Invitation | None:
    return db.session.scalar(
        select(Invitation).where(
            Invitation.email == normalize_email(email),
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    )


def invite(
    actor: User, institute: Institute, email: str, roles: list[str], locale: str
) -> Invitation:
    """E-mail an invitation to join ``institute``; a pending one for the address is replaced."""
    if not access.can_manage_institute(actor, institute):
        raise ServiceError(_l("You may not invite people to this institute."))
    email = normalize_email(email)
    if not access.is_admin(actor) and not _email_domain_allowed(email, institute):
        raise ServiceError(
            _l(
                "Coordinators can invite addresses on their institute's domains only "
                "(%(domains)s).",
                domains=", ".join(institute.domain_names) or "-",
            ),
            field="email",
        )
    if user_by_email(email) is not None:
        raise ServiceError(_l("This person already has an account."), field="email")
    roles = _check_roles(actor, roles)
    previous = pending_invitation(email)
    if previous is not None:
        previous.revoked_at = utcnow()
    raw, digest = new_token()
    invitation = Invitation(
        email=email,
        institute=institute,
        roles=",".join(roles),
        invited_by_id=actor.id,
        token_hash=digest,
        expires_at=utcnow() + current_app.config["INVITATION_MAX_AGE"],
    )
    db.session.add(invitation)
    queue_email(
        email,
        _l("%(name)s invites you to Exchange", name=actor.display_name),
        "invitation",
        locale=locale,
        inviter=actor,
        institute=institute,
        accept_url=external_url("accounts.accept_invitation", token=raw),
        max_age=current_app.config["INVITATION_MAX_AGE"],
    )
    record("invitation_sent", actor=actor, institute=institute, email=email, roles=roles)
    db.session.commit()
    return invitation


def find_invitation(raw: str) -> Invitation | None:
    """Return the open invitation for a raw token, or None if unknown, used, revoked or expired."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(raw))
    )
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= utcnow()
    ):
        return None
    return invitation


def accept_invitation(raw: str, display_name: str, password: str, locale: str) -> User:
    """Create the invitee's account from a single-use invitation; return the signed-up user."""
    invitation = find_invitation(raw)
    if invitation is None:
        raise ServiceError(_l("This invitation is invalid, used, revoked or expired."))
    check_password_rules(password, invitation.email)
    if user_by_email(invitation.email) is not None:
        raise ServiceError(_l("This person already has an account."))
    claimed = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
        .values(accepted_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise ServiceError(_l("This invitation is invalid, used, revoked or expired."))
    now = utcnow()
    user = User(
        email=invitation.email,
        display_name=display_name.strip(),
        password_hash=passwords.hash_password(password),
        institute_id=invitation.institute_id,
        locale=locale,
        email_confirmed_at=now,
        last_sign_in_at=now,
        role_rows=[UserRole(role=r) for r in invitation.role_list],
    )
    db.session.add(user)
    db.session.flush()
    invitation.user_id = user.id
    record("invitation_accepted", actor=user, subject=user, invitation_id=invitation.id)
    notify(user, "welcome", name=user.display_name, institute=invitation.institute.code)
    if invitation.invited_by is not None:
        notify(invitation.invited_by, "invitation_accepted", name=user.display_name)
    db.session.commit()
    return user


def revoke_invitation(actor: User, invitation: Invitation) -> None:
    if not access.can_manage_institute(actor, invitation.institute_id):
        raise ServiceError(_l("You may not manage this invitation."))
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise ServiceError(_l("This invitation is no longer open."))
    invitation.revoked_at = utcnow()
    record(
        "invitation_revoked", actor=actor, institute=invitation.institute, email=invitation.email
    )
    db.session.commit()


def update_user(
    actor: User,
    user: User,
    *,
    display_name: str,
    institute: Institute,
    roles: list[str],
    is_active: bool,
) -> None:
    """Change a user's details, roles and status (admins); every change is audited."""
    if not access.can_administer(actor):
        raise ServiceError(_l("Only platform admins can change accounts."))
    roles = _check_roles(actor, roles)
    if user.id == actor.id and (Role.ADMIN.value not in roles or not is_active):
        raise ServiceError(
            _l("You cannot remove your own admin role or deactivate yourself."), field="roles"
        )
    before = sorted(r.role for r in user.role_rows)
    if before != roles:
        user.role_rows = [UserRole(role=r) for r in roles]
        record("role_changed", actor=actor, subject=user, before=before, after=roles)
        names = ", ".join([Role.MEMBER.value, *roles])
        notify(user, "roles_changed", roles=names)
    if user.is_active_account != is_active:
        user.is_active_account = is_active
        user.session_version += 1
        record("user_activated" if is_active else "user_deactivated", actor=actor, subject=user)
    changes = {}
    if user.display_name != display_name.strip():
        changes["display_name"] = [user.display_name, display_name.strip()]
        user.display_name = display_name.strip()
    if user.institute_id != institute.id:
        changes["institute"] = [user.institute.code, institute.code]
        user.institute = institute
        user.session_version += 1
    if changes:
        record("user_updated", actor=actor, subject=user, changes=changes)
    db.session.commit()


def parse_domains(text: str) -> list[str]:
    """Split a list of domains on commas, spaces or lines and validate each."""
    domains = sorted({d.strip().lower().lstrip("@") for d in re.split(r"[\s,;]+", text or "") if d})
    bad = [d for d in domains if not DOMAIN_RE.match(d)]
    if bad:
        raise ServiceError(
            _l("Not a valid domain: %(domains)s", domains=", ".join(bad)), field="domains"
        )
    return domains


def save_institute(
    actor: User,
    institute: Institute | None,
    *,
    code: str,
    name_en: str,
    name_ko: str,
    country: str,
    domains: list[str],
    is_active: bool,
) -> Institute:
    """Create or update an institute (admins); codes and domains stay unique."""
    if not access.can_administer(actor):
        raise ServiceError(_l("Only platform admins can manage institutes."))
    code = code.strip().upper()
    if not CODE_RE.match(code):
        raise ServiceError(
            _l("Use 2 to 32 capital letters, digits and hyphens, starting with a letter."),
            field="code",
        )
    clash = db.session.scalar(select(Institute).where(Institute.code == code))
    if clash is not None and clash is not institute:
        raise ServiceError(_l("Another institute already uses this code."), field="code")
    taken = db.session.scalars(
        select(InstituteDomain).where(InstituteDomain.domain.in_(domains))
    ).all()
    taken = [d.domain for d in taken if institute is None or d.institute_id != institute.id]
    if taken:
        raise ServiceError(
            _l("Already used by another institute: %(domains)s", domains=", ".join(taken)),
            field="domains",
        )
    creating = institute is None
    if creating:
        institute = Institute(code=code, name_en="", name_ko="", country="")
        db.session.add(institute)
    institute.code = code
    institute.name_en = name_en.strip()
    institute.name_ko = name_ko.strip()
    institute.country = country.strip().upper()
    institute.is_active = is_active
    keep = {d.domain: d for d in institute.domains}
    institute.domains = [keep.get(d) or InstituteDomain(domain=d) for d in domains]
    db.session.flush()
    record(
        "institute_created" if creating else "institute_updated",
        actor=actor,
        institute=institute,
        code=code,
        domains=domains,
    )
    db.session.commit()
    return institute

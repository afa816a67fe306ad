"""Telling the people concerned about each step of an application (in-app and by e-mail).

Each recipient is re-checked against the policy: nobody is told about an application they
may not see.
"""

from __future__ import annotations

from sqlalchemy import select

from exchange.accounts.models import Role, User, UserRole
from exchange.extensions import db
from exchange.notifications.outbox import external_url, queue_email
from exchange.notifications.services import notify
from exchange.rotations import policy
from exchange.rotations.models import Application

# transition -> (kind for the applicant, kind for the others, who the others are)
ROUTES = {
    "submit": (None, "rotation_to_endorse", "home"),
    "endorse": ("rotation_endorsed", "rotation_to_review", "host"),
    "decline_release": ("rotation_release_declined", None, ""),
    "start_review": ("rotation_under_review", "rotation_to_score", "reviewers"),
    "offer": ("rotation_offered", None, ""),
    "waitlist": ("rotation_waitlisted", None, ""),
    "reject": ("rotation_rejected", None, ""),
    "accept": (None, "rotation_accepted", "host+home"),
    "decline": (None, "rotation_declined", "host"),
    "expire": ("rotation_expired", "rotation_expired_host", "host"),
    "place": ("rotation_placed", "rotation_placed_home", "home"),
    "complete": ("rotation_completed", None, ""),
    "withdraw": (None, "rotation_withdrawn", "host+home"),
}


def _coordinators(institute_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.institute_id == institute_id, UserRole.role == Role.COORDINATOR.value)
        )
    )


def _others(application: Application, who: str) -> list[User]:
    people: list[User] = []
    if "home" in who:
        people += _coordinators(application.home_institute_id)
    if "host" in who:
        people += _coordinators(application.program.host_institute_id)
    if who == "reviewers":
        people += [
            r for r in application.program.reviewers if not policy.is_recused(r, application)
        ]
    unique = {p.id: p for p in people if p.is_active}
    return [p for p in unique.values() if policy.can_view_application(p, application)]


def _tell(user: User, kind: str, application: Application, params: dict) -> None:
    link = f"/rotations/applications/{application.id}"
    notify(user, kind, link=link, **params)
    queue_email(
        user.email,
        application.program.title,
        "rotation_update",
        locale=user.locale,
        user=user,
        kind=kind,
        params=params,
        url=external_url("rotations.view_application", application_id=application.id),
    )


def notify_transition(name: str, application: Application, actor, reason: str) -> None:
    """Notify the applicant and/or the people who act next (not the actor)."""
    mine, theirs, who = ROUTES.get(name, (None, None, ""))
    params = {
        "program": application.program.title,
        "name": application.applicant.display_name,
        "reason": reason,
        "date": application.offer_expires_at.date().isoformat()
        if application.offer_expires_at
        else "",
        "rank": application.waitlist_rank or 0,
    }
    actor_id = getattr(actor, "id", None)
    if mine and application.applicant_id != actor_id:
        _tell(application.applicant, mine, application, params)
    if theirs:
        for person in _others(application, who):
            if person.id != actor_id:
                _tell(person, theirs, application, params)

"""The one access policy: who may see or change what, and the ACL tokens search filters on.

Every exit of the application asks this module: views, templates, lists, search (results,
snippets, facets, suggestions), feeds, exports, the API and e-mails. Content that a user may not
see answers 404 so that its existence does not leak.

Content objects (wiki pages, evaluation records, programs) expose:
- ``visibility``: one of :class:`Visibility`;
- ``owner_institute_id``: the institute that owns the content;
- ``allowed_institute_ids``: the institutes listed when visibility is ``institutes``;
- ``embargo_until``: an optional aware datetime before which only the owner institute sees it;
- optionally ``is_published`` and ``team_institute_ids``: unpublished work (a draft record) is
  seen only by the owner and the institutes working on it.

Platform admins manage accounts and institutes; they get no blanket right to read restricted
content, which stays need-to-know.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from sqlalchemy import and_, false, not_, or_, true
from werkzeug.local import LocalProxy

from exchange.accounts.models import Institute, Role, User
from exchange.db import utcnow

PUBLIC_TOKEN = "public"  # noqa: S105 - an ACL token, not a secret
NETWORK_TOKEN = "network"  # noqa: S105


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    NETWORK = "network"
    INSTITUTES = "institutes"


class Guarded(Protocol):
    visibility: str
    owner_institute_id: int | None
    embargo_until: datetime | None

    @property
    def allowed_institute_ids(self) -> Collection[int]: ...


def institute_token(institute_id: int) -> str:
    """Return the ACL token held by members of an institute."""
    return f"inst:{institute_id}"


def coordinator_token(institute_id: int) -> str:
    """Return the ACL token held by the coordinators of an institute (draft programs)."""
    return f"coord:{institute_id}"


def _unproxied(user):
    """The user behind Flask-Login's ``current_user``: each attribute read through the proxy
    looks the user up again (a few context-local look-ups), and a policy reads several."""
    return user._get_current_object() if isinstance(user, LocalProxy) else user


def is_signed_in(user) -> bool:
    """True for an authenticated, active account (anonymous visitors and None are not)."""
    user = _unproxied(user)
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def has_role(user, role: Role) -> bool:
    user = _unproxied(user)
    return is_signed_in(user) and user.has_role(role)


def is_admin(user) -> bool:
    return has_role(user, Role.ADMIN)


def acl_tokens(user) -> frozenset[str]:
    """Return the ACL tokens a user holds; search filters documents on these."""
    user = _unproxied(user)
    if not is_signed_in(user):
        return frozenset({PUBLIC_TOKEN})
    tokens = {PUBLIC_TOKEN, NETWORK_TOKEN, institute_token(user.institute_id)}
    if user.has_role(Role.COORDINATOR):
        tokens.add(coordinator_token(user.institute_id))
    return frozenset(tokens)


def is_embargoed(obj: Guarded, now: datetime | None = None) -> bool:
    return obj.embargo_until is not None and (now or utcnow()) < obj.embargo_until


def object_tokens(obj: Guarded, now: datetime | None = None) -> frozenset[str]:
    """Return the tokens any one of which grants sight of ``obj`` (stored with search documents)."""
    owner = {institute_token(obj.owner_institute_id)} if obj.owner_institute_id else set()
    if getattr(obj, "is_published", True) is False:
        # Work in progress: the owner and the institutes working on it, nobody else.
        team = getattr(obj, "team_institute_ids", ())
        return frozenset(owner | {institute_token(i) for i in team})
    if is_embargoed(obj, now):
        return frozenset(owner)
    visibility = Visibility(obj.visibility)
    if visibility is Visibility.PUBLIC:
        return frozenset({PUBLIC_TOKEN})
    if visibility is Visibility.NETWORK:
        return frozenset({NETWORK_TOKEN})
    return frozenset(owner | {institute_token(i) for i in obj.allowed_institute_ids})


def can_view(user, obj: Guarded, now: datetime | None = None) -> bool:
    """May ``user`` see ``obj`` at all (its title, text, history, attachments, existence)?"""
    return bool(acl_tokens(user) & object_tokens(obj, now))


def can_edit(user, obj: Guarded, now: datetime | None = None) -> bool:
    """May ``user`` change ``obj``? Members of the owning institute who can see it."""
    user = _unproxied(user)
    return (
        is_signed_in(user)
        and obj.owner_institute_id == user.institute_id
        and can_view(user, obj, now)
    )


def can_administer(user) -> bool:
    """May ``user`` manage institutes, every user and read the audit log?"""
    return is_admin(user)


def can_manage_institute(user, institute: Institute | int | None) -> bool:
    """May ``user`` invite to and manage the members of ``institute``?"""
    user = _unproxied(user)
    if institute is None or not is_signed_in(user):
        return False
    institute_id = institute if isinstance(institute, int) else institute.id
    if is_admin(user):
        return True
    return has_role(user, Role.COORDINATOR) and user.institute_id == institute_id


def can_see_user(viewer, user: User) -> bool:
    """May ``viewer`` see another account's management details (roles, status, invitations)?"""
    return viewer is not None and (
        is_admin(viewer) or can_manage_institute(viewer, user.institute_id)
    )


def grantable_roles(actor) -> tuple[Role, ...]:
    """Return the roles ``actor`` may hand out when inviting or editing."""
    if is_admin(actor):
        return (Role.COORDINATOR, Role.REVIEWER, Role.ADMIN)
    if has_role(actor, Role.COORDINATOR):
        return (Role.COORDINATOR, Role.REVIEWER)
    return ()


def visibility_filter(user, model, now: datetime | None = None):
    """Return a SQL condition selecting the rows of ``model`` that ``user`` may see.

    ``model`` maps the Guarded attributes as columns plus an ``allowed_institutes``
    relationship to Institute; models with a workflow also give ``published_clause()`` and
    ``team_clause(institute_id)``. It is the SQL twin of :func:`can_view` (tests check they agree).
    """
    return visibility_condition(
        model,
        user.institute_id if is_signed_in(user) else None,
        utcnow() if now is None else now,
    )


def visibility_condition(model, institute_id, now):
    """The condition of :func:`visibility_filter` for a reader known by institute.

    ``institute_id`` is the reader's institute, or None for a visitor who is not signed in (the
    caller decides that with :func:`is_signed_in`). ``institute_id`` and ``now`` may be bind
    parameters, so that a statement using the condition is built once and run many times.
    """
    open_now = or_(model.embargo_until.is_(None), model.embargo_until <= now)
    published = model.published_clause() if hasattr(model, "published_clause") else true()
    if institute_id is None:
        return and_(published, model.visibility == Visibility.PUBLIC.value, open_now)
    listed = model.allowed_institutes.any(Institute.id == institute_id)
    team = (
        and_(not_(published), model.team_clause(institute_id))
        if hasattr(model, "team_clause")
        else false()
    )
    return or_(
        model.owner_institute_id == institute_id,
        team,
        and_(
            published,
            open_now,
            or_(
                # Not IN (...): a literal IN list is rendered again on every execution.
                model.visibility == Visibility.PUBLIC.value,
                model.visibility == Visibility.NETWORK.value,
                and_(model.visibility == Visibility.INSTITUTES.value, listed),
            ),
        ),
    )


def nothing():
    """A condition that selects no row."""
    return false()


TEMPLATE_HELPERS = {
    "can_view": can_view,
    "can_edit": can_edit,
    "can_administer": can_administer,
    "can_manage_institute": can_manage_institute,
    "is_admin": is_admin,
}

"""The application lifecycle as one explicit state machine.

Every transition is one call to :func:`apply`: it checks that the transition exists from the
current state and that the actor holds the role it needs, then changes the state with a
compare-and-swap, keeps the seat ledger in the same transaction, appends who/when/why to the
timeline, notifies the people concerned and commits. A refused transition changes nothing.
"""

from __future__ import annotations

import random
import time as clock
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from exchange.accounts.errors import ServiceError
from exchange.db import utcnow
from exchange.extensions import db
from exchange.rotations import policy
from exchange.rotations.models import (
    Application,
    ApplicationEvent,
    Placement,
    Program,
    State,
)

APPLICANT, HOME, HOST, SYSTEM = "applicant", "home_coordinator", "host_coordinator", "system"
OPEN_STATES = (
    State.DRAFT,
    State.SUBMITTED,
    State.HOME_ENDORSED,
    State.UNDER_REVIEW,
    State.WAITLISTED,
    State.OFFERED,
    State.ACCEPTED,
)


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[State, ...]
    target: State
    actor: str
    needs_reason: bool = False


TRANSITIONS = {
    t.name: t
    for t in (
        Transition("submit", (State.DRAFT,), State.SUBMITTED, APPLICANT),
        Transition("endorse", (State.SUBMITTED,), State.HOME_ENDORSED, HOME),
        Transition("decline_release", (State.SUBMITTED,), State.HOME_DECLINED, HOME, True),
        Transition("start_review", (State.HOME_ENDORSED,), State.UNDER_REVIEW, HOST),
        Transition("offer", (State.UNDER_REVIEW, State.WAITLISTED), State.OFFERED, HOST),
        Transition("waitlist", (State.UNDER_REVIEW,), State.WAITLISTED, HOST),
        Transition("reject", (State.UNDER_REVIEW, State.WAITLISTED), State.REJECTED, HOST, True),
        Transition("accept", (State.OFFERED,), State.ACCEPTED, APPLICANT),
        Transition("decline", (State.OFFERED,), State.DECLINED, APPLICANT),
        Transition("expire", (State.OFFERED,), State.OFFER_EXPIRED, SYSTEM),
        Transition("place", (State.ACCEPTED,), State.PLACED, HOST),
        Transition("complete", (State.PLACED,), State.COMPLETED, HOST),
        Transition("withdraw", OPEN_STATES, State.WITHDRAWN, APPLICANT),
    )
}
HOLDS_SEAT = (State.OFFERED, State.ACCEPTED, State.PLACED, State.COMPLETED)


class TransitionError(ServiceError):
    """A refused transition (nothing was changed)."""


def actor_role_ok(actor, application: Application, role: str) -> bool:
    if role == SYSTEM:
        return actor is None
    if actor is None:
        return False
    if role == APPLICANT:
        return actor.id == application.applicant_id and actor.is_active
    if role == HOME:
        return policy.is_coordinator_of(actor, application.home_institute_id)
    return policy.can_manage_program(actor, application.program)


def allowed(actor, application: Application, name: str) -> bool:
    """Would ``name`` be allowed now for ``actor`` (before business rules like deadlines)?"""
    transition = TRANSITIONS.get(name)
    return (
        transition is not None
        and State(application.state) in transition.sources
        and actor_role_ok(actor, application, transition.actor)
    )


def available(actor, application: Application) -> list[str]:
    """The transitions ``actor`` may make on ``application`` now (for buttons)."""
    return [name for name in TRANSITIONS if name != "expire" and allowed(actor, application, name)]


def apply(
    actor, application: Application, name: str, reason: str = "", *, now: datetime | None = None
) -> Application:
    """Make one transition, or raise TransitionError and change nothing."""
    attempts = 12
    for attempt in range(attempts):
        try:
            return _apply(actor, application, name, reason, now or utcnow())
        except DBAPIError as error:
            db.session.rollback()
            if not _is_transient(error) or attempt == attempts - 1:
                raise
            # Racing writers: back off a little, randomly, and try again on fresh state.
            clock.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
            application = db.session.get(Application, application.id, populate_existing=True)
    raise AssertionError("unreachable")


def _is_transient(error: DBAPIError) -> bool:
    """SQLite's "database is locked", PostgreSQL's deadlock and serialization failures."""
    sqlstate = getattr(error.orig, "sqlstate", None)
    return sqlstate in ("40P01", "40001") or "database is locked" in str(error).lower()


def _apply(actor, application: Application, name: str, reason: str, now: datetime):
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise TransitionError(_l("Unknown action."))
    if State(application.state) not in transition.sources:
        raise TransitionError(_l("This action is not possible at this stage."))
    if not actor_role_ok(actor, application, transition.actor):
        raise TransitionError(_l("You may not do this."))
    reason = (reason or "").strip()[:2000]
    if transition.needs_reason and not reason:
        raise TransitionError(_l("Please give a reason; the applicant will read it."))
    program = application.program
    source = State(application.state)
    _check_rules(transition, application, program, now)

    changed = db.session.execute(
        update(Application)
        .where(Application.id == application.id, Application.state == source.value)
        .values(state=transition.target.value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        db.session.rollback()
        raise TransitionError(_l("Someone else changed this application just now; reload it."))
    frees_seat = source in HOLDS_SEAT and transition.target not in HOLDS_SEAT
    if transition.target == State.OFFERED:
        _reserve_seat(program)
    elif frees_seat:
        _release_seat(program)
    db.session.refresh(application)
    _side_effects(transition, application, program, now, reason)
    if source == State.WAITLISTED:
        _renumber_waitlist(program)
    db.session.add(
        ApplicationEvent(
            application_id=application.id,
            transition=name,
            from_state=source.value,
            to_state=transition.target.value,
            actor_id=getattr(actor, "id", None),
            reason=reason,
            created_at=now,
        )
    )
    from exchange.rotations.notices import notify_transition

    notify_transition(name, application, actor, reason)
    db.session.flush()
    if frees_seat:
        promote_waitlist(program, now)
    db.session.commit()
    return application


def _check_rules(
    transition: Transition, application: Application, program: Program, now: datetime
) -> None:
    if transition.name == "submit":
        eligible, _why = policy.is_eligible(application.applicant, program)
        if not eligible:
            raise TransitionError(_l("You are not eligible for this program."))
        if program.status != "open" or (program.opens_at and now < program.opens_at):
            raise TransitionError(_l("This program is not open for applications."))
        if program.closes_at and now > program.closes_at:
            raise TransitionError(
                _l(
                    "The application window closed on %(date)s; late applications are not "
                    "accepted.",
                    date=program.closes_at.date().isoformat(),
                )
            )
        if not application.statement.strip():
            raise TransitionError(_l("Write your statement before you submit."))
    if transition.name == "expire" and (
        application.offer_expires_at is None or now <= application.offer_expires_at
    ):
        raise TransitionError(_l("This offer has not expired yet."))
    if (
        transition.name == "accept"
        and application.offer_expires_at
        and now > application.offer_expires_at
    ):
        raise TransitionError(_l("This offer has expired."))
    if transition.name == "place":
        start, end = program.start_date, program.end_date
        if start is None or end is None:
            raise TransitionError(_l("Set the program's dates before placing anyone."))
        overlap = db.session.scalar(
            select(func.count(Placement.id))
            .join(Application, Application.id == Placement.application_id)
            .where(
                Placement.person_id == application.applicant_id,
                Application.state == State.PLACED.value,
                Placement.start_date <= end,
                Placement.end_date >= start,
            )
        )
        if overlap:
            raise TransitionError(_l("This person already has a placement during these dates."))


def _reserve_seat(program: Program) -> None:
    """Take one seat, atomically: the UPDATE only succeeds while a seat is left."""
    taken = db.session.execute(
        update(Program)
        .where(Program.id == program.id, Program.seats_taken < Program.seats)
        .values(seats_taken=Program.seats_taken + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        db.session.rollback()
        raise TransitionError(_l("No seat is left in this program; waitlist the applicant."))
    db.session.expire(program, ["seats_taken"])


def _release_seat(program: Program) -> None:
    db.session.execute(
        update(Program)
        .where(Program.id == program.id, Program.seats_taken > 0)
        .values(seats_taken=Program.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(program, ["seats_taken"])


def _side_effects(transition, application, program, now, reason) -> None:
    if transition.name == "submit":
        application.submitted_at = now
    if transition.target == State.OFFERED:
        application.offer_expires_at = now + timedelta(days=program.offer_valid_days)
        application.waitlist_rank = None
    if transition.name == "waitlist":
        last = db.session.scalar(
            select(func.max(Application.waitlist_rank)).where(
                Application.program_id == program.id, Application.state == "waitlisted"
            )
        )
        application.waitlist_rank = (last or 0) + 1
    if transition.target in (State.OFFERED, State.WAITLISTED, State.REJECTED, State.HOME_DECLINED):
        application.decided_at = now
    if transition.target not in (State.WAITLISTED, State.OFFERED):
        application.waitlist_rank = None
    if transition.name == "place":
        db.session.add(
            Placement(
                application_id=application.id,
                person_id=application.applicant_id,
                host_institute_id=program.host_institute_id,
                home_institute_id=application.home_institute_id,
                start_date=program.start_date,
                end_date=program.end_date,
            )
        )
    if transition.name == "complete" and application.placement is not None:
        application.placement.completed_at = now


def _renumber_waitlist(program: Program) -> None:
    """Keep waitlist ranks 1, 2, 3… so that "2nd in line" stays true when someone leaves."""
    waiting = db.session.scalars(
        select(Application)
        .where(Application.program_id == program.id, Application.state == "waitlisted")
        .order_by(Application.waitlist_rank, Application.id)
    ).all()
    for position, application in enumerate(waiting, start=1):
        application.waitlist_rank = position


def promote_waitlist(program: Program, now: datetime | None = None) -> Application | None:
    """Offer a freed seat to the first waitlisted applicant (no commit)."""
    program = db.session.get(Program, program.id, populate_existing=True)
    if program.seats_taken >= program.seats:
        return None
    waiting = db.session.scalars(
        select(Application)
        .where(Application.program_id == program.id, Application.state == "waitlisted")
        .order_by(Application.waitlist_rank, Application.id)
    ).all()
    for candidate in waiting:  # the first whose state did not change meanwhile gets the seat
        if _offer_from_waitlist(candidate, program, now or utcnow()):
            return candidate
    return None


def _offer_from_waitlist(application: Application, program: Program, now: datetime) -> bool:
    changed = db.session.execute(
        update(Application)
        .where(Application.id == application.id, Application.state == "waitlisted")
        .values(state=State.OFFERED.value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        return False
    _reserve_seat(program)
    db.session.refresh(application)
    _side_effects(TRANSITIONS["offer"], application, program, now, "")
    _renumber_waitlist(program)
    db.session.add(
        ApplicationEvent(
            application_id=application.id,
            transition="offer",
            from_state=State.WAITLISTED.value,
            to_state=State.OFFERED.value,
            actor_id=None,
            reason=str(_l("A seat became free; first on the waitlist.")),
            created_at=now,
        )
    )
    from exchange.rotations.notices import notify_transition

    notify_transition("offer", application, None, "")
    return True


def expire_if_due(application: Application, now: datetime | None = None) -> bool:
    """Enforce offer expiry whenever an application is read; True when it expired now."""
    now = now or utcnow()
    if application.state != State.OFFERED or application.offer_expires_at is None:
        return False
    if now <= application.offer_expires_at:
        return False
    try:
        apply(None, application, "expire", now=now)
    except TransitionError:
        db.session.rollback()
        return False
    return True


def sweep(now: datetime | None = None, program_id: int | None = None) -> int:
    """Expire every overdue offer (of one program, or all), promoting waitlists; return how
    many expired."""
    now = now or utcnow()
    query = select(Application).where(
        Application.state == State.OFFERED.value, Application.offer_expires_at < now
    )
    if program_id is not None:
        query = query.where(Application.program_id == program_id)
    due = db.session.scalars(query).all()
    return sum(expire_if_due(application, now) for application in due)

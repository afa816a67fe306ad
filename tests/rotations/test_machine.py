"""The application lifecycle as one explicit state machine.

Every (state, transition, role) is tried against a table written out by hand from the spec (not
read back from ``machine.TRANSITIONS``, so that a wrong machine fails here): a refused
transition changes nothing (state, timeline, seat ledger, notices, e-mail); an allowed one moves
the state, appends exactly one timeline event with who/from/to/why, keeps the seat ledger and
tells the right people, never anyone who may not see the application. Then the business rules:
reasons, the application window, one active application per person and program, seats, the
waitlist, offer expiry (on read and by the sweep) and one placement per person per period.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from exchange.accounts.errors import ServiceError
from exchange.accounts.models import User
from exchange.db import utcnow
from exchange.extensions import db
from exchange.notifications import outbox
from exchange.notifications.models import Notification, OutboxEmail
from exchange.rotations import machine, policy, services
from exchange.rotations.models import (
    Application,
    ApplicationEvent,
    Placement,
    Program,
    State,
)

ROLES = ("applicant", "home_coordinator", "host_coordinator", "reviewer", "outsider", "system")

# ------------------------------------------------------------------------------------------
# The spec, by hand: transition -> (states it starts from, state it leads to, who makes it).
# An applicant may withdraw while the application is still open: before a placement starts.
WITHDRAWABLE = (
    "draft",
    "submitted",
    "home_endorsed",
    "under_review",
    "waitlisted",
    "offered",
    "accepted",
)
SPEC = {
    "submit": (("draft",), "submitted", "applicant"),
    "endorse": (("submitted",), "home_endorsed", "home_coordinator"),
    "decline_release": (("submitted",), "home_declined", "home_coordinator"),
    "start_review": (("home_endorsed",), "under_review", "host_coordinator"),
    "offer": (("under_review", "waitlisted"), "offered", "host_coordinator"),
    "waitlist": (("under_review",), "waitlisted", "host_coordinator"),
    "reject": (("under_review", "waitlisted"), "rejected", "host_coordinator"),
    "accept": (("offered",), "accepted", "applicant"),
    "decline": (("offered",), "declined", "applicant"),
    "expire": (("offered",), "offer_expired", "system"),
    "place": (("accepted",), "placed", "host_coordinator"),
    "complete": (("placed",), "completed", "host_coordinator"),
    "withdraw": (WITHDRAWABLE, "withdrawn", "applicant"),
}
STATES = (
    "draft",
    "submitted",
    "home_endorsed",
    "home_declined",
    "under_review",
    "offered",
    "waitlisted",
    "rejected",
    "accepted",
    "declined",
    "offer_expired",
    "placed",
    "completed",
    "withdrawn",
)
SEAT_HOLDERS = {"offered", "accepted", "placed", "completed"}
# Who hears about each step (the actor never hears about their own step).
TOLD = {
    "submit": {"home_coordinator"},
    "endorse": {"applicant", "host_coordinator"},
    "decline_release": {"applicant"},
    "start_review": {"applicant", "reviewer"},
    "offer": {"applicant"},
    "waitlist": {"applicant"},
    "reject": {"applicant"},
    "accept": {"host_coordinator", "home_coordinator"},
    "decline": {"host_coordinator"},
    "expire": {"applicant", "host_coordinator"},
    "place": {"applicant", "home_coordinator"},
    "complete": {"applicant"},
    "withdraw": {"host_coordinator", "home_coordinator"},
}
# Who may see an application: the applicant always; the coordinators and the program's reviewer
# once it was sent (a draft, and a draft withdrawn before it was ever sent, stay private).
SEE_SENT = {"applicant", "home_coordinator", "host_coordinator", "reviewer"}


def expected_viewers(state: str, ever_submitted: bool) -> set[str]:
    return SEE_SENT if ever_submitted and state != "draft" else {"applicant"}


def test_the_spec_table_covers_the_machine():
    assert {s.value for s in State} == set(STATES)
    assert set(machine.TRANSITIONS) == set(SPEC)


# ------------------------------------------------------------------------------------------
# A world: host institute (coordinator, assigned reviewer), home institute (coordinator,
# applicant), an unrelated institute (a member with every role), and an open program.


@dataclass
class World:
    users: dict[str, int]
    program_id: int
    application_id: int

    def actor(self, role: str) -> User | None:
        return None if role == "system" else db.session.get(User, self.users[role])

    def program(self) -> Program:
        return db.session.get(Program, self.program_id)

    def application(self, application_id: int | None = None) -> Application:
        return db.session.get(Application, application_id or self.application_id)


def program_fields(**overrides) -> services.ProgramFields:
    now = utcnow()
    values = {
        "title": "Frontier model evaluation rotation",
        "description": "Six months with the evaluations team.",
        "start_date": date(2031, 1, 1),
        "end_date": date(2031, 6, 30),
        "seats": 2,
        "opens_at": now - timedelta(days=10),
        "closes_at": now + timedelta(days=30),
        "status": "open",
        "criteria": services.parse_criteria("Rigour | 3 | Sound methods\nClarity | 1 |"),
    }
    values.update(overrides)
    return services.ProgramFields(**values)


def build_world(make_institute, make_user, **program_overrides) -> World:
    host = make_institute("HOST", domains=["host.example"])
    home = make_institute("HOME", domains=["home.example"])
    other = make_institute("OTHER", domains=["other.example"])
    users = {
        "applicant": make_user(institute=home, display_name="Ada Applicant").id,
        "home_coordinator": make_user(institute=home, roles=["coordinator"]).id,
        "host_coordinator": make_user(institute=host, roles=["coordinator"]).id,
        "reviewer": make_user(institute=host, roles=["reviewer"]).id,
        "outsider": make_user(institute=other, roles=["coordinator", "reviewer"]).id,
    }
    host_coordinator = db.session.get(User, users["host_coordinator"])
    program = services.save_program(
        host_coordinator,
        None,
        program_fields(reviewer_ids=[users["reviewer"]], **program_overrides),
    )
    application = services.save_draft(
        db.session.get(User, users["applicant"]),
        program,
        services.ApplicationFields(statement="I would like to join the evaluations team."),
    )
    return World(users, program.id, application.id)


@pytest.fixture
def world(app, make_institute, make_user):
    with app.app_context():
        built = build_world(make_institute, make_user)
    with app.app_context():
        yield built


def put_in_state(world: World, state: str, application_id: int | None = None) -> None:
    """Set the state directly, with what a real history would have left behind."""
    now = utcnow()
    application_id = application_id or world.application_id
    db.session.execute(
        update(Application)
        .where(Application.id == application_id)
        .values(
            state=state,
            submitted_at=None if state == "draft" else now - timedelta(days=3),
            offer_expires_at=now + timedelta(days=7) if state == "offered" else None,
            waitlist_rank=1 if state == "waitlisted" else None,
        )
    )
    holders = db.session.scalar(
        select(func.count(Application.id)).where(
            Application.program_id == world.program_id,
            Application.state.in_(SEAT_HOLDERS),
        )
    )
    db.session.execute(
        update(Program).where(Program.id == world.program_id).values(seats_taken=holders)
    )
    if state in ("placed", "completed"):
        application = world.application(application_id)
        program = world.program()
        db.session.add(
            Placement(
                application_id=application_id,
                person_id=application.applicant_id,
                host_institute_id=program.host_institute_id,
                home_institute_id=application.home_institute_id,
                start_date=program.start_date,
                end_date=program.end_date,
            )
        )
    db.session.commit()
    db.session.expire_all()


@contextmanager
def scratch():
    """Run one case in a savepoint of the test's transaction and undo it afterwards."""
    connection = db.session.get_bind()
    db.session.close()
    savepoint = connection.begin_nested()
    try:
        yield
    finally:
        db.session.close()
        savepoint.rollback()


@dataclass(frozen=True)
class Snapshot:
    state: str
    seats_taken: int
    events: int
    notices: int
    emails: int


def snapshot(world: World) -> Snapshot:
    """Everything a transition may touch, in one query (flushing the session first)."""
    count = lambda model: select(func.count(model.id)).scalar_subquery()  # noqa: E731
    row = db.session.execute(
        select(
            select(Application.state)
            .where(Application.id == world.application_id)
            .scalar_subquery(),
            select(Program.seats_taken).where(Program.id == world.program_id).scalar_subquery(),
            count(ApplicationEvent),
            count(Notification),
            count(OutboxEmail),
        )
    ).one()
    return Snapshot(*row)


def expected_allowed(state: str, name: str, role: str) -> bool:
    sources, _target, who = SPEC[name]
    return state in sources and role == who


def try_refused(world, actors, state, name, role, before: Snapshot) -> str | None:
    """A refused case: TransitionError and nothing changed. Returns a problem, if any."""
    application = world.application()
    says_yes = (
        "; machine.allowed() says yes" if machine.allowed(actors[role], application, name) else ""
    )
    try:
        machine.apply(actors[role], application, name, reason="because")
    except machine.TransitionError as error:
        after = snapshot(world)
        if after != before:
            return f"refused but changed {before} -> {after}{says_yes}"
        return "refused without saying why" if not str(error) else (says_yes[2:] or None)
    return "allowed but the spec refuses it" + says_yes


def try_allowed(world, state, name, role) -> list[str]:
    """An allowed case: new state, one event, the seat ledger, the right people told."""
    _sources, target, _who = SPEC[name]
    before = snapshot(world)
    actor, application = world.actor(role), world.application()
    problems = [] if machine.allowed(actor, application, name) else ["machine.allowed() says no"]
    # The system expires an offer only once it is due: run that one after the deadline.
    when = utcnow() + timedelta(days=8) if name == "expire" else None
    try:
        machine.apply(actor, application, name, reason="because", now=when)
    except machine.TransitionError as error:
        return [*problems, f"refused ({error}) but the spec allows it"]
    after = snapshot(world)
    if after.state != target:
        problems.append(f"state is {after.state}, not {target}")
    seats = 1 if target in SEAT_HOLDERS else 0
    if after.seats_taken != seats:
        problems.append(f"seats_taken is {after.seats_taken}, not {seats}")
    events = db.session.scalars(
        select(ApplicationEvent).order_by(ApplicationEvent.id).offset(before.events)
    ).all()
    actor_id = world.users.get(role)
    if [(e.transition, e.from_state, e.to_state, e.actor_id, e.reason) for e in events] != [
        (name, state, target, actor_id, "because")
    ]:
        problems.append(f"timeline: {[(e.transition, e.actor_id, e.reason) for e in events]}")
    # The right people are told, in-app and by e-mail, and nobody who may not see it.
    by_id = {uid: r for r, uid in world.users.items()}
    notices = db.session.scalars(
        select(Notification).order_by(Notification.id).offset(before.notices)
    ).all()
    told = sorted(by_id.get(n.user_id, str(n.user_id)) for n in notices)
    viewers = expected_viewers(target, ever_submitted=state != "draft" or name == "submit")
    expected = sorted((TOLD[name] & viewers) - {role})
    if told != expected:
        problems.append(f"told {told}, expected {expected}")
    application = world.application()
    for notice in notices:
        if not policy.can_view_application(db.session.get(User, notice.user_id), application):
            problems.append(f"user {notice.user_id} told but may not see the application")
    mailed = sorted(
        db.session.scalars(
            select(OutboxEmail.recipient).order_by(OutboxEmail.id).offset(before.emails)
        )
    )
    wanted = sorted(db.session.get(User, world.users[r]).email for r in expected)
    if mailed != wanted:
        problems.append(f"e-mailed {mailed}, expected {wanted}")
    placement = db.session.scalar(
        select(Placement).where(Placement.application_id == world.application_id)
    )
    if target == "placed" and (placement is None or placement.start_date != date(2031, 1, 1)):
        problems.append("no placement row after place")
    if target == "completed" and (placement is None or placement.completed_at is None):
        problems.append("placement not marked completed")
    return problems


@pytest.mark.parametrize("state", STATES)
def test_every_transition_and_role_from(world, state):
    """From one state: all 13 transitions x 6 roles (78 cases), allowed iff the spec says so.

    Refused cases run one after the other on the same application, each checked to have changed
    nothing (after a faulty one the savepoint is rolled back and the rest run on a fresh copy);
    each allowed case runs in a savepoint of its own.
    """
    cases = [(name, role) for name in SPEC for role in ROLES]
    refused = [c for c in cases if not expected_allowed(state, *c)]
    allowed = [c for c in cases if expected_allowed(state, *c)]
    problems = []
    todo = iter(refused)
    done = False
    while not done:
        with scratch():
            put_in_state(world, state)
            before = snapshot(world)
            actors = {role: world.actor(role) for role in ROLES}
            for name, role in todo:
                problem = try_refused(world, actors, state, name, role, before)
                if problem:
                    problems.append(f"{name} by {role}: {problem}")
                    break
            else:
                done = True
    for name, role in allowed:
        with scratch():
            put_in_state(world, state)
            problems += [f"{name} by {role}: {p}" for p in try_allowed(world, state, name, role)]
    assert len(refused) + len(allowed) == 78
    assert not problems, f"from {state}:\n" + "\n".join(problems)


# ------------------------------------------------------------------------------------------
# Business rules


def add_applicant(world: World, make_user, name: str, state: str | None = None) -> int:
    """Another applicant from the home institute, with a draft (optionally moved on); its id.

    (make_user closes the session: load objects again after calling this.)
    """
    home = db.session.get(User, world.users["applicant"]).institute
    person = db.session.get(User, make_user(institute=home, display_name=name).id)
    application = services.save_draft(
        person, world.program(), services.ApplicationFields(statement=f"{name} applies.")
    )
    if state:
        put_in_state(world, state, application.id)
    return application.id


def get(application_id: int) -> Application:
    return db.session.get(Application, application_id)


def events_of(application_id: int) -> list[ApplicationEvent]:
    return db.session.scalars(
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id == application_id)
        .order_by(ApplicationEvent.id)
    ).all()


def assert_refused(world, actor, application, name, words, reason="", now=None):
    before = snapshot(world)
    with pytest.raises(machine.TransitionError) as refusal:
        machine.apply(actor, application, name, reason=reason, now=now)
    assert words in str(refusal.value)
    assert snapshot(world) == before
    return refusal.value


@pytest.mark.parametrize("name", ["decline_release", "reject"])
def test_a_reason_is_required_to_say_no(world, name):
    state = "submitted" if name == "decline_release" else "under_review"
    put_in_state(world, state)
    actor = world.actor(SPEC[name][2])
    for blank in ("", "   \n "):
        assert_refused(world, actor, world.application(), name, "reason", reason=blank)
    machine.apply(actor, world.application(), name, reason="  Not this year.  ")
    [event] = events_of(world.application_id)
    assert event.reason == "Not this year."
    [notice] = db.session.scalars(select(Notification)).all()
    assert notice.user_id == world.users["applicant"]
    assert notice.params["reason"] == "Not this year."


def test_submit_only_inside_the_window(world):
    program = world.program()
    applicant = world.actor("applicant")
    late = program.closes_at + timedelta(minutes=1)
    error = assert_refused(world, applicant, world.application(), "submit", "closed", now=late)
    assert program.closes_at.date().isoformat() in str(error)
    assert "late applications are not accepted" in str(error)
    early = program.opens_at - timedelta(minutes=1)
    assert_refused(world, applicant, world.application(), "submit", "not open", now=early)
    db.session.execute(update(Program).values(status="closed"))
    db.session.commit()
    assert_refused(world, applicant, world.application(), "submit", "not open")
    db.session.execute(update(Program).values(status="open"))
    db.session.commit()
    # Inside the window it goes through, and the home coordinator is asked to release.
    machine.apply(applicant, world.application(), "submit")
    application = world.application()
    assert application.state == "submitted" and application.submitted_at is not None
    [notice] = db.session.scalars(select(Notification)).all()
    assert (notice.user_id, notice.kind) == (world.users["home_coordinator"], "rotation_to_endorse")


def test_submit_needs_a_statement(world):
    db.session.execute(update(Application).values(statement=""))
    db.session.commit()
    assert_refused(world, world.actor("applicant"), world.application(), "submit", "statement")


def test_an_inactive_applicant_cannot_act(world):
    put_in_state(world, "offered")
    db.session.execute(
        update(User).where(User.id == world.users["applicant"]).values(is_active_account=False)
    )
    db.session.commit()
    for name in ("accept", "decline", "withdraw"):
        assert_refused(world, world.actor("applicant"), world.application(), name, "may not")


def test_one_active_application_per_person_and_program(world):
    applicant, program = world.actor("applicant"), world.program()
    # The service keeps editing the one draft rather than starting a second.
    again = services.save_draft(applicant, program, services.ApplicationFields(statement="Edit"))
    assert again.id == world.application_id
    put_in_state(world, "under_review")
    with pytest.raises(ServiceError, match="already submitted"):
        services.save_draft(applicant, program, services.ApplicationFields(statement="Again"))
    # The database refuses a second active row whatever the code does (partial unique index).
    db.session.add(
        Application(
            program_id=program.id,
            applicant_id=applicant.id,
            home_institute_id=applicant.institute_id,
            state="draft",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # Once the first one is closed, applying again is fine.
    machine.apply(world.actor("applicant"), world.application(), "withdraw")
    fresh = services.save_draft(
        world.actor("applicant"), world.program(), services.ApplicationFields(statement="Again")
    )
    assert fresh.id != world.application_id and fresh.state == "draft"


def test_no_offer_beyond_the_seats(world, make_user):
    put_in_state(world, "under_review")
    second = add_applicant(world, make_user, "Bea", "under_review")
    third = add_applicant(world, make_user, "Cem", "under_review")
    host = world.actor("host_coordinator")
    machine.apply(host, world.application(), "offer")
    machine.apply(host, get(second), "offer")
    assert world.program().seats_taken == 2
    assert_refused(world, host, get(third), "offer", "No seat is left")
    assert get(third).state == "under_review"
    assert events_of(third) == []
    # Waitlisting is the way.
    machine.apply(host, get(third), "waitlist")
    assert get(third).waitlist_rank == 1


@pytest.mark.parametrize("how", ["decline", "expire", "withdraw", "withdraw_accepted"])
def test_a_freed_seat_goes_to_the_first_on_the_waitlist(world, make_user, mailbox, how):
    put_in_state(world, "under_review")
    bea = add_applicant(world, make_user, "Bea", "under_review")
    cem = add_applicant(world, make_user, "Cem", "under_review")
    dan = add_applicant(world, make_user, "Dan", "under_review")
    host = world.actor("host_coordinator")
    machine.apply(host, world.application(), "offer")
    machine.apply(host, get(bea), "offer")
    # Dan is waitlisted before Cem: rank, not id, decides.
    machine.apply(host, get(dan), "waitlist")
    machine.apply(host, get(cem), "waitlist")
    assert (get(dan).waitlist_rank, get(cem).waitlist_rank) == (1, 2)
    notices_before = db.session.scalar(select(func.count(Notification.id)))
    last_email = db.session.scalar(select(func.max(OutboxEmail.id))) or 0
    outbox.send_due()
    mailbox.clear()

    applicant = world.actor("applicant")
    if how == "decline":
        machine.apply(applicant, world.application(), "decline")
    elif how == "withdraw":
        machine.apply(applicant, world.application(), "withdraw")
    elif how == "withdraw_accepted":
        machine.apply(applicant, world.application(), "accept")
        machine.apply(applicant, world.application(), "withdraw")
    else:
        later = world.application().offer_expires_at + timedelta(seconds=1)
        assert machine.expire_if_due(world.application(), now=later) is True

    promoted = get(dan)
    assert promoted.state == "offered" and promoted.waitlist_rank is None
    assert promoted.offer_expires_at is not None and promoted.offer_expires_at > utcnow()
    assert get(cem).state == "waitlisted"
    assert get(cem).waitlist_rank == 1  # now first in line
    assert world.program().seats_taken == 2
    promotion = events_of(dan)[-1]
    assert (promotion.transition, promotion.from_state, promotion.to_state) == (
        "offer",
        "waitlisted",
        "offered",
    )
    assert promotion.actor_id is None  # the system
    new = db.session.scalars(
        select(Notification).order_by(Notification.id).offset(notices_before)
    ).all()
    assert (promoted.applicant_id, "rotation_offered") in {(n.user_id, n.kind) for n in new}
    dan_email = db.session.get(User, promoted.applicant_id).email
    [queued] = db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.recipient == dan_email, OutboxEmail.id > last_email)
    ).all()
    assert f"/rotations/applications/{dan}" in queued.body_text
    outbox.send_due()
    assert f"/rotations/applications/{dan}" in mailbox.last(dan_email).body


def test_offer_expiry_is_enforced_on_read_and_by_accept(world):
    put_in_state(world, "under_review")
    machine.apply(world.actor("host_coordinator"), world.application(), "offer")
    deadline = world.application().offer_expires_at
    assert deadline - utcnow() > timedelta(days=13)  # offer_valid_days=14
    # Not due yet: reading leaves it alone.
    assert machine.expire_if_due(world.application(), now=deadline) is False
    assert world.application().state == "offered"
    # Past the deadline the applicant can no longer accept, even before anyone read it.
    late = deadline + timedelta(seconds=1)
    applicant = world.actor("applicant")
    assert_refused(world, applicant, world.application(), "accept", "expired", now=late)
    assert machine.expire_if_due(world.application(), now=late) is True
    application = world.application()
    assert application.state == "offer_expired"
    assert world.program().seats_taken == 0
    event = events_of(application.id)[-1]
    assert (event.transition, event.actor_id) == ("expire", None)
    told = {
        (n.user_id, n.kind)
        for n in db.session.scalars(select(Notification).where(Notification.kind.like("%expired%")))
    }
    assert told == {
        (world.users["applicant"], "rotation_expired"),
        (world.users["host_coordinator"], "rotation_expired_host"),
    }
    # Reading it again changes nothing more.
    assert machine.expire_if_due(application, now=late) is False
    assert len(events_of(application.id)) == 2


def test_sweep_expires_every_overdue_offer_and_promotes(world, make_user):
    put_in_state(world, "under_review")
    bea = add_applicant(world, make_user, "Bea", "under_review")
    cem = add_applicant(world, make_user, "Cem", "under_review")
    host = world.actor("host_coordinator")
    now = utcnow()
    machine.apply(host, world.application(), "offer", now=now - timedelta(days=20))
    machine.apply(host, get(bea), "offer", now=now - timedelta(days=1))  # not due yet
    machine.apply(host, get(cem), "waitlist")
    assert machine.sweep(now) == 1
    assert world.application().state == "offer_expired"
    assert get(bea).state == "offered"
    assert get(cem).state == "offered"  # promoted into the freed seat
    assert world.program().seats_taken == 2
    assert machine.sweep(now) == 0
    assert machine.sweep(now + timedelta(days=15)) == 2  # Bea's offer, then Cem's
    assert {get(bea).state, get(cem).state} == {"offer_expired"}
    assert world.program().seats_taken == 0


def test_one_placement_per_person_per_period(world, make_user):
    host = world.actor("host_coordinator")
    applicant = world.actor("applicant")

    def accepted_in(title, start, end):
        program = services.save_program(
            host, None, program_fields(title=title, start_date=start, end_date=end)
        )
        application = services.save_draft(
            applicant, program, services.ApplicationFields(statement="Me again.")
        )
        db.session.execute(
            update(Application).where(Application.id == application.id).values(state="accepted")
        )
        db.session.execute(update(Program).where(Program.id == program.id).values(seats_taken=1))
        db.session.commit()
        return db.session.get(Application, application.id)

    first = accepted_in("Spring", date(2031, 1, 1), date(2031, 6, 30))
    overlapping = accepted_in("Summer", date(2031, 6, 1), date(2031, 9, 30))
    later = accepted_in("Autumn", date(2031, 7, 1), date(2031, 12, 31))
    machine.apply(host, first, "place")
    before = snapshot(world)
    with pytest.raises(machine.TransitionError, match="already has a placement"):
        machine.apply(host, overlapping, "place")
    assert snapshot(world) == before
    assert db.session.get(Application, overlapping.id).state == "accepted"
    assert db.session.get(Application, overlapping.id).placement is None
    machine.apply(host, later, "place")
    assert (
        db.session.scalar(
            select(func.count(Placement.id)).where(Placement.person_id == applicant.id)
        )
        == 2
    )


def test_a_program_without_dates_places_nobody(world):
    db.session.execute(update(Program).values(start_date=None, end_date=None))
    db.session.commit()
    put_in_state(world, "accepted")
    assert_refused(world, world.actor("host_coordinator"), world.application(), "place", "dates")


def test_a_withdrawn_draft_stays_private(world):
    """Nobody but the applicant ever saw the draft; withdrawing it must not show it to others."""
    machine.apply(world.actor("applicant"), world.application(), "withdraw")
    application = world.application()
    assert application.state == "withdrawn"
    for role in ("home_coordinator", "host_coordinator", "reviewer", "outsider"):
        assert not policy.can_view_application(world.actor(role), application), role
        visible = db.session.scalars(
            select(Application.id).where(policy.visible_applications_clause(world.actor(role)))
        ).all()
        assert application.id not in visible, role
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_the_timeline_is_append_only_history(world):
    """A full journey leaves one event per step, in order, each with its actor."""
    steps = ["submit", "endorse", "start_review", "offer", "accept", "place", "complete"]
    for name in steps:
        machine.apply(world.actor(SPEC[name][2]), world.application(), name, reason=f"r-{name}")
    events = events_of(world.application_id)
    assert [e.transition for e in events] == steps
    assert [e.reason for e in events] == [f"r-{n}" for n in steps]
    assert [e.actor_id for e in events] == [world.users[SPEC[n][2]] for n in steps]
    assert all(a.to_state == b.from_state for a, b in pairwise(events))
    assert world.application().state == "completed"
    assert world.program().seats_taken == 1
    assert machine.available(world.actor("applicant"), world.application()) == []


def test_the_system_does_not_expire_an_offer_before_its_deadline(world):
    put_in_state(world, "under_review")
    machine.apply(world.actor("host_coordinator"), world.application(), "offer")
    assert_refused(world, None, world.application(), "expire", "not expired")

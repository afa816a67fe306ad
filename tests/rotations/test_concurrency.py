"""Seats are never over-filled: offering reserves a seat atomically, in the same transaction.

Each test builds its own app on a fresh database (a SQLite file, and a temporary PostgreSQL
database when a server is reachable), commits a program with a few seats and many applications,
then fires transitions from many threads at once. Every thread has its own app context, hence its
own SQLAlchemy session and connection, loads its actor and application itself and waits on a
barrier so that all of them hit the database together.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from exchange import create_app
from exchange.accounts.models import Institute, InstituteDomain, User, UserRole
from exchange.db import utcnow
from exchange.extensions import db
from exchange.rotations import machine, services
from exchange.rotations.models import Application, ApplicationEvent, Program
from tests.support import scratch_database

pytestmark = pytest.mark.own_database

THREADS = 16
SEATS = 3
SEAT_HOLDERS = ("offered", "accepted", "placed", "completed")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    with scratch_database(request.param, tmp_path, "exchange_race") as url:
        yield url


@pytest.fixture
def race_app(database_url, tmp_path):
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            # One connection per thread, and then some: nobody waits for the pool.
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "pool_pre_ping": True,
                "pool_size": THREADS + 4,
                "max_overflow": 4,
            },
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "MAIL_BACKEND": "file",  # nothing is dispatched here; the outbox keeps the mail
        }
    )
    with app.app_context():
        upgrade()
        db.session.remove()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@dataclass
class Seeded:
    host_coordinator: int
    program: int
    applicants: dict[int, int]  # application id -> applicant id


def seed(app, under_review: int, offered: int = 0, waitlisted: int = 0) -> Seeded:
    """A program with SEATS seats and applications in the given states, committed."""
    with app.app_context():
        institutes = {}
        for code in ("HOST", "HOME"):
            institutes[code] = Institute(
                code=code,
                name_en=code,
                name_ko=code,
                country="KR",
                domains=[InstituteDomain(domain=f"{code.lower()}.example")],
            )
        db.session.add_all(institutes.values())
        db.session.flush()

        def person(name, institute, roles=()):
            user = User(
                email=f"{name}@{institute.code.lower()}.example",
                display_name=name,
                institute_id=institute.id,
                email_confirmed_at=utcnow(),
                role_rows=[UserRole(role=r) for r in roles],
            )
            db.session.add(user)
            return user

        host = person("host", institutes["HOST"], ["coordinator"])
        person("home", institutes["HOME"], ["coordinator"])
        people = [person(f"a{n:02d}", institutes["HOME"]) for n in range(under_review + offered)]
        people += [person(f"w{n:02d}", institutes["HOME"]) for n in range(waitlisted)]
        db.session.commit()
        now = utcnow()
        program = services.save_program(
            host,
            None,
            services.ProgramFields(
                title="Race",
                seats=SEATS,
                start_date=date(2031, 1, 1),
                end_date=date(2031, 6, 30),
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=30),
                status="open",
            ),
        )
        applicants = {}
        for n, user in enumerate(people):
            application = services.save_draft(
                user, program, services.ApplicationFields(statement="Let me in.")
            )
            state = "under_review"
            if n >= under_review + offered:
                state = "waitlisted"
            elif n >= under_review:
                state = "offered"
            application.state = state
            application.submitted_at = now
            if state == "offered":
                application.offer_expires_at = now + timedelta(days=7)
            if state == "waitlisted":
                application.waitlist_rank = n
            applicants[application.id] = user.id
        program.seats_taken = offered
        db.session.commit()
        seeded = Seeded(host.id, program.id, applicants)
        db.session.remove()
        return seeded


@dataclass
class Job:
    actor_id: int
    application_id: int
    name: str


def run_together(app, jobs: list[Job]) -> list[tuple[str, str]]:
    """Run every job in its own thread, all released at once; (outcome, detail) per job."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[tuple[str, str]] = [("lost", "the thread never reported")] * len(jobs)

    def work(index: int, job: Job) -> None:
        try:
            with app.app_context():
                actor = db.session.get(User, job.actor_id)
                application = db.session.get(Application, job.application_id)
                application.program  # noqa: B018 - loaded like a request would, before acting
                barrier.wait(timeout=30)
                try:
                    machine.apply(actor, application, job.name)
                except machine.TransitionError as error:
                    outcomes[index] = ("refused", str(error))
                else:
                    outcomes[index] = ("ok", "")
        except Exception as error:  # anything else is a failure of the test's subject
            barrier.abort()
            outcomes[index] = ("error", f"{type(error).__name__}: {error}")

    threads = [
        threading.Thread(target=work, args=(i, job), daemon=True, name=f"race-{i}")
        for i, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, f"threads did not finish: {stuck}"
    return outcomes


def ledger(app, program_id: int) -> tuple[int, dict[str, int], int]:
    """(seats_taken, applications by state, timeline events) as committed."""
    with app.app_context():
        taken = db.session.scalar(select(Program.seats_taken).where(Program.id == program_id))
        states = dict(
            db.session.execute(
                select(Application.state, func.count(Application.id))
                .where(Application.program_id == program_id)
                .group_by(Application.state)
            ).all()
        )
        events = db.session.scalar(select(func.count(ApplicationEvent.id)))
        db.session.remove()
    return taken, states, events


def test_many_concurrent_offers_fill_exactly_the_seats(race_app):
    seeded = seed(race_app, under_review=THREADS)
    jobs = [Job(seeded.host_coordinator, a, "offer") for a in seeded.applicants]
    outcomes = run_together(race_app, jobs)

    errors = [o for o in outcomes if o[0] not in ("ok", "refused")]
    assert errors == [], errors
    succeeded = [o for o in outcomes if o[0] == "ok"]
    refused = [o for o in outcomes if o[0] == "refused"]
    assert len(succeeded) == SEATS, outcomes
    assert len(refused) == THREADS - SEATS
    assert all("No seat is left" in detail for _, detail in refused), refused
    taken, states, events = ledger(race_app, seeded.program)
    assert taken == SEATS
    assert states == {"offered": SEATS, "under_review": THREADS - SEATS}
    assert sum(states.get(s, 0) for s in SEAT_HOLDERS) == taken
    assert events == SEATS  # one timeline event per offer made, none for the refused ones
    with race_app.app_context():
        offered = db.session.scalars(select(Application).where(Application.state == "offered"))
        for application in offered:
            assert application.offer_expires_at is not None
            [event] = db.session.scalars(
                select(ApplicationEvent).where(ApplicationEvent.application_id == application.id)
            ).all()
            assert (event.transition, event.actor_id) == ("offer", seeded.host_coordinator)
        db.session.remove()


def test_answers_offers_and_double_clicks_racing(race_app):
    """All seats offered; the applicants accept, decline and click twice while the host offers
    more seats to others. Declines free seats that go to the waitlist first; nothing is lost."""
    seeded = seed(race_app, under_review=9, offered=SEATS, waitlisted=1)
    ids = sorted(seeded.applicants)
    under_review, offered, [waitlisted] = ids[:9], ids[9 : 9 + SEATS], ids[9 + SEATS :]
    keeper, decliner, second_decliner = offered
    host = seeded.host_coordinator
    jobs = (
        [Job(seeded.applicants[keeper], keeper, "accept")] * 3  # a triple click
        + [Job(seeded.applicants[decliner], decliner, "decline")] * 2  # a double click
        + [Job(seeded.applicants[second_decliner], second_decliner, "decline")]
        + [Job(host, a, "offer") for a in under_review]
        + [Job(host, waitlisted, "offer")]
    )
    assert len(jobs) == THREADS
    outcomes = run_together(race_app, jobs)
    errors = [o for o in outcomes if o[0] not in ("ok", "refused")]
    assert errors == [], errors

    by_job = list(zip(jobs, outcomes, strict=True))
    accepts = [o for j, o in by_job if j.name == "accept"]
    first_declines = [o for j, o in by_job if j.application_id == decliner]
    assert sorted(o[0] for o in accepts) == ["ok", "refused", "refused"]
    assert sorted(o[0] for o in first_declines) == ["ok", "refused"]
    assert [o for j, o in by_job if j.application_id == second_decliner] == [("ok", "")]
    offers_ok = [j.application_id for j, o in by_job if j.name == "offer" and o[0] == "ok"]

    taken, states, events = ledger(race_app, seeded.program)
    holders = sum(states.get(s, 0) for s in SEAT_HOLDERS)
    assert taken == holders <= SEATS, (taken, states)
    assert states.get("accepted") == 1 and states.get("declined") == 2
    # The waitlisted applicant got a seat (promoted by a decline, or offered by the host).
    with race_app.app_context():
        assert db.session.get(Application, waitlisted).state == "offered"
        promotions = db.session.scalar(
            select(func.count(ApplicationEvent.id)).where(ApplicationEvent.actor_id.is_(None))
        )
        db.session.remove()
    # Two seats were freed and at most two were taken again.
    assert len(offers_ok) + promotions <= 2
    assert taken == 1 + len(offers_ok) + promotions
    # Every successful call and every promotion left exactly one event; refusals none.
    assert events == sum(o[0] == "ok" for o in outcomes) + promotions


def test_an_offer_from_the_waitlist_racing_its_automatic_promotion(race_app, monkeypatch):
    """With a seat free and one person waitlisted, the host offers them a seat while another
    applicant declines, which frees a seat and promotes the same person automatically.

    On PostgreSQL the interleaving is forced: the offer has locked the application row and wants
    the program row; the decline has locked the program row (releasing its seat) and wants the
    application row (promoting it). That is a deadlock, which PostgreSQL breaks by aborting one
    transaction; machine.apply retries it. Both calls must end cleanly, the ledger exact.
    """
    seeded = seed(race_app, under_review=0, offered=SEATS - 1, waitlisted=1)
    decliner, _other, waitlisted = sorted(seeded.applicants)
    if race_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        offer_locked_row, seat_released = threading.Event(), threading.Event()
        release, reserve = machine._release_seat, machine._reserve_seat

        def slow_release(program):  # the decline, once the offer holds the application row
            if threading.current_thread().name == "race-1":
                offer_locked_row.wait(5)
            release(program)
            seat_released.set()

        def slow_reserve(program):  # the offer, once the decline holds the program row
            if threading.current_thread().name == "race-0" and not offer_locked_row.is_set():
                offer_locked_row.set()
                seat_released.wait(5)
                time.sleep(0.2)  # let the promotion reach the application row first
            reserve(program)

        monkeypatch.setattr(machine, "_release_seat", slow_release)
        monkeypatch.setattr(machine, "_reserve_seat", slow_reserve)
    jobs = [
        Job(seeded.host_coordinator, waitlisted, "offer"),
        Job(seeded.applicants[decliner], decliner, "decline"),
    ]
    outcomes = run_together(race_app, jobs)
    assert [o[0] for o in outcomes][1] == "ok", outcomes
    assert outcomes[0][0] in ("ok", "refused"), outcomes
    taken, states, events = ledger(race_app, seeded.program)
    assert states == {"offered": SEATS - 1, "declined": 1}, states
    assert taken == SEATS - 1
    with race_app.app_context():
        [offer] = db.session.scalars(
            select(ApplicationEvent).where(ApplicationEvent.application_id == waitlisted)
        ).all()
        db.session.remove()
    # Offered exactly once: by the host, or by the system promoting it.
    assert offer.actor_id == (seeded.host_coordinator if outcomes[0][0] == "ok" else None)
    assert events == 2


def test_the_ledger_check_constraint_is_the_last_line(race_app):
    """Even a direct write cannot push seats_taken past seats."""
    seeded = seed(race_app, under_review=1)
    with race_app.app_context():
        db.session.execute(
            update(Program).where(Program.id == seeded.program).values(seats_taken=SEATS)
        )
        db.session.commit()
        with pytest.raises(IntegrityError, match=r"(?i)check|constraint"):
            db.session.execute(
                update(Program).where(Program.id == seeded.program).values(seats_taken=SEATS + 1)
            )
            db.session.commit()
        db.session.rollback()
        db.session.remove()

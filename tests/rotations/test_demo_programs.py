"""The demo rotation programmes: loaded once through the services, every state, flagged."""

from sqlalchemy import func, select

from exchange.accounts.models import Role, User
from exchange.demo import DEMO_PASSWORD, demo_email, load_demo_data
from exchange.evaluations.demo_records import load_demo_records
from exchange.extensions import db
from exchange.notifications.models import OutboxEmail
from exchange.rotations import policy
from exchange.rotations.demo_programs import load_demo_programs
from exchange.rotations.models import (
    SEAT_STATES,
    Application,
    ApplicationEvent,
    Placement,
    Program,
    Review,
    State,
)
from exchange.wiki.demo_loader import load_demo_pages
from exchange.wiki.models import Page


def _load_all() -> int:
    load_demo_data()
    load_demo_pages()
    load_demo_records()
    return load_demo_programs()


def test_demo_programs_load_once_with_every_state(app):
    with app.app_context():
        load_demo_data()
        load_demo_pages()
        load_demo_records()
        assert load_demo_programs() == 6
        assert load_demo_programs() == 0

        programs = db.session.scalars(select(Program)).all()
        assert len(programs) == 6 and all(p.is_demo for p in programs)
        assert {p.host_institute.code for p in programs} == {
            "UK-AISI",
            "US-CAISI",
            "KR-AISI",
            "JP-AISI",
            "SG-AISI",
            "EU-AIO",
        }
        states = [a.state for a in db.session.scalars(select(Application))]
        assert set(states) == {s.value for s in State}
        assert states.count(State.WAITLISTED) >= 2
        for program in programs:
            assert program.reviewers and program.criteria
            held = sum(1 for a in program.applications if a.state in SEAT_STATES)
            assert program.seats_taken == held <= program.seats, program.slug
            for application in program.applications:
                assert application.applicant.is_demo
                assert policy.is_eligible(application.applicant, program)[0]
                assert application.home_institute_id != program.host_institute_id

        ranks = sorted(
            a.waitlist_rank
            for a in db.session.scalars(
                select(Application).where(Application.state == "waitlisted")
            )
        )
        assert ranks == [1, 2]
        by_slug = {p.slug: p for p in programs}
        bilateral = by_slug["korean-language-safety-evaluation-rotation"]
        assert {i.code for i in bilateral.eligible_institutes} == {"KR-AISI", "UK-AISI"}
        assert {p.status for p in programs} == {"open", "closed"}

        # every non-draft application has a timeline that starts with its submission
        for application in db.session.scalars(
            select(Application).where(Application.state != "draft")
        ):
            first = application.events[0]
            assert (first.transition, first.from_state) == ("submit", "draft")
            assert application.submitted_at is not None
        assert db.session.scalar(select(func.count(Review.id))) >= 20

        completed = db.session.scalar(select(Application).where(Application.state == "completed"))
        placement = completed.placement
        assert placement.completed_at is not None
        page = db.session.get(Page, placement.exit_report_page_id)
        assert page.kind == "rotation_report" and page.is_demo and page.visibility == "network"
        placed = db.session.scalar(select(Application).where(Application.state == "placed"))
        assert placed.placement.start_date.year == 2026
        assert db.session.scalar(select(func.count(Placement.id))) == 2

        expired = db.session.scalar(select(Application).where(Application.state == "offer_expired"))
        assert [e.actor_id for e in expired.events if e.transition == "expire"] == [None]
        reasons = db.session.scalars(
            select(ApplicationEvent.reason).where(
                ApplicationEvent.transition.in_(["reject", "decline_release"])
            )
        ).all()
        assert reasons and all(r.strip() for r in reasons)
        # no mail to the demo accounts' reserved addresses is left queued by the loader
        demo_mail = select(func.count(OutboxEmail.id)).where(
            OutboxEmail.recipient.in_(select(User.email).where(User.is_demo.is_(True)))
        )
        assert db.session.scalar(demo_mail) == 0


def test_extra_coordinators_are_demo_accounts(app, client):
    with app.app_context():
        _load_all()
        for code, local in (("SG-AISI", "coordinator"), ("EU-AIO", "coordinator")):
            user = db.session.scalar(select(User).where(User.email == demo_email(code, local)))
            assert user.is_demo and user.is_active and Role.COORDINATOR in user.roles
            assert user.institute.code == code
    response = client.post(
        "/sign-in", data={"email": "coordinator@sg-aisi.example", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302


def test_demo_cli_runs_twice(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["exchange", "demo"])
    assert first.exit_code == 0, first.output
    assert "6 rotation programs" in first.output
    assert "coordinator@eu-aio.example" in first.output
    second = runner.invoke(args=["exchange", "demo"])
    assert second.exit_code == 0, second.output
    assert "0 rotation programs" in second.output

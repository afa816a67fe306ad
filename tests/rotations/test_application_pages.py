"""Application pages over HTTP: apply, the whole lifecycle with its e-mails, privacy, reviews,
conflicts, CVs, offer expiry on read, and the sweep and purge commands."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from exchange.accounts.models import User
from exchange.db import utcnow
from exchange.extensions import db
from exchange.rotations import machine, services
from exchange.rotations.models import (
    Application,
    ApplicationEvent,
    ConflictDeclaration,
    Criterion,
    Placement,
    Program,
    Review,
)
from exchange.wiki.models import Page
from tests.support import DEFAULT_PASSWORD

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@dataclass
class ProgramRef:
    id: int
    slug: str
    title: str
    criteria: list[int]


@dataclass
class World:
    program: ProgramRef
    applicant: User  # KR-AISI
    home: User  # KR-AISI coordinator
    host: User  # UK-AISI coordinator, runs the program
    reviewer: User  # UK-AISI reviewer of the program
    home_reviewer: User  # KR-AISI reviewer assigned to the program: recused from KR applicants
    outsider: User  # JP-AISI member
    outsider_coordinator: User  # JP-AISI coordinator


def make_program(app, host, reviewers=(), **overrides) -> ProgramRef:
    now = utcnow()
    values = {
        "title": "Agentic evaluations rotation",
        "description": "Six months on the agentic evaluations team.",
        "status": "open",
        "opens_at": now - timedelta(days=1),
        "closes_at": now + timedelta(days=10),
        "seats": 1,
        "start_date": date.today() + timedelta(days=60),
        "end_date": date.today() + timedelta(days=240),
        "reviewer_ids": [r.id for r in reviewers],
        "criteria": [("Technical depth", 3, "Hands-on evaluation work"), ("Fit", 1, "")],
        **overrides,
    }
    with app.app_context():
        program = services.save_program(
            db.session.get(User, host.id), None, services.ProgramFields(**values)
        )
        criteria = db.session.scalars(
            select(Criterion.id)
            .where(Criterion.program_id == program.id)
            .order_by(Criterion.position)
        ).all()
        return ProgramRef(program.id, program.slug, program.title, list(criteria))


@pytest.fixture
def world(app, people, make_user) -> World:
    host = make_user(institute=people.uk_institute, roles=["coordinator"], display_name="Host Co")
    reviewer = make_user(institute=people.uk_institute, roles=["reviewer"], display_name="Rev UK")
    program = make_program(app, host, [reviewer])
    with app.app_context():
        # A reviewer from the applicant's own institute (e.g. one who moved since being assigned).
        row = db.session.get(Program, program.id)
        row.reviewers.append(db.session.get(User, people.kr2.id))
        db.session.commit()
    return World(
        program=program,
        applicant=people.kr,
        home=make_user(institute=people.kr_institute, roles=["coordinator"], display_name="Home"),
        host=host,
        reviewer=reviewer,
        home_reviewer=people.kr2,
        outsider=people.jp,
        outsider_coordinator=make_user(institute=people.jp_institute, roles=["coordinator"]),
    )


@pytest.fixture
def browser(app, mailbox):
    """One signed-in test client per user: browser(user)."""
    clients = {}

    def open_as(user):
        if user.id not in clients:
            client = app.test_client()
            response = client.post(
                "/sign-in", data={"email": user.email, "password": DEFAULT_PASSWORD}
            )
            assert response.status_code == 302, response.text
            clients[user.id] = client
        return clients[user.id]

    return open_as


def apply_form(**overrides):
    data = {
        "statement": "I would like to learn how you run agentic evaluations.",
        "skills": "Inspect, red teaming",
        "languages": "Korean, English",
        "available_from": "2027-01-01",
        "available_until": "2027-06-30",
    }
    data.update(overrides)
    return data


def submitted(app, program: ProgramRef, applicant: User, statement="My statement.") -> int:
    """An application made and submitted through the services (for set-up)."""
    with app.app_context():
        user = db.session.get(User, applicant.id)
        application = services.save_draft(
            user, db.session.get(Program, program.id), services.ApplicationFields(statement)
        )
        machine.apply(user, application, "submit")
        return application.id


def advance(app, application_id: int, *steps) -> None:
    """Make transitions directly: advance(app, id, (actor, "endorse"), ...)."""
    with app.app_context():
        for actor, name in steps:
            application = db.session.get(Application, application_id)
            reason = "Set-up." if machine.TRANSITIONS[name].needs_reason else ""
            machine.apply(db.session.get(User, actor.id), application, name, reason)


def act(client, application_id: int, transition: str, reason: str = ""):
    return client.post(
        f"/rotations/applications/{application_id}/transition",
        data={"transition": transition, "reason": reason},
    )


def state_of(fetch, application_id: int) -> str:
    return fetch(Application, application_id).state


def mail_to(mailbox, user: User, text: str):
    found = [m for m in mailbox.to(user.email) if text in m.body]
    assert found, f"no e-mail to {user.email} saying {text!r}: {[m.body for m in mailbox.messages]}"
    return found[-1]


def test_full_lifecycle_over_http_with_emails(app, world, browser, mailbox, fetch):
    applicant = browser(world.applicant)
    url = f"/rotations/{world.program.slug}/apply"
    assert applicant.get(url).status_code == 200

    response = applicant.post(
        url, data=apply_form(cv=(io.BytesIO(PDF), "my-cv.pdf"), save="Save draft")
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    page = applicant.get(url).text
    assert "agentic evaluations." in page and "my-cv.pdf" in page

    response = applicant.post(url, data=apply_form(send="Submit"))
    assert response.status_code == 302
    application_id = int(re.search(r"/applications/(\d+)$", response.headers["Location"])[1])
    assert state_of(fetch, application_id) == "submitted"
    mail = mail_to(mailbox, world.home, "As their home coordinator, release them")
    assert mail.subject == world.program.title
    assert mail.path("/rotations/applications/") == f"/rotations/applications/{application_id}"

    home = browser(world.home)
    assert world.program.title in home.get("/rotations/endorsements").text
    mailbox.clear()
    assert act(home, application_id, "endorse").status_code == 302
    assert state_of(fetch, application_id) == "home_endorsed"
    mail_to(mailbox, world.applicant, "Your home institute released you")
    mail_to(mailbox, world.host, "is ready for review")

    host = browser(world.host)
    mailbox.clear()
    act(host, application_id, "start_review")
    assert state_of(fetch, application_id) == "under_review"
    mail_to(mailbox, world.applicant, "The host is now reviewing your application")
    mail_to(mailbox, world.reviewer, "Please score")
    assert not mailbox.to(world.home_reviewer.email)  # recused: not even told

    reviewer = browser(world.reviewer)
    queue = reviewer.get("/rotations/reviews").text
    assert f"/rotations/applications/{application_id}" in queue and "not scored yet" in queue
    review_url = f"/rotations/applications/{application_id}/review"
    form = reviewer.get(review_url)
    assert form.status_code == 200 and "Technical depth" in form.text
    assert "Hands-on evaluation work" in form.text and "weight 3" in form.text
    first, second = world.program.criteria
    response = reviewer.post(
        review_url,
        data={
            f"score_{first}": "4",
            f"score_{second}": "2",
            "comment_text": "Strong Inspect work.",
        },
    )
    assert response.status_code == 302
    assert "not scored yet" not in reviewer.get("/rotations/reviews").text

    host_view = host.get(f"/rotations/applications/{application_id}").text
    assert "Strong Inspect work." in host_view and "Weighted score: 3.5 of 5" in host_view
    mailbox.clear()
    act(host, application_id, "offer")
    assert state_of(fetch, application_id) == "offered"
    mail_to(mailbox, world.applicant, "You are offered a seat")

    view = applicant.get(f"/rotations/applications/{application_id}").text
    assert "Offered a seat: please accept or decline by" in view
    assert "Weighted score" not in view and "Strong Inspect work." not in view
    assert "Accept the offer" in view
    mailbox.clear()
    act(applicant, application_id, "accept")
    assert state_of(fetch, application_id) == "accepted"
    mail_to(mailbox, world.host, "accepted the offer")
    mail_to(mailbox, world.home, "accepted the offer")

    mailbox.clear()
    act(host, application_id, "place")
    assert state_of(fetch, application_id) == "placed"
    mail_to(mailbox, world.applicant, "Your placement in")
    mail_to(mailbox, world.home, "is placed in")

    mailbox.clear()
    act(host, application_id, "complete")
    assert state_of(fetch, application_id) == "completed"
    mail_to(mailbox, world.applicant, "Please file your exit report")

    report_url = f"/rotations/applications/{application_id}/exit-report"
    assert applicant.get(report_url).status_code == 200
    assert host.get(report_url).status_code == 403
    response = applicant.post(
        report_url,
        data={
            "title": "What I learned hosting agentic evaluations",
            "source": "We ran **Inspect** sandboxes daily.",
            "visibility": "network",
        },
    )
    assert response.status_code == 302
    wiki_path = response.headers["Location"]
    assert wiki_path.startswith("/wiki/")
    assert "sandboxes daily" in applicant.get(wiki_path).text
    page = fetch(Page, slug=wiki_path.removeprefix("/wiki/"))
    assert page.kind == "rotation_report"
    placement = fetch(Placement, application_id=application_id)
    assert placement.exit_report_page_id == page.id

    final = applicant.get(f"/rotations/applications/{application_id}").text
    assert f'href="{wiki_path}"' in final
    for step in ("Submit the application", "Release (endorse)", "Start the review", "Offer a seat"):
        assert step in final  # the timeline
    assert applicant.get(report_url).status_code == 302  # already filed: to the wiki page


def test_draft_is_kept_and_shown_again(app, world, browser, fetch):
    applicant = browser(world.applicant)
    url = f"/rotations/{world.program.slug}/apply"
    statement = "Half-written: I want to work on <multilingual> refusals."
    assert applicant.post(url, data=apply_form(statement=statement, save="1")).status_code == 302
    page = applicant.get(url).text
    assert "Half-written: I want to work on &lt;multilingual&gt; refusals." in page
    assert 'value="Inspect, red teaming"' in page and 'value="2027-06-30"' in page
    application = fetch(Application, applicant_id=world.applicant.id)
    assert application.state == "draft"
    assert f"/rotations/applications/{application.id}" in applicant.get("/rotations/mine").text
    # The draft is the applicant's alone.
    assert browser(world.home).get(f"/rotations/applications/{application.id}").status_code == 404


def test_submission_after_the_deadline_is_refused_with_the_text_kept(app, world, browser, fetch):
    now = utcnow()
    late = make_program(
        app,
        world.host,
        title="Closed rotation",
        opens_at=now - timedelta(days=20),
        closes_at=now - timedelta(days=1),
    )
    applicant = browser(world.applicant)
    response = applicant.post(
        f"/rotations/{late.slug}/apply",
        data=apply_form(statement="Sent one day late.", send="Submit"),
    )
    assert response.status_code == 400
    assert "The application window closed on" in response.text
    assert "late applications are not accepted" in response.text
    assert "Sent one day late." in response.text
    assert fetch(Application, applicant_id=world.applicant.id).state == "draft"


def test_eligibility_and_visibility_of_the_apply_page(app, world, browser, make_user, people):
    host_staff = browser(world.host)
    url = f"/rotations/{world.program.slug}/apply"
    page = host_staff.get(url)
    assert page.status_code == 200 and "hosted by your own institute" in page.text
    assert host_staff.post(url, data=apply_form(save="1")).status_code == 403

    only_jp = make_program(app, world.host, title="JP only", eligible_ids=[people.jp_institute.id])
    refused = browser(world.applicant).get(f"/rotations/{only_jp.slug}/apply")
    assert "not open to staff of your institute" in refused.text

    hidden = make_program(app, world.host, title="Draft program", status="draft")
    assert browser(world.applicant).get(f"/rotations/{hidden.slug}/apply").status_code == 404
    assert browser(world.applicant).get("/rotations/no-such-program/apply").status_code == 404
    assert app.test_client().get(url).status_code == 302  # sign in first


def test_privacy_of_applications_cvs_and_queues(app, world, browser, fetch):
    applicant = browser(world.applicant)
    url = f"/rotations/{world.program.slug}/apply"
    applicant.post(url, data=apply_form(cv=(io.BytesIO(PDF), "cv.pdf"), send="Submit"))
    application_id = fetch(Application, applicant_id=world.applicant.id).id
    advance(app, application_id, (world.home, "endorse"), (world.host, "start_review"))
    page = f"/rotations/applications/{application_id}"

    for outsider in (world.outsider, world.outsider_coordinator):
        client = browser(outsider)
        assert client.get(page).status_code == 404
        assert client.get(f"{page}/cv").status_code == 404
        assert client.get(f"{page}/review").status_code == 404
        assert act(client, application_id, "offer").status_code == 404
        for queue in ("/rotations/mine", "/rotations/endorsements", "/rotations/reviews"):
            listed = client.get(queue)
            assert listed.status_code == 200 and page not in listed.text

    # The home institute's reviewer is recused: no application, no scores, no review page.
    recused = browser(world.home_reviewer)
    assert recused.get(page).status_code == 404
    assert recused.get(f"{page}/review").status_code == 404
    assert page not in recused.get("/rotations/reviews").text

    # The home coordinator follows the application but does not see scores.
    with app.app_context():
        services.save_review(
            db.session.get(User, world.reviewer.id),
            db.session.get(Application, application_id),
            dict.fromkeys(world.program.criteria, 5),
            "Secret reviewer note.",
        )
    home_view = browser(world.home).get(page).text
    assert "Secret reviewer note." not in home_view and "Weighted score" not in home_view
    assert "Secret reviewer note." not in applicant.get(page).text
    assert browser(world.home).get(f"{page}/review").status_code == 403

    cv = browser(world.host).get(f"{page}/cv")
    assert cv.status_code == 200 and cv.data == PDF
    assert cv.headers["Content-Disposition"].startswith("attachment")
    assert cv.headers["X-Content-Type-Options"] == "nosniff"
    assert cv.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_declaring_a_conflict_recuses_the_reviewer(app, world, browser, fetch):
    application_id = submitted(app, world.program, world.applicant)
    advance(app, application_id, (world.home, "endorse"), (world.host, "start_review"))
    reviewer = browser(world.reviewer)
    page = f"/rotations/applications/{application_id}"
    first, second = world.program.criteria
    reviewer.post(f"{page}/review", data={f"score_{first}": "3", f"score_{second}": "3"})
    assert fetch(Review, application_id=application_id) is not None

    missing = reviewer.post(f"{page}/conflict", data={"reason": " "})
    assert missing.status_code == 400 and "Say briefly what the tie is." in missing.text

    response = reviewer.post(f"{page}/conflict", data={"reason": "We co-authored a paper."})
    assert response.status_code == 302 and response.headers["Location"] == "/rotations/reviews"
    assert fetch(ConflictDeclaration, application_id=application_id).reviewer_id == (
        world.reviewer.id
    )
    assert fetch(Review, application_id=application_id) is None
    assert reviewer.get(page).status_code == 404
    assert reviewer.get(f"{page}/review").status_code == 404
    assert page not in reviewer.get("/rotations/reviews").text


def test_a_refused_transition_changes_nothing(app, world, browser, fetch):
    application_id = submitted(app, world.program, world.applicant)

    def events() -> int:
        with app.app_context():
            return db.session.scalar(
                select(func.count(ApplicationEvent.id)).where(
                    ApplicationEvent.application_id == application_id
                )
            )

    before = events()
    applicant, home, host = browser(world.applicant), browser(world.home), browser(world.host)
    assert act(applicant, application_id, "endorse").status_code == 403
    assert act(host, application_id, "teleport").status_code == 403
    assert act(host, application_id, "expire").status_code == 403

    response = act(home, application_id, "decline_release", reason="  ")
    assert response.status_code == 302
    assert "Please give a reason" in home.get(response.headers["Location"]).text
    response = act(host, application_id, "offer")
    assert (
        "This action is not possible at this stage." in host.get(response.headers["Location"]).text
    )
    assert state_of(fetch, application_id) == "submitted" and events() == before
    assert fetch(Program, world.program.id).seats_taken == 0

    response = act(home, application_id, "decline_release", reason="Needed on a project.")
    assert state_of(fetch, application_id) == "home_declined"
    assert "Needed on a project." in applicant.get(f"/rotations/applications/{application_id}").text


def test_cv_type_and_size_limits_keep_the_form(app, world, browser, fetch, monkeypatch):
    applicant = browser(world.applicant)
    url = f"/rotations/{world.program.slug}/apply"
    statement = "Kept after a refused CV."

    word = applicant.post(
        url, data=apply_form(statement=statement, cv=(io.BytesIO(b"PK\x03\x04"), "cv.docx"))
    )
    assert word.status_code == 400 and "Upload your CV as a PDF file." in word.text
    assert statement in word.text

    fake = applicant.post(
        url, data=apply_form(statement=statement, cv=(io.BytesIO(b"<html>"), "cv.pdf"))
    )
    assert fake.status_code == 400 and "The file is not a PDF." in fake.text

    monkeypatch.setitem(app.config, "ROTATION_CV_MAX_BYTES", 1024)
    big = applicant.post(
        url, data=apply_form(statement=statement, cv=(io.BytesIO(PDF + b"0" * 2048), "cv.pdf"))
    )
    assert big.status_code == 400 and "The CV is larger than" in big.text
    assert statement in big.text
    application = fetch(Application, applicant_id=world.applicant.id)
    assert application.cv_sha256 is None and application.state == "draft"


def _offered_and_waitlisted(app, world) -> tuple[int, int]:
    first = submitted(app, world.program, world.applicant)
    second = submitted(app, world.program, world.outsider)
    advance(app, first, (world.home, "endorse"), (world.host, "start_review"))
    advance(app, second, (world.outsider_coordinator, "endorse"), (world.host, "start_review"))
    advance(app, first, (world.host, "offer"))
    advance(app, second, (world.host, "waitlist"))
    with app.app_context():
        db.session.execute(
            update(Application)
            .where(Application.id == first)
            .values(offer_expires_at=utcnow() - timedelta(hours=1))
        )
        db.session.commit()
    return first, second


def test_offer_expiry_is_enforced_when_the_application_is_read(app, world, browser, mailbox, fetch):
    first, second = _offered_and_waitlisted(app, world)
    page = browser(world.applicant).get(f"/rotations/applications/{first}")
    assert page.status_code == 200
    assert "The offer expired before you answered." in page.text
    assert state_of(fetch, first) == "offer_expired"
    assert state_of(fetch, second) == "offered"
    assert fetch(Program, world.program.id).seats_taken == 1
    mail_to(mailbox, world.outsider, "You are offered a seat")
    mail_to(mailbox, world.applicant, "expired before you answered")
    assert (
        "Accept the offer" in browser(world.outsider).get(f"/rotations/applications/{second}").text
    )


def test_cli_sweep_expires_offers_and_promotes_the_waitlist(app, world, mailbox, fetch):
    first, second = _offered_and_waitlisted(app, world)
    result = app.test_cli_runner().invoke(args=["exchange", "rotations", "sweep"])
    assert result.exit_code == 0, result.output
    assert "1 offers expired; 1 seats offered to the next on the waitlist" in result.output
    assert state_of(fetch, first) == "offer_expired" and state_of(fetch, second) == "offered"
    mail_to(mailbox, world.outsider, "You are offered a seat")

    again = app.test_cli_runner().invoke(args=["exchange", "rotations", "sweep"])
    assert "0 offers expired" in again.output


def test_cli_purge_erases_old_personal_data(app, world, browser, fetch):
    applicant = browser(world.applicant)
    applicant.post(
        f"/rotations/{world.program.slug}/apply",
        data=apply_form(cv=(io.BytesIO(PDF + b"purge"), "cv.pdf"), send="Submit"),
    )
    application = fetch(Application, applicant_id=world.applicant.id)
    with app.app_context():
        path = services.cv_path(application.cv_sha256)
    assert path.exists()
    advance(app, application.id, (world.applicant, "withdraw"))

    runner = app.test_cli_runner()
    result = runner.invoke(args=["exchange", "rotations", "purge"])
    assert result.exit_code == 0 and "0 applications" in result.output  # closed just now

    with app.app_context():
        db.session.execute(
            update(Application)
            .where(Application.id == application.id)
            .values(updated_at=utcnow() - timedelta(days=30 * 30))
        )
        db.session.commit()
    result = runner.invoke(args=["exchange", "rotations", "purge", "--months", "24"])
    assert result.exit_code == 0 and "1 applications" in result.output
    purged = fetch(Application, application.id)
    assert purged.statement == "" and purged.cv_sha256 is None and purged.purged_at is not None
    assert not path.exists()
    assert applicant.get(f"/rotations/applications/{application.id}/cv").status_code == 404

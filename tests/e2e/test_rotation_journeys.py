"""Browser journeys through staff rotations: apply, release, review, offer, place, report;
an unanswered offer expiring in favour of the waitlist.

Every journey makes a program of its own under a unique title, hosted by JP-AISI (its demo
coordinator and reviewer have an English interface and no other journey uses them). The
applicants and their home coordinator are fresh SG-AISI accounts made for each journey in the
live app's own database (the demo data has no SG-AISI coordinator unless the rotation demo is
loaded), so no journey depends on the demo rotation programs or on the other journeys (see
test_journeys.py, test_wiki_journeys.py and test_evaluation_journeys.py for the accounts those
use). Each actor has a browser context of their own.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask_babel import force_locale, format_date
from playwright.sync_api import Locator, Page, Response, expect
from sqlalchemy import select

from exchange.accounts.models import Institute, Role, User, UserRole
from exchange.db import utcnow
from exchange.demo import DEMO_PASSWORD
from exchange.extensions import db
from exchange.rotations import machine, services
from exchange.rotations.models import Application, Program
from exchange.wiki.models import Page as WikiPage
from tests.support import Mailbox, Received

HOST = "coordinator@jp-aisi.example"  # Sato Yuki (coordinator), English interface
REVIEWER = "reviewer@jp-aisi.example"  # Tanaka Ren (reviewer), English interface
REVIEWER_CHOICE = "Tanaka Ren (reviewer) (reviewer@jp-aisi.example)"
HOME_INSTITUTE = "SG-AISI"
HOME_DOMAIN = "sg-aisi.example"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def submit(page: Page, button: Locator) -> Response:
    """Click a submit button and wait for the page it leads to; return its response."""
    with page.expect_navigation() as navigation:
        button.click()
    response = navigation.value
    assert response is not None
    return response


def follow(page: Page, link: Locator) -> None:
    with page.expect_navigation():
        link.click()


def main(page: Page) -> Locator:
    return page.get_by_role("main")


def flash(page: Page) -> Locator:
    return page.get_by_role("status")


def status_line(page: Page) -> Locator:
    """The application's status line ("Status: …") under its heading."""
    return main(page).locator("p.application-status")


def act(page: Page, action: str, reason: str = "") -> Response:
    """Press one of the application's action buttons ("What you can do now")."""
    actions = page.locator("#actions")
    form = actions.locator("form").filter(has=page.get_by_role("button", name=action, exact=True))
    if reason:
        form.get_by_role("textbox").fill(reason)
    response = submit(page, form.get_by_role("button", name=action, exact=True))
    assert response.ok, response.status
    expect(flash(page)).to_contain_text(f"Done: {action}.")
    return response


def sign_in(page: Page, email: str) -> None:
    """Sign in through the form and check the interface is English."""
    page.goto("/sign-in")
    page.get_by_label("E-mail address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    response = submit(
        page, page.get_by_role("main").get_by_role("button", name="Sign in", exact=True)
    )
    assert response.ok, response.status
    expect(page.get_by_role("banner").locator("details.menu > summary")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def open_rotations(page: Page, subnav: str = "") -> None:
    """Rotations (header navigation), then optionally a link of the rotations navigation."""
    nav = page.get_by_role("navigation", name="Main", exact=True)
    follow(page, nav.get_by_role("link", name="Rotations", exact=True))
    if subnav:
        rotations = main(page).get_by_role("navigation", name="Rotations", exact=True)
        follow(page, rotations.get_by_role("link", name=subnav, exact=True))


def wait_for_mail(mailbox: Mailbox, address: str, containing: str, timeout: float = 10) -> Received:
    """The newest message to ``address`` whose body contains ``containing`` (bounded wait)."""
    deadline = time.monotonic() + timeout
    while True:
        with mailbox.lock:
            found = [m for m in mailbox.to(address) if containing in m.body]
            seen = [(m.recipients, m.subject) for m in mailbox.messages if address in m.recipients]
        if found:
            return found[-1]
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"no e-mail to {address} containing {containing!r} within {timeout} s; got {seen}"
            )
        time.sleep(0.05)


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def make_account(app: Flask, label: str, *, coordinator: bool = False) -> tuple[str, str]:
    """A fresh, confirmed, English SG-AISI account with the demo password: (e-mail, name)."""
    token = uuid.uuid4().hex[:10]
    email = f"e2e-{label}-{token}@{HOME_DOMAIN}"
    name = f"{label.capitalize()} {token[:6]}"
    with app.app_context():
        try:
            institute = db.session.scalar(select(Institute).where(Institute.code == HOME_INSTITUTE))
            # The demo accounts' hash of DEMO_PASSWORD: no slow hashing per account.
            password_hash = db.session.scalar(select(User.password_hash).where(User.email == HOST))
            assert institute is not None and password_hash
            roles = [UserRole(role=Role.COORDINATOR.value)] if coordinator else []
            db.session.add(
                User(
                    email=email,
                    display_name=name,
                    password_hash=password_hash,
                    institute=institute,
                    locale="en",
                    email_confirmed_at=utcnow(),
                    role_rows=roles,
                )
            )
            db.session.commit()
        finally:
            db.session.remove()
    return email, name


def application_of(app: Flask, email: str, title: str) -> tuple[int, datetime | None]:
    """(id, offer_expires_at) of ``email``'s application to the program titled ``title``."""
    with app.app_context():
        try:
            application = db.session.scalar(
                select(Application)
                .join(Program, Program.id == Application.program_id)
                .join(User, User.id == Application.applicant_id)
                .where(Program.title == title, User.email == email)
            )
            assert application is not None, (email, title)
            return application.id, application.offer_expires_at
        finally:
            db.session.remove()


def offer_wording(app: Flask, expires_at: datetime) -> str:
    """What an applicant reads about an open offer, with the deadline as the app writes it."""
    with app.test_request_context(), force_locale("en"):
        deadline = format_date(expires_at, "long")
    return f"Offered a seat: please accept or decline by {deadline}."


def today_utc() -> date:
    return datetime.now(UTC).date()


# --------------------------------------------------------------------------------------------
# Journeys
# --------------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_apply_release_review_offer_place_and_report(live_server, new_context):
    """From a new program to the exit report in the wiki, with the e-mails on the way."""
    app, mailbox = live_server.app, live_server.mailbox
    applicant_email, applicant_name = make_account(app, "applicant")
    home_email, _home_name = make_account(app, "home", coordinator=True)
    title = unique("Agentic evaluations rotation")
    statement = "I would port our Inspect agent tasks and bring the sandboxing practice home."
    today = today_utc()
    start, end = today + timedelta(days=60), today + timedelta(days=150)

    host = new_context().new_page()
    applicant = new_context().new_page()
    home = new_context().new_page()
    reviewer = new_context().new_page()

    # The host coordinator publishes a program: 1 seat, open from today, one reviewer.
    sign_in(host, HOST)
    open_rotations(host, "New program")
    expect(host.get_by_role("heading", name="New program", exact=True, level=1)).to_be_visible()
    host.get_by_label("Title", exact=True).fill(title)
    host.get_by_label("Description", exact=True).fill("Six months with the agents team.")
    host.get_by_label("Location", exact=True).fill("Tokyo")
    host.get_by_label("Starts on", exact=True).fill(start.isoformat())
    host.get_by_label("Ends on", exact=True).fill(end.isoformat())
    host.get_by_label("Seats", exact=True).fill("1")
    host.get_by_label("Applications open on", exact=True).fill(today.isoformat())
    host.get_by_label("Applications close on", exact=True).fill(
        (today + timedelta(days=30)).isoformat()
    )
    host.get_by_label("Days to answer an offer", exact=True).fill("7")
    host.get_by_label("Status", exact=True).select_option(label="Open for applications")
    host.get_by_label(REVIEWER_CHOICE, exact=True).check()
    host.get_by_label("Review criteria", exact=True).fill(
        "Evaluation experience | 3 | Has run Inspect evaluations.\n"
        "Communication | 1 | Writes clearly for a mixed audience.\n"
    )
    response = submit(host, main(host).get_by_role("button", name="Save", exact=True))
    assert response.ok, response.status
    expect(flash(host)).to_contain_text("The program is saved.")
    expect(host.get_by_role("heading", name=title, level=1)).to_be_visible()
    program_path = host.url.removeprefix(live_server.url)
    assert re.fullmatch(r"/rotations/[a-z0-9-]+", program_path), program_path
    criteria = host.locator("#criteria")
    expect(criteria.get_by_role("rowheader", name="Evaluation experience")).to_be_visible()
    expect(criteria.get_by_role("rowheader", name="Communication")).to_be_visible()

    # The applicant writes a draft with a CV, comes back to it later, then submits.
    sign_in(applicant, applicant_email)
    applicant.goto(program_path)
    apply_box = applicant.get_by_role("region", name="Applying", exact=True)
    expect(apply_box).to_contain_text("You are eligible")
    follow(applicant, apply_box.get_by_role("link", name="Apply", exact=True))
    expect(applicant.get_by_role("heading", name=f"Apply to {title}", level=1)).to_be_visible()
    applicant.get_by_label("Statement", exact=True).fill(statement)
    applicant.get_by_label("Skills", exact=True).fill("Inspect, Python")
    applicant.get_by_label("CV (PDF)", exact=True).set_input_files(
        {"name": "cv.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    submit(applicant, main(applicant).get_by_role("button", name="Save draft", exact=True))
    expect(flash(applicant)).to_contain_text("Your draft is saved.")

    applicant.goto(program_path)
    expect(apply_box).to_contain_text("You have applied: Draft.")
    follow(applicant, apply_box.get_by_role("link", name="Your application", exact=True))
    expect(status_line(applicant)).to_contain_text("Draft: not sent yet.")
    expect(main(applicant).get_by_role("link", name="cv.pdf", exact=True)).to_be_visible()
    follow(applicant, main(applicant).get_by_role("link", name="Edit the draft", exact=True))
    expect(applicant.get_by_label("Statement", exact=True)).to_have_value(statement)
    expect(main(applicant).locator(".current-cv")).to_contain_text("cv.pdf")
    submit(applicant, main(applicant).get_by_role("button", name="Submit", exact=True))
    expect(flash(applicant)).to_contain_text("Your application is submitted.")
    expect(status_line(applicant)).to_contain_text(
        "Sent: waiting for your home institute to release you."
    )
    application_url = applicant.url
    application_path = application_url.removeprefix(live_server.url)

    mail = wait_for_mail(mailbox, home_email, f"{applicant_name} applied to “{title}”")
    assert mail.subject == title, mail.subject
    assert application_url in mail.links(), mail.body

    # The home coordinator releases the applicant from the endorsement queue.
    sign_in(home, home_email)
    open_rotations(home, "To release")
    expect(home.get_by_role("heading", name="Applications to release", level=1)).to_be_visible()
    follow(home, main(home).get_by_role("link", name=title, exact=True))
    expect(main(home)).to_contain_text(statement)
    act(home, "Release (endorse)")
    expect(status_line(home)).to_contain_text("Released by home institute")

    # The host coordinator starts the review from the program's pipeline.
    host.goto(program_path)
    follow(host, main(host).get_by_role("link", name="Applications", exact=True))
    follow(host, main(host).get_by_role("link", name=applicant_name, exact=True))
    act(host, "Start the review")
    expect(status_line(host)).to_contain_text("Under review")

    # The reviewer scores every criterion from the review queue.
    sign_in(reviewer, REVIEWER)
    open_rotations(reviewer, "To review")
    item = main(reviewer).get_by_role("listitem").filter(has_text=title)
    expect(item).to_contain_text("not scored yet")
    follow(reviewer, item.get_by_role("link", name=title, exact=True))
    follow(reviewer, main(reviewer).get_by_role("link", name="Score this application"))
    reviewer.get_by_label("Evaluation experience (weight 3)", exact=True).select_option("4")
    reviewer.get_by_label("Communication (weight 1)", exact=True).select_option("2")
    reviewer.get_by_label("Comment", exact=True).fill("Strong Inspect record; terse write-ups.")
    submit(reviewer, main(reviewer).get_by_role("button", name="Save my scores", exact=True))
    expect(flash(reviewer)).to_contain_text("Your scores are saved.")

    # The host sees the weighted score, (3 * 4 + 1 * 2) / 4, and offers the seat.
    host.reload()
    reviews = host.locator("#reviews")
    expect(reviews).to_contain_text("Weighted score: 3.5 of 5")
    expect(reviews).to_contain_text("Strong Inspect record; terse write-ups.")
    act(host, "Offer a seat")
    expect(status_line(host)).to_contain_text("Offered")

    # The applicant reads the plain status (no scores) and accepts.
    _id, expires_at = application_of(app, applicant_email, title)
    assert expires_at is not None
    applicant.goto(application_path)
    expect(status_line(applicant)).to_contain_text(offer_wording(app, expires_at))
    expect(applicant.locator("#reviews")).to_have_count(0)
    mail = wait_for_mail(mailbox, applicant_email, f"You are offered a seat in “{title}”")
    assert f"Please answer by {expires_at.date().isoformat()}." in mail.body, mail.body
    assert application_url in mail.links(), mail.body
    act(applicant, "Accept the offer")
    expect(status_line(applicant)).to_contain_text("You accepted")

    # The host places the applicant, then marks the placement completed.
    host.reload()
    act(host, "Start the placement")
    expect(status_line(host)).to_contain_text("Placed")
    act(host, "Mark the placement completed")
    expect(status_line(host)).to_contain_text("Completed")

    # The applicant files the exit report: a wiki page linked from the application.
    applicant.reload()
    expect(status_line(applicant)).to_contain_text("Completed. Thank you")
    placement = applicant.locator("#placement")
    follow(applicant, placement.get_by_role("link", name="File your exit report", exact=True))
    report_title = f"{title}: {applicant_name}"
    expect(applicant.get_by_label("Title", exact=True)).to_have_value(report_title)
    applicant.get_by_label("Report (Markdown)", exact=True).fill(
        "# What I did\n\nPorted four agent tasks to the home sandbox.\n"
    )
    submit(
        applicant,
        main(applicant).get_by_role("button", name="Publish the exit report", exact=True),
    )
    expect(flash(applicant)).to_contain_text("your exit report is published in the wiki")
    expect(applicant).to_have_url(re.compile(r"/wiki/[^/]+$"))
    report_path = applicant.url.removeprefix(live_server.url)
    expect(applicant.get_by_role("heading", name=report_title, level=1)).to_be_visible()
    page_header = main(applicant).locator("article header")
    expect(page_header.locator(".badge").first).to_have_text("Rotation report")
    content = applicant.locator(".wiki-content")
    expect(content).to_contain_text("Ported four agent tasks to the home sandbox.")
    expect(content.get_by_role("link", name=title, exact=True)).to_have_attribute(
        "href", program_path
    )
    with app.app_context():
        try:
            wiki_page = db.session.scalar(
                select(WikiPage).where(WikiPage.slug == report_path.removeprefix("/wiki/"))
            )
            assert wiki_page is not None and wiki_page.kind == "rotation_report", wiki_page
        finally:
            db.session.remove()

    applicant.goto(application_path)
    link = applicant.locator("#placement").get_by_role("link", name=report_title, exact=True)
    expect(link).to_have_attribute("href", report_path)
    expect(
        applicant.locator("#placement").get_by_role("link", name="File your exit report")
    ).to_have_count(0)


@pytest.mark.e2e
def test_expired_offer_goes_to_the_waitlist(live_server, new_context):
    """A's offer runs out unanswered; B, first on the waitlist, is offered the seat and told."""
    app, mailbox = live_server.app, live_server.mailbox
    a_email, a_name = make_account(app, "first")
    b_email, b_name = make_account(app, "second")
    home_email, _home_name = make_account(app, "home", coordinator=True)
    title = unique("Red-teaming rotation")
    today = today_utc()

    # Set up through the services: a 1-seat program, both applications under review.
    with app.app_context():
        try:

            def user(email: str) -> User:
                found = db.session.scalar(select(User).where(User.email == email))
                assert found is not None, email
                return found

            host_user, home_user = user(HOST), user(home_email)
            now = utcnow()
            program = services.save_program(
                host_user,
                None,
                services.ProgramFields(
                    title=title,
                    start_date=today + timedelta(days=60),
                    end_date=today + timedelta(days=150),
                    seats=1,
                    opens_at=now - timedelta(days=1),
                    closes_at=now + timedelta(days=30),
                    offer_valid_days=7,
                    status="open",
                    criteria=[("Red-teaming experience", 1, "")],
                ),
            )
            for email in (a_email, b_email):
                applicant = user(email)
                fields = services.ApplicationFields(statement=f"Statement of {email}.")
                application = services.save_draft(applicant, program, fields)
                machine.apply(applicant, application, "submit")
                machine.apply(home_user, application, "endorse")
                machine.apply(host_user, application, "start_review")
            slug = program.slug
        finally:
            db.session.remove()

    # The host offers the seat to A and waitlists B, from the pipeline.
    host = new_context().new_page()
    sign_in(host, HOST)
    host.goto(f"/rotations/{slug}/pipeline")
    expect(host.get_by_role("heading", name=f"Applications to {title}", level=1)).to_be_visible()
    expect(main(host)).to_contain_text("1 of 1 seats left")
    follow(host, main(host).get_by_role("link", name=a_name, exact=True))
    act(host, "Offer a seat")
    host.goto(f"/rotations/{slug}/pipeline")
    follow(host, main(host).get_by_role("link", name=b_name, exact=True))
    act(host, "Put on the waitlist")
    expect(main(host)).to_contain_text("Place on the waitlist")

    a_id, a_expires = application_of(app, a_email, title)
    b_id, _b_expires = application_of(app, b_email, title)
    assert a_expires is not None
    first = new_context().new_page()
    second = new_context().new_page()
    sign_in(first, a_email)
    sign_in(second, b_email)
    first.goto(f"/rotations/applications/{a_id}")
    expect(status_line(first)).to_contain_text(offer_wording(app, a_expires))
    second.goto(f"/rotations/applications/{b_id}")
    expect(status_line(second)).to_contain_text("Waitlisted, 1st in line.")

    # A lets the offer run out: its deadline passes unanswered.
    with app.app_context():
        try:
            application = db.session.get(Application, a_id)
            application.offer_expires_at = utcnow() - timedelta(minutes=1)
            db.session.commit()
        finally:
            db.session.remove()

    # Expiry is enforced whenever the state is read: A opening the application is enough.
    first.reload()
    expect(status_line(first)).to_contain_text("The offer expired before you answered.")
    expect(first.locator("#actions")).to_have_count(0)
    mail = wait_for_mail(mailbox, a_email, f"Your offer for “{title}” expired")
    assert mail.subject == title, mail.subject

    _b_id, b_expires = application_of(app, b_email, title)
    assert b_expires is not None and b_expires > utcnow() + timedelta(days=6), b_expires
    second.reload()
    expect(status_line(second)).to_contain_text(offer_wording(app, b_expires))
    expect(
        second.locator("#actions").get_by_role("button", name="Accept the offer")
    ).to_be_visible()
    timeline = second.locator("#timeline")
    expect(timeline.get_by_role("listitem").last).to_contain_text("Exchange (automatic)")
    expect(timeline).to_contain_text("A seat became free; first on the waitlist.")
    mail = wait_for_mail(mailbox, b_email, f"You are offered a seat in “{title}”")
    assert f"Please answer by {b_expires.date().isoformat()}." in mail.body, mail.body
    assert f"{live_server.url}/rotations/applications/{b_id}" in mail.links(), mail.body

    # The host sees the seat gone to B.
    host.goto(f"/rotations/{slug}/pipeline")
    expect(main(host)).to_contain_text("0 of 1 seats left")
    expect(main(host).locator("#state-offered").get_by_role("link", name=b_name)).to_be_visible()
    expect(
        main(host).locator("#state-offer_expired").get_by_role("link", name=a_name)
    ).to_be_visible()

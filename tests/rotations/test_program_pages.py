"""Program pages: browse with filters and eligibility, read, create and edit (host
coordinators), the pipeline, and the statistics page with its CSV export.

Role and action matrix (200 / 403 / 404); "host" is the program's institute:

| page              | member | host reviewer | host coordinator | other coordinator | admin |
|-------------------|--------|---------------|------------------|-------------------|-------|
| list, open one    | 200    | 200           | 200              | 200               | 200   |
| draft program     | 404    | 404           | 200              | 404               | 404   |
| new program       | 403    | 403           | 200              | 200 (own)         | 403   |
| edit open program | 403    | 403           | 200              | 403               | 403   |
| pipeline          | 403    | 200           | 200              | 403               | 403   |
| statistics, CSV   | 403    | 403           | 200              | 200               | 200   |
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest

from exchange.accounts.models import User
from exchange.db import utcnow
from exchange.extensions import db
from exchange.rotations import machine, services
from exchange.rotations.models import Application, Program
from tests.support import count_queries

FORM = {
    "title": "Agentic red-teaming rotation",
    "description": "Six months with the **red team**.\n\n<script>alert(1)</script>",
    "focus_areas": "agentic red-teaming, cyber evaluations",
    "skills_sought": "Inspect, Python",
    "location": "Seoul",
    "start_date": "2031-01-01",
    "end_date": "2031-06-30",
    "seats": "2",
    "opens_at": "2030-01-10",
    "closes_at": "2030-03-31",
    "required_clearance": "baseline",
    "offer_valid_days": "10",
    "status": "open",
    "criteria": "Evaluation experience | 3 | Has run Inspect evaluations\nClarity | 1 |",
}


@pytest.fixture
def coordinators(make_user, people):
    return {
        "kr": make_user(institute=people.kr_institute, roles=["coordinator"], display_name="Kang"),
        "uk": make_user(institute=people.uk_institute, roles=["coordinator"], display_name="Reed"),
        "jp": make_user(institute=people.jp_institute, roles=["coordinator"], display_name="Ito"),
    }


def make_program(app, host_coordinator, **overrides) -> Program:
    """A program saved through the service, open now unless told otherwise."""
    now = utcnow()
    values = {
        "title": "Frontier evaluation rotation",
        "description": "Work with the evaluations team.",
        "focus_areas": "frontier evaluations",
        "skills_sought": "statistics",
        "location": "Seoul",
        "start_date": date(2031, 1, 1),
        "end_date": date(2031, 6, 30),
        "seats": 2,
        "opens_at": now - timedelta(days=10),
        "closes_at": now + timedelta(days=30),
        "status": "open",
        "criteria": [("Rigour", 3, "Sound methods"), ("Clarity", 1, "")],
    }
    values.update(overrides)
    with app.app_context():
        actor = db.session.get(User, host_coordinator.id)
        program = services.save_program(actor, None, services.ProgramFields(**values))
        db.session.refresh(program)
        db.session.expunge(program)
        return program


def submit_application(app, applicant, program, statement="I want to learn.", now=None):
    with app.app_context():
        user = db.session.get(User, applicant.id)
        application = services.save_draft(
            user, db.session.get(Program, program.id), services.ApplicationFields(statement)
        )
        machine.apply(user, application, "submit", now=now)
        return application.id


def move(app, actor, application_id, *names, now=None, reason="Reason given."):
    with app.app_context():
        user = db.session.get(User, actor.id)
        for name in names:
            application = db.session.get(Application, application_id)
            machine.apply(user, application, name, reason, now=now)


def fresh(fetch, program) -> Program:
    return fetch(Program, slug=program.slug)


# ------------------------------------------------------------------------ creating and editing


def test_coordinator_creates_a_program_through_the_form(
    app, client, auth, people, coordinators, fetch
):
    auth.sign_in(coordinators["kr"].email)
    assert client.get("/rotations/new").status_code == 200
    form = {**FORM, "eligible": [str(people.uk_institute.id)], "reviewers": [str(people.kr2.id)]}
    response = client.post("/rotations/new", data=form)
    assert response.status_code == 302
    slug = response.headers["Location"].rsplit("/", 1)[-1]
    assert slug == "agentic-red-teaming-rotation"

    with app.app_context():
        program = db.session.scalar(db.select(Program).where(Program.slug == slug))
        assert program.host_institute_id == people.kr_institute.id
        assert program.opens_at == datetime(2030, 1, 10, tzinfo=UTC)
        assert program.closes_at == datetime.combine(date(2030, 3, 31), time(23, 59, 59), UTC)
        assert program.seats == 2 and program.offer_valid_days == 10
        assert program.required_clearance == "baseline"
        assert [i.code for i in program.eligible_institutes] == ["UK-AISI"]
        assert [u.id for u in program.reviewers] == [people.kr2.id]
        assert [(c.name, c.weight, c.description) for c in program.criteria] == [
            ("Evaluation experience", 3, "Has run Inspect evaluations"),
            ("Clarity", 1, ""),
        ]

    page = client.get(f"/rotations/{slug}").text
    assert "<strong>red team</strong>" in page  # the stored, sanitised HTML
    assert "<script>alert(1)</script>" not in page
    assert "Evaluation experience" in page and "Has run Inspect evaluations" in page
    assert f'href="/rotations/{slug}/edit"' in page


def test_the_form_offers_other_institutes_and_host_colleagues_only(
    client, auth, people, coordinators
):
    auth.sign_in(coordinators["kr"].email)
    page = client.get("/rotations/new").text
    assert f'value="{people.uk_institute.id}"' in page
    assert f'value="{people.jp_institute.id}"' in page
    assert f'name="eligible" type="checkbox" value="{people.kr_institute.id}"' not in page
    assert people.kr2.display_name in page  # a colleague at the host
    assert people.uk.display_name not in page  # not a colleague


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"seats": "-1"}, "seats", "Number must be between 0 and 500."),
        ({"end_date": "2030-12-01"}, "end_date", "The program ends before it starts."),
        ({"closes_at": "2030-01-01"}, "closes_at", "Applications close before they open."),
        ({"criteria": "Rigour | heavy | x"}, "criteria", "Line 1: the weight must be a whole"),
        ({"criteria": "Rigour | 11 |"}, "criteria", "give a name and a weight from 1 to 10"),
        ({"required_clearance": "top_secret"}, "required_clearance", "Not a valid choice"),
    ],
)
def test_field_errors_keep_the_input(app, client, auth, coordinators, changes, field, message):
    auth.sign_in(coordinators["kr"].email)
    response = client.post("/rotations/new", data={**FORM, **changes})
    assert response.status_code == 400
    page = response.text
    assert f'id="{field}-error"' in page
    assert message in page
    # What the user typed is still there.
    assert "Seoul" in page and "Inspect, Python" in page
    if field != "criteria":
        assert "Evaluation experience | 3 | Has run Inspect evaluations" in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Program.id))) == 0


@pytest.mark.parametrize("who", ["kr", "kr2"])
def test_members_and_reviewers_may_not_create_programs(client, auth, people, who):
    auth.sign_in(getattr(people, who).email)
    assert client.get("/rotations/new").status_code == 403
    assert client.post("/rotations/new", data=FORM).status_code == 403
    assert 'href="/rotations/new"' not in client.get("/rotations/").text


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for path in ("/rotations/", "/rotations/new", "/rotations/stats"):
        response = client.get(path)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_editing_shows_the_saved_values_and_saves_changes(
    app, client, auth, people, coordinators, fetch
):
    program = make_program(app, coordinators["kr"], reviewer_ids=[people.kr2.id])
    auth.sign_in(coordinators["kr"].email)
    page = client.get(f"/rotations/{program.slug}/edit").text
    assert "Rigour | 3 | Sound methods\nClarity | 1" in page
    assert re.search(
        rf'<input checked id="reviewers-\d+" name="reviewers"[^>]*value="{people.kr2.id}"', page
    )

    form = {**FORM, "title": "Renamed", "seats": "5", "criteria": "Rigour | 2 | Sound"}
    response = client.post(f"/rotations/{program.slug}/edit", data=form)
    assert response.status_code == 302
    saved = fresh(fetch, program)
    assert saved.title == "Renamed" and saved.seats == 5 and saved.slug == program.slug

    bad = client.post(f"/rotations/{program.slug}/edit", data={**form, "end_date": "2029-01-01"})
    assert bad.status_code == 400 and "Renamed" in bad.text
    assert "The program ends before it starts." in bad.text


@pytest.mark.parametrize("who", ["uk_coordinator", "kr_member", "kr_reviewer"])
def test_only_host_coordinators_edit(app, client, auth, people, coordinators, who):
    program = make_program(app, coordinators["kr"])
    user = {
        "uk_coordinator": coordinators["uk"],
        "kr_member": people.kr,
        "kr_reviewer": people.kr2,
    }[who]
    auth.sign_in(user.email)
    assert client.get(f"/rotations/{program.slug}/edit").status_code == 403
    assert client.post(f"/rotations/{program.slug}/edit", data=FORM).status_code == 403


# ------------------------------------------------------------------------ visibility of drafts


def test_drafts_are_seen_only_by_the_host_coordinators(app, client, auth, people, coordinators):
    draft = make_program(app, coordinators["kr"], title="Secret draft", status="draft")
    for user in (people.kr, people.kr2, people.uk, coordinators["uk"]):
        auth.sign_in(user.email)
        for suffix in ("", "/edit", "/pipeline"):
            assert client.get(f"/rotations/{draft.slug}{suffix}").status_code == 404
        assert "Secret draft" not in client.get("/rotations/").text
        auth.sign_out()
    auth.sign_in(coordinators["kr"].email)
    assert client.get(f"/rotations/{draft.slug}").status_code == 200
    assert "Secret draft" in client.get("/rotations/").text
    assert client.get("/rotations/nothing-here").status_code == 404


# ------------------------------------------------------------------------ the list


@pytest.fixture
def catalogue(app, people, coordinators):
    """Four programs: KR open to all, KR for JP only, UK open to all, JP closed (deadline past)."""
    now = utcnow()
    return {
        "kr_all": make_program(
            app,
            coordinators["kr"],
            title="Cyber evaluations in Seoul",
            focus_areas="cyber evaluations",
            closes_at=now + timedelta(days=20),
            start_date=date(2031, 3, 1),
            end_date=date(2031, 8, 31),
        ),
        "kr_jp": make_program(
            app,
            coordinators["kr"],
            title="Korean-Japanese multilingual safety",
            focus_areas="multilingual safety",
            skills_sought="Japanese",
            closes_at=now + timedelta(days=5),
            start_date=date(2031, 5, 1),
            eligible_ids=[people.jp_institute.id],
        ),
        "uk_all": make_program(
            app,
            coordinators["uk"],
            title="Interpretability in London",
            focus_areas="interpretability",
            location="London",
            closes_at=now + timedelta(days=60),
            start_date=date(2031, 1, 1),
        ),
        "jp_closed": make_program(
            app,
            coordinators["jp"],
            title="Tokyo evaluations",
            focus_areas="cyber",
            location="Tokyo",
            opens_at=now - timedelta(days=40),
            closes_at=now - timedelta(days=1),
            start_date=date(2030, 9, 1),
        ),
    }


def titles(page: str, catalogue) -> list[str]:
    shown = [(page.find(p.title), p.title) for p in catalogue.values() if p.title in page]
    return [title for _, title in sorted(shown)]


def test_list_shows_facts_and_eligibility_with_reasons(client, auth, people, catalogue):
    auth.sign_in(people.uk.email)
    page = client.get("/rotations/").text
    assert len(titles(page, catalogue)) == 4
    assert "Your own institute hosts this program" in page  # the UK program
    assert "Not open to staff of your institute" in page  # KR program for JP only
    assert "You are eligible" in page  # KR open to all
    assert "Seats left" in page and "2 / 2" in page
    assert "6 months" in page  # Mar to Aug
    assert "Applications closed" in page  # the JP program's deadline passed


def test_list_filters(client, auth, people, catalogue):
    auth.sign_in(people.uk.email)

    def shown(query: str) -> set[str]:
        return set(titles(client.get(f"/rotations/?{query}").text, catalogue))

    assert shown("institute=KR-AISI") == {
        "Cyber evaluations in Seoul",
        "Korean-Japanese multilingual safety",
    }
    assert shown("q=CYBER") == {"Cyber evaluations in Seoul", "Tokyo evaluations"}
    assert shown("q=japanese") == {"Korean-Japanese multilingual safety"}  # a skill
    assert shown("location=lond") == {"Interpretability in London"}
    assert "Tokyo evaluations" not in shown("open=1")
    assert shown("eligible=1") == {"Cyber evaluations in Seoul", "Tokyo evaluations"}
    assert shown("eligible=1&open=1") == {"Cyber evaluations in Seoul"}
    assert shown("q=%25") == set()  # wildcards are matched literally


def test_list_sorts_by_deadline_start_or_newest(client, auth, people, catalogue):
    auth.sign_in(people.jp.email)
    by_deadline = titles(client.get("/rotations/").text, catalogue)
    assert by_deadline == [
        "Tokyo evaluations",
        "Korean-Japanese multilingual safety",
        "Cyber evaluations in Seoul",
        "Interpretability in London",
    ]
    assert titles(client.get("/rotations/?sort=start").text, catalogue) == [
        "Tokyo evaluations",
        "Interpretability in London",
        "Cyber evaluations in Seoul",
        "Korean-Japanese multilingual safety",
    ]
    assert titles(client.get("/rotations/?sort=newest").text, catalogue)[0] == "Tokyo evaluations"


def test_list_queries_are_bounded_whatever_the_page_length(
    app, client, auth, people, coordinators, make_institute
):
    auth.sign_in(people.jp.email)
    make_program(app, coordinators["kr"], title="First", eligible_ids=[people.jp_institute.id])
    submit_application(app, people.jp, fresh_program(app, "first"))
    few = count_queries(app, client, "/rotations/")
    for n in range(15):
        extra = make_institute()
        make_program(
            app,
            coordinators["uk" if n % 2 else "kr"],
            title=f"Program {n}",
            eligible_ids=[people.jp_institute.id, extra.id],
        )
    many = count_queries(app, client, "/rotations/")
    assert many == few, (few, many)


def fresh_program(app, slug) -> Program:
    with app.app_context():
        program = db.session.scalar(db.select(Program).where(Program.slug == slug))
        db.session.expunge(program)
        return program


# ------------------------------------------------------------------------ the program page


def test_program_page_offers_apply_or_links_the_application(
    app, client, auth, people, coordinators
):
    program = make_program(app, coordinators["kr"])
    auth.sign_in(people.uk.email)
    page = client.get(f"/rotations/{program.slug}").text
    assert f'href="/rotations/{program.slug}/apply"' in page
    assert "Rigour" in page and "Sound methods" in page  # criteria are public
    assert "Park KR" not in page  # reviewers' names are for the host only

    application_id = submit_application(app, people.uk, program)
    page = client.get(f"/rotations/{program.slug}").text
    assert f'href="/rotations/applications/{application_id}"' in page
    assert f'href="/rotations/{program.slug}/apply"' not in page

    auth.sign_out()
    auth.sign_in(people.kr.email)
    page = client.get(f"/rotations/{program.slug}").text
    assert "Your own institute hosts this program" in page
    assert f'href="/rotations/{program.slug}/apply"' not in page


def test_program_page_says_when_applications_are_not_open(app, client, auth, people, coordinators):
    now = utcnow()
    later = make_program(
        app, coordinators["kr"], title="Later", opens_at=now + timedelta(days=3), closes_at=None
    )
    auth.sign_in(people.uk.email)
    page = client.get(f"/rotations/{later.slug}").text
    assert "Applications not open yet" in page
    assert f'href="/rotations/{later.slug}/apply"' not in page


# ------------------------------------------------------------------------ the pipeline


@pytest.fixture
def pipeline(app, people, coordinators):
    """A KR program with kr2 reviewing: UK applicant placed, JP applicant submitted, and a UK
    colleague's draft."""
    program = make_program(app, coordinators["kr"], reviewer_ids=[people.kr2.id], seats=1)
    uk_id = submit_application(app, people.uk, program, statement="SECRET-STATEMENT")
    jp_id = submit_application(app, people.jp, program)
    move(app, coordinators["uk"], uk_id, "endorse")
    move(app, coordinators["kr"], uk_id, "start_review")
    with app.app_context():
        application = db.session.get(Application, uk_id)
        criteria = {c.name: c.id for c in application.program.criteria}
        services.save_review(
            db.session.get(User, people.kr2.id),
            application,
            {criteria["Rigour"]: 4, criteria["Clarity"]: 2},
            "Strong.",
        )
    move(app, coordinators["kr"], uk_id, "offer")
    return program, uk_id, jp_id


def test_pipeline_groups_applications_by_stage_for_host_coordinators(
    app, client, auth, people, coordinators, pipeline
):
    program, uk_id, jp_id = pipeline
    auth.sign_in(coordinators["kr"].email)
    page = client.get(f"/rotations/{program.slug}/pipeline").text
    assert 'id="state-offered"' in page and 'id="state-submitted"' in page
    assert f'href="/rotations/applications/{uk_id}"' in page
    assert f'href="/rotations/applications/{jp_id}"' in page
    assert "Smith UK" in page and "Sato JP" in page
    assert "3.50" in page  # (3*4 + 1*2) / 4
    assert "Offer expires" in page
    assert "SECRET-STATEMENT" not in page


def test_pipeline_hides_drafts(app, client, auth, people, coordinators, make_user):
    program = make_program(app, coordinators["kr"])
    drafter = make_user(institute=people.uk_institute, display_name="Drafting Dana")
    with app.app_context():
        services.save_draft(
            db.session.get(User, drafter.id),
            db.session.get(Program, program.id),
            services.ApplicationFields("Not sent yet."),
        )
    auth.sign_in(coordinators["kr"].email)
    page = client.get(f"/rotations/{program.slug}/pipeline").text
    assert "Drafting Dana" not in page and "No application to show yet" in page


def test_reviewers_see_the_pipeline_they_may_review(
    app, client, auth, people, coordinators, pipeline
):
    program, uk_id, _jp_id = pipeline
    auth.sign_in(people.kr2.email)
    response = client.get(f"/rotations/{program.slug}/pipeline")
    assert response.status_code == 200
    assert f'href="/rotations/applications/{uk_id}"' in response.text


@pytest.mark.parametrize("who", ["kr_member", "uk_member", "uk_coordinator"])
def test_others_may_not_see_the_pipeline(app, client, auth, people, coordinators, pipeline, who):
    program, _uk_id, _jp_id = pipeline
    user = {"kr_member": people.kr, "uk_member": people.uk, "uk_coordinator": coordinators["uk"]}
    auth.sign_in(user[who].email)
    assert client.get(f"/rotations/{program.slug}/pipeline").status_code == 403


def test_pipeline_expires_overdue_offers_first(app, client, auth, coordinators, pipeline):
    program, uk_id, _jp_id = pipeline
    with app.app_context():
        application = db.session.get(Application, uk_id)
        application.offer_expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    auth.sign_in(coordinators["kr"].email)
    page = client.get(f"/rotations/{program.slug}/pipeline").text
    assert 'id="state-offer_expired"' in page and 'id="state-offered"' not in page


# ------------------------------------------------------------------------ statistics


@pytest.fixture
def history(app, people, coordinators):
    """UK → KR: one person placed for six months, decided 3 days after submitting; JP → KR:
    rejected after 5 days."""
    program = make_program(app, coordinators["kr"], title="Seoul cyber", seats=1)
    submitted = utcnow()
    uk_id = submit_application(app, people.uk, program, statement="SECRET-STATEMENT", now=submitted)
    jp_id = submit_application(app, people.jp, program, now=submitted)
    move(app, coordinators["uk"], uk_id, "endorse", now=submitted)
    move(app, coordinators["jp"], jp_id, "endorse", now=submitted)
    move(app, coordinators["kr"], uk_id, "start_review", now=submitted)
    move(app, coordinators["kr"], jp_id, "start_review", now=submitted)
    move(app, coordinators["kr"], uk_id, "offer", now=submitted + timedelta(days=3))
    move(app, coordinators["kr"], jp_id, "reject", now=submitted + timedelta(days=5))
    move(app, people.uk, uk_id, "accept", now=submitted + timedelta(days=4))
    move(app, coordinators["kr"], uk_id, "place", now=submitted + timedelta(days=6))
    return program


def test_statistics_show_aggregates_only(app, client, auth, coordinators, history):
    auth.sign_in(coordinators["jp"].email)
    response = client.get("/rotations/stats")
    assert response.status_code == 200
    page = response.text
    assert 'role="img"' in page  # charts
    assert "Seoul cyber" in page
    assert "4.0 days" in page  # median of 3 and 5
    assert "6.0" in page  # person-months UK → KR
    for private in ("SECRET-STATEMENT", "Smith UK", "Sato JP", "Reason given."):
        assert private not in page


def test_statistics_csv(app, client, auth, coordinators, history, make_institute):
    make_institute("=CMD", domains=["cmd.example"])
    auth.sign_in(coordinators["uk"].email)
    response = client.get("/rotations/stats.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    figures = {
        (r["scope"], r["institute"] or r["home_institute"], r["metric"]): r["value"] for r in rows
    }
    assert figures[("program", "KR-AISI", "applications")] == "2"
    assert figures[("program", "KR-AISI", "offered")] == "1"
    assert figures[("program", "KR-AISI", "rejected")] == "1"
    assert figures[("program", "KR-AISI", "median_days")] == "4.0"
    assert figures[("institute", "UK-AISI", "months_sent")] == "6.0"
    assert figures[("institute", "KR-AISI", "months_received")] == "6.0"
    assert figures[("institute", "UK-AISI", "released")] == "1"
    assert figures[("exchange", "UK-AISI", "months")] == "6.0"
    assert ("institute", "'=CMD", "programs") in figures  # formula injection defused
    assert "SECRET-STATEMENT" not in response.text and "Smith UK" not in response.text


def test_statistics_leave_out_drafts_and_unseen_programs(app, client, auth, people, coordinators):
    make_program(app, coordinators["kr"], title="Hidden draft plan", status="draft")
    program = make_program(app, coordinators["kr"], title="Visible")
    with app.app_context():
        services.save_draft(
            db.session.get(User, people.uk.id),
            db.session.get(Program, program.id),
            services.ApplicationFields("Draft only."),
        )
    auth.sign_in(coordinators["uk"].email)
    page = client.get("/rotations/stats").text
    assert "Hidden draft plan" not in page and "Visible" in page
    rows = list(csv.DictReader(io.StringIO(client.get("/rotations/stats.csv").text)))
    applications = [r for r in rows if r["scope"] == "program" and r["metric"] == "applications"]
    assert [r["value"] for r in applications] == ["0"]


@pytest.mark.parametrize("who", ["kr", "kr2", "uk"])
def test_members_and_reviewers_may_not_see_statistics(client, auth, people, who):
    auth.sign_in(getattr(people, who).email)
    assert client.get("/rotations/stats").status_code == 403
    assert client.get("/rotations/stats.csv").status_code == 403


def test_admins_see_statistics(client, auth, make_user):
    admin = make_user(roles=["admin"])
    auth.sign_in(admin.email)
    assert client.get("/rotations/stats").status_code == 200
    assert client.get("/rotations/stats.csv").status_code == 200


def test_navigation_points_to_the_programs(client, auth, people):
    auth.sign_in(people.kr.email)
    page = client.get("/").text
    card = next(a for a in page.split("<article") if 'href="/rotations/">Rotations</a></h2>' in a)
    assert "Coming soon" not in card.split("</article>")[0]
    assert 'aria-current="page"' in client.get("/rotations/").text.split("</nav>")[0]


def test_admins_have_no_say_over_programs(app, client, auth, coordinators, make_user):
    open_program = make_program(app, coordinators["kr"], title="Open one")
    draft = make_program(app, coordinators["kr"], title="Draft one", status="draft")
    auth.sign_in(make_user(roles=["admin"]).email)
    assert client.get("/rotations/").status_code == 200
    assert client.get(f"/rotations/{open_program.slug}").status_code == 200
    assert client.get(f"/rotations/{draft.slug}").status_code == 404
    assert client.get("/rotations/new").status_code == 403
    assert client.get(f"/rotations/{open_program.slug}/edit").status_code == 403
    assert client.get(f"/rotations/{open_program.slug}/pipeline").status_code == 403

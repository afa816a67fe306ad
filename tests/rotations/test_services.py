"""Rotation services: programs, eligibility, CVs, reviews and conflicts, scores, exit reports,
purging personal data, and the SQL twin of the application visibility policy."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select, update

from exchange.accounts.errors import ServiceError
from exchange.accounts.models import User
from exchange.db import utcnow
from exchange.extensions import db
from exchange.rotations import machine, policy, services
from exchange.rotations.models import (
    Application,
    ConflictDeclaration,
    Criterion,
    Program,
    Review,
)
from exchange.wiki.models import Page
from tests.rotations.test_machine import SPEC, World, build_world, program_fields, put_in_state

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture
def world(app, make_institute, make_user):
    with app.app_context():
        built = build_world(make_institute, make_user)
    with app.app_context():
        yield built


def institute_of(world: World, role: str):
    return db.session.get(User, world.users[role]).institute


def new_person(world, make_user, role_like: str, **kwargs) -> int:
    """A new user at the institute of ``role_like``; their id (make_user closes the session,
    so objects loaded before are detached: load them again afterwards)."""
    return make_user(institute=institute_of(world, role_like), **kwargs).id


def drive(world: World, application_id: int, *names: str, actors: dict | None = None) -> None:
    """Make real transitions, each by the role the spec gives it."""
    for name in names:
        role = SPEC[name][2]
        actor = (actors or {}).get(role) or world.actor(role)
        machine.apply(actor, db.session.get(Application, application_id), name, reason=f"{name}!")


# ------------------------------------------------------------------------------------------
# Programs


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"title": "   "}, "title", "title"),
        ({"seats": -1}, "seats", "between 0 and 500"),
        ({"seats": 501}, "seats", "between 0 and 500"),
        (
            {"start_date": date(2031, 6, 1), "end_date": date(2031, 5, 31)},
            "end_date",
            "ends before it starts",
        ),
        ("same_instant", "closes_at", "close before they open"),
        ("window_backwards", "closes_at", "close before they open"),
        ({"required_clearance": "cosmic"}, "required_clearance", "clearance"),
        ({"status": "archived"}, "status", "status"),
    ],
)
def test_save_program_refuses_bad_fields(world, overrides, field, words):
    now = utcnow()
    if overrides == "same_instant":
        overrides = {"opens_at": now, "closes_at": now}
    elif overrides == "window_backwards":
        overrides = {"opens_at": now, "closes_at": now - timedelta(days=1)}
    host = world.actor("host_coordinator")
    count = db.session.scalar(select(func.count(Program.id)))
    with pytest.raises(ServiceError) as refusal:
        services.save_program(host, None, program_fields(**overrides))
    assert (refusal.value.field, words in str(refusal.value)) == (field, True)
    assert db.session.scalar(select(func.count(Program.id))) == count
    # Editing an existing program is refused the same way and changes nothing.
    with pytest.raises(ServiceError):
        services.save_program(host, world.program(), program_fields(**overrides))
    db.session.rollback()
    assert world.program().title == "Frontier model evaluation rotation"


def test_only_host_coordinators_run_programs(world, make_user):
    host_member = db.session.get(
        User, new_person(world, make_user, "host_coordinator", roles=["reviewer"])
    )
    for actor in (
        host_member,
        world.actor("home_coordinator"),
        world.actor("outsider"),
        world.actor("reviewer"),
    ):
        with pytest.raises(ServiceError, match="Only coordinators of the host"):
            services.save_program(actor, world.program(), program_fields(title="Mine now"))
    assert world.program().title == "Frontier model evaluation rotation"
    # A coordinator of another institute creates a program hosted by their own institute.
    other = services.save_program(world.actor("outsider"), None, program_fields(title="Other"))
    assert other.host_institute_id == world.actor("outsider").institute_id


def test_seats_cannot_drop_below_the_seats_taken(world):
    host = world.actor("host_coordinator")
    db.session.execute(update(Program).values(seats=3, seats_taken=2))
    db.session.commit()
    with pytest.raises(ServiceError, match="2 seats are already offered") as refusal:
        services.save_program(host, world.program(), program_fields(seats=1))
    assert refusal.value.field == "seats"
    db.session.rollback()
    assert world.program().seats == 3
    program = services.save_program(host, world.program(), program_fields(seats=2))
    assert (program.seats, program.seats_taken) == (2, 2)


def test_criteria_parse_with_line_numbers():
    text = "Rigour | 3 | Sound methods\n\n  Clarity  \nImpact|10|  big  \n"
    assert services.parse_criteria(text) == [
        ("Rigour", 3, "Sound methods"),
        ("Clarity", 1, ""),
        ("Impact", 10, "big"),
    ]
    assert services.parse_criteria("") == []
    for bad, words in (
        ("Rigour | 3\nClarity | two", "Line 2: the weight must be a whole number."),
        ("Rigour | 3\n\n\nClarity | 11", "Line 4: give a name and a weight from 1 to 10."),
        ("Rigour | 0", "Line 1: give a name and a weight from 1 to 10."),
        ("Rigour\n | 2 | nameless", "Line 2: give a name and a weight from 1 to 10."),
        ("Rigour | 2.5", "Line 1: the weight must be a whole number."),
    ):
        with pytest.raises(ServiceError) as refusal:
            services.parse_criteria(bad)
        assert (str(refusal.value), refusal.value.field) == (words, "criteria")


def test_reviewers_come_from_the_host_and_criteria_keep_their_identity(world, make_user):
    other_reviewer = new_person(world, make_user, "outsider", roles=["reviewer"])
    host_reviewer = new_person(world, make_user, "host_coordinator", roles=["reviewer"])
    program = world.program()
    rigour_id = next(c.id for c in program.criteria if c.name == "Rigour")
    program = services.save_program(
        world.actor("host_coordinator"),
        program,
        program_fields(
            reviewer_ids=[world.users["reviewer"], other_reviewer, host_reviewer],
            criteria=services.parse_criteria("Impact | 2\nRigour | 5 | Stricter"),
        ),
    )
    assert {r.id for r in program.reviewers} == {world.users["reviewer"], host_reviewer}
    assert [(c.name, c.weight, c.position) for c in program.criteria] == [
        ("Impact", 2, 0),
        ("Rigour", 5, 1),
    ]
    assert next(c.id for c in program.criteria if c.name == "Rigour") == rigour_id
    clarity = select(func.count(Criterion.id)).where(Criterion.name == "Clarity")
    assert db.session.scalar(clarity) == 0


def test_program_addresses_are_unique(world):
    host = world.actor("host_coordinator")
    first = services.save_program(host, None, program_fields(title="Red teaming"))
    second = services.save_program(host, None, program_fields(title="Red teaming"))
    assert first.slug == "red-teaming" and second.slug != first.slug


# ------------------------------------------------------------------------------------------
# Eligibility


def test_eligibility_own_and_listed_institutes(world, make_user):
    host_member = db.session.get(User, new_person(world, make_user, "host_coordinator"))
    applicant, outsider = world.actor("applicant"), world.actor("outsider")
    program = world.program()
    assert policy.is_eligible(applicant, program) == (True, "")
    assert policy.is_eligible(outsider, program) == (True, "")  # no list: every other institute
    assert policy.is_eligible(host_member, program) == (False, "own_institute")
    assert policy.is_eligible(AnonymousUserMixin(), program) == (False, "sign_in")
    with pytest.raises(ServiceError, match="not eligible"):
        services.save_draft(host_member, program, services.ApplicationFields(statement="Me"))

    program = services.save_program(
        world.actor("host_coordinator"),
        program,
        program_fields(eligible_ids=[applicant.institute_id], reviewer_ids=[]),
    )
    assert policy.is_eligible(applicant, program) == (True, "")
    assert policy.is_eligible(outsider, program) == (False, "institute_not_eligible")
    with pytest.raises(ServiceError, match="not eligible"):
        services.save_draft(outsider, program, services.ApplicationFields(statement="Me"))
    assert (
        db.session.scalar(
            select(func.count(Application.id)).where(Application.applicant_id == outsider.id)
        )
        == 0
    )
    # The SQL filter for program lists agrees with the rule, for everyone.
    for user in db.session.scalars(select(User)):
        listed = db.session.scalar(
            select(func.count(Program.id)).where(
                Program.id == program.id, policy.eligible_clause(user)
            )
        )
        assert bool(listed) == policy.is_eligible(user, program)[0], user.email


def test_submit_rechecks_eligibility(world):
    """A draft written while eligible cannot be sent once the institute is no longer listed."""
    services.save_program(
        world.actor("host_coordinator"),
        world.program(),
        program_fields(eligible_ids=[world.actor("outsider").institute_id]),
    )
    with pytest.raises(machine.TransitionError, match="not eligible"):
        machine.apply(world.actor("applicant"), world.application(), "submit")
    assert world.application().state == "draft"


# ------------------------------------------------------------------------------------------
# CVs


def test_cv_type_size_and_magic_bytes(app, world, monkeypatch):
    applicant, application = world.actor("applicant"), world.application()
    monkeypatch.setitem(app.config, "ROTATION_CV_MAX_BYTES", 1024)
    for filename, data, words in (
        ("cv.docx", PDF, "as a PDF file"),
        ("cv", PDF, "as a PDF file"),
        ("cv.pdf.exe", PDF, "as a PDF file"),
        ("cv.pdf", PDF + b"0" * 1024, "larger than"),
        ("cv.pdf", b"PK\x03\x04 not really a pdf", "not a PDF"),
        ("cv.pdf", b"", "not a PDF"),
    ):
        with pytest.raises(ServiceError) as refusal:
            services.attach_cv(applicant, world.application(), filename, data)
        assert words in str(refusal.value) and refusal.value.field == "cv", filename
    application = world.application()
    assert (application.cv_sha256, application.cv_filename, application.cv_size) == (None,) * 3

    services.attach_cv(applicant, application, "..\\..\\etc/My CV.PDF", PDF)
    application = world.application()
    assert application.cv_filename == "My CV.PDF"
    assert application.cv_content_type == "application/pdf"
    assert application.cv_size == len(PDF)
    stored = services.cv_path(application.cv_sha256)
    assert stored.read_bytes() == PDF
    assert Path(app.config["UPLOAD_FOLDER"]) in stored.parents


def test_only_the_applicant_changes_the_cv_and_only_in_draft(world):
    for role in ("home_coordinator", "host_coordinator", "outsider"):
        with pytest.raises(ServiceError, match="Only the applicant"):
            services.attach_cv(world.actor(role), world.application(), "cv.pdf", PDF)
    put_in_state(world, "submitted")
    with pytest.raises(ServiceError, match="Only the applicant"):
        services.attach_cv(world.actor("applicant"), world.application(), "cv.pdf", PDF)
    assert world.application().cv_sha256 is None


# ------------------------------------------------------------------------------------------
# Reviews, conflicts and scores


@pytest.fixture
def panel(world, make_user):
    """Two reviewers of the host on the program; the application under review."""
    second = new_person(world, make_user, "host_coordinator", roles=["reviewer"])
    services.save_program(
        world.actor("host_coordinator"),
        world.program(),
        program_fields(reviewer_ids=[world.users["reviewer"], second]),
    )
    put_in_state(world, "under_review")
    criteria = {c.name: c.id for c in world.program().criteria}
    return {"second": second, "criteria": criteria}


def scores(panel, rigour, clarity):
    return {panel["criteria"]["Rigour"]: rigour, panel["criteria"]["Clarity"]: clarity}


def test_every_criterion_is_scored_from_one_to_five(world, panel):
    reviewer = world.actor("reviewer")
    rigour = panel["criteria"]["Rigour"]
    for given, words in (
        ({rigour: 4}, "missing: Clarity"),
        ({}, "missing: Rigour, Clarity"),
        (scores(panel, 0, 3), "missing: Rigour"),
        (scores(panel, 3, 6), "missing: Clarity"),
    ):
        with pytest.raises(ServiceError) as refusal:
            services.save_review(reviewer, world.application(), given, "Fine")
        assert words in str(refusal.value) and refusal.value.field == "scores"
    assert db.session.scalar(select(func.count(Review.id))) == 0
    review = services.save_review(reviewer, world.application(), scores(panel, 5, "1"), " Good ")
    assert review.comment == "Good"
    assert sorted(s.value for s in review.scores) == [1, 5]


def test_reviews_only_while_under_review(world, panel):
    for state in ("draft", "submitted", "home_endorsed", "offered", "rejected"):
        put_in_state(world, state)
        with pytest.raises(ServiceError):
            services.save_review(
                world.actor("reviewer"), world.application(), scores(panel, 3, 3), ""
            )
    put_in_state(world, "waitlisted")
    services.save_review(world.actor("reviewer"), world.application(), scores(panel, 3, 3), "")


def test_a_reviewer_of_the_home_institute_is_recused(world, panel, make_user):
    home_reviewer = new_person(world, make_user, "applicant", roles=["reviewer"])
    # save_program never assigns them (reviewers come from the host) ...
    services.save_program(
        world.actor("host_coordinator"),
        world.program(),
        program_fields(reviewer_ids=[world.users["reviewer"], panel["second"], home_reviewer]),
    )
    assert home_reviewer not in {r.id for r in world.program().reviewers}
    # ... and even when assigned by hand they may not review or see the application.
    program = world.program()
    program.reviewers.append(db.session.get(User, home_reviewer))
    db.session.commit()
    reviewer, application = db.session.get(User, home_reviewer), world.application()
    assert policy.is_assigned_reviewer(reviewer, application.program)
    assert policy.is_recused(reviewer, application)
    assert not policy.can_review(reviewer, application)
    assert not policy.can_view_application(reviewer, application)
    with pytest.raises(ServiceError, match="may not review"):
        services.save_review(reviewer, application, scores(panel, 5, 5), "My colleague!")
    assert db.session.scalar(select(func.count(Review.id))) == 0


def test_a_declared_conflict_recuses_and_removes_the_review(world, panel):
    reviewer = world.actor("reviewer")
    services.save_review(reviewer, world.application(), scores(panel, 5, 5), "Excellent")
    services.save_review(
        db.session.get(User, panel["second"]), world.application(), scores(panel, 2, 4), "Meh"
    )
    with pytest.raises(ServiceError, match="tie") as refusal:
        services.declare_conflict(world.actor("reviewer"), world.application(), "  ")
    assert refusal.value.field == "reason"
    for role in ("outsider", "home_coordinator", "applicant"):
        with pytest.raises(ServiceError, match="not a reviewer"):
            services.declare_conflict(world.actor(role), world.application(), "Tie")

    services.declare_conflict(world.actor("reviewer"), world.application(), "We co-authored")
    reviewer, application = world.actor("reviewer"), world.application()
    assert [r.reviewer_id for r in application.reviews] == [panel["second"]]
    [conflict] = db.session.scalars(select(ConflictDeclaration)).all()
    assert (conflict.reviewer_id, conflict.reason) == (reviewer.id, "We co-authored")
    assert policy.is_recused(reviewer, application)
    assert not policy.can_review(reviewer, application)
    assert not policy.can_view_application(reviewer, application)
    assert not policy.can_see_scores(reviewer, application)
    with pytest.raises(ServiceError, match="may not review"):
        services.save_review(reviewer, application, scores(panel, 5, 5), "Again")
    assert services.weighted_score(application) == 2.5  # only the other review: (3*2 + 1*4) / 4
    # Declaring twice is harmless.
    services.declare_conflict(reviewer, application, "Still")
    assert db.session.scalar(select(func.count(ConflictDeclaration.id))) == 1


def test_weighted_score(world, panel):
    assert services.weighted_score(world.application()) is None
    services.save_review(world.actor("reviewer"), world.application(), scores(panel, 5, 1), "")
    services.save_review(
        db.session.get(User, panel["second"]), world.application(), scores(panel, 4, 2), ""
    )
    # Rigour weighs 3, Clarity 1: (3*5 + 1*1 + 3*4 + 1*2) / 8
    assert services.weighted_score(world.application()) == 3.75
    # A reviewer's second review replaces their first.
    services.save_review(world.actor("reviewer"), world.application(), scores(panel, 1, 1), "")
    assert db.session.scalar(select(func.count(Review.id))) == 2
    assert services.weighted_score(world.application()) == 2.25  # (3 + 1 + 12 + 2) / 8


def test_who_sees_scores(world, panel):
    application = world.application()
    seen = {
        role: policy.can_see_scores(world.actor(role), application)
        for role in ("applicant", "home_coordinator", "host_coordinator", "reviewer", "outsider")
    }
    assert seen == {
        "applicant": False,
        "home_coordinator": False,
        "host_coordinator": True,
        "reviewer": True,
        "outsider": False,
    }


# ------------------------------------------------------------------------------------------
# Exit reports


def test_exit_report_is_a_wiki_page_filed_once(world):
    drive(world, world.application_id, "submit", "endorse", "start_review", "offer", "accept")
    with pytest.raises(ServiceError, match="Only the placed person"):
        services.file_exit_report(
            world.actor("applicant"), world.application(), "Report", "Text", "network", []
        )
    drive(world, world.application_id, "place")
    with pytest.raises(ServiceError, match="Only the placed person"):
        services.file_exit_report(
            world.actor("host_coordinator"), world.application(), "Report", "Text", "network", []
        )
    page = services.file_exit_report(
        world.actor("applicant"),
        world.application(),
        "What I learned",
        "Six months of evaluations.",
        "network",
        [],
    )
    page = db.session.get(Page, page.id)
    application = world.application()
    assert page.kind == "rotation_report"
    assert page.title == "What I learned"
    assert page.owner_institute_id == application.home_institute_id
    assert "rotation-report" in page.tags
    assert f"/rotations/{application.program.slug}" in page.current_revision.source
    assert application.placement.exit_report_page_id == page.id
    with pytest.raises(ServiceError, match="already filed"):
        services.file_exit_report(
            world.actor("applicant"), world.application(), "Again", "Text", "network", []
        )
    assert db.session.scalar(select(func.count(Page.id)).where(Page.kind == "rotation_report")) == 1


def test_exit_report_after_completion(world):
    drive(
        world,
        world.application_id,
        *("submit", "endorse", "start_review", "offer", "accept", "place", "complete"),
    )
    page = services.file_exit_report(
        world.actor("applicant"), world.application(), "", "Done.", "network", []
    )
    assert page.title.startswith("Frontier model evaluation rotation")
    assert world.application().placement.exit_report_page_id == page.id


# ------------------------------------------------------------------------------------------
# Purging personal data


def test_purge_erases_old_closed_applications_and_keeps_counts(app, world, panel, make_user):
    long_ago = utcnow() - timedelta(days=30 * 25)
    recently = utcnow() - timedelta(days=30)
    applicant_ids = {"old": world.users["applicant"]}
    for key in ("recent", "active", "twin"):
        applicant_ids[key] = new_person(world, make_user, "applicant")
    ids = {"old": world.application_id}
    for key in ("recent", "active", "twin"):
        ids[key] = services.save_draft(
            db.session.get(User, applicant_ids[key]),
            world.program(),
            services.ApplicationFields(statement=f"My {key} statement", skills="Python"),
        ).id
    put_in_state(world, "draft")  # (the panel fixture put it under review)
    # The same CV file for "old" and "twin".
    for key in ("old", "twin"):
        services.attach_cv(
            db.session.get(User, applicant_ids[key]),
            db.session.get(Application, ids[key]),
            "cv.pdf",
            PDF,
        )
    sha = db.session.get(Application, ids["old"]).cv_sha256
    for key in ids:
        drive(
            world,
            ids[key],
            "submit",
            "endorse",
            "start_review",
            actors={"applicant": db.session.get(User, applicant_ids[key])},
        )
        for reviewer_id in (world.users["reviewer"], panel["second"]):
            services.save_review(
                db.session.get(User, reviewer_id),
                db.session.get(Application, ids[key]),
                scores(panel, 4, 4),
                f"Comment on {key}",
            )
    services.declare_conflict(world.actor("reviewer"), world.application(), "Former colleague")
    drive(world, ids["old"], "reject")
    drive(world, ids["twin"], "reject")
    drive(world, ids["recent"], "reject")
    ages = {"old": long_ago, "twin": recently, "recent": recently, "active": long_ago}
    for key, when in ages.items():
        db.session.execute(
            update(Application).where(Application.id == ids[key]).values(updated_at=when)
        )
    db.session.commit()

    def counts():
        return dict(
            db.session.execute(
                select(Application.state, func.count(Application.id)).group_by(Application.state)
            ).all()
        )

    before = counts()
    assert before == {"rejected": 3, "under_review": 1}
    assert services.purge_personal_data(24) == 1
    assert counts() == before  # the anonymous statistics stay
    old = db.session.get(Application, ids["old"])
    assert (old.statement, old.skills, old.languages) == ("", "", "")
    assert (old.cv_sha256, old.cv_filename, old.cv_size, old.cv_content_type) == (None,) * 4
    assert old.purged_at is not None and old.state == "rejected"
    assert [r.comment for r in old.reviews] == [""]  # (the recused reviewer's was removed)
    assert all(s.value == 4 for r in old.reviews for s in r.scores)  # scores are not personal
    assert {e.reason for e in old.events} == {""}
    assert db.session.scalar(select(ConflictDeclaration.reason)) == ""
    assert services.cv_path(sha).exists()  # "twin" still uses the same file
    for key in ("recent", "active", "twin"):
        kept = db.session.get(Application, ids[key])
        assert kept.statement == f"My {key} statement" and kept.purged_at is None, key
        assert {r.comment for r in kept.reviews} == {f"Comment on {key}"}, key
        assert all(e.reason for e in kept.events), key
    assert db.session.get(Application, ids["twin"]).cv_sha256 == sha
    assert services.purge_personal_data(24) == 0  # done once

    # Once the twin is purged too, the file goes.
    db.session.execute(
        update(Application).where(Application.id == ids["twin"]).values(updated_at=long_ago)
    )
    db.session.commit()
    assert services.purge_personal_data(24) == 1
    assert not services.cv_path(sha).exists()
    assert counts() == before


# ------------------------------------------------------------------------------------------
# The SQL twin of the visibility rule


def test_visible_applications_clause_agrees_with_can_view(world, panel, make_user):
    """For every user (and anonymous), the SQL filter selects exactly what the policy allows."""
    home_reviewer = new_person(world, make_user, "applicant", roles=["reviewer"])
    host_member = new_person(world, make_user, "host_coordinator")
    other_applicant = new_person(world, make_user, "outsider")
    home_colleague = new_person(world, make_user, "applicant")
    inactive_coordinator = new_person(
        world, make_user, "host_coordinator", roles=["coordinator"], active=False
    )
    # A second program, hosted by the unrelated institute, with the home reviewer assigned by hand.
    other_program = services.save_program(
        world.actor("outsider"), None, program_fields(title="Elsewhere")
    )
    other_program.reviewers.append(db.session.get(User, home_reviewer))
    program = world.program()
    program.reviewers.append(db.session.get(User, home_reviewer))
    db.session.commit()

    def draft(user_id, program_id, state, submitted=True):
        application = services.save_draft(
            db.session.get(User, user_id),
            db.session.get(Program, program_id),
            services.ApplicationFields(statement="Statement"),
        )
        db.session.execute(
            update(Application)
            .where(Application.id == application.id)
            .values(state=state, submitted_at=utcnow() if submitted else None)
        )
        db.session.commit()
        return application.id

    put_in_state(world, "under_review")
    program_id, other_id = world.program_id, other_program.id
    draft(world.users["applicant"], other_id, "draft", submitted=False)
    draft(other_applicant, program_id, "offered")
    draft(home_colleague, program_id, "withdrawn", submitted=False)  # a withdrawn draft
    draft(home_colleague, other_id, "withdrawn")  # withdrawn after submitting
    draft(host_member, other_id, "placed")
    # A reviewer with a declared conflict on one application of their program.
    conflicted = draft(new_person(world, make_user, "outsider"), program_id, "waitlisted")
    services.declare_conflict(
        db.session.get(User, panel["second"]), db.session.get(Application, conflicted), "cousin"
    )

    applications = db.session.scalars(select(Application)).all()
    assert len({a.state for a in applications}) >= 6
    viewers = [AnonymousUserMixin(), *db.session.scalars(select(User))]
    assert len(viewers) >= 12
    seen_sets = set()
    for viewer in viewers:
        by_sql = set(
            db.session.scalars(
                select(Application.id).where(policy.visible_applications_clause(viewer))
            )
        )
        by_policy = {a.id for a in applications if policy.can_view_application(viewer, a)}
        assert by_sql == by_policy, getattr(viewer, "email", "anonymous")
        seen_sets.add(frozenset(by_policy))
    assert len(seen_sets) >= 6  # the world tells the viewers apart
    inactive = db.session.get(User, inactive_coordinator)
    assert not any(policy.can_view_application(inactive, a) for a in applications)

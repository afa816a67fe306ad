"""Who may open each rotation route: a role by action matrix (200/302/403/404)."""

from datetime import timedelta

import pytest

from exchange.accounts.models import User
from exchange.db import utcnow
from exchange.extensions import db
from exchange.rotations import machine, services

ROLES = (
    "anonymous",
    "applicant",
    "home_coordinator",
    "host_coordinator",
    "reviewer",
    "home_reviewer",
    "outsider",
)
PDF = b"%PDF-1.4 test cv"


@pytest.fixture
def world(app, make_institute, make_user):
    host = make_institute("HOST", domains=["host.example"])
    home = make_institute("HOME", domains=["home.example"])
    other = make_institute("OTHER", domains=["other.example"])
    users = {
        "applicant": make_user(institute=home),
        "home_coordinator": make_user(institute=home, roles=["coordinator"]),
        "host_coordinator": make_user(institute=host, roles=["coordinator"]),
        "reviewer": make_user(institute=host, roles=["reviewer"]),
        "home_reviewer": make_user(institute=home, roles=["reviewer"]),
        "outsider": make_user(institute=other, roles=["coordinator"]),
    }
    now = utcnow()
    with app.app_context():
        get = lambda key: db.session.get(User, users[key].id)  # noqa: E731
        program = services.save_program(
            get("host_coordinator"),
            None,
            services.ProgramFields(
                title="Matrix program",
                status="open",
                seats=2,
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=9),
                start_date=now.date() + timedelta(days=30),
                end_date=now.date() + timedelta(days=120),
                reviewer_ids=[users["reviewer"].id, users["home_reviewer"].id],
                criteria=[("Depth", 2, "")],
            ),
        )
        application = services.save_draft(
            get("applicant"), program, services.ApplicationFields(statement="Because")
        )
        services.attach_cv(get("applicant"), application, "cv.pdf", PDF)
        machine.apply(get("applicant"), application, "submit")
        machine.apply(get("home_coordinator"), application, "endorse")
        machine.apply(get("host_coordinator"), application, "start_review")
        return {"users": users, "slug": program.slug, "app_id": application.id}


VIEW_APP = {
    "anonymous": 302,
    "applicant": 200,
    "home_coordinator": 200,
    "host_coordinator": 200,
    "reviewer": 200,
    "home_reviewer": 404,
    "outsider": 404,
}
SIGNED_IN = dict.fromkeys(ROLES, 200) | {"anonymous": 302}
COORDINATORS = {
    "anonymous": 302,
    "applicant": 403,
    "home_coordinator": 200,
    "host_coordinator": 200,
    "reviewer": 403,
    "home_reviewer": 403,
    "outsider": 200,
}
HOST_ONLY = {
    "anonymous": 302,
    "applicant": 403,
    "home_coordinator": 403,
    "host_coordinator": 200,
    "reviewer": 403,
    "home_reviewer": 403,
    "outsider": 403,
}

MATRIX = [
    ("GET", "/rotations/", None, SIGNED_IN),
    ("GET", "/rotations/{slug}", None, SIGNED_IN),
    ("GET", "/rotations/mine", None, SIGNED_IN),
    ("GET", "/rotations/endorsements", None, SIGNED_IN),
    ("GET", "/rotations/reviews", None, SIGNED_IN),
    ("GET", "/rotations/stats", None, COORDINATORS),
    ("GET", "/rotations/stats.csv", None, COORDINATORS),
    ("GET", "/rotations/new", None, COORDINATORS),
    ("GET", "/rotations/{slug}/edit", None, HOST_ONLY),
    # Reviewers are assigned from the host institute only: a home reviewer is no reviewer here.
    ("GET", "/rotations/{slug}/pipeline", None, HOST_ONLY | {"reviewer": 200}),
    ("GET", "/rotations/applications/{app_id}", None, VIEW_APP),
    ("GET", "/rotations/applications/{app_id}/cv", None, VIEW_APP),
    (
        "GET",
        "/rotations/applications/{app_id}/review",
        None,
        {**VIEW_APP, "applicant": 403, "home_coordinator": 403, "host_coordinator": 403},
    ),
    (
        "GET",
        "/rotations/applications/{app_id}/exit-report",
        None,
        {
            **VIEW_APP,
            "applicant": 403,
            "home_coordinator": 403,
            "host_coordinator": 403,
            "reviewer": 403,
        },
    ),
    (
        "POST",
        "/rotations/applications/{app_id}/transition",
        {"transition": "offer"},
        {
            "anonymous": 403,
            "applicant": 403,
            "home_coordinator": 403,
            "host_coordinator": 302,
            "reviewer": 403,
            "home_reviewer": 404,
            "outsider": 404,
        },
    ),
    (
        "POST",
        "/rotations/applications/{app_id}/conflict",
        {"reason": "We co-authored"},
        {
            "anonymous": 403,
            "applicant": 403,
            "home_coordinator": 403,
            "host_coordinator": 403,
            "reviewer": 302,
            "home_reviewer": 404,
            "outsider": 404,
        },
    ),
    # The applicant is sent to their application; the host's staff are told why they may not.
    (
        "GET",
        "/rotations/{slug}/apply",
        None,
        {
            "anonymous": 302,
            "applicant": 302,
            "home_coordinator": 200,
            "host_coordinator": 200,
            "reviewer": 200,
            "home_reviewer": 200,
            "outsider": 200,
        },
    ),
]


def test_every_rotation_route_is_in_the_matrix(app):
    covered = {
        (m, u.replace("{slug}", "<slug>").replace("{app_id}", "<int:application_id>"))
        for m, u, _d, _e in MATRIX
    }
    posted_elsewhere = {
        "/rotations/new",
        "/rotations/<slug>/edit",
        "/rotations/<slug>/apply",
        "/rotations/applications/<int:application_id>/review",
        "/rotations/applications/<int:application_id>/exit-report",
    }
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("rotations."):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (method, rule.rule) in covered or (
                    method == "POST" and rule.rule in posted_elsewhere
                ), (method, rule.rule)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "url", "data", "expected"), MATRIX)
def test_matrix(client, auth, world, role, method, url, data, expected):
    if role != "anonymous":
        auth.sign_in(world["users"][role].email)
    target = url.format(slug=world["slug"], app_id=world["app_id"])
    response = client.get(target) if method == "GET" else client.post(target, data=data)
    assert response.status_code == expected[role], (target, response.text[:300])


def test_host_staff_are_told_they_may_not_apply(client, auth, world):
    auth.sign_in(world["users"]["host_coordinator"].email)
    page = client.get(f"/rotations/{world['slug']}/apply")
    assert "Save draft" not in page.text
    response = client.post(
        f"/rotations/{world['slug']}/apply", data={"statement": "Let me in", "save": "1"}
    )
    assert response.status_code in (400, 403)

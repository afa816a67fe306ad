"""Who may do what with evaluation records: a role by action matrix (200/302/403/404)."""

import pytest
from sqlalchemy import select

from exchange.accounts.models import User
from exchange.evaluations import services
from exchange.evaluations.models import EvaluationRecord
from exchange.extensions import db

ROLES = ("anonymous", "member", "reviewer", "coordinator", "outsider")
RESULTS = "Demo CTF | success rate | Model C | no | 0.34 | 0.04 | 120"


@pytest.fixture
def world(app, make_institute, make_user):
    home = make_institute("HOME", domains=["home.example"])
    other = make_institute("OTHER", domains=["other.example"])
    users = {
        "member": make_user(institute=home),
        "reviewer": make_user(institute=home, roles=["reviewer"]),
        "coordinator": make_user(institute=home, roles=["coordinator"]),
        "outsider": make_user(institute=other, roles=["coordinator", "reviewer"]),
    }
    with app.app_context():
        author = db.session.get(User, users["member"].id)
        slugs = {}
        for name, visibility, status in (
            ("draft", "network", "draft"),
            ("review", "network", "in_review"),
            ("network", "network", "published"),
            ("restricted", "institutes", "published"),
        ):
            record = services.create_record(
                author,
                services.RecordFields(
                    title=f"{name} record",
                    model_name="Model C",
                    visibility=visibility,
                ),
            )
            services.replace_results(author, record, services.parse_result_lines(RESULTS))
            record.status = status
            slugs[name] = record.slug
        db.session.commit()
    return {"users": users, "slugs": slugs}


SEE_PUBLISHED = {
    "anonymous": 404,
    "member": 200,
    "reviewer": 200,
    "coordinator": 200,
    "outsider": 200,
}
OWNERS_ONLY = {
    "anonymous": 404,
    "member": 200,
    "reviewer": 200,
    "coordinator": 200,
    "outsider": 404,
}
EDIT_PUBLISHED = {
    "anonymous": 302,
    "member": 200,
    "reviewer": 200,
    "coordinator": 200,
    "outsider": 403,
}
EDIT_HIDDEN = {**OWNERS_ONLY, "anonymous": 302}
SIGNED_IN = {"anonymous": 302, "member": 200, "reviewer": 200, "coordinator": 200, "outsider": 200}
EVERYONE = dict.fromkeys(ROLES, 200)

MATRIX = [
    ("GET", "/evaluations/", None, EVERYONE),
    ("GET", "/evaluations/export.csv", None, EVERYONE),
    ("GET", "/evaluations/{network}", None, SEE_PUBLISHED),
    ("GET", "/evaluations/{network}.json", None, SEE_PUBLISHED),
    ("GET", "/evaluations/{network}/results.csv", None, SEE_PUBLISHED),
    ("GET", "/evaluations/{draft}", None, OWNERS_ONLY),
    ("GET", "/evaluations/{restricted}", None, OWNERS_ONLY),
    ("GET", "/evaluations/new", None, SIGNED_IN),
    ("GET", "/evaluations/import", None, SIGNED_IN),
    ("GET", "/evaluations/{network}/edit", None, EDIT_PUBLISHED),
    ("GET", "/evaluations/{network}/results", None, EDIT_PUBLISHED),
    ("GET", "/evaluations/{draft}/edit", None, EDIT_HIDDEN),
    ("GET", "/evaluations/import?record={network}", None, EDIT_PUBLISHED),
    (
        "POST",
        "/evaluations/{draft}/status",
        {"status": "in_review"},
        {"anonymous": 403, "member": 302, "reviewer": 302, "coordinator": 302, "outsider": 404},
    ),
    (
        "POST",
        "/evaluations/{review}/status",
        {"status": "published"},
        {"anonymous": 403, "member": 403, "reviewer": 302, "coordinator": 302, "outsider": 404},
    ),
    (
        "POST",
        "/evaluations/{network}/status",
        {"status": "archived"},
        {"anonymous": 403, "member": 403, "reviewer": 302, "coordinator": 302, "outsider": 403},
    ),
    (
        "POST",
        "/evaluations/{network}/citations",
        {"page": "nope"},
        {"anonymous": 403, "member": 302, "reviewer": 302, "coordinator": 302, "outsider": 403},
    ),
    (
        "POST",
        "/evaluations/{network}/results",
        {"results": RESULTS},
        {"anonymous": 403, "member": 302, "reviewer": 302, "coordinator": 302, "outsider": 403},
    ),
]


def test_every_evaluation_route_is_in_the_matrix(app):
    covered = {
        (
            m,
            u.split("?")[0]
            .replace("{network}", "<slug>")
            .replace("{draft}", "<slug>")
            .replace("{review}", "<slug>")
            .replace("{restricted}", "<slug>"),
        )
        for m, u, _d, _e in MATRIX
    }
    skipped = {
        "/evaluations/<slug>/logs/<int:log_id>",
        "/evaluations/import/confirm",
        "/evaluations/results.csv",
        "/evaluations/export.json",
        "/evaluations/<slug>/citations/<int:citation_id>/delete",
        "/evaluations/new",
        "/evaluations/<slug>/edit",
        "/evaluations/import",
        "/evaluations/<slug>/results",
    }  # POSTs covered by test_records/test_import
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("evaluations."):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (method, rule.rule) in covered or rule.rule in skipped, (method, rule.rule)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "url", "data", "expected"), MATRIX)
def test_matrix(app, client, auth, world, role, method, url, data, expected):
    if role != "anonymous":
        auth.sign_in(world["users"][role].email)
    target = url.format(**world["slugs"])
    response = client.get(target) if method == "GET" else client.post(target, data=data)
    assert response.status_code == expected[role], response.text[:500]


def test_refused_transitions_change_nothing(app, client, auth, world):
    auth.sign_in(world["users"]["member"].email)
    client.post(f"/evaluations/{world['slugs']['review']}/status", data={"status": "published"})
    with app.app_context():
        status = db.session.scalar(
            select(EvaluationRecord.status).where(EvaluationRecord.slug == world["slugs"]["review"])
        )
    assert status == "in_review"

"""Who may open each admin and coordinator route: a role by action matrix."""

import pytest

from exchange.accounts.models import Invitation
from exchange.db import utcnow
from exchange.extensions import db

ROLES = ("anonymous", "member", "reviewer", "coordinator", "admin")
ADMIN_ONLY = {"anonymous": 302, "member": 403, "reviewer": 403, "coordinator": 403, "admin": 200}
ADMIN_ONLY_POST = {**ADMIN_ONLY, "anonymous": 403}
COORDINATORS = {**ADMIN_ONLY, "coordinator": 200}
# An invitation is invisible to those who may not manage its institute: it answers 404.
UNSEEN_INVITATION = {"anonymous": 403, "member": 404, "reviewer": 404, "coordinator": 404}

# (method, endpoint, url template, expected status per role)
MATRIX = [
    ("GET", "admin.dashboard", "/admin/", {**ADMIN_ONLY, "admin": 302}),
    ("GET", "admin.list_users", "/admin/users", ADMIN_ONLY),
    (
        "GET",
        "admin.list_users",
        "/admin/users?institute=HOME&role=admin&status=active&q=a",
        ADMIN_ONLY,
    ),
    ("GET", "admin.edit_user", "/admin/users/{member_id}", ADMIN_ONLY),
    ("GET", "admin.edit_user", "/admin/users/999999", {**ADMIN_ONLY, "admin": 404}),
    ("POST", "admin.edit_user", "/admin/users/{member_id}", {**ADMIN_ONLY_POST, "admin": 302}),
    ("GET", "admin.list_institutes", "/admin/institutes", ADMIN_ONLY),
    ("GET", "admin.edit_institute", "/admin/institutes/new", ADMIN_ONLY),
    ("POST", "admin.edit_institute", "/admin/institutes/new", {**ADMIN_ONLY_POST, "admin": 302}),
    ("GET", "admin.edit_institute", "/admin/institutes/{home_id}", ADMIN_ONLY),
    ("GET", "admin.edit_institute", "/admin/institutes/999999", {**ADMIN_ONLY, "admin": 404}),
    (
        "POST",
        "admin.edit_institute",
        "/admin/institutes/{home_id}",
        {**ADMIN_ONLY_POST, "admin": 302},
    ),
    ("GET", "admin.list_audit_events", "/admin/audit", ADMIN_ONLY),
    ("GET", "admin.list_audit_events", "/admin/audit?event=sign_in&since=2026-01-01", ADMIN_ONLY),
    ("GET", "members.list_members", "/institute/", COORDINATORS),
    (
        "GET",
        "members.list_members",
        "/institute/?institute=OTHER",
        {**COORDINATORS, "coordinator": 404},
    ),
    (
        "GET",
        "members.list_members",
        "/institute/?institute=NOPE",
        {**COORDINATORS, "coordinator": 404, "admin": 404},
    ),
    ("GET", "members.invite_member", "/institute/invite", COORDINATORS),
    (
        "POST",
        "members.invite_member",
        "/institute/invite",
        {**ADMIN_ONLY_POST, "coordinator": 302, "admin": 302},
    ),
    (
        "POST",
        "members.revoke_invitation",
        "/institute/invitations/{home_invitation_id}/revoke",
        {**UNSEEN_INVITATION, "coordinator": 302, "admin": 302},
    ),
    (
        "POST",
        "members.revoke_invitation",
        "/institute/invitations/{other_invitation_id}/revoke",
        {**UNSEEN_INVITATION, "admin": 302},
    ),
]


@pytest.fixture
def world(app, make_institute, make_user, fetch):
    home = make_institute("HOME", domains=["home.example"])
    other = make_institute("OTHER", domains=["other.example"])
    users = {
        "member": make_user(institute=home),
        "reviewer": make_user(institute=home, roles=["reviewer"]),
        "coordinator": make_user(institute=home, roles=["coordinator"]),
        "admin": make_user(institute=home, roles=["admin"]),
    }
    with app.app_context():
        ids = {}
        for name, institute in (("home", home), ("other", other)):
            invitation = Invitation(
                email=f"pending@{name}.example",
                institute_id=institute.id,
                token_hash=name * 8,
                expires_at=utcnow().replace(year=2100),
            )
            db.session.add(invitation)
            db.session.commit()
            ids[name] = invitation.id
    return {
        "users": users,
        "values": {
            "member_id": users["member"].id,
            "home_id": home.id,
            "home_invitation_id": ids["home"],
            "other_invitation_id": ids["other"],
        },
        "forms": {
            "admin.edit_user": {
                "display_name": "Renamed",
                "institute": home.id,
                "is_active": "y",
            },
            "admin.edit_institute": {
                "code": "NEW-INST",
                "name_en": "New",
                "name_ko": "새 기관",
                "country": "KR",
                "domains": "new.example",
                "is_active": "y",
            },
            "members.invite_member": {
                "email": "newbie@home.example",
                "institute": home.id,
                "locale": "en",
            },
        },
    }


def test_every_admin_and_coordinator_route_is_in_the_matrix(app):
    covered = {(method, endpoint) for method, endpoint, _url, _expected in MATRIX}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in ("admin", "members"):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (method, rule.endpoint) in covered, f"{method} {rule.rule} untested"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "endpoint", "url", "expected"), MATRIX)
def test_matrix(app, client, auth, world, mailbox, role, method, endpoint, url, expected):
    if role != "anonymous":
        auth.sign_in(world["users"][role].email)
    target = url.format(**world["values"])
    if method == "GET":
        response = client.get(target)
    else:
        data = dict(world["forms"].get(endpoint, {}))
        if endpoint == "admin.edit_institute" and target.endswith(str(world["values"]["home_id"])):
            data.update(code="HOME", domains="home.example")
        response = client.post(target, data=data)
    assert response.status_code == expected[role], response.get_data(as_text=True)[:2000]


def test_revoked_invitation_really_changed_for_allowed_roles_only(client, auth, world, fetch):
    auth.sign_in(world["users"]["member"].email)
    client.post(f"/institute/invitations/{world['values']['home_invitation_id']}/revoke")
    assert fetch(Invitation, world["values"]["home_invitation_id"]).revoked_at is None

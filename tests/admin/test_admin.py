"""Admins manage institutes and users; every security-relevant change lands in the audit log."""

from sqlalchemy import select

from exchange.accounts.models import Institute, User
from exchange.audit.models import AuditEvent
from exchange.extensions import db
from exchange.notifications.models import Notification

INSTITUTE = {
    "code": "fr-inesia",
    "name_en": "INESIA",
    "name_ko": "프랑스 INESIA",
    "country": "fr",
    "domains": "inesia.example\n@lab.inesia.example, ",
    "is_active": "y",
}


def admin_client(client, auth, make_user, **kwargs):
    admin = make_user(roles=["admin"], **kwargs)
    auth.sign_in(admin.email)
    return admin


def audit(app, event):
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.event == event)).all()


def test_create_institute_normalises_code_country_and_domains(app, client, auth, make_user, fetch):
    admin_client(client, auth, make_user)
    assert client.post("/admin/institutes/new", data=INSTITUTE).status_code == 302
    institute = fetch(Institute, code="FR-INESIA")
    assert institute.country == "FR"
    with app.app_context():
        domains = db.session.get(Institute, institute.id).domain_names
    assert domains == ["inesia.example", "lab.inesia.example"]
    assert audit(app, "institute_created")
    page = client.get("/admin/institutes").get_data(as_text=True)
    assert "FR-INESIA" in page and "프랑스 INESIA" in page


def test_institute_errors_keep_input(client, auth, make_user, make_institute):
    make_institute("KR-AISI", domains=["kr.example"])
    admin_client(client, auth, make_user)
    page = client.post("/admin/institutes/new", data={**INSTITUTE, "code": "KR-AISI"}).get_data(
        as_text=True
    )
    assert "Another institute already uses this code." in page
    assert 'value="INESIA"' in page
    page = client.post(
        "/admin/institutes/new", data={**INSTITUTE, "domains": "kr.example\nnot a domain"}
    ).get_data(as_text=True)
    assert "Not a valid domain: a, domain, not" in page
    page = client.post(
        "/admin/institutes/new", data={**INSTITUTE, "domains": "kr.example"}
    ).get_data(as_text=True)
    assert "Already used by another institute: kr.example" in page
    page = client.post("/admin/institutes/new", data={**INSTITUTE, "country": "France"}).get_data(
        as_text=True
    )
    assert "two-letter" in page


def test_role_change_is_audited_and_notified(app, client, auth, make_user, fetch):
    admin = admin_client(client, auth, make_user)
    member = make_user()
    response = client.post(
        f"/admin/users/{member.id}",
        data={
            "display_name": member.display_name,
            "institute": member.institute_id,
            "roles": ["coordinator", "reviewer"],
            "is_active": "y",
        },
    )
    assert response.status_code == 302
    [event] = audit(app, "role_changed")
    assert event.actor_id == admin.id and event.subject_user_id == member.id
    assert event.details == {"before": [], "after": ["coordinator", "reviewer"]}
    with app.app_context():
        kinds = db.session.scalars(
            select(Notification.kind).where(Notification.user_id == member.id)
        ).all()
        roles = {r.role for r in db.session.get(User, member.id).role_rows}
    assert kinds == ["roles_changed"]
    assert roles == {"coordinator", "reviewer"}


def test_deactivation_ends_sessions_and_blocks_sign_in(app, client, auth, make_user):
    admin_client(client, auth, make_user)
    member = make_user()
    member_client = app.test_client()
    member_client.post(
        "/sign-in", data={"email": member.email, "password": "correct horse battery staple"}
    )
    assert member_client.get("/account").status_code == 200
    client.post(
        f"/admin/users/{member.id}",
        data={"display_name": member.display_name, "institute": member.institute_id},
    )
    assert audit(app, "user_deactivated")
    assert member_client.get("/account").status_code == 302
    response = member_client.post(
        "/sign-in", data={"email": member.email, "password": "correct horse battery staple"}
    )
    assert response.status_code == 200


def test_admin_cannot_lock_themselves_out(client, auth, make_user, fetch):
    admin = admin_client(client, auth, make_user)
    page = client.post(
        f"/admin/users/{admin.id}",
        data={"display_name": "Me", "institute": admin.institute_id, "is_active": "y"},
    ).get_data(as_text=True)
    assert "cannot remove your own admin role" in page
    assert 'value="Me"' in page
    assert fetch(User, admin.id).display_name != "Me"


def test_user_list_filters(client, auth, make_user, make_institute):
    admin_client(client, auth, make_user)
    other = make_institute("JP-AISI", domains=["jp.example"])
    make_user(display_name="Sato Reviewer", institute=other, roles=["reviewer"])
    make_user(display_name="Quiet Member", institute=other, active=False)
    page = client.get("/admin/users?institute=JP-AISI&role=reviewer").get_data(as_text=True)
    assert "Sato Reviewer" in page and "Quiet Member" not in page
    page = client.get("/admin/users?status=inactive").get_data(as_text=True)
    assert "Quiet Member" in page and "Sato Reviewer" not in page
    page = client.get("/admin/users?q=sato").get_data(as_text=True)
    assert "Sato Reviewer" in page
    assert client.get("/admin/users?page=abc").status_code == 404
    assert client.get("/admin/users?page=99").status_code == 404


def test_audit_log_shows_and_filters_security_events(app, client, auth, make_user):
    admin = admin_client(client, auth, make_user)
    app.test_client().post(
        "/sign-in", data={"email": "ghost@nowhere.example", "password": "some wrong password"}
    )
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "sign_in_failed" in page and "ghost@nowhere.example" in page
    assert admin.email in page
    page = client.get("/admin/audit?event=sign_in_failed").get_data(as_text=True)
    assert "ghost@nowhere.example" in page
    page = client.get("/admin/audit?email=nobody-at-all").get_data(as_text=True)
    assert "ghost@nowhere.example" not in page
    assert client.get("/admin/audit?since=not-a-date").status_code == 200

"""Coordinators invite colleagues; the invitee follows the e-mailed link and lands signed in."""

from datetime import timedelta

from sqlalchemy import select, update

from exchange.accounts.models import Invitation, User
from exchange.audit.models import AuditEvent
from exchange.db import utcnow
from exchange.extensions import db
from exchange.notifications.models import Notification

JOIN = {
    "display_name": "Min Seo",
    "password": "joining passphrase 2026",
    "password_confirm": "joining passphrase 2026",
}


def coordinator_of(make_institute, make_user):
    institute = make_institute("KR-AISI", domains=["kr.example"])
    return institute, make_user(institute=institute, roles=["coordinator"])


def invite(client, email, **extra):
    return client.post("/institute/invite", data={"email": email, "locale": "en", **extra})


def test_invitation_end_to_end(app, client, auth, make_institute, make_user, mailbox, fetch):
    institute, coordinator = coordinator_of(make_institute, make_user)
    auth.sign_in(coordinator.email)
    response = invite(client, "minseo@kr.example", institute=institute.id, roles=["reviewer"])
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "minseo@kr.example" in page  # listed as an open invitation
    message = mailbox.last("minseo@kr.example")
    assert coordinator.display_name in message.subject
    link = message.path("/invitations/")
    invitee = app.test_client()
    assert "minseo@kr.example" in invitee.get(link).get_data(as_text=True)
    response = invitee.post(link, data=JOIN)
    assert response.status_code == 302
    assert "Min Seo" in invitee.get("/").get_data(as_text=True)
    user = fetch(User, email="minseo@kr.example")
    assert user.institute_id == institute.id and user.email_confirmed_at is not None
    with app.app_context():
        roles = {r.role for r in db.session.get(User, user.id).role_rows}
        notices = db.session.scalars(
            select(Notification.kind).where(Notification.user_id == coordinator.id)
        ).all()
        events = db.session.scalars(select(AuditEvent.event)).all()
    assert roles == {"reviewer"}
    assert "invitation_accepted" in notices
    assert {"invitation_sent", "invitation_accepted"} <= set(events)
    # Single use: the link is dead now, for anyone.
    assert app.test_client().get(link).status_code == 404
    assert app.test_client().post(link, data=JOIN).status_code == 404


def test_coordinator_cannot_invite_outside_their_domains(
    client, auth, make_institute, make_user, mailbox
):
    institute, coordinator = coordinator_of(make_institute, make_user)
    auth.sign_in(coordinator.email)
    page = invite(client, "someone@elsewhere.example", institute=institute.id).get_data(
        as_text=True
    )
    assert "kr.example" in page and 'value="someone@elsewhere.example"' in page
    assert mailbox.messages == []


def test_coordinator_cannot_grant_admin(client, auth, make_institute, make_user, mailbox):
    institute, coordinator = coordinator_of(make_institute, make_user)
    auth.sign_in(coordinator.email)
    response = invite(client, "x@kr.example", institute=institute.id, roles=["admin"])
    assert response.status_code == 200  # "admin" is not a valid choice for them
    assert mailbox.messages == []


def test_coordinator_cannot_invite_into_another_institute(
    client, auth, make_institute, make_user, mailbox
):
    _institute, coordinator = coordinator_of(make_institute, make_user)
    other = make_institute("UK-AISI", domains=["uk.example"])
    auth.sign_in(coordinator.email)
    assert client.get("/institute/?institute=UK-AISI").status_code == 404
    response = invite(client, "x@uk.example", institute=other.id)
    assert response.status_code == 200  # not one of their choices
    assert mailbox.messages == []


def test_admin_may_invite_anywhere_with_any_role(client, auth, make_institute, make_user, mailbox):
    admin = make_user(roles=["admin"])
    target = make_institute("JP-AISI", domains=["jp.example"])
    auth.sign_in(admin.email)
    response = client.post(
        "/institute/invite?institute=JP-AISI",
        data={
            "email": "guest@partner.example",
            "institute": target.id,
            "roles": ["admin"],
            "locale": "ko",
        },
    )
    assert response.status_code == 302
    assert any("\uac00" <= ch <= "\ud7a3" for ch in mailbox.last("guest@partner.example").body)


def test_existing_account_cannot_be_invited(client, auth, make_institute, make_user, mailbox):
    institute, coordinator = coordinator_of(make_institute, make_user)
    make_user(email="here@kr.example", institute=institute)
    auth.sign_in(coordinator.email)
    page = invite(client, "here@kr.example", institute=institute.id).get_data(as_text=True)
    assert "already has an account" in page


def test_reinviting_replaces_the_old_link_and_revoking_kills_it(
    app, client, auth, make_institute, make_user, mailbox, fetch
):
    institute, coordinator = coordinator_of(make_institute, make_user)
    auth.sign_in(coordinator.email)
    invite(client, "twice@kr.example", institute=institute.id)
    invite(client, "twice@kr.example", institute=institute.id)
    first, second = (m.path("/invitations/") for m in mailbox.to("twice@kr.example"))
    assert app.test_client().get(first).status_code == 404
    assert app.test_client().get(second).status_code == 200
    invitation = fetch(Invitation, email="twice@kr.example", revoked_at=None)
    response = client.post(f"/institute/invitations/{invitation.id}/revoke")
    assert response.status_code == 302
    assert app.test_client().get(second).status_code == 404


def test_expired_invitation(app, client, auth, make_institute, make_user, mailbox):
    institute, coordinator = coordinator_of(make_institute, make_user)
    auth.sign_in(coordinator.email)
    invite(client, "late@kr.example", institute=institute.id)
    link = mailbox.last("late@kr.example").path("/invitations/")
    with app.app_context():
        db.session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert app.test_client().post(link, data=JOIN).status_code == 404


def test_invitation_form_errors_keep_input(app, client, auth, make_institute, make_user, mailbox):
    institute, coordinator = coordinator_of(make_institute, make_user)
    auth.sign_in(coordinator.email)
    invite(client, "keep@kr.example", institute=institute.id)
    link = mailbox.last("keep@kr.example").path("/invitations/")
    invitee = app.test_client()
    page = invitee.post(link, data={**JOIN, "password_confirm": "different"}).get_data(as_text=True)
    assert "The passwords differ." in page and 'value="Min Seo"' in page
    assert invitee.post(link, data=JOIN).status_code == 302  # the link still works


def test_other_institutes_invitation_cannot_be_revoked(
    client, auth, make_institute, make_user, fetch
):
    _institute, coordinator = coordinator_of(make_institute, make_user)
    other = make_institute("UK-AISI", domains=["uk.example"])
    other_coordinator = make_user(institute=other, roles=["coordinator"])
    auth.sign_in(other_coordinator.email)
    invite(client, "a@uk.example", institute=other.id)
    invitation = fetch(Invitation, email="a@uk.example")
    auth.sign_out()
    auth.sign_in(coordinator.email)
    assert client.post(f"/institute/invitations/{invitation.id}/revoke").status_code == 404
    assert fetch(Invitation, invitation.id).revoked_at is None

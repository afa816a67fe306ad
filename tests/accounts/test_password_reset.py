"""Password reset by e-mail: single-use, expiring, and it ends every other session."""

from datetime import timedelta

from sqlalchemy import update

from exchange.accounts.models import AccountToken
from exchange.db import utcnow
from exchange.extensions import db

NEW = "a brand new passphrase"


def ask(client, email):
    return client.post("/forgot-password", data={"email": email})


def test_reset_flow_signs_in_and_old_password_stops_working(app, client, auth, make_user, mailbox):
    user = make_user()
    other_device = app.test_client()
    other_device.post(
        "/sign-in", data={"email": user.email, "password": "correct horse battery staple"}
    )
    assert other_device.get("/account").status_code == 200
    assert "Check your e-mail" in ask(client, user.email).get_data(as_text=True)
    link = mailbox.last(user.email).path("/reset-password/")
    response = client.post(link, data={"password": NEW, "password_confirm": NEW})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert other_device.get("/account").status_code == 302  # the other session ended
    auth.sign_out()
    assert auth.sign_in(user.email).status_code == 200
    assert auth.sign_in(user.email, NEW).status_code == 302
    # Single use.
    assert client.get(link).status_code == 404


def test_unknown_address_gets_the_same_answer_and_no_mail(client, mailbox):
    page = ask(client, "nobody@nowhere.example").get_data(as_text=True)
    assert "Check your e-mail" in page
    assert mailbox.messages == []


def test_expired_reset_link(app, client, make_user, mailbox):
    user = make_user()
    ask(client, user.email)
    link = mailbox.last(user.email).path("/reset-password/")
    with app.app_context():
        db.session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    assert client.post(link, data={"password": NEW, "password_confirm": NEW}).status_code == 404


def test_bad_new_password_keeps_the_link_usable(client, make_user, mailbox):
    user = make_user()
    ask(client, user.email)
    link = mailbox.last(user.email).path("/reset-password/")
    page = client.post(link, data={"password": "short", "password_confirm": "short"})
    assert page.status_code == 200
    assert client.post(link, data={"password": NEW, "password_confirm": NEW}).status_code == 302


def test_reset_mail_is_in_the_users_language(client, make_user, mailbox):
    user = make_user(locale="ko")
    ask(client, user.email)
    message = mailbox.last(user.email)
    assert "Exchange" in message.subject
    assert any("\uac00" <= ch <= "\ud7a3" for ch in message.body)  # Hangul

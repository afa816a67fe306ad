"""Self sign-up on an institute's e-mail domain, confirmed by a single-use e-mailed link."""

from datetime import timedelta

from sqlalchemy import update

from exchange.accounts.models import AccountToken, User
from exchange.db import utcnow
from exchange.extensions import db

FORM = {
    "display_name": "Jiwoo Han",
    "password": "a long enough passphrase",
    "password_confirm": "a long enough passphrase",
}


def sign_up(client, email, **overrides):
    return client.post("/sign-up", data={**FORM, "email": email, **overrides})


def test_sign_up_confirm_and_land_signed_in(client, make_institute, mailbox, fetch):
    make_institute("KR-AISI", domains=["kr.example"])
    response = sign_up(client, "jiwoo@kr.example")
    assert "Check your e-mail" in response.get_data(as_text=True)
    user = fetch(User, email="jiwoo@kr.example")
    assert user.email_confirmed_at is None
    assert (
        client.post(
            "/sign-in", data={"email": user.email, "password": FORM["password"]}
        ).status_code
        == 200
    )  # not yet confirmed
    message = mailbox.last("jiwoo@kr.example")
    link = message.path("/confirm/")
    assert client.get(link).status_code == 200  # a GET shows a button, changes nothing
    assert fetch(User, user.id).email_confirmed_at is None
    response = client.post(link)
    assert response.status_code == 302
    assert "Jiwoo Han" in client.get("/").get_data(as_text=True)
    assert fetch(User, user.id).email_confirmed_at is not None
    # Single use: the same link is now dead.
    assert client.get(link).status_code == 404
    assert client.post(link).status_code == 404


def test_sub_domains_of_an_institute_domain_are_accepted(client, make_institute, fetch):
    institute = make_institute("UK-AISI", domains=["uk.example"])
    sign_up(client, "Someone@Cyber.UK.example")
    user = fetch(User, email="someone@cyber.uk.example")
    assert user is not None and user.institute_id == institute.id


def test_foreign_domain_is_refused_and_the_form_keeps_the_text(client, make_institute, fetch):
    make_institute("KR-AISI", domains=["kr.example"])
    response = sign_up(client, "jiwoo@gmail.example")
    page = response.get_data(as_text=True)
    assert "partner institutes only" in page
    assert 'value="Jiwoo Han"' in page and 'value="jiwoo@gmail.example"' in page
    assert fetch(User, email="jiwoo@gmail.example") is None


def test_field_errors_for_short_and_mismatched_passwords(client, make_institute):
    make_institute("KR-AISI", domains=["kr.example"])
    page = sign_up(client, "a@kr.example", password="short", password_confirm="shorter").get_data(
        as_text=True
    )
    assert "The passwords differ." in page
    assert 'aria-invalid="true"' in page
    assert 'value="a@kr.example"' in page


def test_existing_address_is_not_revealed_but_its_owner_is_told(
    client, make_institute, make_user, mailbox
):
    institute = make_institute("KR-AISI", domains=["kr.example"])
    make_user(email="taken@kr.example", institute=institute)
    response = sign_up(client, "taken@kr.example")
    assert "Check your e-mail" in response.get_data(as_text=True)
    assert "already has an account" in mailbox.last("taken@kr.example").body


def test_expired_confirmation_link_is_refused(app, client, make_institute, mailbox, fetch):
    make_institute("KR-AISI", domains=["kr.example"])
    sign_up(client, "late@kr.example")
    link = mailbox.last("late@kr.example").path("/confirm/")
    with app.app_context():
        db.session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert client.get(link).status_code == 404
    assert client.post(link).status_code == 404
    assert fetch(User, email="late@kr.example").email_confirmed_at is None


def test_confirmation_link_can_be_sent_again(client, make_institute, mailbox):
    make_institute("KR-AISI", domains=["kr.example"])
    sign_up(client, "again@kr.example")
    client.post("/confirm/resend", data={"email": "again@kr.example"})
    links = [m.path("/confirm/") for m in mailbox.to("again@kr.example")]
    assert len(links) == 2 and links[0] != links[1]
    assert client.post(links[1]).status_code == 302

"""Signing in and out, with the audit trail and the per-account and per-address limits."""

from sqlalchemy import select

from exchange.audit.models import AuditEvent
from exchange.extensions import db


def events(app, name):
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.event == name)).all()


def test_sign_in_with_right_password_lands_home(client, auth, make_user, app):
    user = make_user(display_name="Ada")
    response = auth.sign_in(user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Ada" in page
    assert [e.subject_user_id for e in events(app, "sign_in")] == [user.id]


def test_wrong_password_rerenders_with_email_kept_and_is_audited(client, auth, make_user, app):
    user = make_user()
    response = auth.sign_in(user.email, "not the password at all")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Wrong e-mail address or password." in page
    assert f'value="{user.email}"' in page
    failed = events(app, "sign_in_failed")
    assert len(failed) == 1 and failed[0].email == user.email


def test_unknown_account_gets_the_same_answer(auth):
    page = auth.sign_in("nobody@nowhere.example", "whatever password").get_data(as_text=True)
    assert "Wrong e-mail address or password." in page


def test_unconfirmed_and_deactivated_accounts_cannot_sign_in(client, auth, make_user):
    unconfirmed = make_user(confirmed=False)
    page = auth.sign_in(unconfirmed.email).get_data(as_text=True)
    assert "confirm your e-mail address first" in page
    deactivated = make_user(active=False)
    page = auth.sign_in(deactivated.email).get_data(as_text=True)
    assert "Wrong e-mail address or password." in page
    assert client.get("/account").status_code == 302


def test_sixth_failed_attempt_on_one_account_is_refused_with_429(client, auth, make_user, app):
    user = make_user()
    for _ in range(5):
        assert auth.sign_in(user.email, "wrong password!!").status_code == 200
    response = auth.sign_in(user.email)  # even the right password waits now
    assert response.status_code == 429
    assert "Too many requests" in response.get_data(as_text=True)
    assert "Retry-After" in response.headers
    assert events(app, "sign_in_rate_limited")
    # Another account from the same address is not locked by this one.
    other = make_user()
    assert auth.sign_in(other.email).status_code == 302


def test_successful_sign_ins_do_not_count_against_the_account(auth, make_user, client):
    user = make_user()
    for _ in range(7):
        assert auth.sign_in(user.email).status_code == 302
        auth.sign_out()


def test_per_address_limit(app, auth, make_user):
    app.config["RATELIMIT_SIGNIN_PER_ADDRESS"] = "3 per 15 minutes"
    try:
        users = [make_user() for _ in range(4)]
        codes = [auth.sign_in(u.email, "wrong password!!").status_code for u in users]
    finally:
        app.config["RATELIMIT_SIGNIN_PER_ADDRESS"] = "30 per 15 minutes"
    assert codes == [200, 200, 200, 429]


def test_sign_out_requires_post_and_ends_the_session(client, auth, make_user, app):
    user = make_user()
    auth.sign_in(user.email)
    assert client.get("/sign-out").status_code == 405
    assert auth.sign_out().status_code == 302
    assert client.get("/account").status_code == 302
    assert events(app, "sign_out")


def test_next_parameter_is_followed_only_when_local(client, auth, make_user):
    user = make_user()
    response = client.post(
        "/sign-in",
        data={"email": user.email, "password": "correct horse battery staple", "next": "/account"},
    )
    assert response.headers["Location"] == "/account"
    auth.sign_out()
    response = client.post(
        "/sign-in",
        data={
            "email": user.email,
            "password": "correct horse battery staple",
            "next": "//evil.example/phish",
        },
    )
    assert response.headers["Location"] == "/"


def test_password_hash_is_argon2id(make_user, fetch):
    from exchange.accounts.models import User

    user = fetch(User, make_user().id)
    assert user.password_hash.startswith("$argon2id$")

"""Profile, interface language and password change."""

from exchange.accounts.models import User

NEW = "a brand new passphrase"


def test_language_choice_is_remembered_on_the_account(app, client, auth, make_user, fetch):
    user = make_user()
    auth.sign_in(user.email)
    client.post("/language", data={"locale": "ko", "next": "/account"})
    assert fetch(User, user.id).locale == "ko"
    fresh = app.test_client()
    fresh.post("/sign-in", data={"email": user.email, "password": "correct horse battery staple"})
    page = fresh.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ko">' in page


def test_profile_form_saves_name_and_language(client, auth, make_user, fetch):
    user = make_user()
    auth.sign_in(user.email)
    response = client.post("/account", data={"display_name": "New Name", "locale": "en"})
    assert response.status_code == 302
    saved = fetch(User, user.id)
    assert (saved.display_name, saved.locale) == ("New Name", "en")


def test_profile_form_errors_keep_input(client, auth, make_user):
    user = make_user()
    auth.sign_in(user.email)
    page = client.post("/account", data={"display_name": "", "locale": "ko"})
    assert page.status_code == 200
    assert 'aria-invalid="true"' in page.get_data(as_text=True)


def test_change_password_needs_the_current_one(client, auth, make_user):
    user = make_user()
    auth.sign_in(user.email)
    response = client.post(
        "/account/password",
        data={"current_password": "wrong one entirely", "password": NEW, "password_confirm": NEW},
    )
    assert response.status_code == 400
    assert "current password is not correct" in response.get_data(as_text=True)
    response = client.post(
        "/account/password",
        data={
            "current_password": "correct horse battery staple",
            "password": NEW,
            "password_confirm": NEW,
        },
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # this session survives
    auth.sign_out()
    assert auth.sign_in(user.email, NEW).status_code == 302

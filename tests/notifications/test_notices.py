"""In-app notices: the page, the unread count in the header, marking read."""

from sqlalchemy import select

from exchange.accounts.models import User
from exchange.extensions import db
from exchange.i18n_catalogs import read_catalog
from exchange.notifications.models import Notification
from exchange.notifications.services import notify


def add_notice(app, user, kind="roles_changed", link=None, **params):
    with app.app_context():
        notice = notify(db.session.get(User, user.id), kind, link=link, **params)
        db.session.commit()
        return notice.id


def test_unread_count_page_and_mark_all_read(app, client, auth, make_user):
    user = make_user()
    add_notice(app, user, roles="member, reviewer")
    add_notice(app, user, kind="password_changed")
    auth.sign_in(user.email)
    assert '<span class="count"' in client.get("/").text
    page = client.get("/notifications/").text
    assert "Your roles on Exchange are now: member, reviewer." in page
    client.post("/notifications/read")
    assert '<span class="count"' not in client.get("/").text


def test_notice_text_follows_the_readers_language(app, client, auth, make_user):
    user = make_user(locale="ko")
    add_notice(app, user, kind="password_changed")
    auth.sign_in(user.email)
    korean = (
        read_catalog("ko")
        .get("Your password was changed. If this was not you, reset it now.")
        .string
    )
    assert korean in client.get("/notifications/").text


def test_opening_a_notice_marks_it_read_and_follows_only_local_links(app, client, auth, make_user):
    user = make_user()
    local = add_notice(app, user, link="/account")
    remote = add_notice(app, user, link="https://evil.example/")
    auth.sign_in(user.email)
    assert client.post(f"/notifications/{local}/open").headers["Location"] == "/account"
    assert client.post(f"/notifications/{remote}/open").headers["Location"] == "/notifications/"
    with app.app_context():
        unread = db.session.scalars(
            select(Notification).where(Notification.read_at.is_(None))
        ).all()
    assert unread == []


def test_someone_elses_notice_is_not_found(app, client, auth, make_user):
    owner, other = make_user(), make_user()
    notice = add_notice(app, owner)
    auth.sign_in(other.email)
    assert client.post(f"/notifications/{notice}/open").status_code == 404
    assert "Your roles" not in client.get("/notifications/").text


def test_notices_need_sign_in(client):
    assert client.get("/notifications/").status_code == 302

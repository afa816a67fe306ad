"""Demo data: the network's institutes and accounts for every role, loaded once, flagged."""

from sqlalchemy import func, select

from exchange.accounts.models import Institute, User
from exchange.demo import ACCOUNTS, DEMO_PASSWORD, INSTITUTES, load_demo_data
from exchange.extensions import db


def test_demo_load_is_idempotent_and_flagged(app):
    with app.app_context():
        first = load_demo_data()
        second = load_demo_data()
        assert first == {"institutes": len(INSTITUTES), "users": len(ACCOUNTS)}
        assert second == {"institutes": 0, "users": 0}
        assert db.session.scalar(select(func.count(User.id)).where(User.is_demo.is_(False))) == 0
        codes = set(db.session.scalars(select(Institute.code)))
    assert {
        "KR-AISI",
        "UK-AISI",
        "US-CAISI",
        "JP-AISI",
        "SG-AISI",
        "CA-AISI",
        "EU-AIO",
        "FR-INESIA",
        "AU-AISI",
        "KE-AI",
    } <= codes


def test_every_role_has_a_demo_account_at_korea_and_uk(app):
    with app.app_context():
        load_demo_data()
        for code in ("KR-AISI", "UK-AISI"):
            users = db.session.scalars(
                select(User).join(Institute).where(Institute.code == code)
            ).all()
            roles = set().union(*(u.roles for u in users))
            assert {"member", "coordinator", "reviewer", "admin"} <= roles


def test_demo_accounts_sign_in_and_show_the_badge(app, client):
    with app.app_context():
        load_demo_data()
    response = client.post(
        "/sign-in", data={"email": "admin@uk-aisi.example", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert 'class="badge demo"' in client.get("/admin/users").text


def test_cli_prints_the_accounts(app):
    result = app.test_cli_runner().invoke(args=["exchange", "demo"])
    assert result.exit_code == 0
    assert "coordinator@kr-aisi.example" in result.output and DEMO_PASSWORD in result.output

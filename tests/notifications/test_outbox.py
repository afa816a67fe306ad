"""The e-mail outbox: sent after commit, retried on failure, never lost, never doubled."""

import time
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, update

from exchange import create_app
from exchange.db import utcnow
from exchange.extensions import db
from exchange.notifications import outbox
from exchange.notifications.models import OutboxEmail


def all_mail(app):
    with app.app_context():
        return db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()


def test_failed_send_keeps_the_message_and_a_later_pass_delivers_it(
    app, client, make_user, mailbox
):
    user = make_user()
    mailbox.refuse = True
    response = client.post("/forgot-password", data={"email": user.email})
    assert response.status_code == 200  # the request does not fail with the SMTP server
    [message] = all_mail(app)
    assert message.status == "pending" and message.attempts == 1
    assert "451" in message.last_error
    assert message.next_attempt_at > utcnow()
    mailbox.refuse = False
    with app.app_context():
        assert outbox.send_due() == (0, 0)  # not due yet: back-off
        db.session.execute(update(OutboxEmail).values(next_attempt_at=utcnow()))
        db.session.commit()
        assert outbox.send_due() == (1, 0)
    assert mailbox.last(user.email).path("/reset-password/")
    [message] = all_mail(app)
    assert message.status == "sent" and message.attempts == 2 and message.last_error is None


def test_unreachable_server_does_not_break_the_request(app, client, make_user, mailbox):
    user = make_user()
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1  # nothing listens there
    try:
        response = client.post("/forgot-password", data={"email": user.email})
    finally:
        app.config["MAIL_PORT"] = port
    assert response.status_code == 200
    [message] = all_mail(app)
    assert message.status == "pending" and "ConnectionRefused" in message.last_error


def test_gives_up_after_max_attempts(app, make_user, mailbox):
    mailbox.refuse = True
    with app.app_context():
        outbox.queue_email(
            "a@b.example",
            "Subject",
            "account_exists",
            user=make_user(),
            sign_in_url="x",
            reset_url="y",
        )
        db.session.commit()
        for _ in range(app.config["MAIL_MAX_ATTEMPTS"]):
            db.session.execute(update(OutboxEmail).values(next_attempt_at=utcnow()))
            db.session.commit()
            outbox.send_due()
    [message] = all_mail(app)
    assert message.status == "failed" and message.attempts == app.config["MAIL_MAX_ATTEMPTS"]


def test_rolled_back_change_sends_nothing(app, make_user, mailbox):
    with app.app_context():
        outbox.queue_email(
            "a@b.example",
            "Subject",
            "account_exists",
            user=make_user(),
            sign_in_url="x",
            reset_url="y",
        )
        db.session.rollback()
        outbox.dispatch(force=True)
    assert all_mail(app) == [] and mailbox.messages == []


def test_a_message_is_claimed_by_one_sender_only(app, make_user):
    with app.app_context():
        outbox.queue_email(
            "a@b.example",
            "Subject",
            "account_exists",
            user=make_user(),
            sign_in_url="x",
            reset_url="y",
        )
        db.session.commit()
        now = utcnow()
        first = outbox._claim(now)
        second = outbox._claim(now)
        assert first is not None and second is None
        # A claim abandoned by a crashed sender is taken over after a while.
        later = now + outbox.STALE_CLAIM + timedelta(seconds=1)
        assert outbox._claim(later).id == first.id


def test_cli_sends_due_messages(app, make_user, mailbox):
    with app.app_context():
        outbox.queue_email(
            "cli@b.example",
            "Subject",
            "account_exists",
            user=make_user(),
            sign_in_url="x",
            reset_url="y",
        )
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["exchange", "outbox", "send"])
    assert "1 sent" in result.output
    assert mailbox.to("cli@b.example")


def test_file_backend_writes_to_the_instance_folder(app, make_user, tmp_path, caplog):
    app.config["MAIL_BACKEND"] = "file"
    instance = app.instance_path
    app.instance_path = str(tmp_path)
    try:
        with app.app_context():
            outbox.queue_email(
                "f@b.example",
                "Hello file",
                "account_exists",
                user=make_user(),
                sign_in_url="http://x/sign-in",
                reset_url="y",
            )
            db.session.commit()
            with caplog.at_level("INFO"):
                assert outbox.send_due() == (1, 0)
    finally:
        app.config["MAIL_BACKEND"] = "smtp"
        app.instance_path = instance
    [written] = (tmp_path / "mail").glob("*.eml")
    assert b"Hello file" in written.read_bytes()
    assert "http://x/sign-in" in caplog.text


@pytest.mark.own_database
def test_background_worker_sends_after_commit(tmp_path, smtp_server, mailbox):
    """The production dispatcher: a worker thread, with the data really committed."""
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/worker.sqlite3",
            "MAIL_DISPATCH": "thread",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_server.port,
        }
    )
    with app.app_context():
        upgrade()
        outbox.queue_email(
            "worker@b.example",
            "From the worker",
            "confirm_email",
            user=type("U", (), {"display_name": "W"})(),
            confirm_url="u",
            max_age=timedelta(hours=1),
        )
        db.session.commit()
        outbox.dispatch()
    try:
        deadline = time.monotonic() + 10
        while not mailbox.to("worker@b.example") and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        outbox.stop_workers()
    assert mailbox.last("worker@b.example").subject == "From the worker"
    with app.app_context():
        assert db.session.scalar(select(OutboxEmail.status)) == "sent"

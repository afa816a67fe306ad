"""One line per request on "exchange.request", JSON or text, and the X-Request-ID header."""

from __future__ import annotations

import json
import re

import pytest

from exchange.config import CONFIGS
from exchange.ops.request_log import REQUEST_ID_HEADER


@pytest.fixture
def logging_on(app, request_lines):
    """Switch the suite's app to request logs in ``LOG_FORMAT`` json (tests may change it)."""
    saved = {key: app.config[key] for key in ("LOG_REQUESTS", "LOG_FORMAT")}
    app.config.update(LOG_REQUESTS=True, LOG_FORMAT="json")
    yield request_lines
    app.config.update(saved)


def only_line(records) -> dict:
    assert len(records) == 1, [r.getMessage() for r in records]
    return json.loads(records[0].getMessage())


def test_a_request_is_one_json_line(client, logging_on):
    response = client.get("/search?q=secret+words&kind=wiki")
    line = only_line(logging_on)
    assert set(line) == {
        "time",
        "request_id",
        "method",
        "path",
        "query_length",
        "status",
        "duration_ms",
        "user_id",
        "remote_addr",
        "size",
    }
    assert line["method"] == "GET"
    assert line["path"] == "/search"
    assert "secret" not in logging_on[0].getMessage()
    assert line["query_length"] == len("q=secret+words&kind=wiki")
    assert line["status"] == response.status_code
    assert line["size"] == len(response.data)
    assert line["user_id"] is None
    assert line["remote_addr"] == "127.0.0.1"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
    assert response.headers[REQUEST_ID_HEADER] == line["request_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", line["request_id"])
    assert logging_on[0].request == line  # the fields also travel on the record


def test_a_sane_incoming_request_id_is_kept(client, logging_on):
    response = client.get("/healthz", headers={REQUEST_ID_HEADER: "lb-7f3a.2_9"})
    assert response.headers[REQUEST_ID_HEADER] == "lb-7f3a.2_9"
    assert only_line(logging_on)["request_id"] == "lb-7f3a.2_9"


@pytest.mark.parametrize(
    "incoming", ["x" * 65, "has space", "semi;colon", "new\\nline", "ünïcode", ""]
)
def test_an_odd_incoming_request_id_is_replaced(client, logging_on, incoming):
    response = client.get("/healthz", headers={REQUEST_ID_HEADER: incoming})
    given = response.headers[REQUEST_ID_HEADER]
    assert given != incoming and re.fullmatch(r"[0-9a-f]{32}", given)
    assert only_line(logging_on)["request_id"] == given


def test_each_request_gets_its_own_id(client, logging_on):
    ids = {client.get("/healthz").headers[REQUEST_ID_HEADER] for _ in range(5)}
    assert len(ids) == 5


def test_the_signed_in_user_is_logged(client, auth, make_user, logging_on):
    user = make_user()
    auth.sign_in(user.email)
    logging_on.clear()
    client.get("/")
    assert only_line(logging_on)["user_id"] == user.id


def test_errors_and_refusals_are_logged_with_their_status(client, logging_on):
    client.get("/no-such-page")
    client.post("/sign-in", data={"email": "a@b.example", "password": "x"}, csrf=False)
    statuses = [json.loads(r.getMessage())["status"] for r in logging_on]
    assert statuses == [404, 400]


def test_the_text_format_is_for_people(app, client, logging_on):
    app.config["LOG_FORMAT"] = "text"
    response = client.get("/wiki%0Afake-line?q=a")
    message = logging_on[0].getMessage()
    assert "\n" not in message and "/wiki\\x0afake-line" in message
    assert f" {response.status_code} " in message
    assert f"id={response.headers[REQUEST_ID_HEADER]}" in message
    assert "query_length=3" in message and "user=-" in message


def test_logging_off_still_gives_an_id(app, client, request_lines):
    assert app.config["LOG_REQUESTS"] is False  # the suite's default
    response = client.get("/healthz")
    assert response.headers[REQUEST_ID_HEADER]
    assert request_lines == []


def test_remote_address_is_the_client_behind_the_proxy(make_app, request_lines):
    app = make_app(migrate=False, PROXY_COUNT=1, LOG_REQUESTS=True, LOG_FORMAT="json")
    client = app.test_client()
    client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
    assert only_line(request_lines)["remote_addr"] == "203.0.113.9"


def test_settings_come_from_the_environment(monkeypatch, tmp_path, make_app):
    assert CONFIGS["production"].from_environment(str(tmp_path))["LOG_FORMAT"] == "json"
    assert CONFIGS["development"].from_environment(str(tmp_path))["LOG_FORMAT"] == "text"
    assert CONFIGS["development"].from_environment(str(tmp_path))["LOG_REQUESTS"] is True
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("LOG_REQUESTS", "false")
    monkeypatch.setenv("RATELIMIT_KEY_PREFIX", "exchange-eu")
    settings = CONFIGS["development"].from_environment(str(tmp_path))
    assert settings["LOG_FORMAT"] == "json" and settings["LOG_REQUESTS"] is False
    assert settings["RATELIMIT_KEY_PREFIX"] == "exchange-eu"
    with pytest.raises(RuntimeError, match="LOG_FORMAT must be one of json, text"):
        make_app(migrate=False, LOG_FORMAT="yaml")

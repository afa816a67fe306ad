"""Rate limits shared through Redis: app servers in separate processes count sign-in failures
together (RATELIMIT_STORAGE_URI=redis://…), where in-memory storage would count per process."""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.own_database

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
SERVER = Path(__file__).with_name("app_server_process.py")
ROOT = Path(__file__).resolve().parents[2]
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in a reachable Redis (its keys deleted afterwards)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as error:
        pytest.skip(
            f"REDIS NOT REACHABLE at {REDIS_URL} ({error}): the shared rate limit is NOT "
            "tested. Start redis-server (.ci/run does) or set TEST_REDIS_URL."
        )
    prefix = f"exchange-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture
def start_server(make_app, tmp_path):
    """start_server(storage_uri, prefix) -> base URL of a new app server process."""
    database = make_app(name="shared")  # one migrated database for all the servers
    processes = []

    def start(storage_uri: str, prefix: str = "") -> str:
        folder = tmp_path / f"server-{len(processes)}"
        folder.mkdir()
        process = subprocess.Popen(
            [
                sys.executable,
                str(SERVER),
                database.config["SQLALCHEMY_DATABASE_URI"],
                storage_uri,
                prefix,
                str(folder),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        port = process.stdout.readline().strip()
        assert port.isdigit(), f"the app server did not start (exit {process.poll()})"
        return f"http://127.0.0.1:{port}"

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()


def fail_sign_in(base: str, email: str) -> int:
    """Sign in with a wrong password like a browser (form, cookie, CSRF token); the status."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(f"{base}/sign-in", timeout=30) as page:
        token = CSRF_FIELD.search(page.read().decode()).group(1)
    form = urllib.parse.urlencode(
        {"csrf_token": token, "email": email, "password": "not the password"}
    ).encode()
    try:
        with opener.open(f"{base}/sign-in", data=form, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_two_app_servers_share_the_sign_in_limit_through_redis(start_server, redis_prefix):
    first = start_server(REDIS_URL, redis_prefix)
    second = start_server(REDIS_URL, redis_prefix)
    email = "someone@kr.example"
    # RATELIMIT_SIGNIN_PER_ACCOUNT is 5 per 15 minutes: five failures on the first server…
    assert [fail_sign_in(first, email) for _ in range(5)] == [200] * 5
    # …and the second server refuses the sixth, and the first one does too.
    assert fail_sign_in(second, email) == 429
    assert fail_sign_in(first, email) == 429
    # Another account is not affected.
    assert fail_sign_in(second, "other@kr.example") == 200


def test_in_memory_limits_are_per_process(start_server):
    """The control: without Redis each process counts alone (why several servers need it)."""
    first = start_server("memory://")
    second = start_server("memory://")
    email = "someone@kr.example"
    assert [fail_sign_in(first, email) for _ in range(5)] == [200] * 5
    assert fail_sign_in(first, email) == 429
    assert fail_sign_in(second, email) == 200


def test_an_unreachable_redis_falls_back_to_limits_in_memory(start_server):
    """Redis down (nothing listens on the port): sign-in still answers, never a 500, and the
    limit is still applied, counted by the process until Redis is back."""
    base = start_server("redis://127.0.0.1:9/0", "down")
    email = "someone@kr.example"
    assert [fail_sign_in(base, email) for _ in range(5)] == [200] * 5
    assert fail_sign_in(base, email) == 429
    assert fail_sign_in(base, "other@kr.example") == 200

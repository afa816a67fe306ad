"""Security baseline: CSRF everywhere, headers, cookies, redirects, secret key."""

import re
from pathlib import Path

import pytest

from exchange import create_app
from exchange.core.urls import safe_next

ROOT = Path(__file__).resolve().parents[2]


def test_every_state_changing_route_refuses_a_missing_csrf_token(app, client, auth, make_user):
    user = make_user(roles=["admin", "coordinator"])
    auth.sign_in(user.email)
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            continue  # token-only, cookies ignored: see test_api_ignores_the_session_cookie
        for method in rule.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            url = re.sub(r"<\w+:\w+>", "1", rule.rule)  # typed parts, e.g. <int:id>
            url = re.sub(r"<\w+>", "x", url)
            response = client.open(url, method=method, data={"email": user.email})
            assert response.status_code == 400, f"{method} {rule.rule} accepted no CSRF token"
            assert "security token" in response.get_data(as_text=True)
            checked += 1
    assert checked >= 10


def test_security_headers_on_pages_and_errors(client):
    for path in ("/", "/sign-in", "/does-not-exist"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "http" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_templates_have_no_inline_script_style_or_remote_assets():
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), f"inline script in {path}"
        assert not re.search(r"\son[a-z]+\s*=", text), f"event handler attribute in {path}"
        assert " style=" not in text and "<style" not in text, f"inline style in {path}"
        assert not re.search(r"(src|href)=[\"']https?://", text), f"remote asset in {path}"


def test_session_cookie_flags(client, auth, make_user):
    user = make_user()
    response = auth.sign_in(user.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http on loopback


def test_session_cookie_is_secure_behind_https(client, make_user):
    user = make_user()
    response = client.post(
        "/sign-in",
        data={"email": user.email, "password": "correct horse battery staple"},
        base_url="https://localhost",
    )
    assert "Secure" in response.headers["Set-Cookie"]
    assert "max-age" in response.headers["Strict-Transport-Security"]


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "/\r\nLocation: https://evil.example",
        "evil.example",
        "",
        None,
        "/" + "a" * 3000,
    ],
)
def test_safe_next_rejects_anything_off_site(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/", "/account", "/wiki/?q=a&b=c#top", "/admin/users?page=2"])
def test_safe_next_keeps_local_paths(target):
    assert safe_next(target) == target


def test_language_switch_does_not_redirect_off_site(client):
    response = client.post("/language", data={"locale": "ko", "next": "//evil.example"})
    assert response.headers["Location"] == "/"


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("EXCHANGE_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production"})


def test_development_generates_a_secret_key_once(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("EXCHANGE_INSTANCE_PATH", str(tmp_path))
    first = create_app({"ENV_NAME": "development"}).secret_key
    second = create_app({"ENV_NAME": "development"}).secret_key
    assert first == second and len(first) >= 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_uses_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    monkeypatch.setenv("EXCHANGE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.internal/exchange")
    monkeypatch.setenv("MAIL_SERVER", "smtp.internal")
    monkeypatch.setenv("MAIL_PORT", "2525")
    app = create_app({"ENV_NAME": "production"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.internal/exchange"
    assert (app.config["MAIL_SERVER"], app.config["MAIL_PORT"]) == ("smtp.internal", 2525)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["MAIL_BACKEND"] == "smtp"


def test_cookie_is_secure_behind_a_trusted_https_proxy(monkeypatch, tmp_path):
    monkeypatch.setenv("EXCHANGE_INSTANCE_PATH", str(tmp_path))
    app = create_app(
        {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://", "PROXY_COUNT": 1}
    )
    # The sign-in page sets the session cookie (its form carries a CSRF token).
    plain = app.test_client().get("/sign-in", headers={"X-Forwarded-Proto": "http"})
    proxied = app.test_client().get("/sign-in", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in plain.headers["Set-Cookie"]
    assert "Secure" in proxied.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in proxied.headers
    assert "Strict-Transport-Security" not in plain.headers


def test_api_ignores_the_session_cookie(client, auth, make_user):
    """The API is exempt from CSRF because a browser's cookie never authenticates it."""
    user = make_user()
    auth.sign_in(user.email)
    response = client.post("/api/v1/evaluations/import", data={}, csrf=False)
    assert response.status_code == 401
    assert client.get("/api/v1/me").status_code == 401

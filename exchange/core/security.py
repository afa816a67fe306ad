"""Security headers and the session cookie's Secure flag."""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
NO_STORE = ("Cache-Control", "no-store")


class SessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request arrived over HTTPS.

    The signing serializer is made once per secret key (and fallbacks), not on every request:
    building one costs more than checking a signature.
    """

    _serializer_key = None
    _serializer = None

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)

    def get_signing_serializer(self, app: Flask):
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if key != self._serializer_key:
            self._serializer = super().get_signing_serializer(app)
            self._serializer_key = key
        return self._serializer


def set_security_headers(response):
    """Add the security headers a response does not set itself (as ``setdefault`` would).

    Werkzeug's ``Headers.setdefault`` raises and catches an exception for every header that is
    missing, which is every one of them on almost every response: the names present are
    collected once instead.
    """
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()}
    wanted = list(SECURITY_HEADERS)
    if request.is_secure:
        wanted.append(HSTS)
    if request.endpoint != "static":
        wanted.append(NO_STORE)
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)
    return response


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    app.after_request(set_security_headers)
    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

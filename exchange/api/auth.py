"""API authentication: a bearer token, never the session cookie (so no CSRF exposure)."""

from __future__ import annotations

from flask import current_app, g, jsonify, request

from exchange.api import bp
from exchange.api.tokens import user_for_token
from exchange.extensions import csrf

csrf.exempt(bp)


def api_error(status: int, message: str):
    response = jsonify(error=message, status=status)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="exchange"'
    return response


@bp.before_request
def authenticate():
    """Act as the token's owner, or as an anonymous visitor when no token is sent."""
    header = request.headers.get("Authorization", "")
    user = None
    if header:
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            return api_error(401, "Use an 'Authorization: Bearer <token>' header.")
        user = user_for_token(raw.strip())
        if user is None:
            return api_error(401, "The token is unknown, revoked or expired.")
    g.api_user = user
    # The session cookie is ignored here: only the token decides who is calling.
    current_app.login_manager._update_request_context_with_user(user)
    return None


@bp.after_request
def no_session_cookie(response):
    response.headers["Cache-Control"] = "no-store"
    return response

"""The JSON API (v1): token-authenticated, described by an OpenAPI document."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from exchange.api import auth, views  # noqa: E402, F401

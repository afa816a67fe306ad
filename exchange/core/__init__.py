"""Site-wide pages: home, language switch, "coming soon" sections, errors, security headers."""

from flask import Blueprint

bp = Blueprint("core", __name__)

from exchange.core import views  # noqa: E402, F401

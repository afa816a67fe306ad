"""In-app notices and the e-mail outbox."""

from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

from exchange.notifications import views  # noqa: E402, F401

"""Platform administration: institutes, users and the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from exchange.admin import views  # noqa: E402, F401

"""Coordinators: their institute's members and invitations."""

from flask import Blueprint

bp = Blueprint("members", __name__, url_prefix="/institute")

from exchange.members import views  # noqa: E402, F401

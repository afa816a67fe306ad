"""Staff rotations: programs, applications with home endorsement, review, offers, placements."""

from flask import Blueprint

bp = Blueprint("rotations", __name__, url_prefix="/rotations")

from exchange.rotations import views  # noqa: E402, F401

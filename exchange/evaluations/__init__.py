"""Evaluation records: structured results linked to methodologies and findings."""

from flask import Blueprint

bp = Blueprint("evaluations", __name__, url_prefix="/evaluations")

from exchange.evaluations import cards, export_views, import_views, views  # noqa: E402, F401

"""The methodology and findings wiki."""

from flask import Blueprint

bp = Blueprint("wiki", __name__, url_prefix="/wiki")

from exchange.wiki import file_views, history_views, views  # noqa: E402, F401

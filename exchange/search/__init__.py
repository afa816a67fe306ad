"""Search across wiki pages, findings, evaluation records and rotation programs.

Modules: ``analysis`` (English and Korean terms), ``query`` (the search box's language),
``documents`` (what is indexed, from the database), ``whoosh_backend`` (the embedded index),
``indexer`` (outbox, drain, sync, rebuild), ``highlight`` (snippets), ``service`` (search as
views and the API use it), ``views`` (the search page and title suggestions).
"""

from flask import Blueprint

bp = Blueprint("search", __name__)

from exchange.search import views  # noqa: E402, F401

"""Operations: health checks for load balancers, request logs, backups and the move to PostgreSQL.

Modules: ``views`` (``/healthz``, ``/readyz``), ``request_log`` (one line per request and the
``X-Request-ID`` header), ``tables`` (row counts, checksums, the Alembic revision), ``backup``
(``flask exchange backup`` / ``restore``), ``to_postgres`` (``flask exchange
migrate-to-postgres``).
"""

from flask import Blueprint

bp = Blueprint("ops", __name__)

from exchange.ops import views  # noqa: E402, F401

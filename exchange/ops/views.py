"""Health checks for load balancers and orchestrators: liveness and readiness, as JSON."""

from __future__ import annotations

import logging
import time

from flask import current_app, jsonify
from sqlalchemy import text

from exchange.extensions import csrf, db, limiter
from exchange.ops import bp

log = logging.getLogger(__name__)

# Machine endpoints: no rate limit (probes come every few seconds from every balancer), no CSRF
# (nothing here changes state), no translation, no session (nothing reads or writes it).
limiter.exempt(bp)
csrf.exempt(bp)


@bp.get("/healthz")
def show_health():
    """Liveness: the process answers (touches neither the database nor the index)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def show_readiness():
    """Readiness: the database answers and the search backend can be read; 503 otherwise."""
    checks = {"database": _run(check_database), "search": _run(check_search)}
    ready = all(check["status"] == "ok" for check in checks.values())
    response = jsonify(status="ok" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    return response


def check_database() -> dict:
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1")).scalar_one()
    return {}


def check_search() -> dict:
    backend = current_app.config.get("SEARCH_BACKEND") or "whoosh"
    if backend == "postgres":
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1 FROM search_documents LIMIT 1")).all()
        return {"backend": backend}
    from exchange.search.indexer import current_index

    index = current_index()
    if index.current() is None:  # view() would create an empty index: not ours to do here
        raise NotReady("no index yet: run `flask exchange search sync`")
    index.view()
    return {"backend": backend}


class NotReady(Exception):
    """A check that ran and found the component not ready (its message is shown)."""


def _run(check) -> dict:
    """Run one check; report its outcome and duration, never a stack trace or a server name."""
    started = time.perf_counter()
    try:
        details = check()
    except NotReady as reason:
        details = {"status": "failed", "error": str(reason)}
    except Exception as error:
        # The exception text may name hosts, users or paths: it goes to the log only (without a
        # traceback: a balancer probes every few seconds while the database is down).
        log.warning("readiness check %s failed: %r", check.__name__, error)
        details = {"status": "failed", "error": type(error).__name__}
    else:
        details = {"status": "ok", **details}
    details["ms"] = round((time.perf_counter() - started) * 1000, 2)
    return details

"""One log line per request on the ``exchange.request`` logger, and the ``X-Request-ID`` header.

Every request gets an id: the caller's ``X-Request-ID`` when it is a sane token (a load balancer
or proxy usually sets one), else a new one; it is echoed in the response so that a report from a
person or a balancer can be matched with the log. With ``LOG_REQUESTS`` on, each request writes
one line: JSON (``LOG_FORMAT=json``, for log collectors) or text (``LOG_FORMAT=text``, for
people). The path is logged without its query string (search words are people's data); only
its length is.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime

from flask import Flask, current_app, g, request

logger = logging.getLogger("exchange.request")

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
FORMATS = ("json", "text")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class _StderrHandler(logging.StreamHandler):
    """Write to whatever ``sys.stderr`` is at the time (gunicorn and pytest replace it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def init_app(app: Flask) -> None:
    """Assign request ids (always) and log each request (when ``LOG_REQUESTS`` is on)."""
    log_format = app.config["LOG_FORMAT"]
    if log_format not in FORMATS:
        raise RuntimeError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    if app.config["LOG_REQUESTS"] and not logger.handlers:
        # The line is the whole message (a JSON object stays parseable); a deployment that
        # configures logging itself can put its own handler on "exchange.request" first.
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    # First in, last out: the clock starts before the other hooks (CSRF, rate limits) and the
    # line is written after every other after_request hook has shaped the response.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request_funcs.setdefault(None, []).insert(0, _finish)


def _start() -> None:
    # Each proxy look-up (request, g, current_app) costs about a microsecond: one of each.
    req = request._get_current_object()
    store = g._get_current_object()
    store.request_started = time.perf_counter()
    incoming = req.headers.get(REQUEST_ID_HEADER, "")
    store.request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else secrets.token_hex(16)


def _finish(response):
    store = g._get_current_object()
    request_id = getattr(store, "request_id", None)
    if request_id is None:  # a response made before our before_request hook ran
        return response
    response.headers[REQUEST_ID_HEADER] = request_id
    config = current_app.config
    if config["LOG_REQUESTS"] and logger.isEnabledFor(logging.INFO):
        fields = request_fields(response, store)
        line = json.dumps(fields) if config["LOG_FORMAT"] == "json" else text_line(fields)
        # A record made directly: logger.info() would walk the stack to find its caller.
        record = logger.makeRecord(
            logger.name, logging.INFO, __file__, 0, line, None, None, extra={"request": fields}
        )
        logger.handle(record)
    return response


def request_fields(response, store=None) -> dict:
    """What one request is logged with (never the query string, cookies or form data)."""
    store = store or g._get_current_object()
    req = request._get_current_object()
    started = getattr(store, "request_started", None)
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "request_id": store.request_id,
        "method": req.method,
        "path": req.path,
        "query_length": len(req.query_string),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
        "user_id": _user_id(store),
        "remote_addr": req.remote_addr,
        "size": response.content_length,
    }


def _user_id(store) -> int | None:
    # Only a user this request has already loaded (Flask-Login's cache, set for API tokens too):
    # logging must not load one, which would read the session and query the database.
    user = getattr(store, "_login_user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.id


def text_line(fields: dict) -> str:
    """The line for people: ``time method path status duration, then key=value pairs``."""
    path = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", fields["path"])
    size = "-" if fields["size"] is None else fields["size"]
    user = "-" if fields["user_id"] is None else fields["user_id"]
    return (
        f"{fields['time']} {fields['method']} {path} {fields['status']} "
        f"{fields['duration_ms']}ms size={size} user={user} addr={fields['remote_addr']} "
        f"query_length={fields['query_length']} id={fields['request_id']}"
    )

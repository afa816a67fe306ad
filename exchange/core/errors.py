"""Error pages in the visitor's language; never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

TITLES = {
    400: _l("Bad request"),
    403: _l("Forbidden"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    413: _l("Upload too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
}
EXPLANATIONS = {
    400: _l(
        "The request could not be understood. If you submitted a form, its security token may "
        "have expired: go back, reload the page and try again."
    ),
    403: _l("You do not have permission to do this."),
    404: _l("There is nothing here, or you do not have access to it."),
    405: _l("This address does not accept that kind of request."),
    413: _l("The file or form you sent is larger than this site accepts."),
    429: _l(
        "You have made too many attempts in a short time. Please wait a few minutes before "
        "trying again."
    ),
    500: _l("An unexpected error happened on our side. It has been logged; please try again."),
}


def render_error(error: HTTPException):
    code = error.code or 500
    if code not in TITLES:
        code = 500 if code >= 500 else 400
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        response = jsonify(error=str(TITLES[code]), status=code)
    else:
        response = render_template(
            "errors/error.html",
            code=code,
            title=TITLES[code],
            explanation=EXPLANATIONS[code],
            detail=getattr(error, "exchange_detail", None),
        )
    headers = error.get_headers() if code in (405, 429) else []
    extra = [(k, v) for k, v in headers if k.lower() in ("allow", "retry-after")]
    return response, code, extra


def handle_unexpected(error: Exception):
    # The request id (X-Request-ID, also on the request log line) ties the trace to the
    # request someone reports.
    log.exception(
        "unhandled error on %s %s (request id %s)",
        request.method,
        request.path,
        g.get("request_id", "-"),
    )
    from exchange.extensions import db

    db.session.rollback()  # a failed statement must not break the error page's own queries
    return render_error(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(Exception, handle_unexpected)

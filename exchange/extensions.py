"""Extension singletons, bound to the app in `create_app`."""

from flask import Flask, request
from flask.globals import _cv_request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from exchange.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

# Reading is never rate limited: every limit of the app is on a POST (sign-in, sign-up, the
# e-mail requests, the wiki preview; `methods=["POST"]` or a POST-only route).
READ_METHODS = frozenset({"GET", "HEAD"})


@limiter.request_filter
def _reads_are_not_limited() -> bool:
    """Exempt GET and HEAD requests from Flask-Limiter's per-request work.

    Without it the limiter resolves the route's limits and its exemptions on every request
    (about 0.1 ms, a few percent of a wiki page view) only to find none. A rate limit on a GET
    route would need this filter narrowed (tests/core/test_rate_limits.py would fail).
    """
    return request.method in READ_METHODS


def init_limiter(app: Flask) -> None:
    """``limiter.init_app``, with its per-request hooks skipped on GET and HEAD.

    Flask-Limiter runs a before-request hook (find the route's limits, check them), an
    after-request hook (headers of the limit that applied) and a teardown hook (forget the
    request's state) on every request. On a read, ``_reads_are_not_limited`` makes them find
    nothing to do, but finding that out still costs about 60 µs a request; here they are not
    called at all on reads. On every other method they run as Flask-Limiter registered them.
    """
    hook_lists = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    before = [list(hooks.get(None, ())) for hooks in hook_lists]
    limiter.init_app(app)
    for hooks, known, skip in zip(hook_lists, before, _SKIPPERS, strict=True):
        hooks[None] = [hook if hook in known else skip(hook) for hook in hooks.get(None, ())]


def _is_read() -> bool:
    ctx = _cv_request.get(None)
    return ctx is not None and ctx.request.method in READ_METHODS


def _before_unless_read(hook):
    def before_request_unless_read():
        return None if _is_read() else hook()

    return before_request_unless_read


def _after_unless_read(hook):
    def after_request_unless_read(response):
        return response if _is_read() else hook(response)

    return after_request_unless_read


def _teardown_unless_read(hook):
    def teardown_request_unless_read(error):
        if not _is_read():
            hook(error)

    return teardown_request_unless_read


_SKIPPERS = (_before_unless_read, _after_unless_read, _teardown_unless_read)

"""Extension singletons, bound to the app in `create_app`."""

from flask import request
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

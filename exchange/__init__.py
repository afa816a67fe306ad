"""Exchange: the shared platform of the international network of AI safety institutes."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the application: config → extensions → blueprints → CLI → hooks."""
    from exchange.core.app import Exchange

    app = Exchange(
        __name__,
        instance_path=os.environ.get("EXCHANGE_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    configure(app, config or {})
    configure_logging(app)
    configure_extensions(app)
    configure_blueprints(app)
    configure_cli(app)
    configure_hooks(app)
    return app


def configure(app: Flask, overrides: dict) -> None:
    from exchange.config import CONFIGS, load_or_create_secret_key

    env = overrides.get("ENV_NAME") or os.environ.get("EXCHANGE_ENV", "development")
    if env not in CONFIGS:
        raise RuntimeError(f"EXCHANGE_ENV must be one of {', '.join(CONFIGS)}, not {env!r}")
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(CONFIGS[env].from_environment(app.instance_path))
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        if app.config["ENV_NAME"] == "production":
            raise RuntimeError(
                "SECRET_KEY is not set. Production refuses to start without one: "
                "set SECRET_KEY to a long random value (python -c 'import secrets; "
                "print(secrets.token_hex(32))')."
            )
        app.config["SECRET_KEY"] = load_or_create_secret_key(app.instance_path)


def configure_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def configure_extensions(app: Flask) -> None:
    import exchange.models  # noqa: F401  (the whole schema, for Alembic)
    from exchange.accounts.views import load_user, unauthorized
    from exchange.core import errors, security
    from exchange.core.i18n import install_date_filters, install_template_gettext, select_locale
    from exchange.core.layout import install_layout
    from exchange.core.templating import install_template_context
    from exchange.extensions import babel, csrf, db, init_limiter, login_manager, migrate
    from exchange.notifications.outbox import install_session_hooks

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    install_template_gettext(app)
    install_date_filters(app)
    install_layout(app)
    install_template_context(app)
    init_limiter(app)
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
    security.init_app(app)
    errors.init_app(app)
    install_session_hooks()
    from exchange.search.indexer import install_session_hooks as install_search_hooks

    install_search_hooks()


def configure_blueprints(app: Flask) -> None:
    from exchange import (
        accounts,
        admin,
        api,
        core,
        evaluations,
        members,
        notifications,
        ops,
        rotations,
        search,
        wiki,
    )

    for blueprint in (
        core.bp,
        accounts.bp,
        members.bp,
        admin.bp,
        notifications.bp,
        wiki.bp,
        evaluations.bp,
        rotations.bp,
        search.bp,
        api.bp,
        ops.bp,
    ):
        app.register_blueprint(blueprint)


def configure_cli(app: Flask) -> None:
    from exchange.cli import exchange_cli

    app.cli.add_command(exchange_cli)


def configure_hooks(app: Flask) -> None:
    from exchange.access import TEMPLATE_HELPERS
    from exchange.db import utcnow
    from exchange.notifications.outbox import dispatch
    from exchange.notifications.services import notice_text
    from exchange.ops import request_log
    from exchange.search.indexer import dispatch as dispatch_search

    request_log.init_app(app)
    app.jinja_env.globals.update(TEMPLATE_HELPERS)
    app.jinja_env.globals["now"] = utcnow
    app.jinja_env.globals["notice_text"] = notice_text
    # Drop attributes that are None or empty: WTForms would print them literally.
    app.jinja_env.globals["present"] = lambda attrs: {
        k: v for k, v in attrs.items() if v not in (None, "", False)
    }

    @app.after_request
    def send_queued_mail(response):
        dispatch()
        dispatch_search()
        return response

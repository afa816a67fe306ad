"""Configuration classes; every setting can be overridden from the environment."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def normalize_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres:// and postgresql:// URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_or_create_secret_key(instance_path: str) -> str:
    """Return the development secret key, generating it into the instance folder once."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


class Config:
    """Defaults shared by every environment."""

    ENV_NAME = "development"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    SITE_NAME = "Exchange"
    SERVER_NAME = None
    PREFERRED_URL_SCHEME = "http"
    # Absolute base used in e-mailed links when no request is active (CLI, workers).
    BASE_URL = "http://127.0.0.1:5000"

    # Sessions: signed cookies, HttpOnly, SameSite=Lax, Secure whenever the request is HTTPS.
    SESSION_COOKIE_NAME = "exchange_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    PROXY_COUNT = 0

    WTF_CSRF_TIME_LIMIT = 8 * 3600
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("en", "ko")

    # Argon2id parameters (memory in KiB).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 2

    # Rate limits (Flask-Limiter). Storage: memory:// or redis://host:port.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_SIGNIN_PER_ACCOUNT = "5 per 15 minutes"
    RATELIMIT_SIGNIN_PER_ADDRESS = "30 per 15 minutes"
    RATELIMIT_EMAIL_PER_ADDRESS = "10 per hour"
    # Prepended to every limiter key: lets several deployments (or test runs) share one Redis.
    RATELIMIT_KEY_PREFIX = ""
    # Redis unreachable: each process counts the same limits in memory (and logs it) until
    # Redis answers again, instead of failing every limited request with a 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True

    # Request logs: one line per request on the "exchange.request" logger, "json" (for log
    # collectors) or "text" (for people); every response carries an X-Request-ID either way.
    LOG_REQUESTS = True
    LOG_FORMAT = "text"

    # Wiki attachments: size limit and allowed extensions (comma-separated; empty = defaults).
    WIKI_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    WIKI_ATTACHMENT_TYPES = ""
    UPLOAD_FOLDER: str | None = None
    # Inspect logs: the largest file the importer reads (uploads are also bound by
    # MAX_CONTENT_LENGTH; the CLI only by this).
    INSPECT_LOG_MAX_BYTES = 200 * 1024 * 1024
    # Rotations: CV size, how long personal data is kept after an application closes.
    ROTATION_CV_MAX_BYTES = 5 * 1024 * 1024
    ROTATION_PURGE_MONTHS = 24

    # Tokens e-mailed to people.
    INVITATION_MAX_AGE = timedelta(days=7)
    CONFIRMATION_MAX_AGE = timedelta(days=2)
    RESET_MAX_AGE = timedelta(hours=1)

    # Mail: "file" writes messages to the instance folder and the log; "smtp" sends them.
    MAIL_BACKEND = "file"
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_TIMEOUT = 10
    MAIL_DEFAULT_SENDER = "Exchange <no-reply@exchange.invalid>"
    # "thread": a background worker sends after commit; "sync": sent after commit in the same
    # thread (tests and CLI). Neither lets a failed send fail the request.
    MAIL_DISPATCH = "thread"
    MAIL_MAX_ATTEMPTS = 8
    MAIL_RETRY_BASE_SECONDS = 30

    # Search: the Whoosh index folder (default: search-index in the instance folder) and how
    # the index follows the database: "thread" (a background indexer applies the search outbox
    # after each commit), "sync" (right after the commit, in the same thread) or "manual"
    # (only `flask exchange search sync`; the test suite uses it outside search tests).
    SEARCH_BACKEND = "whoosh"  # or "postgres": documents in PostgreSQL, for several servers
    SEARCH_INDEX_PATH: str | None = None
    SEARCH_DISPATCH = "thread"
    # How long the background indexer waits for another process's index write lock.
    SEARCH_LOCK_TIMEOUT = 10

    @classmethod
    def from_environment(cls, instance_path: str) -> dict:
        """Return the settings of this class with environment overrides applied."""
        settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
        default_db = "sqlite:///" + str(Path(instance_path) / "exchange.sqlite3")
        settings["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(
            os.environ.get("DATABASE_URL") or cls.SQLALCHEMY_DATABASE_URI or default_db
        )
        for key in (
            "SECRET_KEY",
            "BASE_URL",
            "RATELIMIT_STORAGE_URI",
            "RATELIMIT_SIGNIN_PER_ACCOUNT",
            "RATELIMIT_SIGNIN_PER_ADDRESS",
            "RATELIMIT_EMAIL_PER_ADDRESS",
            "RATELIMIT_KEY_PREFIX",
            "LOG_FORMAT",
            "MAIL_BACKEND",
            "MAIL_SERVER",
            "MAIL_USERNAME",
            "MAIL_PASSWORD",
            "MAIL_DEFAULT_SENDER",
            "MAIL_DISPATCH",
            "WIKI_ATTACHMENT_TYPES",
            "UPLOAD_FOLDER",
            "SEARCH_BACKEND",
            "SEARCH_INDEX_PATH",
            "SEARCH_DISPATCH",
        ):
            if os.environ.get(key):
                settings[key] = os.environ[key]
        for key in (
            "MAIL_PORT",
            "PROXY_COUNT",
            "MAIL_MAX_ATTEMPTS",
            "WIKI_ATTACHMENT_MAX_BYTES",
            "INSPECT_LOG_MAX_BYTES",
            "ROTATION_CV_MAX_BYTES",
            "ROTATION_PURGE_MONTHS",
            "MAX_CONTENT_LENGTH",
            "SEARCH_LOCK_TIMEOUT",
        ):
            settings[key] = env_int(key, settings[key])
        for key in (
            "MAIL_USE_TLS",
            "MAIL_USE_SSL",
            "SESSION_COOKIE_SECURE",
            "RATELIMIT_ENABLED",
            "LOG_REQUESTS",
        ):
            settings[key] = env_bool(key, settings[key])
        return settings


class DevelopmentConfig(Config):
    """`make run`: SQLite in the instance folder, mail written to files."""

    ENV_NAME = "development"


class ProductionConfig(Config):
    """Deployments: a SECRET_KEY from the environment is mandatory."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    MAIL_BACKEND = "smtp"
    LOG_FORMAT = "json"


class TestConfig(Config):
    """The test suite: cheaper hashing, mail sent synchronously after commit."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8192
    ARGON2_PARALLELISM = 1
    MAIL_DISPATCH = "sync"
    MAIL_BACKEND = "smtp"
    MAIL_PORT = 0
    BASE_URL = "http://localhost"
    RATELIMIT_STORAGE_URI = "memory://"
    SEARCH_DISPATCH = "manual"
    LOG_REQUESTS = False  # tests that look at the lines switch them on


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestConfig,
}

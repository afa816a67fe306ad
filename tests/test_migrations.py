"""The schema comes only from Alembic: upgrade works on empty databases and matches the models."""

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from exchange import create_app
from exchange.extensions import db

PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def migrated_app(url):
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
    return app


def assert_models_match_schema(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def assert_round_trip(app):
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "institutes", "audit_events", "outbox_emails"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()


def test_upgrade_head_on_empty_sqlite(tmp_path):
    app = migrated_app(f"sqlite:///{tmp_path}/empty.sqlite3")
    assert_models_match_schema(app)
    assert_round_trip(app)


def test_sqlite_runs_with_foreign_keys_and_wal(tmp_path):
    app = migrated_app(f"sqlite:///{tmp_path}/pragmas.sqlite3")
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


@pytest.fixture
def empty_postgres():
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        admin.connect().close()
    except Exception as error:  # no server here: say so loudly rather than pass
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {error}")
    name = f"exchange_migrations_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_head_on_empty_postgresql(empty_postgres):
    app = migrated_app(empty_postgres)
    assert_models_match_schema(app)
    assert_round_trip(app)
    with app.app_context():
        db.engine.dispose()


def test_constraint_names_follow_the_convention(tmp_path):
    app = migrated_app(f"sqlite:///{tmp_path}/names.sqlite3")
    with app.app_context():
        inspector = inspect(db.engine)
        uniques = {u["name"] for u in inspector.get_unique_constraints("users")}
        foreign = {f["name"] for f in inspector.get_foreign_keys("users")}
    assert "uq_users_email" in uniques
    assert "fk_users_institute_id_institutes" in foreign

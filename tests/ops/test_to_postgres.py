"""`flask exchange migrate-to-postgres`: a populated demo site moves from SQLite to a fresh
PostgreSQL database with every row, key and sequence, and the site runs there."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from flask_migrate import downgrade
from sqlalchemy import create_engine, func, select, text, update

from exchange.accounts.models import Institute, User
from exchange.config import normalize_database_url
from exchange.demo import DEMO_PASSWORD
from exchange.extensions import db
from exchange.ops import tables, to_postgres
from exchange.wiki.models import Page

pytestmark = pytest.mark.own_database


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["exchange", *args])


def all_rows(connection, table) -> list[tuple]:
    return [tuple(row) for row in connection.execute(tables.ordered_select(connection, table))]


def test_a_populated_demo_site_moves_to_postgres(make_app, load_demo, postgres_url):
    source_app = make_app()
    demo = load_demo(source_app)
    upload_root = Path(source_app.config["UPLOAD_FOLDER"])
    uploads_before = {
        p.relative_to(upload_root): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in upload_root.rglob("*")
        if p.is_file()
    }
    target_url = postgres_url()

    result = cli(source_app, "migrate-to-postgres", target_url)
    assert result.exit_code == 0, result.output
    copied = [t for t in tables.schema_tables() if t.name not in tables.DERIVED_TABLES]
    assert f"All {len(copied)} tables match" in result.output
    assert "MISMATCH" not in result.output
    assert "source rows  target rows  checksum" in result.output
    assert f"they stay in {upload_root}" in result.output

    # Checked here without the command's checksums: every row of every table, compared as
    # the models read it from each database.
    source = create_engine(source_app.config["SQLALCHEMY_DATABASE_URI"])
    target = create_engine(normalize_database_url(target_url))
    with source.connect() as src, target.connect() as dst:
        populated = 0
        for table in copied:
            source_rows, target_rows = all_rows(src, table), all_rows(dst, table)
            assert target_rows == source_rows, table.name
            assert tables.table_checksum(src, table) == tables.table_checksum(dst, table)
            populated += bool(source_rows)
        assert populated >= 25  # the demo fills most tables
        # The cycle wiki_pages <-> wiki_revisions came through whole.
        pages = dst.execute(select(Page.id, Page.current_revision_id)).all()
        assert pages and all(revision is not None for _id, revision in pages)
        assert tables.alembic_revision(src) == tables.alembic_revision(dst)
        # Every sequence continues after the copied keys.
        for table in copied:
            if "id" in table.c and table.c.id.autoincrement is not False:
                highest = dst.execute(select(func.max(table.c.id))).scalar() or 0
                sequence = dst.execute(
                    text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}
                ).scalar()
                if sequence:
                    following = dst.execute(
                        text("SELECT nextval(CAST(:s AS regclass))"), {"s": sequence}
                    ).scalar()
                    assert following == highest + 1, table.name
    source.dispose()
    target.dispose()

    # Uploads stayed where they were, untouched.
    assert {
        p.relative_to(upload_root): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in upload_root.rglob("*")
        if p.is_file()
    } == uploads_before

    # The same site on PostgreSQL (same uploads folder) serves pages and the attachment.
    site = make_app(url=normalize_database_url(target_url), migrate=False)
    client = site.test_client()
    signed_in = client.post(
        "/sign-in", data={"email": "admin@kr-aisi.example", "password": DEMO_PASSWORD}
    )
    assert signed_in.status_code == 302
    page = client.get(f"/wiki/{demo['slug']}")
    assert page.status_code == 200 and 'class="badge demo"' in page.text
    assert client.get("/wiki/").status_code == 200
    attachment = client.get(f"/wiki/{demo['slug']}/files/{demo['filename']}")
    assert attachment.status_code == 200 and attachment.data == demo["data"]
    with site.app_context():
        highest = db.session.scalar(select(func.max(Institute.id)))
        db.session.add(Institute(code="NEW", name_en="New", name_ko="New", country="KR"))
        db.session.commit()
        assert db.session.scalar(select(Institute.id).where(Institute.code == "NEW")) > highest


def test_uploads_can_be_copied_and_verified(make_app, load_demo, postgres_url, tmp_path):
    source_app = make_app()
    demo = load_demo(source_app, everything=False)
    destination = tmp_path / "shared-uploads"
    result = cli(source_app, "migrate-to-postgres", postgres_url(), "--uploads-to", destination)
    assert result.exit_code == 0, result.output
    assert f"1 files copied from {source_app.config['UPLOAD_FOLDER']} to {destination}" in (
        result.output
    )
    copies = [p for p in destination.rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in copies] == [demo["data"]]


def test_the_move_refuses_what_it_cannot_do_safely(make_app, load_demo, postgres_url):
    source_app = make_app()
    load_demo(source_app, everything=False)
    target_url = postgres_url()
    assert cli(source_app, "migrate-to-postgres", target_url).exit_code == 0

    again = cli(source_app, "migrate-to-postgres", target_url)
    assert again.exit_code == 1
    assert "the target database is not empty: " in again.output
    assert "(16 rows)" in again.output  # the users

    not_postgres = cli(source_app, "migrate-to-postgres", "sqlite:////tmp/elsewhere.sqlite3")
    assert not_postgres.exit_code == 1 and "must be a PostgreSQL URL" in not_postgres.output

    postgres_app = make_app(url=normalize_database_url(target_url), migrate=False)
    from_postgres = cli(postgres_app, "migrate-to-postgres", postgres_url())
    assert from_postgres.exit_code == 1 and "not SQLite" in from_postgres.output

    behind = make_app(name="behind")
    with behind.app_context():
        downgrade(revision="-1")
        db.engine.dispose()
    outdated = cli(behind, "migrate-to-postgres", postgres_url())
    assert outdated.exit_code == 1 and "run `flask db upgrade` first" in outdated.output


def test_foreign_keys_stay_checked_and_a_failed_copy_leaves_no_rows(
    make_app, load_demo, postgres_url
):
    source_app = make_app()
    load_demo(source_app, everything=False)
    database = source_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    raw = sqlite3.connect(database)  # foreign keys are off on a bare connection
    raw.execute("INSERT INTO user_roles (user_id, role) VALUES (999999, 'reviewer')")
    raw.commit()
    raw.close()
    target_url = postgres_url()

    result = cli(source_app, "migrate-to-postgres", target_url)
    assert result.exit_code == 1
    assert "PostgreSQL refused a row" in result.output
    assert "Key (user_id)=(999999) is not present in table" in result.output
    target = create_engine(normalize_database_url(target_url))
    with target.connect() as connection:
        assert to_postgres.tables_with_rows(connection) == {}
    target.dispose()


def test_checksums_catch_a_changed_value(make_app, load_demo, postgres_url):
    source_app = make_app()
    load_demo(source_app, everything=False)
    target_url = postgres_url()
    assert cli(source_app, "migrate-to-postgres", target_url).exit_code == 0
    target = create_engine(normalize_database_url(target_url))
    with target.begin() as connection:
        connection.execute(
            update(User.__table__).where(User.id == 1).values(display_name="Someone else")
        )
    with source_app.app_context(), db.engine.connect() as src, target.connect() as dst:
        checks = to_postgres.verify(src, dst)
    target.dispose()
    differing = [check for check in checks if not check.ok]
    assert [check.name for check in differing] == ["users"]
    assert differing[0].source_rows == differing[0].target_rows


def test_the_columns_filled_in_last_are_the_cycle_and_self_references():
    order = tables.schema_tables()
    forward = {
        name: sorted(c.name for c in columns)
        for name, columns in to_postgres.forward_columns(order).items()
    }
    assert forward == {
        "wiki_pages": [
            "current_revision_id",
            "translation_of_id",
            "translation_source_revision_id",
        ],
        "wiki_revisions": ["base_revision_id"],
    }

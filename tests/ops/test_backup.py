"""`flask exchange backup` and `restore`: real SQLite (online backup API) and real PostgreSQL
(pg_dump/pg_restore), the uploads folder, the manifest and its checks."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from exchange.accounts.models import Institute, User
from exchange.demo import DEMO_PASSWORD
from exchange.extensions import db
from exchange.ops.tables import code_head
from exchange.search.indexer import current_index
from exchange.wiki.models import Attachment

pytestmark = pytest.mark.own_database


def cli(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["exchange", *args], input=input)


def counts(app) -> dict[str, int]:
    from exchange.ops.tables import row_counts

    with app.app_context(), db.engine.connect() as connection:
        return row_counts(connection)


def upload_files(app) -> dict[str, bytes]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def served_attachment(app, demo) -> bytes:
    client = app.test_client()
    signed_in = client.post(
        "/sign-in", data={"email": "admin@kr-aisi.example", "password": DEMO_PASSWORD}
    )
    assert signed_in.status_code == 302
    response = client.get(f"/wiki/{demo['slug']}/files/{demo['filename']}")
    assert response.status_code == 200
    return response.data


def damage(app) -> None:
    """What a bad day does: rows deleted and added, an upload lost, a stray file left."""
    with app.app_context():
        db.session.execute(delete(Attachment))
        db.session.add(Institute(code="LATE", name_en="Late", name_ko="Late", country="KR"))
        db.session.commit()
    root = Path(app.config["UPLOAD_FOLDER"])
    for path in list(root.rglob("*")):
        if path.is_file():
            path.unlink()
    (root / "stray.txt").write_text("not in the backup")


def test_sqlite_backup_while_writing_then_restore(make_app, load_demo, tmp_path):
    app = make_app()
    demo = load_demo(app, everything=False)
    before = counts(app)
    files_before = upload_files(app)
    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))

    # Another process is in the middle of a write: the backup has only what was committed.
    writer = sqlite3.connect(database)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM wiki_attachments")
    writer.execute("DELETE FROM wiki_page_tags")
    result = cli(app, "backup", str(tmp_path / "backup"))
    writer.commit()
    writer.close()
    assert result.exit_code == 0, result.output
    assert counts(app)["wiki_attachments"] == 0

    backup = tmp_path / "backup"
    assert sorted(p.name for p in backup.iterdir()) == [
        "database.sqlite3",
        "manifest.json",
        "uploads.tar.gz",
    ]
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"] == "sqlite"
    with app.app_context():
        assert manifest["alembic_revision"] == code_head()
    assert manifest["tables"] == before
    assert manifest["tables"]["wiki_attachments"] == 1
    assert manifest["uploads"] == {"files": 1, "bytes": len(demo["data"])}
    for name, described in manifest["files"].items():
        data = (backup / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == described["sha256"]
        assert len(data) == described["bytes"]
    copy = sqlite3.connect(backup / "database.sqlite3")
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    copy.close()
    assert "database.sqlite3" in result.output and "1 uploaded files" in result.output
    assert "flask exchange search reindex" in result.output

    damage(app)
    assert counts(app) != before

    refused = cli(app, "restore", str(backup), input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    assert "stray.txt" in upload_files(app)

    restored = cli(app, "restore", str(backup), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "Checksums verified." in restored.output
    assert "Row counts match the backup" in restored.output
    assert "flask exchange search reindex" in restored.output
    assert counts(app) == before
    assert upload_files(app) == files_before
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Institute.code == "LATE")) == 0
    assert served_attachment(app, demo) == demo["data"]


def test_restore_reindexes_on_request(make_app, load_demo, tmp_path):
    app = make_app()
    load_demo(app, everything=False)
    assert cli(app, "backup", str(tmp_path / "b")).exit_code == 0
    with app.app_context():
        assert current_index().current() is None
    result = cli(app, "restore", str(tmp_path / "b"), "--yes", "--reindex")
    assert result.exit_code == 0, result.output
    assert "documents indexed" in result.output
    with app.app_context():
        assert current_index().current() is not None


def test_restore_refuses_damaged_newer_or_incomplete_backups(make_app, load_demo, tmp_path):
    app = make_app()
    load_demo(app, everything=False)
    backup = tmp_path / "backup"
    assert cli(app, "backup", str(backup)).exit_code == 0
    before = counts(app)

    archive = backup / "uploads.tar.gz"
    original = archive.read_bytes()
    archive.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    damaged = cli(app, "restore", str(backup), "--yes")
    assert damaged.exit_code == 1
    assert "damaged: uploads.tar.gz: SHA-256 differs" in damaged.output
    archive.write_bytes(original)

    manifest_path = backup / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "alembic_revision": "ffffffffffff"}))
    newer = cli(app, "restore", str(backup), "--yes")
    assert newer.exit_code == 1
    assert "migration ffffffffffff, which this code does not know" in newer.output

    manifest_path.unlink()
    incomplete = cli(app, "restore", str(backup), "--yes")
    assert incomplete.exit_code == 1 and "interrupted" in incomplete.output

    again = cli(app, "backup", str(backup))
    assert again.exit_code == 1 and "not empty" in again.output
    assert counts(app) == before


def test_postgres_backup_and_restore(make_app, load_demo, postgres_url, pg_tools, tmp_path):
    app = make_app(url=postgres_url())
    demo = load_demo(app, everything=False)
    before = counts(app)
    files_before = upload_files(app)
    with app.app_context():
        emails = set(db.session.scalars(select(User.email)))

    result = cli(app, "backup", str(tmp_path / "pg-backup"))
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "pg-backup" / "manifest.json").read_text())
    assert manifest["database"] == "postgresql"
    assert set(manifest["files"]) == {"database.pgdump", "uploads.tar.gz"}
    assert manifest["tables"] == before

    damage(app)
    with app.app_context():
        db.session.execute(delete(User).where(User.email.like("member@%")))
        db.session.commit()
    restored = cli(app, "restore", str(tmp_path / "pg-backup"), "--yes")
    assert restored.exit_code == 0, restored.output
    assert counts(app) == before
    assert upload_files(app) == files_before
    with app.app_context():
        assert set(db.session.scalars(select(User.email))) == emails
        # The sequences came back with the rows: a new row takes the next id.
        highest = db.session.scalar(select(func.max(Institute.id)))
        db.session.add(Institute(code="NEW", name_en="N", name_ko="N", country="KR"))
        db.session.commit()
        assert db.session.scalar(select(Institute.id).where(Institute.code == "NEW")) > highest
    assert served_attachment(app, demo) == demo["data"]

    # A SQLite backup is no PostgreSQL backup.
    sqlite_app = make_app(name="small")
    assert cli(sqlite_app, "backup", str(tmp_path / "sqlite-backup")).exit_code == 0
    wrong = cli(app, "restore", str(tmp_path / "sqlite-backup"), "--yes")
    assert wrong.exit_code == 1
    assert "sqlite backup and the configured database is postgresql" in wrong.output

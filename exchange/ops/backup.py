"""Backups of the database and the uploads folder, and restoring them.

A backup is a folder: the database (``database.sqlite3``, an online copy made with SQLite's
backup API, or ``database.pgdump``, ``pg_dump --format=custom``), ``uploads.tar.gz`` and
``manifest.json`` (time, database kind, Alembic revision, SHA-256 and size of each file, row
counts per table), written last: a folder without one is an interrupted backup. The search
index is not backed up; it is rebuilt from the database.

Both are consistent while the app runs: SQLite's backup API copies one committed state, and on
PostgreSQL the row counts are read in a transaction whose snapshot ``pg_dump --snapshot`` dumps.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from exchange.extensions import db
from exchange.ops import tables

MANIFEST = "manifest.json"
UPLOADS_ARCHIVE = "uploads.tar.gz"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
FORMAT = 1


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says what to do."""


# --- Where things are ----------------------------------------------------------------------


def database_url() -> URL:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def database_kind(url: URL | None = None) -> str:
    kind = (url or database_url()).get_backend_name()
    if kind not in DATABASE_FILES:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {kind}")
    return kind


def sqlite_path(url: URL | None = None) -> Path:
    name = (url or database_url()).database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError("the SQLite database must be a file to be backed up or restored")
    return Path(name)


def upload_folder() -> Path:
    return Path(
        current_app.config.get("UPLOAD_FOLDER") or Path(current_app.instance_path) / "uploads"
    )


def libpq_arguments(url: URL) -> tuple[str, dict]:
    """A libpq connection string for pg_dump/pg_restore, and its environment (the password)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return conninfo, env


def display_url(url: URL) -> str:
    return url.render_as_string(hide_password=True)


# --- Files ---------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _skip_partial(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    # A file being written right now (attachments are written as .partial, then renamed).
    return None if info.name.endswith(".partial") else info


def archive_uploads(folder: Path, archive: Path) -> dict:
    files = size = 0
    with tarfile.open(archive, "w:gz") as tar:
        if folder.is_dir():
            tar.add(folder, arcname="uploads", filter=_skip_partial)
            for path in folder.rglob("*"):
                if path.is_file() and not path.name.endswith(".partial"):
                    files += 1
                    size += path.stat().st_size
    return {"files": files, "bytes": size}


# --- Backup --------------------------------------------------------------------------------


@dataclass
class Backup:
    folder: Path
    manifest: dict = field(default_factory=dict)


def backup(dest: Path) -> Backup:
    """Write a backup of the database and the uploads into ``dest`` (new or empty)."""
    dest = Path(dest).resolve()
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty; give a new folder for each backup")
    dest.mkdir(parents=True, exist_ok=True)
    kind = database_kind()
    database_file = dest / DATABASE_FILES[kind]
    if kind == "sqlite":
        revision, counts = _backup_sqlite(sqlite_path(), database_file)
    else:
        revision, counts = _backup_postgres(database_url(), database_file)
    uploads = archive_uploads(upload_folder(), dest / UPLOADS_ARCHIVE)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "database": kind,
        "alembic_revision": revision,
        "files": {
            path.name: {"sha256": sha256_file(path), "bytes": path.stat().st_size}
            for path in (database_file, dest / UPLOADS_ARCHIVE)
        },
        "tables": counts,
        "uploads": uploads,
    }
    partial = dest / (MANIFEST + ".partial")
    partial.write_text(json.dumps(manifest, indent=2) + "\n")
    partial.replace(dest / MANIFEST)
    return Backup(dest, manifest)


def _backup_sqlite(source: Path, target: Path) -> tuple[str | None, dict[str, int]]:
    if not source.exists():
        raise BackupError(f"no SQLite database at {source}")
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # one step: a single committed state, while others keep writing
        # A self-contained file (the copy would otherwise be in WAL mode, with side files).
        dst.execute("PRAGMA journal_mode=DELETE")
        return _describe_sqlite(dst)
    finally:
        src.close()
        dst.close()


def _describe_sqlite(connection: sqlite3.Connection) -> tuple[str | None, dict[str, int]]:
    # The raw driver: an engine would switch the copy back to WAL (exchange.db's connect hook).
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    counts = {
        name: connection.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]  # noqa: S608
        for name in names
    }
    revision = None
    if tables.ALEMBIC_TABLE in counts:
        found = [r[0] for r in connection.execute("SELECT version_num FROM alembic_version")]
        revision = ",".join(sorted(found)) or None
    return revision, counts


def _backup_postgres(url: URL, target: Path) -> tuple[str | None, dict[str, int]]:
    conninfo, env = libpq_arguments(url)
    engine = create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as connection:
            # Export this transaction's snapshot: pg_dump dumps exactly what was counted.
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            revision = tables.alembic_revision(connection)
            counts = tables.row_counts(connection)
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    f"--dbname={conninfo}",
                ],
                env,
            )
            connection.rollback()
    finally:
        engine.dispose()
    return revision, counts


def _run(command: list[str], env: dict) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"{command[0]} is not installed (Debian: apt-get install postgresql-client)"
        )
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


# --- Restore -------------------------------------------------------------------------------


def read_manifest(src: Path) -> dict:
    path = Path(src) / MANIFEST
    if not path.exists():
        raise BackupError(f"no {MANIFEST} in {src}: not a backup, or an interrupted one")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def verify_files(src: Path, manifest: dict) -> list[str]:
    """The files whose SHA-256 differs from the manifest's (or that are missing)."""
    problems = []
    for name, expected in manifest["files"].items():
        path = Path(src) / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256_file(path) != expected["sha256"]:
            problems.append(f"{name}: SHA-256 differs from the manifest")
    return problems


def check_restorable(src: Path, manifest: dict) -> None:
    """Refuse a damaged backup, one of newer code, or one of another kind of database."""
    problems = verify_files(src, manifest)
    if problems:
        raise BackupError("the backup is damaged: " + "; ".join(problems))
    revision = manifest.get("alembic_revision")
    if not tables.is_known_revision(revision):
        raise BackupError(
            f"the backup is at migration {revision}, which this code does not know (its newest "
            f"is {tables.code_head()}): restore it with the newer code that made it"
        )
    kind = database_kind()
    if manifest["database"] != kind:
        raise BackupError(
            f"this is a {manifest['database']} backup and the configured database is {kind}"
            + (
                "; restore it into SQLite, then run `flask exchange migrate-to-postgres`"
                if manifest["database"] == "sqlite"
                else ""
            )
        )


def restore_database(src: Path, manifest: dict) -> None:
    database_file = Path(src) / DATABASE_FILES[manifest["database"]]
    db.engine.dispose()  # this process's pooled connections must not outlive the old data
    if manifest["database"] == "sqlite":
        _restore_sqlite(database_file, sqlite_path())
    else:
        conninfo, env = libpq_arguments(database_url())
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={conninfo}",
                str(database_file),
            ],
            env,
        )


def _restore_sqlite(source: Path, target: Path) -> None:
    # Through the backup API rather than a file copy: it takes the database's locks, so running
    # processes see either the old or the restored database, never a torn file or stale WAL.
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def restore_uploads(src: Path) -> int:
    """Replace the uploads folder's contents with the archive's; return the file count."""
    folder = upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(4)
    # Everything happens inside the folder (it may be a mount point): unpack, swap, drop.
    staging = folder / f".restore-{token}"
    staging.mkdir()
    try:
        with tarfile.open(Path(src) / UPLOADS_ARCHIVE, "r:gz") as tar:
            tar.extractall(staging, filter="data")  # no absolute paths, links out or devices
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    unpacked = staging / "uploads"
    new = list(unpacked.iterdir()) if unpacked.is_dir() else []
    count = sum(1 for child in new for p in [child, *child.rglob("*")] if p.is_file())
    replaced = folder / f".replaced-{token}"
    replaced.mkdir()
    try:
        for child in list(folder.iterdir()):
            if child not in (staging, replaced):
                child.rename(replaced / child.name)
        for child in new:
            child.rename(folder / child.name)
    except OSError as error:
        raise BackupError(
            f"could not swap the uploads in {folder} ({error}); the previous files are in "
            f"{replaced}, the backup's in {unpacked}"
        ) from error
    shutil.rmtree(replaced, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)
    return count


def restored_counts() -> tuple[str | None, dict[str, int]]:
    with db.engine.connect() as connection:
        return tables.alembic_revision(connection), tables.row_counts(connection)

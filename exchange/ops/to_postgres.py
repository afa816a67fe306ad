"""Moving a SQLite deployment to PostgreSQL: schema, rows, sequences, then proof that they match.

1. The target must be empty; Alembic creates the schema there (the same migrations, so the same
   constraints and indexes as any PostgreSQL deployment).
2. Every table is copied in foreign-key order, in batches of Core inserts that keep the primary
   keys, all in one transaction on the target (a failure leaves it as migrated, with no rows).
   Foreign keys stay checked: a reference the source lets dangle fails the move, not later use.
   The columns that point "forward" (to the same table, or to one copied later: the cycle
   ``wiki_pages.current_revision_id`` ↔ ``wiki_revisions.page_id``) are inserted as NULL and
   set once every table is in. This needs no privilege; ``session_replication_role = replica``
   would, and would switch the checks off.
3. Every sequence behind an integer column is set to continue after the largest copied value.
4. Row counts and checksums (:func:`exchange.ops.tables.table_checksum`) are compared per table.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import Connection, Engine, Table, and_, bindparam, create_engine, insert, text
from sqlalchemy import update as sql_update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import Integer

from exchange.config import normalize_database_url
from exchange.ops import tables

BATCH = 1000


class MigrationError(Exception):
    """The move cannot go on; the message says why and what to do."""


@dataclass
class TableCheck:
    name: str
    source_rows: int
    target_rows: int
    source_sha256: str
    target_sha256: str
    copied: bool = True

    @property
    def ok(self) -> bool:
        return (self.source_rows, self.source_sha256) == (self.target_rows, self.target_sha256)


def target_engine(target_url: str) -> Engine:
    url = make_url(normalize_database_url(target_url))
    if url.get_backend_name() != "postgresql":
        raise MigrationError(f"the target must be a PostgreSQL URL, not {url.get_backend_name()}")
    return create_engine(url)


def tables_with_rows(connection: Connection) -> dict[str, int]:
    names = [n for n in tables.table_names(connection) if n != tables.ALEMBIC_TABLE]
    return {name: n for name, n in tables.row_counts(connection, names).items() if n}


def check_target_empty(engine: Engine) -> None:
    with engine.connect() as connection:
        full = tables_with_rows(connection)
    if full:
        names = sorted(full)
        listing = ", ".join(f"{name} ({full[name]} rows)" for name in names[:5])
        if len(names) > 5:
            listing += f" and {len(names) - 5} more tables"
        raise MigrationError(
            f"the target database is not empty: {listing}. Give a new, empty database (createdb …)."
        )


def upgrade_target(target_url: str) -> str:
    """Run the migrations on the target (in an app bound to it); return its revision."""
    from flask_migrate import upgrade

    from exchange import create_app
    from exchange.extensions import db

    app = create_app(
        {
            "ENV_NAME": current_app.config["ENV_NAME"],
            "SECRET_KEY": current_app.config["SECRET_KEY"],
            "SQLALCHEMY_DATABASE_URI": normalize_database_url(target_url),
            "SEARCH_DISPATCH": "manual",
        }
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            revision = tables.alembic_revision(connection)
        db.session.remove()
        db.engine.dispose()
    return revision


def forward_columns(order: list[Table]) -> dict[str, list]:
    """Per table, the foreign-key columns that refer to itself or to a table copied later."""
    position = {table.name: i for i, table in enumerate(order)}
    found: dict[str, list] = {}
    for table in order:
        for fk in table.foreign_keys:
            target = fk.column.table.name
            if position.get(target, -1) >= position[table.name] and fk.parent not in found.get(
                table.name, []
            ):
                if not fk.parent.nullable:
                    raise MigrationError(
                        f"{table.name}.{fk.parent.name} refers forward and is NOT NULL: it "
                        "cannot be filled in after the rows it refers to"
                    )
                found.setdefault(table.name, []).append(fk.parent)
    return found


def copy_tables(source: Connection, target: Connection, progress=None) -> dict[str, int]:
    """Copy every table's rows (primary keys kept); return the rows copied per table.

    A row PostgreSQL refuses (a dangling reference SQLite let through, a too-long value) stops
    the copy with a MigrationError; the caller's transaction then leaves the target empty.
    """
    try:
        return _copy_tables(source, target, progress)
    except DBAPIError as error:
        detail = " ".join(str(error.orig).split())
        raise MigrationError(
            f"PostgreSQL refused a row: {detail}. No rows were kept (the target has the schema "
            "only): fix the row in the SQLite database and run the command again."
        ) from error


def _copy_tables(source: Connection, target: Connection, progress=None) -> dict[str, int]:
    order = [t for t in tables.schema_tables() if t.name not in tables.DERIVED_TABLES]
    forward = forward_columns(order)
    later: list[tuple[Table, list, list[dict]]] = []
    copied: dict[str, int] = {}
    for table in order:
        deferred = forward.get(table.name, [])
        # Columns the UPDATE below must set to their source values, or Core would apply their
        # onupdate default (updated_at = now).
        keep = [c for c in table.columns if c.onupdate is not None and c not in deferred]
        pending: list[dict] = []
        count = 0
        result = source.execute(tables.ordered_select(source, table))
        while rows := result.fetchmany(BATCH):
            batch = [dict(row._mapping) for row in rows]
            for values in batch:
                if any(values[c.name] is not None for c in deferred):
                    pending.append({c.name: values[c.name] for c in table.columns})
                    for column in deferred:
                        values[column.name] = None
            target.execute(insert(table), batch)
            count += len(batch)
            if progress is not None:
                progress(table.name, len(batch))
        copied[table.name] = count
        if pending:
            later.append((table, [*deferred, *keep], pending))
    for table, columns, pending in later:
        keys = list(table.primary_key.columns)
        statement = (
            sql_update(table)
            .where(and_(*(key == bindparam(f"key_{key.name}") for key in keys)))
            .values({c.name: bindparam(f"new_{c.name}") for c in columns})
        )
        for start in range(0, len(pending), BATCH):
            target.execute(
                statement,
                [
                    {
                        **{f"key_{k.name}": row[k.name] for k in keys},
                        **{f"new_{c.name}": row[c.name] for c in columns},
                    }
                    for row in pending[start : start + BATCH]
                ],
            )
    return copied


def reset_sequences(connection: Connection) -> dict[str, int]:
    """Set every sequence owned by a column of the models to continue after its largest value."""
    reset = {}
    for table in tables.schema_tables():
        for column in table.columns:
            if not isinstance(column.type, Integer):
                continue
            sequence = connection.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            ).scalar()
            if sequence is None:
                continue
            highest = tables.max_value(connection, table, column) or 0
            connection.execute(
                text("SELECT setval(CAST(:sequence AS regclass), :next, false)"),
                {"sequence": sequence, "next": highest + 1},
            )
            reset[f"{table.name}.{column.name}"] = highest + 1
    return reset


def verify(source: Connection, target: Connection) -> list[TableCheck]:
    """Row counts and checksums of every table of the models, on both sides."""
    checks = []
    for table in tables.schema_tables():
        copied = table.name not in tables.DERIVED_TABLES
        if copied:
            source_rows, source_sum = tables.table_checksum(source, table)
        else:  # rebuilt on the target by `search reindex`: here it must be empty
            source_rows, source_sum = 0, hashlib.sha256().hexdigest()
        target_rows, target_sum = tables.table_checksum(target, table)
        checks.append(
            TableCheck(table.name, source_rows, target_rows, source_sum, target_sum, copied)
        )
    return checks


def copy_uploads(source: Path, destination: Path) -> int:
    """Copy the uploads folder and check every file's SHA-256; return the file count."""
    if destination.exists() and any(destination.iterdir()):
        raise MigrationError(f"{destination} is not empty")
    files = (
        [p for p in source.rglob("*") if p.is_file() and not p.name.endswith(".partial")]
        if source.is_dir()
        else []
    )
    for path in files:
        copy = destination / path.relative_to(source)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, copy)
    from exchange.ops.backup import sha256_file

    for path in files:
        copy = destination / path.relative_to(source)
        if sha256_file(path) != sha256_file(copy):
            raise MigrationError(f"{copy} differs from {path} after copying")
    return len(files)

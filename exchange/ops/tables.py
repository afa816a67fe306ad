"""The database as a set of tables: names, row counts, checksums and the Alembic revision.

Backups record row counts; the move to PostgreSQL compares counts and checksums between two
databases. A checksum is a SHA-256 over a table's rows in primary-key order, each row a
canonical JSON array of its values as the models' column types return them (so SQLite and
PostgreSQL agree): datetimes in UTC ISO 8601, dates ISO, JSON with sorted keys, booleans as
true/false, None as null.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal

from flask import current_app
from sqlalchemy import Connection, Table, func, inspect, select, text
from sqlalchemy.types import String

#: Tables that hold only what the search index derives from the other tables: not copied to a
#: new database (``flask exchange search reindex`` rebuilds them there).
DERIVED_TABLES = frozenset({"search_documents", "search_words"})
ALEMBIC_TABLE = "alembic_version"


def schema_tables() -> list[Table]:
    """Every table of the models, parents before children (foreign-key dependency order)."""
    import exchange.models  # noqa: F401  (registers every table on the metadata)
    from exchange.db import Base

    return list(Base.metadata.sorted_tables)


def table_names(connection: Connection) -> list[str]:
    """The tables that exist in the database (the models' and any other, e.g. Alembic's)."""
    return sorted(inspect(connection).get_table_names())


def row_counts(connection: Connection, names=None) -> dict[str, int]:
    names = table_names(connection) if names is None else names
    quote = connection.dialect.identifier_preparer.quote
    # Names come from the database's own catalog (or the models), quoted as identifiers.
    return {
        name: connection.execute(text(f"SELECT COUNT(*) FROM {quote(name)}")).scalar_one()  # noqa: S608
        for name in names
    }


def alembic_revision(connection: Connection) -> str | None:
    """The revision the database is at (several heads joined by commas), or None."""
    if ALEMBIC_TABLE not in table_names(connection):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return ",".join(sorted(rows)) or None


def script_directory():
    """The code's migrations (Flask-Migrate's folder)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def code_head() -> str:
    return ",".join(sorted(script_directory().get_heads()))


def is_known_revision(revision: str | None) -> bool:
    """True if every head in ``revision`` is a migration this code has."""
    if revision is None:
        return True
    scripts = script_directory()
    for rev in revision.split(","):
        try:
            if scripts.get_revision(rev) is None:
                return False
        except Exception:  # alembic raises for unknown or ambiguous ids
            return False
    return True


def ordered_select(connection: Connection, table: Table):
    """All rows of ``table`` in primary-key order, the same order on SQLite and PostgreSQL."""
    keys = list(table.primary_key.columns) or list(table.columns)
    if connection.dialect.name == "postgresql":
        # SQLite compares text byte by byte; PostgreSQL's "C" collation does the same.
        keys = [c.collate("C") if isinstance(c.type, String) else c for c in keys]
    return select(table).order_by(*keys)


def table_checksum(connection: Connection, table: Table, batch: int = 2000) -> tuple[int, str]:
    """Return (row count, SHA-256 hex) of a table's normalised rows in primary-key order."""
    digest = hashlib.sha256()
    count = 0
    result = connection.execute(ordered_select(connection, table))
    while rows := result.fetchmany(batch):
        for row in rows:
            digest.update(canonical_row(row).encode())
            digest.update(b"\n")
        count += len(rows)
    return count, digest.hexdigest()


def canonical_row(row) -> str:
    return json.dumps(
        [normalise(value) for value in row],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )


def normalise(value):
    """A JSON-ready value that is the same whichever database the row was read from."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value else "NaN"
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, bytes | bytearray | memoryview):
        return {"base64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    if isinstance(value, enum.Enum):
        return normalise(value.value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def max_value(connection: Connection, table: Table, column) -> int | None:
    return connection.execute(select(func.max(table.c[column.name]))).scalar()

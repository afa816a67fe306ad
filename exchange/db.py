"""Declarative base with a constraint naming convention, timestamp mixin and UTC helpers."""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from datetime import UTC, datetime

from sqlalchemy import DateTime, Engine, MetaData, event
from sqlalchemy.exc import InvalidRequestError, MultipleResultsFound, StatementError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always returned timezone-aware.

    SQLite keeps no time zone, so values are normalised to UTC on the way in and marked UTC on the
    way out; PostgreSQL stores them as `timestamp with time zone`.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use exchange.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime},
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record):
    """Turn on foreign keys and WAL, and let SQLAlchemy drive transactions (savepoints work)."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    """Emit BEGIN ourselves, since the driver's own transaction handling is switched off.

    Straight on the driver's connection: ``exec_driver_sql`` would put it through SQLAlchemy's
    statement execution (context, cursor wrapper, result), which costs more than the statement
    on every request that reads the database.
    """
    if connection.dialect.name == "sqlite":
        connection.connection.driver_connection.execute("BEGIN")


class Prepared:
    """A SELECT of plain columns, compiled once per database dialect.

    On SQLite, ``read_rows`` runs it straight on the driver's cursor, applying the same bind
    and result conversions SQLAlchemy would (the compiled statement's own processors): without
    SQLAlchemy's per-execution work (execution context, cursor wrapper, result metadata), which
    costs several times the statement itself for the short, indexed statements of a page view.
    Other databases run it as any statement. Build it once (e.g. in a ``functools.cache``d
    function): compiling is the expensive part.
    """

    __slots__ = ("_sqlite", "statement")

    def __init__(self, statement) -> None:
        self.statement = statement
        self._sqlite = None  # (dialect, sql, [(name, default, processor)], row type, processors)

    def _for_sqlite(self, dialect):
        if self._sqlite is None or self._sqlite[0] is not dialect:
            compiled = self.statement.compile(dialect=dialect)
            if compiled.post_compile_params or compiled.literal_execute_params:
                # Rendered again on each execution ("expanding" IN lists): run it as usual.
                self._sqlite = (dialect, None, None, None, None)
                return self._sqlite
            bind_processors = compiled._bind_processors
            binds = []
            for name in compiled.positiontup:
                bind = compiled.binds[name]
                default = _NO_DEFAULT if bind.required or bind.callable else bind.value
                binds.append((name, default, bind_processors.get(name)))
            columns = compiled._result_columns
            row_type = namedtuple("Row", [c.keyname for c in columns], rename=True)
            processors = [c.type._cached_result_processor(dialect, None) for c in columns]
            self._sqlite = (dialect, compiled.string, binds, row_type, processors)
        return self._sqlite


_NO_DEFAULT = object()


class Rows(list):
    """Rows of a ``Prepared`` statement, with the methods of SQLAlchemy's results that the app
    uses."""

    def all(self) -> list:
        return list(self)

    def one_or_none(self):
        if len(self) > 1:
            raise MultipleResultsFound("more than one row where one or none was expected")
        return self[0] if self else None

    def scalar(self):
        return self[0][0] if self else None

    def scalars(self) -> list:
        return [row[0] for row in self]


def read_rows(session, statement, params=None):
    """Run a SELECT of plain columns (no ORM entities) on the session's own connection.

    ``Session.execute`` puts every statement through the ORM's execution path (compile state,
    loading context, result wrapping) even when it selects columns only, which costs about
    twice the statement itself on SQLite (~0.08 ms on the benchmark machine). The session's
    connection runs it in the same transaction, with the same rows. Pending changes are
    flushed first, as ``Session.execute`` would. A ``Prepared`` statement runs on the driver's
    cursor on SQLite unless something listens to the statements (e.g. a test counting them).
    """
    if session.autoflush:
        session.flush()
    connection = session.connection()
    if not isinstance(statement, Prepared):
        return connection.execute(statement, params)
    dialect = connection.dialect
    dispatch = connection.dispatch
    if (
        dialect.name != "sqlite"
        or dispatch.before_cursor_execute
        or dispatch.after_cursor_execute
        or connection.engine.dispatch.before_cursor_execute
    ):
        return connection.execute(statement.statement, params)
    _dialect, sql, binds, row_type, processors = statement._for_sqlite(dialect)
    if sql is None:
        return connection.execute(statement.statement, params)
    params = params or {}
    values = []
    for name, default, process in binds:
        value = params.get(name, default)
        if value is _NO_DEFAULT:
            # What SQLAlchemy raises for a missing value, on every database alike.
            missing = InvalidRequestError(f"A value is required for bind parameter {name!r}")
            raise StatementError(str(missing), sql, params, missing)
        values.append(process(value) if process is not None else value)
    cursor = connection.connection.driver_connection.execute(sql, values)
    try:
        fetched = cursor.fetchall()
    finally:
        cursor.close()
    if not any(processors):
        return Rows(row_type._make(row) for row in fetched)
    return Rows(
        row_type._make(
            [value if p is None else p(value) for p, value in zip(processors, row, strict=True)]
        )
        for row in fetched
    )

"""The lookup's read path: one primary-key read of ``consent_states`` at the driver's cost.

A lookup (``GET …/consents/{id}``) runs on every page view of every site that asks, and it only
reads one row. The ORM session, and even a Core connection of the app's engine, add work a read
does not need: a liveness ping per checkout and a ROLLBACK per return (two extra round trips on
PostgreSQL), a transaction, and SQLAlchemy's per-statement execution context. The reader has an
engine of its own on the same database, in autocommit mode (PostgreSQL: one round trip; SQLite:
no transaction to end), compiles its statement once, and runs it on the driver's cursor, decoding
each column with the column type's own result processor, so values are exactly what the ORM would
give (aware UTC datetimes, JSON as dicts).

Measured on the development machine (bench/lookup.py has the end-to-end figures): PostgreSQL
747 µs through the app's engine against 244 µs here; SQLite 49 µs against 22 µs.

A connection the database dropped (a restart, a failover) empties the pool, and the read is
tried once more on a fresh connection, so a stale pool costs one retry instead of failed
requests; if the
database is really gone, the error is SQLAlchemy's own, which the app answers with a 503.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.engine import Engine

from ..extensions import db
from ..models import STATE_VIEW_COLUMNS, ConsentState, StateView

EXTENSION = "cookieconsent.state_reader"
# The lookup's statement: the primary key of consent_states, bound per request.
STATE_QUERY = sa.select(*STATE_VIEW_COLUMNS).where(
    ConsentState.site_id == sa.bindparam("site_id"),
    ConsentState.visitor_id == sa.bindparam("visitor_id"),
)


class StateReader:
    """Reads one visitor's stored decision; one per app, its engine made on first use."""

    def __init__(self, url: str, engine_options: dict[str, Any] | None = None) -> None:
        self.url = url
        self.engine_options = {
            key: value
            for key, value in (engine_options or {}).items()
            if key not in {"pool_pre_ping", "isolation_level", "pool_reset_on_return"}
        }
        self._engine: Engine | None = None
        self._sql = ""
        self._positional = False
        self._processors: list[Callable[[Any], Any] | None] = []

    @property
    def engine(self) -> Engine:
        """The reader's engine: autocommit, no ping, nothing to reset on return."""
        if self._engine is None:
            engine = sa.create_engine(
                self.url,
                isolation_level="AUTOCOMMIT",
                pool_pre_ping=False,
                pool_reset_on_return=None,
                **self.engine_options,
            )
            dialect = engine.dialect
            compiled = STATE_QUERY.compile(dialect=dialect)
            self._sql = str(compiled)
            self._positional = bool(compiled.positional)
            self._processors = [
                column.type._cached_result_processor(dialect, None) for column in STATE_VIEW_COLUMNS
            ]
            self._engine = engine
        return self._engine

    def read(self, site_id: int, raw_id: str) -> StateView | None:
        """The visitor's stored decision, or ``None``.

        Raises a :class:`sqlalchemy.exc.DBAPIError` (an ``OperationalError`` when the database
        cannot be reached) after one retry on a fresh connection.
        """
        engine = self.engine
        params: Any = (
            (site_id, raw_id) if self._positional else {"site_id": site_id, "visitor_id": raw_id}
        )
        dbapi_error = engine.dialect.loaded_dbapi.Error
        for attempt in (1, 2):
            try:
                connection = engine.raw_connection()
            except dbapi_error as error:
                # Could not connect at all: as SQLAlchemy reports it (the app answers 503).
                raise sa.exc.DBAPIError.instance(None, None, error, dbapi_error) from error
            cursor = None
            try:
                cursor = connection.cursor()
                cursor.execute(self._sql, params)
                row = cursor.fetchone()
                cursor.close()
            except dbapi_error as error:
                dropped = engine.dialect.is_disconnect(error, connection.dbapi_connection, cursor)
                connection.invalidate(error)
                if dropped:
                    # The server went away for all of them (a restart, a failover): the other
                    # pooled connections are dead too, so the pool starts afresh, as
                    # SQLAlchemy's own engines do on a disconnect.
                    engine.dispose()
                if attempt == 1 and dropped:
                    continue
                raise sa.exc.DBAPIError.instance(
                    self._sql, params, error, dbapi_error, connection_invalidated=dropped
                ) from error
            finally:
                connection.close()
            if row is None:
                return None
            return StateView(
                *[
                    processor(value) if processor is not None else value
                    for processor, value in zip(self._processors, row, strict=True)
                ]
            )
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def dispose(self) -> None:
        """Close the reader's pooled connections (tests, shutdown)."""
        if self._engine is not None:
            self._engine.dispose()


def init_app(app: Flask) -> None:
    """One reader per app, on the app's database; none for an in-memory SQLite database, which
    a second engine would not see (lookups then read through the app's engine)."""
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    if in_memory:
        app.extensions[EXTENSION] = None
        return
    reader = StateReader(str(url), app.config.get("SQLALCHEMY_ENGINE_OPTIONS"))
    app.extensions[EXTENSION] = reader
    with app.app_context():
        # Whoever lets the app's connections go (shutdown, a test's teardown) lets these go too.
        sa.event.listen(db.engine, "engine_disposed", lambda engine: reader.dispose())


def state_reader() -> StateReader | None:
    """The app's reader (``None`` on an in-memory database)."""
    return current_app.extensions.get(EXTENSION)

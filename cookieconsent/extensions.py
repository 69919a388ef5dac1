"""Extensions created unbound and attached to the app in the factory."""

from __future__ import annotations

import sqlite3
from typing import Any

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names keep migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the project's naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)

# Every SQLite connection (the embedded default): the journal and durability a service needs.
SQLITE_PRAGMAS = (
    # Write-ahead log: readers never wait for the writer, nor the writer for readers, across
    # gunicorn's workers and threads on one file.
    "PRAGMA journal_mode=WAL",
    # Durability at its strongest: a commit is on disk before the choice is acknowledged.
    "PRAGMA synchronous=FULL",
    # A writer waits up to 5 s for another's commit instead of failing with "database is locked".
    "PRAGMA busy_timeout=5000",
    # Sorting and temporary indexes in memory; 32 MiB of page cache per connection.
    "PRAGMA temp_store=MEMORY",
    "PRAGMA cache_size=-32768",
)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

"""The database schema's revision against the code's: is the database migrated?

The migrations ship inside the package (``cookieconsent/migrations``). The revision the code
expects is the head of that script directory; the database's is in Alembic's
``alembic_version`` table, which is missing until ``db upgrade`` first runs.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import String, column, inspect, select, table
from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

VERSION_TABLE = "alembic_version"
UPGRADE_HINT = "run `cookieconsent db upgrade` (or `flask --app app db upgrade` in a checkout)"


@cache
def code_heads() -> frozenset[str]:
    """The revisions the code expects: the heads of the shipped migrations."""
    return frozenset(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def database_heads(connection: Connection) -> frozenset[str]:
    """The revisions the database is at; empty when it was never migrated."""
    # Read directly rather than through Alembic's MigrationContext, which logs at INFO on
    # every call: /healthz asks this for each probe.
    if not inspect(connection).has_table(VERSION_TABLE):
        return frozenset()
    version = column("version_num", String)
    query = select(version).select_from(table(VERSION_TABLE, version))
    return frozenset(connection.execute(query).scalars())


def schema_problem(connection: Connection) -> str | None:
    """``None`` when the database's schema is at the code's head, else what is wrong with it."""
    current = database_heads(connection)
    if current == code_heads():
        return None
    if not current:
        return f"the database has no schema: {UPGRADE_HINT}"
    known = ScriptDirectory(str(MIGRATIONS_DIR))
    try:
        behind = all(known.get_revision(revision) is not None for revision in current)
    except Exception:  # Alembic raises several kinds for a revision it does not know
        behind = False
    if behind:
        return (
            f"the database's schema is at revision {', '.join(sorted(current))}, "
            f"behind the code's {', '.join(sorted(code_heads()))}: {UPGRADE_HINT}"
        )
    return (
        f"the database's schema is at revision {', '.join(sorted(current))}, which this "
        f"version of cookieconsent does not know (expected {', '.join(sorted(code_heads()))}): "
        "it was migrated by a newer release"
    )

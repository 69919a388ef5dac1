"""A database that cannot be reached answers 503 with Retry-After, never 500, and loses nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from cookieconsent import create_app
from cookieconsent.errors import DATABASE_RETRY_AFTER
from cookieconsent.extensions import db
from cookieconsent.models import ConsentEvent
from cookieconsent.services.signing import sign_visitor_id
from cookieconsent.services.sites import create_site

from .conftest import POSTGRES_ADMIN_URL, SECRET_KEYS, _config, table_counts

SITE_KEY = "outagesite0001"
WRITE = {"action": "accept_all", "url": "https://shop.example/"}


def assert_unavailable(response: Any) -> None:
    """A 503 problem answer that tells the client when to come back."""
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == str(DATABASE_RETRY_AFTER)
    problem = response.get_json()
    assert problem["status"] == 503
    assert problem["title"] == "Service Unavailable"
    assert "database" in problem["detail"]
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    [
        # Nothing listens on port 1: the connection is refused, as when PostgreSQL is stopped.
        "postgresql+psycopg://postgres@127.0.0.1:1/cookieconsent",
        # A folder that does not exist: SQLite cannot open the file.
        "sqlite:////nonexistent-folder/cookieconsent.sqlite3",
    ],
    ids=["postgresql-refused", "sqlite-unopenable"],
)
@pytest.mark.parametrize("request_kind", ["write", "lookup", "allowed"])
def test_unreachable_database_answers_503_with_retry_after(url: str, request_kind: str) -> None:
    app = create_app(_config(url))
    client = app.test_client()
    base = f"/api/v1/sites/{SITE_KEY}/consents"
    visitor_id = sign_visitor_id(SECRET_KEYS, SITE_KEY, "A" * 22)
    if request_kind == "write":
        response = client.post(base, json=WRITE, headers={"Idempotency-Key": "k-unreachable"})
    elif request_kind == "lookup":
        response = client.get(f"{base}/{visitor_id}")
    else:
        response = client.get(f"{base}/{visitor_id}/allowed/analytics")
    assert_unavailable(response)


@pytest.fixture
def outage_app(database_url: str) -> Iterator[Flask]:
    """The application on a clean database, giving up at once on an SQLite lock."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    if database_url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 0.05}
    app = create_app(_config(database_url, SQLALCHEMY_ENGINE_OPTIONS=options))
    with app.app_context():
        yield app
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        db.engine.dispose()


@contextmanager
def database_down(app: Flask) -> Iterator[None]:
    """Take the app's database away from it mid-flight, then give it back.

    PostgreSQL: the database stops accepting connections and the app's open sessions are ended,
    as a server shutdown does. SQLite: another process holds an exclusive lock on the file. In
    WAL mode (the service's) that stops writers only: readers go on reading the last commit.
    """
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(url.database or "", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = url.database
    with admin.connect() as connection:
        connection.execute(sa.text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
        connection.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
    try:
        yield
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
        admin.dispose()


def test_database_lost_mid_flight_answers_503_writes_nothing_and_recovers(
    outage_app: Flask,
) -> None:
    site_id = create_site("Shop", ["shop.example"], site_key=SITE_KEY)[0].id
    client: FlaskClient = outage_app.test_client()
    base = f"/api/v1/sites/{SITE_KEY}/consents"
    # The first write also puts the site in the worker's cache, so that the outage strikes
    # inside the views (recording, looking up), not while resolving the site.
    first = client.post(base, json=WRITE, headers={"Idempotency-Key": "k-first"})
    assert first.status_code == 201
    visitor_id = first.get_json()["visitor_id"]
    db.session.remove()
    before = table_counts()
    db.session.remove()
    choice = {**WRITE, "action": "reject_all", "visitor_id": visitor_id}

    with database_down(outage_app):
        assert_unavailable(client.post(base, json=choice, headers={"Idempotency-Key": "k-second"}))
        if outage_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            # Write-ahead logging: a writer holding the file does not stop lookups, which answer
            # the last committed decision (the refused write changed nothing).
            lookup = client.get(f"{base}/{visitor_id}")
            assert lookup.status_code == 200
            assert lookup.get_json()["categories"]["analytics"] is True
            allowed = client.get(f"{base}/{visitor_id}/allowed/analytics")
            assert allowed.get_json() == {"allowed": True}
        else:
            assert_unavailable(client.get(f"{base}/{visitor_id}"))
            assert_unavailable(client.get(f"{base}/{visitor_id}/allowed/analytics"))

    assert table_counts() == before
    db.session.remove()
    # The client sends the refused choice again with its key, as Retry-After invites: it is
    # recorded now, once, and the lookup answers it.
    again = client.post(base, json=choice, headers={"Idempotency-Key": "k-second"})
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers
    lookup = client.get(f"{base}/{visitor_id}")
    assert lookup.status_code == 200
    assert lookup.get_json()["categories"]["analytics"] is False
    actions = db.session.execute(
        sa.select(ConsentEvent.action)
        .where(ConsentEvent.site_id == site_id)
        .order_by(ConsentEvent.id)
    ).scalars()
    assert list(actions) == ["accept_all", "reject_all"]

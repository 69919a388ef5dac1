"""Shared fixtures: the app on SQLite and on PostgreSQL, a client, a CLI runner, factories."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade

from cookieconsent import create_app
from cookieconsent.extensions import db
from cookieconsent.models import Site
from cookieconsent.services.sites import create_site

SECRET_KEYS = ["test-key-retired", "test-key-current"]
POSTGRES_ADMIN_URL = os.environ.get(
    "COOKIECONSENT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() == "true"

_postgres_problem: list[str] = []


def _postgres_available() -> str | None:
    """None when the server answers, else why not."""
    engine = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as error:  # any failure means "no PostgreSQL here"
        return f"{type(error).__name__}: {error}".splitlines()[0]
    finally:
        engine.dispose()
    return None


def _migrate(url: str, tmp_path: Path) -> None:
    app = create_app(_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _config(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "COOKIECONSENT_SECRET_KEYS": SECRET_KEYS,
        "SECRET_KEY": SECRET_KEYS[-1],
        "RATELIMIT_ENABLED": False,
        **extra,
    }


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An SQLite file database with the schema created by the migrations."""
    path = tmp_path_factory.mktemp("sqlite") / "cookieconsent.sqlite3"
    url = f"sqlite:///{path}"
    _migrate(url, path.parent)
    return url


@contextmanager
def throwaway_postgres(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database ``<prefix>_<random>``; yields its URL, drops it after.

    Skips loudly when PostgreSQL is not reachable, and fails instead under ``CI=true``.
    """
    problem = _postgres_available()
    if problem is not None:
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {problem}"
        if IN_CI:
            pytest.fail(message + " (CI=true: PostgreSQL tests may not be skipped)")
        _postgres_problem.append(message)
        pytest.skip(message)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgresql_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throw-away PostgreSQL database with the schema created by the migrations."""
    with throwaway_postgres("cookieconsent_test") as url:
        _migrate(url, tmp_path_factory.mktemp("pg"))
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test that needs the database runs once per backend."""
    if request.param == "postgresql":
        request.applymarker(pytest.mark.postgresql)
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    """The application on a clean database."""
    app = create_app(_config(database_url))
    with app.app_context():
        yield app
        db.session.remove()
        # Children first, so foreign keys never object.
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client."""
    return app.test_client()


class FreshContextClient(FlaskClient):
    """A test client whose every request runs in an application context of its own.

    The ``app`` fixture keeps one context open for the whole test, which requests would
    otherwise share (``g`` included, where Flask-Login and Flask-WTF keep per-request state);
    a browser's requests never share one.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def console(app: Flask) -> FlaskClient:
    """A client for the console, each request in its own context as a real browser's are."""
    app.test_client_class = FreshContextClient
    try:
        return app.test_client()
    finally:
        app.test_client_class = FlaskClient


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner for the ``flask`` commands."""
    return app.test_cli_runner()


class SiteFactory:
    """Creates sites and remembers their API tokens."""

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}

    def __call__(
        self, name: str = "Shop", domains: tuple[str, ...] = ("shop.example",), **kw: Any
    ) -> Site:
        site, token = create_site(name, list(domains), **kw)
        self.tokens[site.site_key] = token
        return site


@pytest.fixture
def make_site(app: Flask) -> SiteFactory:
    """Factory for sites: ``make_site(domains=("a.example",))``."""
    return SiteFactory()


@pytest.fixture
def site(make_site: SiteFactory) -> Site:
    """A site on shop.example with essential, analytics and marketing."""
    return make_site(policy_url="https://shop.example/privacy")


def table_counts() -> dict[str, int]:
    """How many rows every table holds, to prove a refused request wrote nothing."""
    return {
        table.name: db.session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        for table in db.metadata.sorted_tables
    }


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say loudly when the PostgreSQL half of the suite did not run."""
    if _postgres_problem:
        terminalreporter.write_sep("!", "PostgreSQL tests were SKIPPED", red=True, bold=True)
        terminalreporter.write_line(_postgres_problem[0], red=True)

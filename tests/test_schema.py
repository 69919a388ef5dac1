"""A database whose schema is not the code's: every command says to migrate, /healthz says 503."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from cookieconsent import create_app
from cookieconsent.extensions import db
from cookieconsent.services.schema import code_heads

from .conftest import _config, throwaway_postgres

ROOT = Path(__file__).resolve().parent.parent
UPGRADE = "run `cookieconsent db upgrade`"


@pytest.fixture(params=["sqlite", "postgresql"])
def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database that exists but holds no schema at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    with throwaway_postgres("cookieconsent_schema") as url:
        yield url


@pytest.fixture
def bare_app(unmigrated_url: str) -> Iterator[Flask]:
    app = create_app(_config(unmigrated_url))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every runnable command under ``group``, as its path of names."""
    found: list[tuple[str, ...]] = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found.extend(leaf_commands(command, (*prefix, name)))
        else:
            found.append((*prefix, name))
    return found


def arguments_for(command: click.Command, tmp_path: Path) -> list[str]:
    """The least a command accepts: a value for each required argument and option."""
    config_file = tmp_path / "site.json"
    config_file.write_text("{}")

    def value(parameter: click.Parameter) -> str:
        if isinstance(parameter.type, click.Choice):
            return str(parameter.type.choices[0])
        if isinstance(parameter.type, click.types.IntParamType | click.types.FloatParamType):
            return "1"
        if isinstance(parameter.type, click.File | click.Path):
            return str(config_file)
        return "1.0" if parameter.name == "version" else "x"

    args: list[str] = []
    for parameter in command.params:
        if isinstance(parameter, click.Argument) and parameter.nargs == 1:
            args.append(value(parameter))
        elif isinstance(parameter, click.Option) and parameter.required:
            args += [parameter.opts[0], value(parameter)]
    return args


def test_every_command_refuses_an_unmigrated_database_in_one_line(
    bare_app: Flask, tmp_path: Path
) -> None:
    commands = [path for path in leaf_commands(bare_app.cli) if path[0] != "db"]
    assert {("sites", "create"), ("sites", "list"), ("consents", "purge"), ("demo",)} <= set(
        commands
    )
    runner = bare_app.test_cli_runner()
    for path in commands:
        command = bare_app.cli
        for name in path:
            command = command.commands[name]  # type: ignore[attr-defined]
        result = runner.invoke(args=[*path, *arguments_for(command, tmp_path)])
        assert result.exit_code == 1, (path, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), path
        lines = result.output.strip().splitlines()
        assert len(lines) == 1, (path, result.output)
        assert lines[0].startswith("Error: the database has no schema: ")
        assert UPGRADE in lines[0]
    # Nothing was created on the way.
    assert sa.inspect(db.engine).get_table_names() == []


def test_a_database_behind_the_code_is_refused_until_upgraded(bare_app: Flask) -> None:
    upgrade(revision="0003")
    runner = bare_app.test_cli_runner()
    result = runner.invoke(args=["sites", "list"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: the database's schema is at revision 0003, behind the code's "
        f"{', '.join(sorted(code_heads()))}: {UPGRADE} (or `flask --app app db upgrade` "
        "in a checkout)"
    )
    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    result = runner.invoke(args=["sites", "list"])
    assert result.exit_code == 0, result.output
    assert result.output == ""


def test_a_database_that_does_not_answer_is_one_line(tmp_path: Path) -> None:
    app = create_app(_config(f"sqlite:///{tmp_path}/missing-dir/db.sqlite3"))
    result = app.test_cli_runner().invoke(args=["sites", "list"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: the database does not answer (")
    assert len(result.output.strip().splitlines()) == 1


def test_healthz_follows_the_schema_revision(bare_app: Flask) -> None:
    client = bare_app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 503
    assert problem["detail"] == "The database's schema is not current."
    assert UPGRADE in problem["errors"]["database"][0]

    upgrade(revision="0003")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "behind the code's" in response.get_json()["errors"]["database"][0]

    upgrade()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}

    downgrade(revision="0003")
    assert client.get("/healthz").status_code == 503


def test_real_pages_answer_503_until_the_schema_is_there(bare_app: Flask) -> None:
    """Not only /healthz: what visitors and clients load says "later", never 500."""
    client = bare_app.test_client()
    visitor = "v1.AAAAAAAAAAAAAAAAAAAAAA.x"
    for url in (
        "/c/somesite0000001.js",
        "/api/v1/sites/somesite0000001/region",
        f"/api/v1/sites/somesite0000001/consents/{visitor}",
    ):
        response = client.get(url)
        assert response.status_code == 503, (url, response.status_code)
        assert response.headers["Retry-After"] == "30"
        assert "Traceback" not in response.get_data(as_text=True)
    receipt = client.get(f"/receipt/somesite0000001/{visitor}")
    assert receipt.status_code == 503
    assert receipt.mimetype == "text/html"
    # Half-way (0003 has no console tables), a column or table missing is the same answer.
    upgrade(revision="0003")
    response = client.get("/api/v1/sites/somesite0000001/region")
    assert response.status_code == 503
    upgrade()
    assert client.get("/api/v1/sites/somesite0000001/region").status_code == 404


def test_a_revision_this_release_does_not_know_is_named(bare_app: Flask) -> None:
    upgrade()
    with db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    response = bare_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert "migrated by a newer release" in response.get_json()["errors"]["database"][0]
    result = bare_app.test_cli_runner().invoke(args=["sites", "list"])
    assert result.exit_code == 1
    assert "revision 9999, which this version of cookieconsent does not know" in result.output


@pytest.mark.parametrize(
    "entry_point",
    [
        [sys.executable, "-m", "flask", "--app", "app"],
        [str(Path(sys.executable).parent / "cookieconsent")],
    ],
    ids=["flask --app app", "cookieconsent"],
)
def test_the_real_command_lines_say_to_upgrade(entry_point: list[str], tmp_path: Path) -> None:
    env = {
        **os.environ,
        "COOKIECONSENT_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "COOKIECONSENT_SECRET_KEYS": "k" * 32,
        "COOKIECONSENT_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    env.pop("COOKIECONSENT_ENV", None)
    result = subprocess.run(
        [*entry_point, "sites", "list"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "Error: the database has no schema: run `cookieconsent db upgrade` "
        "(or `flask --app app db upgrade` in a checkout)"
    ]

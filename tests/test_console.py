"""Entry points and their modes: the ``cookieconsent`` script, the WSGI modules, the factory."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cookieconsent import create_app
from cookieconsent.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MISSING_KEYS = (
    "COOKIECONSENT_SECRET_KEYS is required in production: "
    "set one or more comma-separated signing keys (the last one signs)"
)


def run(args: list[str], env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    """A process environment with an SQLite database and instance folder of its own, no keys."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("COOKIECONSENT_") and key != "FLASK_APP"
    }
    env["COOKIECONSENT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cc.sqlite3'}"
    env["COOKIECONSENT_INSTANCE_PATH"] = str(tmp_path / "instance")
    return env


def test_console_script_migrates_without_keys_and_refuses_other_commands(
    environ: dict[str, str], tmp_path: Path
) -> None:
    console = str(BIN / "cookieconsent")
    upgraded = run([console, "db", "upgrade"], environ)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "Running upgrade" in upgraded.stderr
    # Production: no development key was generated on the way.
    assert not (tmp_path / "instance" / "secret_key").exists()

    refused = run([console, "sites", "list"], environ)
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr.strip().splitlines() == [f"Error: {MISSING_KEYS}"]

    helped = run([console, "--help"], environ)
    assert helped.returncode == 0, helped.stderr
    assert {"db", "sites", "consents", "webhooks"} <= set(helped.stdout.split())

    # A configuration the service refuses is one line, for --help and for any command.
    garbled = {**environ, "COOKIECONSENT_TRUST_PROXY": "two"}
    helped = run([console, "--help"], garbled)
    assert helped.stderr.strip() == (
        "Error: COOKIECONSENT_TRUST_PROXY must be a whole number, got 'two'"
    )
    assert "routes" in helped.stdout.split()
    refused = run([console, "db", "upgrade"], garbled)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "Error: COOKIECONSENT_TRUST_PROXY must be a whole number, got 'two'"
    ]

    keyed = {**environ, "COOKIECONSENT_SECRET_KEYS": "o" * 32 + "," + "n" * 32}
    created = run([console, "sites", "create", "--name", "Shop", "--domain", "s.example"], keyed)
    assert created.returncode == 0, created.stderr
    site_key = json.loads(created.stdout)["site_key"]
    listed = run([console, "sites", "list"], keyed)
    assert [json.loads(line)["site_key"] for line in listed.stdout.splitlines()] == [site_key]

    development = run([console, "sites", "list"], {**environ, "COOKIECONSENT_ENV": "development"})
    assert development.returncode == 0, development.stderr
    assert (tmp_path / "instance" / "secret_key").exists()


def test_flask_app_is_development_unless_told(environ: dict[str, str], tmp_path: Path) -> None:
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    assert run([*flask, "db", "upgrade"], environ).returncode == 0
    listed = run([*flask, "sites", "list"], environ)
    assert listed.returncode == 0, listed.stderr
    assert (tmp_path / "instance" / "secret_key").exists()

    production = {**environ, "COOKIECONSENT_ENV": "production"}
    refused = run([*flask, "sites", "list"], production)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [f"Error: {MISSING_KEYS}"]
    # Migrations sign nothing: `db` commands run in production without keys.
    assert run([*flask, "db", "current"], production).returncode == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    "target", ["cookieconsent.wsgi:app", "wsgi:app", "cookieconsent:create_app()"]
)
def test_gunicorn_refuses_to_serve_without_keys(
    target: str, environ: dict[str, str], tmp_path: Path
) -> None:
    result = run(
        [
            str(BIN / "gunicorn"), "--no-control-socket", "--workers", "1",
            "--bind", f"127.0.0.1:{free_port()}", target,
        ],
        environ,
        cwd=ROOT if target == "wsgi:app" else tmp_path,
    )  # fmt: skip
    assert result.returncode != 0
    assert MISSING_KEYS in result.stderr
    if target != "cookieconsent:create_app()":
        # Our WSGI modules make it one line and a stop, not a traceback per worker.
        assert f"cookieconsent: {MISSING_KEYS}" in result.stderr.splitlines()
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "instance").exists()


def test_bare_factory_is_production(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], tmp_path: Path
) -> None:
    for key in ("COOKIECONSENT_ENV", "COOKIECONSENT_SECRET_KEYS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("COOKIECONSENT_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("COOKIECONSENT_DATABASE_URL", environ["COOKIECONSENT_DATABASE_URL"])
    with pytest.raises(ConfigError, match="COOKIECONSENT_SECRET_KEYS is required"):
        create_app()
    monkeypatch.setenv("COOKIECONSENT_SECRET_KEYS", "a" * 32 + "," + "b" * 32)
    app = create_app()
    assert app.config["ENV_MODE"] == "production"
    assert app.config["COOKIECONSENT_WEBHOOK_ALLOW_PRIVATE"] is False
    assert not (tmp_path / "instance" / "secret_key").exists()

    monkeypatch.setenv("COOKIECONSENT_ENV", "development")
    assert create_app().config["ENV_MODE"] == "development"


def test_factory_with_a_config_is_development(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("COOKIECONSENT_ENV", raising=False)
    monkeypatch.delenv("COOKIECONSENT_SECRET_KEYS", raising=False)
    monkeypatch.setenv("COOKIECONSENT_INSTANCE_PATH", "relative-instance")
    monkeypatch.chdir(tmp_path)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["ENV_MODE"] == "development"
    # A relative COOKIECONSENT_INSTANCE_PATH is taken from the working directory.
    assert app.instance_path == str(tmp_path / "relative-instance")
    assert (tmp_path / "relative-instance" / "secret_key").exists()
    monkeypatch.setenv("COOKIECONSENT_ENV", "production")
    with pytest.raises(ConfigError, match="COOKIECONSENT_SECRET_KEYS is required"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_instance_folder_of_a_checkout_is_beside_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COOKIECONSENT_INSTANCE_PATH", raising=False)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.instance_path == str(ROOT / "instance")

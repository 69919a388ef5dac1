"""Configuration from the environment: development defaults never reach production."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cookieconsent.config import ConfigError, load_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_development_generates_and_keeps_a_key(tmp_path: Path) -> None:
    first = load_config({}, instance_path=tmp_path)
    second = load_config({}, instance_path=tmp_path)
    assert first["COOKIECONSENT_SECRET_KEYS"] == second["COOKIECONSENT_SECRET_KEYS"]
    assert len(first["SECRET_KEY"]) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'cookieconsent.sqlite3'}"


def test_production_refuses_to_start_without_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="COOKIECONSENT_SECRET_KEYS"):
        load_config({"COOKIECONSENT_ENV": "production"}, instance_path=tmp_path)
    assert not (tmp_path / "secret_key").exists()


def test_key_rotation_last_key_signs(tmp_path: Path) -> None:
    config = load_config({"COOKIECONSENT_SECRET_KEYS": " old , new ,"}, instance_path=tmp_path)
    assert config["COOKIECONSENT_SECRET_KEYS"] == ["old", "new"]
    assert config["SECRET_KEY"] == "new"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"COOKIECONSENT_TRUST_PROXY": "two"}, "COOKIECONSENT_TRUST_PROXY"),
        ({"COOKIECONSENT_TRUST_PROXY": "-1"}, "COOKIECONSENT_TRUST_PROXY"),
        ({"COOKIECONSENT_ENV": "staging"}, "COOKIECONSENT_ENV"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config({"COOKIECONSENT_SECRET_KEYS": "k", **environ}, instance_path=tmp_path)


def test_environment_variables_are_read(tmp_path: Path) -> None:
    config = load_config(
        {
            "COOKIECONSENT_SECRET_KEYS": "k",
            "COOKIECONSENT_DATABASE_URL": "postgresql+psycopg://u@db/cc",
            "COOKIECONSENT_GEOIP_DB": "/data/GeoLite2-City.mmdb",
            "COOKIECONSENT_TRUST_PROXY": "2",
            "COOKIECONSENT_REDIS_URL": "redis://127.0.0.1:6379/0",
        },
        instance_path=tmp_path,
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/cc"
    assert config["COOKIECONSENT_GEOIP_DB"] == "/data/GeoLite2-City.mmdb"
    assert config["COOKIECONSENT_TRUST_PROXY"] == 2
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_wsgi_entry_point_is_production(tmp_path: Path) -> None:
    """``gunicorn wsgi:app`` without keys must refuse to start."""
    env = {"PATH": "/usr/bin:/bin", "COOKIECONSENT_DATABASE_URL": f"sqlite:///{tmp_path}/db"}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "COOKIECONSENT_SECRET_KEYS is required in production" in result.stderr
    ok = subprocess.run(
        [sys.executable, "-c", "import wsgi; print(wsgi.app.name)"],
        cwd=PROJECT_ROOT,
        env={**env, "COOKIECONSENT_SECRET_KEYS": "a" * 32 + "," + "b" * 32},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "cookieconsent"


def test_trusted_proxy_sets_the_client_address(tmp_path: Path) -> None:
    from cookieconsent import create_app

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/db",
            "COOKIECONSENT_TRUST_PROXY": 1,
        }
    )
    seen: list[str | None] = []

    @app.get("/whoami")
    def whoami() -> str:
        from flask import request

        seen.append(request.remote_addr)
        return ""

    app.test_client().get("/whoami", headers={"X-Forwarded-For": "9.9.9.9, 203.0.113.7"})
    assert seen == ["203.0.113.7"]


LONG_KEY = "k" * 32


def test_production_refuses_short_keys_and_development_warns(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="key 1 of 2 is shorter") as refused:
        load_config(
            {"COOKIECONSENT_ENV": "production", "COOKIECONSENT_SECRET_KEYS": f"short,{LONG_KEY}"},
            instance_path=tmp_path,
        )
    assert "short" not in str(refused.value).replace("shorter", "")  # the key itself is never said
    config = load_config(
        {"COOKIECONSENT_ENV": "production", "COOKIECONSENT_SECRET_KEYS": LONG_KEY},
        instance_path=tmp_path,
    )
    assert config["DEBUG"] is False
    development = load_config({"COOKIECONSENT_SECRET_KEYS": "short"}, instance_path=tmp_path)
    assert development["SECRET_KEY"] == "short"
    assert any("development only" in line for line in development["COOKIECONSENT_CONFIG_WARNINGS"])


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "is not a database URL"),
        ("mysql://root@localhost/cc", "names mysql"),
        ("postgresql+asyncpg://u@h/cc", "driver 'asyncpg', which is not installed"),
    ],
)
def test_database_urls_the_service_cannot_use_are_refused(
    tmp_path: Path, url: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(
            {"COOKIECONSENT_SECRET_KEYS": LONG_KEY, "COOKIECONSENT_DATABASE_URL": url},
            instance_path=tmp_path,
        )


def test_production_on_the_default_sqlite_file_is_a_warning(tmp_path: Path) -> None:
    config = load_config(
        {"COOKIECONSENT_ENV": "production", "COOKIECONSENT_SECRET_KEYS": LONG_KEY},
        instance_path=tmp_path,
    )
    assert any(
        "COOKIECONSENT_DATABASE_URL is not set" in w
        for w in config["COOKIECONSENT_CONFIG_WARNINGS"]
    )

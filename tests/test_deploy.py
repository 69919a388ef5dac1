"""What ships for deployment: the Dockerfile, compose.yaml, the systemd units and gunicorn settings.

These machines cannot build images or run containers, so the image is checked for what makes it
right: it installs the wheel with deploy/install.sh (which tests/test_wheel.py runs for real),
runs as a user without privileges, and checks /healthz. compose.yaml is parsed for its services
and their health checks. CI runs ``systemd-analyze verify`` on the units (.ci/run).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskCliRunner

from cookieconsent import gunicorn_conf

ROOT = Path(__file__).resolve().parent.parent


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) for each instruction of the final stage, continuations joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    instructions = [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]
    final = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    return instructions[final:]


def test_dockerfile_installs_the_wheel_with_install_sh_as_non_root() -> None:
    final = dockerfile_instructions()
    runs = [arguments for name, arguments in final if name == "RUN"]
    assert any(
        shlex.split(run)[:2] == ["sh", "/tmp/install.sh"] and ".whl" in run for run in runs
    ), runs
    assert ("COPY", "deploy/install.sh /tmp/install.sh") in final
    users = [arguments for name, arguments in final if name == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert any("useradd" in run and users[-1] in run for run in runs)
    (healthcheck,) = [arguments for name, arguments in final if name == "HEALTHCHECK"]
    assert "/healthz" in healthcheck
    (command,) = [arguments for name, arguments in final if name == "CMD"]
    assert "cookieconsent.wsgi:app" in command and "python:cookieconsent.gunicorn_conf" in command
    # The build stage builds the wheel from the package alone.
    text = (ROOT / "Dockerfile").read_text()
    assert "pip wheel" in text and "COPY cookieconsent ./cookieconsent" in text


def test_compose_runs_four_services_each_with_a_health_check() -> None:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"web", "webhooks", "postgres", "redis"}
    for name, service in services.items():
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in {"CMD", "CMD-SHELL"}, name
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert services["webhooks"]["command"] == ["cookieconsent", "webhooks", "run"]
    assert services["webhooks"]["healthcheck"]["test"] == ["CMD", "cookieconsent", "health"]
    assert "db upgrade" in " ".join(services["web"]["command"])
    for name in ("web", "webhooks"):
        environment = services[name]["environment"]
        assert environment["COOKIECONSENT_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert environment["COOKIECONSENT_REDIS_URL"] == "redis://redis:6379/0"
        assert "COOKIECONSENT_SECRET_KEYS" in environment
    assert services["web"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["webhooks"]["depends_on"]["web"]["condition"] == "service_healthy"


@pytest.mark.parametrize(
    ("unit", "command"),
    [
        ("cookieconsent.service", "/opt/cookieconsent/bin/gunicorn -c python:cookieconsent"),
        ("cookieconsent-webhooks.service", "/opt/cookieconsent/bin/cookieconsent webhooks run"),
        ("cookieconsent-purge.service", "/opt/cookieconsent/bin/cookieconsent consents purge"),
    ],
)
def test_systemd_units_run_the_installed_commands(unit: str, command: str) -> None:
    text = (ROOT / "deploy" / unit).read_text()
    (start,) = re.findall(r"^ExecStart=(.*)$", text, re.M)
    assert start.startswith(command)
    assert re.search(r"^User=cookieconsent$", text, re.M)
    assert "EnvironmentFile=/etc/cookieconsent/cookieconsent.env" in text
    timer = (ROOT / "deploy" / "cookieconsent-purge.timer").read_text()
    assert re.search(r"^OnCalendar=", timer, re.M) and "Persistent=true" in timer


def test_repository_gunicorn_conf_is_the_shipped_one() -> None:
    settings: dict[str, Any] = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), settings)
    for name in ("bind", "worker_class", "workers", "threads", "timeout", "accesslog"):
        assert settings[name] == getattr(gunicorn_conf, name), name
    assert gunicorn_conf.worker_class in {"sync", "gthread", "gevent"}


def test_health_command(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["health"])
    assert result.exit_code == 0, result.output
    assert result.output == "ok\n"

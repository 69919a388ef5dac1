"""What the HTTP benchmarks share: a throw-away database, a seeded site, gunicorn, and wrk.

Every benchmark serves ``bench/bench_app.py`` (the service plus a bare endpoint) with the shipped
gunicorn settings (``cookieconsent/gunicorn_conf.py``, as ``gunicorn wsgi:app`` reads them in a
checkout), drives it with Debian's ``wrk`` from a second process on loopback, and compares each
endpoint with the bare one measured in the same run: absolute figures drift on shared machines,
ratios much less.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ENDPOINTS_LUA = Path(__file__).with_name("endpoints.lua")


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_database(kind: str, workdir: Path) -> tuple[str, Callable[[], None]]:
    """A new empty database, ``(url, drop)``: SQLite in ``workdir``, else the local PostgreSQL."""
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite3'}", lambda: None
    import sqlalchemy as sa

    name = f"cookieconsent_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", drop


def seed(env: dict[str, str], visitors: int) -> tuple[str, list[str], str]:
    """Create the schema, a site and ``visitors`` decisions; return key, IDs and API token."""
    code = f"""
import json
from flask_migrate import upgrade
from cookieconsent import create_app
from cookieconsent.services.sites import SiteProfile, create_site
from cookieconsent.services.consent import ConsentInput, record_consent
app = create_app()
with app.app_context():
    upgrade()
    site, token = create_site("Bench", ["bench.example"])
    keys = app.config["COOKIECONSENT_SECRET_KEYS"]
    profile = SiteProfile.of(site)
    actions = ["reject_all", "accept_all"]
    ids = [record_consent(profile, ConsentInput(action=actions[i % 2]), secret_keys=keys).visitor_id
           for i in range({visitors})]
    print(json.dumps({{"site_key": site.site_key, "ids": ids, "token": token}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        sys.exit(f"seeding failed:\n{result.stderr[-2000:]}")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return data["site_key"], data["ids"], data["token"]


def service_env(url: str, workdir: Path, **extra: str) -> dict[str, str]:
    """The environment an operator would give the service, with writes' rate limit lifted."""
    return {
        **os.environ,
        "COOKIECONSENT_DATABASE_URL": url,
        "COOKIECONSENT_SECRET_KEYS": "bench-key-" + "k" * 32,
        "COOKIECONSENT_ENV": "production",
        # As an operator would for a load test: one client sends every write.
        "COOKIECONSENT_RATELIMIT_WRITES": "100000000 per minute",
        "COOKIECONSENT_INSTANCE_PATH": str(workdir),
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def wait_for(port: int, timeout: float = 60) -> None:
    """Until ``/healthz`` answers on ``port``; RuntimeError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on port {port}")


@contextmanager
def gunicorn(env: dict[str, str], *options: str, port: int | None = None) -> Iterator[int]:
    """gunicorn serving ``bench.bench_app:app`` with the shipped settings; yields its port.

    ``options`` go to gunicorn after the shipped settings (``--workers 4``, …). The access log
    is written as in production, to a pipe that is read and thrown away.
    """
    port = port or free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:cookieconsent.gunicorn_conf",
         "--bind", f"127.0.0.1:{port}", *options, "bench.bench_app:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(port)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=60)


@dataclass
class WrkResult:
    """One wrk run: requests per second, latency percentiles in ms, and errors."""

    rps: float
    p50: float
    p90: float
    p99: float
    errors: int

    @classmethod
    def parse(cls, output: str) -> WrkResult:
        """From wrk's ``--latency`` report."""
        rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
        percentiles = {}
        for percentile in ("50", "90", "99"):
            match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
            scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)] if match else 0.0
            percentiles[percentile] = float(match.group(1)) * scale if match else 0.0
        non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
        socket_errors = re.search(r"Socket errors: (.*)", output)
        errors = int(non2xx.group(1)) if non2xx else 0
        if socket_errors:
            errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
        return cls(
            rps=float(rate.group(1)) if rate else 0.0,
            p50=percentiles["50"],
            p90=percentiles["90"],
            p99=percentiles["99"],
            errors=errors,
        )


def require_wrk() -> None:
    """Exit with one clear line when Debian's wrk is not installed."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")


def run_wrk(
    port: int,
    scenario: str,
    data_file: Path,
    *,
    duration: float,
    connections: int = 32,
    threads: int = 2,
) -> WrkResult:
    """Drive one endpoint of bench/endpoints.lua for ``duration`` seconds."""
    env = {
        **os.environ,
        "COOKIECONSENT_BENCH_SCENARIO": scenario,
        "COOKIECONSENT_BENCH_FILE": str(data_file),
    }
    output = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--latency",
         "-s", str(ENDPOINTS_LUA), f"http://127.0.0.1:{port}"],
        env=env, capture_output=True, text=True, check=True, timeout=duration + 60,
    ).stdout  # fmt: skip
    return WrkResult.parse(output)


def write_data_file(path: Path, site_key: str, ids: list[str]) -> Path:
    """The file bench/endpoints.lua reads: the site key, then one visitor ID per line."""
    path.write_text("\n".join([site_key, *ids]) + "\n", encoding="utf-8")
    return path

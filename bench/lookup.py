"""Measure the consent endpoints against a bare endpoint on the same gunicorn server.

    python bench/lookup.py [--database sqlite|postgresql] [--requests 1000] [--rounds 3]

Prints requests per second and latency percentiles for each endpoint, and each one's cost as a
ratio to the bare endpoint measured in the same run. Only loopback traffic; bounded in count.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_database(kind: str, workdir: Path) -> tuple[str, Callable[[], None]]:
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
from cookieconsent.services.consent import record_consent
app = create_app()
with app.app_context():
    upgrade()
    site, token = create_site("Bench", ["bench.example"])
    keys = app.config["COOKIECONSENT_SECRET_KEYS"]
    profile = SiteProfile.of(site)
    actions = ["reject_all", "accept_all"]
    ids = [record_consent(profile, secret_keys=keys, action=actions[i % 2]).visitor_id
           for i in range({visitors})]
    print(json.dumps({{"site_key": site.site_key, "ids": ids, "token": token}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return data["site_key"], data["ids"], data["token"]


Request = tuple[str, str, bytes | None, dict[str, str]]


def run_load(
    port: int, requests: int, concurrency: int, make_request: Callable[[int], Request]
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        local: list[float] = []
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                break
            method, path, body, headers = make_request(index)
            started = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            local.append(time.perf_counter() - started)
            if response.status >= 400 or response.status == 301:
                raise RuntimeError(f"{method} {path} answered {response.status}")
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.close()
        with lock:
            latencies.extend(local)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies


def widget_etag_of(port: int, site_key: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", f"/c/{site_key}.js", headers={"Accept-Encoding": "gzip"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.getheader("ETag") or ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--visitors", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url, drop = prepare_database(args.database, workdir)
        sys.path.insert(0, str(ROOT))
        from tests.geodata import CALIFORNIA_IP, GERMANY_IP, VIETNAM_IP, build_database

        geo_db = build_database(workdir / "city.mmdb", city=True)
        places = [VIETNAM_IP, GERMANY_IP, CALIFORNIA_IP]
        env = {
            **os.environ,
            "COOKIECONSENT_GEOIP_DB": str(geo_db),
            "COOKIECONSENT_TRUST_PROXY": "1",
            "COOKIECONSENT_DATABASE_URL": url,
            "COOKIECONSENT_SECRET_KEYS": "bench-key-" + "k" * 32,
            "COOKIECONSENT_ENV": "production",
            "COOKIECONSENT_RATELIMIT_WRITES": "1000000 per minute",
            "PYTHONPATH": str(ROOT),
        }
        server = None
        try:
            site_key, ids, token = seed(env, args.visitors)
            port = free_port()
            server = subprocess.Popen(
                # Sync workers as measured before gunicorn.conf.py existed (it is read from ROOT).
                [sys.executable, "-m", "gunicorn", "--workers", str(args.workers),
                 "--worker-class", "sync", "--access-logfile", "/dev/null",
                 "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "bench.bench_app:app"],
                cwd=ROOT, env=env,
            )  # fmt: skip
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            base = f"/api/v1/sites/{site_key}/consents"
            widget_etag = widget_etag_of(port, site_key)
            batch = json.dumps({"visitor_ids": ids[:100]}).encode()
            scenarios: dict[str, Callable[[int], Request]] = {
                "bare endpoint": lambda i: ("GET", "/bench/bare", None, {}),
                "GET lookup": lambda i: ("GET", f"{base}/{ids[i % len(ids)]}", None, {}),
                "GET allowed/analytics": lambda i: (
                    "GET", f"{base}/{ids[i % len(ids)]}/allowed/analytics", None, {}),
                "GET widget (gzip, 200)": lambda i: (
                    "GET", f"/c/{site_key}.js", None, {"Accept-Encoding": "gzip"}),
                "GET widget (304)": lambda i: (
                    "GET", f"/c/{site_key}.js", None,
                    {"Accept-Encoding": "gzip", "If-None-Match": widget_etag}),
                "GET region (geoip2)": lambda i: (
                    "GET", f"/api/v1/sites/{site_key}/region", None,
                    {"X-Forwarded-For": places[i % len(places)]}),
                "POST consent (write)": lambda i: (
                    "POST", base,
                    json.dumps({
                        "action": "save", "visitor_id": ids[i % len(ids)],
                        "categories": {"analytics": bool(i % 2), "marketing": False},
                    }).encode(),
                    {"Content-Type": "application/json"}),
                "POST batch lookup x100": lambda i: (
                    "POST", f"{base}/lookup", batch,
                    {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}),
            }  # fmt: skip
            for make_request in scenarios.values():  # warm every worker and cache
                run_load(port, 50, args.concurrency, make_request)
            print(f"database={args.database} workers={args.workers} concurrency={args.concurrency} "
                  f"requests={args.requests}x{args.rounds} rounds visitors={len(ids)}")  # fmt: skip
            # Rounds interleave the scenarios so that drift in the machine's load hits all alike.
            rates: dict[str, list[float]] = {name: [] for name in scenarios}
            latencies: dict[str, list[float]] = {name: [] for name in scenarios}
            for _ in range(args.rounds):
                for name, make_request in scenarios.items():
                    count = args.requests if "batch" not in name else max(20, args.requests // 20)
                    elapsed, measured = run_load(port, count, args.concurrency, make_request)
                    rates[name].append(count / elapsed)
                    latencies[name].extend(measured)
            print(f"{'endpoint':26} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'cost vs bare':>13}")
            bare_rate = statistics.median(rates["bare endpoint"])
            for name in scenarios:
                rate = statistics.median(rates[name])
                ordered = sorted(latencies[name])
                p50 = statistics.median(ordered) * 1000
                p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000
                print(f"{name:26} {rate:9.0f} {p50:8.2f} {p99:8.2f} {bare_rate / rate:12.2f}x")
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
            drop()


if __name__ == "__main__":
    main()

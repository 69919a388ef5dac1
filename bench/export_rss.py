"""Peak memory of a consent log export: 100,000 and 1,000,000 rows, CSV and NDJSON.

    python -P bench/export_rss.py [--smoke] [--database URL] [--keep]

Creates a throw-away PostgreSQL database (next to COOKIECONSENT_BENCH_POSTGRES_URL, by default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres) and loads it with bench/load_events.py:
one site with 100,000 events and one with 1,000,000. Each export then runs in a fresh Python
process of its own, which asks the admin API for the whole site's log
(``GET /api/v1/admin/sites/KEY/log/export?format=…``, Flask's test client, the body read chunk by
chunk and thrown away as a client on a network would) and reports its peak resident set size
during the export (VmHWM of /proc/self/status, reset through /proc/self/clear_refs just before
the request) with the RSS before it, and the process's peak from its import (``ru_maxrss``).

Budget: a peak of at most 150 MB, and a peak that does not grow with the rows: the peak for
1,000,000 rows may exceed the peak for 100,000 by at most 10 MB (the noise of the allocator and
of the database driver's buffers; a growing export would add hundreds of MB). Exits 1 when over.
``--smoke`` exports 1,000 and 5,000 rows and checks nothing.

"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGET_MB = 150.0
GROWTH_TOLERANCE_MB = 10.0
BENCH_KEYS = "bench-export-key-0123456789abcdef0123456789abcdef"


def peak_rss_mb() -> float:
    """The process's peak resident set size so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS now, VmHWM its peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak() -> None:
    """Start the peak (VmHWM) afresh from the current RSS (Linux 4.0+, clear_refs value 5)."""
    Path("/proc/self/clear_refs").write_text("5")


def bench_app(url: str) -> Any:
    """The service on the bench database."""
    from cookieconsent import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "COOKIECONSENT_SECRET_KEYS": [BENCH_KEYS],
            "SECRET_KEY": BENCH_KEYS,
            "RATELIMIT_ENABLED": False,
        }
    )


def owner_token(url: str, site_keys: list[str]) -> str:
    """A personal token of an owner of every site (made here: argon2 hashing takes 64 MB)."""
    from cookieconsent.extensions import db
    from cookieconsent.models import Site
    from cookieconsent.services.accounts import create_user, issue_token, set_role

    with bench_app(url).app_context():
        user = create_user(f"export-{time.time_ns()}@bench.test", "bench password 12345")
        for site_key in site_keys:
            site = db.session.execute(db.select(Site).where(Site.site_key == site_key)).scalar_one()
            set_role(user, site, "owner")
        db.session.commit()
        _row, token = issue_token(user, "bench")
        db.session.remove()
        db.engine.dispose()
    return token


def child(url: str, site_key: str, export_format: str) -> int:
    """One export in this process; prints one JSON line with rows, bytes and memory."""
    token = os.environ["COOKIECONSENT_BENCH_TOKEN"]
    client = bench_app(url).test_client()
    # The export's own peak is measured from here (VmHWM, reset just before). The lifetime peak
    # (ru_maxrss) is reported beside it, but Linux carries it over execve from the parent,
    # which made the owner's password hash with argon2 (64 MiB): it is not this process's own.
    lifetime_before = peak_rss_mb()
    reset_peak()
    before = status_mb("VmRSS")
    started = time.monotonic()
    response = client.get(
        f"/api/v1/admin/sites/{site_key}/log/export",
        query_string={"format": export_format},
        headers={"Authorization": f"Bearer {token}"},
        buffered=False,
    )
    assert response.status_code == 200, response.status_code
    size = lines = 0
    for chunk in response.response:
        size += len(chunk)
        lines += chunk.count(b"\n")
    response.close()
    print(
        json.dumps(
            {
                "format": export_format,
                "rows": lines - (1 if export_format == "csv" else 0),
                "bytes": size,
                "seconds": round(time.monotonic() - started, 1),
                "rss_before_mb": round(before, 1),
                "peak_rss_mb": round(status_mb("VmHWM"), 1),
                "lifetime_peak_before_mb": round(lifetime_before, 1),
            }
        )
    )
    return 0


def load(url: str, sizes: list[int]) -> list[str]:
    """One site per size, through bench/load_events.py; returns their keys."""
    env = {**os.environ, "COOKIECONSENT_SECRET_KEYS": BENCH_KEYS}
    keys = []
    for seed, events in enumerate(sizes, start=1):
        result = subprocess.run(
            [
                sys.executable,
                "-P",
                str(ROOT / "bench" / "load_events.py"),
                "--database",
                url,
                "--sites",
                "1",
                "--events",
                str(events),
                "--visitors",
                str(max(1, events * 3 // 10)),
                "--days",
                "365",
                "--seed",
                str(seed),
            ],
            check=True,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        print(result.stdout, end="", flush=True)
        keys.append(result.stdout.split("site ", 1)[1].split()[0])
    return keys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="1,000 and 5,000 rows, no budget")
    parser.add_argument("--database", default=None, help="a database loaded by this script before")
    parser.add_argument("--keep", action="store_true", help="keep the throw-away database")
    parser.add_argument("--child", nargs=3, metavar=("URL", "SITE_KEY", "FORMAT"))
    args = parser.parse_args()
    if args.child:
        return child(*args.child)

    from bench.log_search import create_database, drop_database

    sizes = [1_000, 5_000] if args.smoke else [100_000, 1_000_000]
    handle = None
    url = args.database
    if url is None:
        url, handle = create_database("export")
        print(f"loading {' and '.join(map(str, sizes))} events into {url.rsplit('/', 1)[1]}")
        site_keys = load(url, sizes)
    else:
        site_keys = site_keys_by_size(url)
    try:
        analyze(url)
        env = {**os.environ, "COOKIECONSENT_BENCH_TOKEN": owner_token(url, site_keys)}
        results: dict[tuple[str, int], dict[str, Any]] = {}
        for export_format in ("csv", "ndjson"):
            for site_key, rows in zip(site_keys, sizes, strict=True):
                done = subprocess.run(
                    [sys.executable, "-P", __file__, "--child", url, site_key, export_format],
                    check=True,
                    capture_output=True,
                    text=True,
                    env=env,
                )
                measured = json.loads(done.stdout.strip().splitlines()[-1])
                assert measured["rows"] == rows, measured
                results[(export_format, rows)] = measured
                print(
                    f"{export_format:<6} {rows:>9} rows {measured['bytes'] / 1e6:8.1f} MB out "
                    f"in {measured['seconds']:6.1f} s: RSS {measured['rss_before_mb']:6.1f} MB "
                    f"before, peak {measured['peak_rss_mb']:6.1f} MB during the export "
                    f"(process peak at import: {measured['lifetime_peak_before_mb']:.1f} MB)",
                    flush=True,
                )
    finally:
        if handle is not None and not args.keep:
            drop_database(handle)
        elif handle is not None:
            print(f"kept {url}")
    if args.smoke:
        print("smoke run: budget not checked")
        return 0
    failed = []
    for export_format in ("csv", "ndjson"):
        small, large = (results[(export_format, rows)]["peak_rss_mb"] for rows in sizes)
        if large > BUDGET_MB:
            failed.append(f"{export_format}: peak {large} MB over {BUDGET_MB:.0f} MB")
        if large - small > GROWTH_TOLERANCE_MB:
            failed.append(f"{export_format}: peak grew {large - small:.1f} MB with the rows")
    if failed:
        print("; ".join(failed))
        return 1
    print(
        f"every peak within {BUDGET_MB:.0f} MB, and flat within {GROWTH_TOLERANCE_MB:.0f} MB "
        "from 100,000 to 1,000,000 rows"
    )
    return 0


def analyze(url: str) -> None:
    """Statistics for the planner: fresh from COPY, the table has none until autovacuum runs,
    and without them PostgreSQL reads each batch's range by bitmap and sorts it."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text("ANALYZE consent_events"))
    engine.dispose()


def site_keys_by_size(url: str) -> list[str]:
    """The sites of a database loaded before, smallest first."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT s.site_key FROM sites s JOIN consent_events e ON e.site_id = s.id "
                "GROUP BY s.site_key ORDER BY count(*)"
            )
        ).all()
    engine.dispose()
    return [row[0] for row in rows]


if __name__ == "__main__":
    raise SystemExit(main())

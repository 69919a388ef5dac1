"""Consent log search on PostgreSQL with 1,000,000 events: p95 of each common search's first page.

    python -P bench/log_search.py [--smoke] [--events 1000000] [--runs 50] [--database URL] [--keep]

Creates a throw-away PostgreSQL database (next to COOKIECONSENT_BENCH_POSTGRES_URL, by default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres), loads it with bench/load_events.py (one
site with ``--events`` events over a year, and two small sites beside it, so that every query
must stay within its site), then times the first page (50 rows) of each common search through
the admin API (``GET /api/v1/admin/sites/KEY/log``, Flask's test client: the whole stack but
the network) at least ``--runs`` times, and prints ``EXPLAIN (ANALYZE, BUFFERS)`` of each
search's query. Exits 1 when a p95 is over 100 ms. ``--smoke`` loads 10,000 events and skips
the budget. ``--database URL`` reuses a database loaded before (nothing is created or dropped).

"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGET_MS = 100.0
ADMIN_URL = os.environ.get(
    "COOKIECONSENT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BENCH_KEYS = "bench-log-key-0123456789abcdef0123456789abcdef"


def p95(samples: list[float]) -> float:
    """The 95th percentile, nearest rank."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def load(url: str, events: int, keys: str) -> None:
    """One large site and two small ones, through bench/load_events.py."""
    env = {**os.environ, "COOKIECONSENT_SECRET_KEYS": keys}
    loader = [sys.executable, "-P", str(ROOT / "bench" / "load_events.py"), "--database", url]
    runs = [
        ["--sites", "1", "--events", str(events), "--visitors", str(max(1, events * 3 // 10))],
        [
            "--sites",
            "2",
            "--events",
            str(max(100, events // 20)),
            "--visitors",
            str(max(30, events // 60)),
            "--seed",
            "2",
        ],
    ]
    for extra in runs:
        subprocess.run([*loader, *extra, "--days", "365"], check=True, env=env)


def create_database(label: str = "log") -> tuple[str, Any]:
    """A fresh database; returns its URL and the admin engine that drops it."""
    import sqlalchemy as sa

    name = f"cookieconsent_bench_{label}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", (admin, name)


def drop_database(handle: Any) -> None:
    """Drop the throw-away database."""
    import sqlalchemy as sa

    admin, name = handle
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def searches(site: Any) -> list[tuple[str, dict[str, Any]]]:
    """The common searches, with values taken from the data (a real visitor, a week)."""
    import sqlalchemy as sa

    from cookieconsent.extensions import db
    from cookieconsent.models import ConsentEvent
    from cookieconsent.services.signing import sign_visitor_id

    newest = db.session.execute(
        sa.select(sa.func.max(ConsentEvent.created_at)).where(ConsentEvent.site_id == site.id)
    ).scalar_one()
    # A visitor who came back several times: the kind an owner looks up after a complaint.
    visitor = db.session.execute(
        sa.select(ConsentEvent.visitor_id)
        .where(ConsentEvent.site_id == site.id)
        .order_by(ConsentEvent.id.desc())
        .limit(1)
    ).scalar_one()
    signed = sign_visitor_id([BENCH_KEYS], site.site_key, visitor)
    week_end = (newest - __import__("datetime").timedelta(days=120)).date()
    week_start = week_end - __import__("datetime").timedelta(days=6)
    week = {"from": week_start.isoformat(), "to": week_end.isoformat()}
    return [
        ("no filter", {}),
        ("date range (a week, four months back)", week),
        ("visitor", {"visitor_id": signed}),
        ("action withdraw", {"action": "withdraw"}),
        ("action opt_out (rare)", {"action": "opt_out"}),
        ("region US-TX", {"region": "US-TX"}),
        ("region JP, a week", {"region": "JP", **week}),
        ("action reject_all + region DE", {"action": "reject_all", "region": "DE"}),
        ("category analytics=true, a week", {"category": "analytics=true", **week}),
        ("language en", {"language": "en"}),
        ("source gpc", {"source": "gpc"}),
        ("source api (none on record)", {"source": "api"}),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="10,000 events, no budget")
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database", default=None, help="a database loaded before, reused")
    parser.add_argument("--keep", action="store_true", help="keep the throw-away database")
    parser.add_argument("--no-plans", action="store_true")
    args = parser.parse_args()
    events = args.events or (10_000 if args.smoke else 1_000_000)
    runs = max(args.runs, 50) if not args.smoke else max(5, min(args.runs, 20))

    handle = None
    url = args.database
    if url is None:
        url, handle = create_database()
        print(f"loading {events} events into {url.rsplit('/', 1)[1]}", flush=True)
        started = time.monotonic()
        load(url, events, BENCH_KEYS)
        print(f"loaded in {time.monotonic() - started:.0f} s", flush=True)
    try:
        return measure(url, runs, smoke=args.smoke, plans=not args.no_plans)
    finally:
        if handle is not None and not args.keep:
            drop_database(handle)
        elif handle is not None:
            print(f"kept {url}")


def measure(url: str, runs: int, *, smoke: bool, plans: bool) -> int:
    """Time each search through the admin API and print its plan; 1 if over budget."""
    import sqlalchemy as sa

    from cookieconsent import create_app
    from cookieconsent.extensions import db
    from cookieconsent.models import ConsentEvent, Site
    from cookieconsent.services.accounts import create_user, issue_token, set_role
    from cookieconsent.services.consent_log import parse_filters, search_log, search_query

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "COOKIECONSENT_SECRET_KEYS": [BENCH_KEYS],
            "SECRET_KEY": BENCH_KEYS,
            "RATELIMIT_ENABLED": False,
        }
    )
    over = []
    with app.app_context():
        db.session.execute(sa.text("ANALYZE consent_events"))
        db.session.commit()
        site_id, count = db.session.execute(
            sa.select(ConsentEvent.site_id, sa.func.count())
            .group_by(ConsentEvent.site_id)
            .order_by(sa.func.count().desc())
            .limit(1)
        ).one()
        total = db.session.execute(sa.select(sa.func.count(ConsentEvent.id))).scalar_one()
        site = db.session.get(Site, site_id)
        assert site is not None
        email = f"bench-{uuid.uuid4().hex[:8]}@bench.test"
        user = create_user(email, "bench password 1234")
        set_role(user, site, "viewer")
        db.session.commit()
        _row, token = issue_token(user, "bench")
        db.session.commit()
        print(f"site {site.site_key}: {count} of {total} events; PostgreSQL", flush=True)
        version = db.session.execute(sa.text("SHOW server_version")).scalar_one()
        print(f"PostgreSQL {version}; {runs} runs per search, first page of 50 rows\n")
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        path = f"/api/v1/admin/sites/{site.site_key}/log"
        results = []
        for label, query in searches(site):
            for _ in range(3):
                client.get(path, query_string=query, headers=headers)
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                response = client.get(path, query_string=query, headers=headers)
                samples.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.get_data(as_text=True)
            rows = len(response.get_json()["items"])
            # The service alone (query, signing, receipt links), without HTTP and the token.
            filters = parse_filters(query)
            service = []
            for _ in range(runs):
                started = time.perf_counter()
                search_log(site, filters, limit=50)
                service.append((time.perf_counter() - started) * 1000)
                db.session.rollback()
            results.append((label, p95(samples), statistics.median(samples), p95(service), rows))
            if p95(samples) > BUDGET_MS:
                over.append(label)
            if plans:
                # IN lists (a language and its aliases) are expanded into the text here.
                compiled = search_query(site, parse_filters(query), limit=50).compile(
                    dialect=db.engine.dialect, compile_kwargs={"render_postcompile": True}
                )
                sql = str(compiled)
                plan = db.session.connection().exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS) " + sql, compiled.params
                )
                print(f"## {label} {query}")
                for (line,) in plan:
                    print("    " + line)
                print(flush=True)
                db.session.rollback()
        print(
            f"{'search (first page, API)':<40} {'p95 ms':>8} {'median':>8} "
            f"{'service p95':>12} {'rows':>5}"
        )
        for label, high, middle, service_high, rows in results:
            print(f"{label:<40} {high:8.1f} {middle:8.1f} {service_high:12.1f} {rows:5d}")
        load = os.getloadavg()
        print(
            f"load average while measuring: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
            f"({os.cpu_count()} CPUs)"
        )
    if smoke:
        print("smoke run: budget not checked")
        return 0
    if over:
        print(f"over the {BUDGET_MS:.0f} ms budget: {', '.join(over)}")
        return 1
    print(f"every p95 within {BUDGET_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

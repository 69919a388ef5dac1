"""Statistics on PostgreSQL with 1,000,000 events: the time of a 90-day period's figures.

    python -P bench/stats.py [--smoke] [--events 1000000] [--runs 10] [--database URL] [--keep]

Creates a throw-away PostgreSQL database (next to COOKIECONSENT_BENCH_POSTGRES_URL, by default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres), loads it with bench/load_events.py (one
site with ``--events`` events over 90 days, and two small sites beside it, so that the query
must stay within its site), adds a banner count per day, region and language for every site,
then times ``GET /api/v1/admin/sites/KEY/stats`` for the last 90 days (Flask's test client: the
whole stack but the network) ``--runs`` times after a warm-up, and prints the median, the
slowest run and ``EXPLAIN (ANALYZE, BUFFERS)`` of the events query. Exits 1 when the median is
over the budget (1 s). ``--smoke`` loads 10,000 events and skips the budget. ``--database URL``
reuses a database loaded before (nothing is created or dropped).

"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGET_S = 1.0
DAYS = 90
ADMIN_URL = os.environ.get(
    "COOKIECONSENT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BENCH_KEYS = "bench-stats-key-0123456789abcdef0123456789abcdef"


def load(url: str, events: int, keys: str) -> None:
    """One large site and two small ones over 90 days, through bench/load_events.py."""
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
        subprocess.run([*loader, *extra, "--days", str(DAYS)], check=True, env=env)


def create_database() -> tuple[str, Any]:
    """A fresh database; returns its URL and the admin engine that drops it."""
    import sqlalchemy as sa

    name = f"cookieconsent_bench_stats_{uuid.uuid4().hex[:10]}"
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


def add_banner_counts() -> None:
    """A banner count per site, day, region and language, as the beacon would have filed them."""
    import sqlalchemy as sa

    from cookieconsent.extensions import db
    from cookieconsent.models import BannerCount, ConsentEvent

    rows = db.session.execute(
        sa.select(
            ConsentEvent.site_id,
            sa.cast(sa.func.timezone("UTC", ConsentEvent.created_at), sa.Date),
            sa.func.coalesce(ConsentEvent.region, ""),
            sa.func.coalesce(ConsentEvent.language, ""),
            sa.func.count(),
        ).group_by(
            sa.literal_column("1"),
            sa.literal_column("2"),
            sa.literal_column("3"),
            sa.literal_column("4"),
        )
    ).all()
    db.session.execute(sa.delete(BannerCount))
    db.session.execute(
        sa.insert(BannerCount),
        [
            # More banners shown than decisions: not everyone answers.
            {"site_id": s, "day": d, "region": r, "language": lang[:16], "shown": n * 13 // 10}
            for s, d, r, lang, n in rows
        ],
    )
    db.session.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="10,000 events, no budget")
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--database", default=None, help="a database loaded before, reused")
    parser.add_argument("--keep", action="store_true", help="keep the throw-away database")
    args = parser.parse_args()
    events = args.events or (10_000 if args.smoke else 1_000_000)

    handle = None
    url = args.database
    if url is None:
        url, handle = create_database()
        print(f"loading {events} events into {url.rsplit('/', 1)[1]}", flush=True)
        started = time.monotonic()
        load(url, events, BENCH_KEYS)
        print(f"loaded in {time.monotonic() - started:.0f} s", flush=True)
    try:
        return measure(url, max(3, args.runs), smoke=args.smoke)
    finally:
        if handle is not None and not args.keep:
            drop_database(handle)
        elif handle is not None:
            print(f"kept {url}")


def measure(url: str, runs: int, *, smoke: bool) -> int:
    """Time the 90-day statistics through the admin API; 1 if the median is over budget."""
    import sqlalchemy as sa

    from cookieconsent import create_app
    from cookieconsent.extensions import db
    from cookieconsent.models import BannerCount, ConsentEvent, Site
    from cookieconsent.services.accounts import create_user, issue_token, set_role

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "COOKIECONSENT_SECRET_KEYS": [BENCH_KEYS],
            "SECRET_KEY": BENCH_KEYS,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        if not db.session.execute(sa.select(sa.func.count()).select_from(BannerCount)).scalar():
            add_banner_counts()
        db.session.execute(sa.text("ANALYZE consent_events"))
        db.session.execute(sa.text("ANALYZE banner_counts"))
        db.session.commit()
        site_id, count = db.session.execute(
            sa.select(ConsentEvent.site_id, sa.func.count())
            .group_by(ConsentEvent.site_id)
            .order_by(sa.func.count().desc())
            .limit(1)
        ).one()
        newest = db.session.execute(
            sa.select(sa.func.max(ConsentEvent.created_at)).where(ConsentEvent.site_id == site_id)
        ).scalar_one()
        total = db.session.execute(sa.select(sa.func.count(ConsentEvent.id))).scalar_one()
        site = db.session.get(Site, site_id)
        assert site is not None
        user = create_user(f"bench-{uuid.uuid4().hex[:8]}@bench.test", "bench password 1234")
        set_role(user, site, "viewer")
        db.session.commit()
        _row, token = issue_token(user, "bench")
        db.session.commit()
        end = newest.date()
        start = end - timedelta(days=DAYS - 1)
        query = {"from": start.isoformat(), "to": end.isoformat()}
        version = db.session.execute(sa.text("SHOW server_version")).scalar_one()
        print(f"site {site.site_key}: {count} of {total} events; PostgreSQL {version}")
        print(f"period {start} to {end} ({DAYS} days), {runs} runs after one warm-up\n")

        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        path = f"/api/v1/admin/sites/{site.site_key}/stats"
        first = client.get(path, query_string=query, headers=headers)
        assert first.status_code == 200, first.get_data(as_text=True)[:300]
        body = first.get_json()
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(path, query_string=query, headers=headers)
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200
        median = statistics.median(samples)
        print(
            f"decisions {body['totals']['decisions']['total']}, "
            f"banners shown {body['totals']['banners_shown']}, "
            f"{len(body['by_region'])} regions, {len(body['by_language'])} languages"
        )
        slowest = max(samples)
        print(
            f"GET …/stats, 90 days: median {median * 1000:.0f} ms, slowest {slowest * 1000:.0f} ms"
        )
        plan(site, start, end)
    if not smoke and median > BUDGET_S:
        print(f"OVER BUDGET: median {median:.2f} s > {BUDGET_S:.0f} s")
        return 1
    print(f"within budget ({BUDGET_S:.0f} s)" if not smoke else "smoke run: no budget")
    return 0


def plan(site: Any, start: Any, end: Any) -> None:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of the events query the service sends."""
    import sqlalchemy as sa

    from cookieconsent.extensions import db
    from cookieconsent.services import statistics as service

    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        if "consent_events" in statement and "GROUP BY" in statement:
            captured.append((statement, parameters))

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        service.site_statistics(site, service.Period(start, end))
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = captured[0]
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        print("\nEXPLAIN (ANALYZE, BUFFERS) of the events query:")
        for (line,) in cursor.fetchall():
            print("  " + line)
    finally:
        raw.close()


if __name__ == "__main__":
    sys.exit(main())

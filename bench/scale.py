"""Lookups, storage and the long walks at scale: 10,000 events, then millions, in one database.

    python -P bench/scale.py --database postgresql   # 1,000,000 visitors, 5,000,000 events
    python -P bench/scale.py --database sqlite       # 200,000 visitors, 1,000,000 events
    python -P bench/scale.py --database postgresql --events 1000000 --visitors 200000
    python -P bench/scale.py --smoke                 # 20,000 events, no budget

1. A fresh database gets a site of 10,000 events (``bench/load_events.py``); gunicorn serves it
   with the shipped settings and wrk measures lookups (every visitor in turn) against the bare
   endpoint in alternating rounds.
2. The big site is loaded into the same database (COPY on PostgreSQL); the same measurement
   runs on a sample of its visitors. Budget: the lookup's p50 and p99, each as a ratio to the
   bare endpoint's in its own run, stay within 1.3x of their values at 10,000 events.
3. Reported: bytes stored per event and the size of each table and index; the resident memory
   of each gunicorn worker after the load; ``EXPLAIN`` of the lookup, the log search and the
   purge; ``consents verify`` and ``consents purge`` (retention cut to 30 days first) over the
   big site: peak RSS and rows per second.

Exit status 1 when the budget is missed (never with ``--smoke``). Nothing leaves the machine;
the database is dropped afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    gunicorn,
    prepare_database,
    require_wrk,
    run_wrk,
    service_env,
    write_data_file,
)

BUDGET = 1.3
MEASURE_PEAK = """
import resource, sys, time
started = time.perf_counter()
from cookieconsent.console import main
try:
    main()
except SystemExit as end:
    code = end.code
else:
    code = 0
print(f"PEAK_RSS_KB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} "
      f"SECONDS {time.perf_counter() - started:.3f}", file=sys.stderr)
sys.exit(code)
"""


def load(env: dict[str, str], visitors: int, events: int, ids_out: Path, seed: int) -> str:
    """Load one site with bench/load_events.py; return its key (printed by the loader)."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-P", str(ROOT / "bench" / "load_events.py"), "--sites", "1",
         "--visitors", str(visitors), "--events", str(events), "--days", "90",
         "--seed", str(seed), "--ids-out", str(ids_out)],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode:
        sys.exit(f"loading failed:\n{result.stderr[-3000:]}")
    key = next(line.split()[1] for line in result.stdout.splitlines() if line.startswith("site "))
    took = time.perf_counter() - started
    print(f"  loaded {events:,} events, {visitors:,} visitors in {took:.0f} s")
    analyze(env["COOKIECONSENT_DATABASE_URL"])
    return key


def analyze(url: str) -> None:
    """What an operator runs after a bulk load: the planner's statistics (and, on PostgreSQL,
    the visibility map), so no plan is guessed and autovacuum does not start mid-measurement."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(
            "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
        )
    engine.dispose()


def sample_ids(path: Path, count: int) -> list[str]:
    lines = path.read_text().splitlines()
    rng = random.Random(7)
    chosen = rng.sample(lines, min(count, len(lines)))
    return [line.split()[1] for line in chosen]


def measure_lookups(
    env: dict[str, str], site_key: str, ids: list[str], workdir: Path, args: argparse.Namespace
) -> dict[str, float]:
    """Bare and lookup, alternating rounds; medians and each worker's RSS at the end."""
    data = write_data_file(workdir / f"ids-{site_key}.txt", site_key, ids)
    runs: dict[str, list[Any]] = {"bare": [], "lookup": []}
    with gunicorn(env) as port:
        for scenario in runs:
            run_wrk(port, scenario, data, duration=1, connections=args.connections)
        for _ in range(args.rounds):
            for scenario in runs:
                runs[scenario].append(
                    run_wrk(
                        port, scenario, data, duration=args.duration, connections=args.connections
                    )
                )
        rss = worker_rss(port)
    out = {
        f"{scenario}_{key}": statistics.median(getattr(run, key) for run in results)
        for scenario, results in runs.items()
        for key in ("rps", "p50", "p99")
    }
    out["errors"] = sum(run.errors for results in runs.values() for run in results)
    out["p50_ratio"] = out["lookup_p50"] / out["bare_p50"]
    out["p99_ratio"] = out["lookup_p99"] / out["bare_p99"]
    out["rss_mb"] = rss
    return out


def worker_rss(port: int) -> list[float]:
    """Resident memory (MB) of each gunicorn worker serving ``port``."""
    found = subprocess.run(
        ["pgrep", "-f", f"gunicorn.*127.0.0.1:{port}"], capture_output=True, text=True
    ).stdout.split()
    sizes = []
    for pid in found:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        parent = int(
            next(line.split()[1] for line in status.splitlines() if line.startswith("PPid"))
        )
        if str(parent) not in found:
            continue  # the arbiter
        kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
        sizes.append(kb / 1024)
    return sorted(sizes)


def storage(url: str) -> list[str]:
    """Bytes per event, and each table's and index's size."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    lines = []
    with engine.connect() as connection:
        events = connection.execute(sa.text("SELECT count(*) FROM consent_events")).scalar_one()
        if engine.dialect.name == "postgresql":
            total = connection.execute(
                sa.text("SELECT pg_total_relation_size('consent_events')")
            ).scalar_one()
            lines.append(f"consent_events: {events:,} rows, {total / events:.0f} bytes per event "
                         "(table, TOAST and indexes)")  # fmt: skip
            rows = connection.execute(
                sa.text(
                    "SELECT c.relname, c.relkind, pg_relation_size(c.oid) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
                    "AND c.relkind IN ('r', 'i') AND (c.relname LIKE 'consent_%' "
                    "OR c.relname LIKE 'ix_consent_%' OR c.relname LIKE 'pk_consent_%') "
                    "ORDER BY pg_relation_size(c.oid) DESC"
                )
            ).all()
        else:
            page = connection.exec_driver_sql("PRAGMA page_size").scalar_one()
            try:
                rows = connection.exec_driver_sql(
                    "SELECT name, '', sum(pgsize) FROM dbstat GROUP BY name ORDER BY 3 DESC"
                ).all()
            except sa.exc.OperationalError:
                rows = []
            table = sum(size for name, _kind, size in rows if "consent_events" in name)
            lines.append(
                f"consent_events: {events:,} rows, {table / max(events, 1):.0f} bytes per event "
                f"(table and indexes; page size {page})"
            )
            rows = [row for row in rows if "consent" in row[0]]
    engine.dispose()
    for name, kind, size in rows:
        label = {"r": "table", "i": "index"}.get(kind, "")
        lines.append(f"  {name:48} {label:6} {size / 1e6:9.1f} MB")
    return lines


def explain(env: dict[str, str], site_key: str, visitor_id: str) -> list[str]:
    """EXPLAIN of the lookup, the first page of the log search and the purge's scan."""
    code = f"""
import sqlalchemy as sa
from cookieconsent import create_app
from cookieconsent.extensions import db
from cookieconsent.models import Site
from cookieconsent.services import consent, consent_log, retention
from cookieconsent.services.signing import verify_visitor_id
app = create_app()
with app.app_context():
    site = db.session.execute(sa.select(Site).where(Site.site_key == {site_key!r})).scalar_one()
    keys = app.config["COOKIECONSENT_SECRET_KEYS"]
    raw = verify_visitor_id(keys, site.site_key, {visitor_id!r})
    dialect = db.engine.dialect
    prefix = "EXPLAIN " if dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    def show(title, query):
        sql = str(query.compile(dialect=dialect, compile_kwargs={{"literal_binds": True}}))
        print("== " + title)
        for row in db.session.execute(sa.text(prefix + sql)):
            print("   " + " ".join(str(value) for value in row))
    show("lookup (consent_states by primary key)",
         consent.STATE_QUERY.params(site_id=site.id, visitor_id=raw))
    show("log search, first page, no filter",
         consent_log.search_query(site, consent_log.parse_filters({{}}), secret_keys=keys))
    show("log search, first page, one visitor",
         consent_log.search_query(site, consent_log.parse_filters({{"visitor_id": {visitor_id!r}}}),
                                  secret_keys=keys))
    show("log search, action withdraw",
         consent_log.search_query(site, consent_log.parse_filters({{"action": "withdraw"}}),
                                  secret_keys=keys))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        return [f"EXPLAIN failed: {result.stderr.strip().splitlines()[-1]}"]
    return result.stdout.rstrip().splitlines()


def explain_purge(env: dict[str, str], site_key: str) -> list[str]:
    """The purge's batch scan, as PostgreSQL or SQLite plans it (statement captured live)."""
    code = f"""
import sqlalchemy as sa
from datetime import timedelta
from cookieconsent import create_app
from cookieconsent.extensions import db
from cookieconsent.models import Site, utcnow
from cookieconsent.services import retention
app = create_app()
with app.app_context():
    site = db.session.execute(sa.select(Site).where(Site.site_key == {site_key!r})).scalar_one()
    seen = []
    def note(conn, cursor, statement, parameters, context, executemany):
        if "consent_events" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))
    sa.event.listen(db.engine, "before_cursor_execute", note)
    retention._eligible_ids(site, utcnow() - timedelta(days=30), 1000, 0)
    sa.event.remove(db.engine, "before_cursor_execute", note)
    statement, parameters = seen[0]
    prefix = "EXPLAIN " if db.engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    with db.engine.connect() as connection:
        print("== purge: one batch of events older than the cutoff")
        for row in connection.exec_driver_sql(prefix + statement, parameters):
            print("   " + " ".join(str(value) for value in row))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        return [f"EXPLAIN failed: {result.stderr.strip().splitlines()[-1]}"]
    return result.stdout.rstrip().splitlines()


def walk(env: dict[str, str], *command: str) -> tuple[float, float, str]:
    """Run a ``cookieconsent`` command; its peak RSS (MB), seconds, and last report line."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURE_PEAK, *command], env=env, capture_output=True, text=True
    )
    marker = next(line for line in result.stderr.splitlines() if line.startswith("PEAK_RSS_KB"))
    _, peak, _, seconds = marker.split()
    lines = result.stdout.strip().splitlines()
    return int(peak) / 1024, float(seconds), lines[-1] if lines else f"exit {result.returncode}"


def set_retention(url: str, site_key: str, days: int) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE sites SET retention_days = :days WHERE site_key = :key"),
            {"days": days, "key": site_key},
        )
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--visitors", type=int, default=None)
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--duration", type=float, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--verify-twice", action="store_true", help="verify again after the purge (slow)"
    )
    args = parser.parse_args()
    big = {"postgresql": (1_000_000, 5_000_000), "sqlite": (200_000, 1_000_000)}[args.database]
    if args.smoke:
        big, args.duration, args.rounds = (4_000, 20_000), 1, 1
    visitors = args.visitors or big[0]
    events = args.events or big[1]
    require_wrk()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url, drop = prepare_database(args.database, workdir)
        env = service_env(url, workdir)
        try:
            print(f"{args.database}: cpus={os.cpu_count()} load average {os.getloadavg()[0]:.2f}")
            small_key = load(env, 2_000, 10_000, workdir / "small.txt", seed=1)
            small_ids = sample_ids(workdir / "small.txt", 2_000)
            at_small = measure_lookups(env, small_key, small_ids, workdir, args)
            big_key = load(env, visitors, events, workdir / "big.txt", seed=2)
            big_ids = sample_ids(workdir / "big.txt", 20_000)
            at_big = measure_lookups(env, big_key, big_ids, workdir, args)
            print(f"\nlookup against the bare endpoint (wrk, {args.connections} connections)")
            print(f"  {'events':>12} {'lookup/s':>9} {'bare/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
                  f"{'p50 x':>6} {'p99 x':>6}  worker RSS MB")  # fmt: skip
            for label, run in (("10,000", at_small), (f"{events:,}", at_big)):
                print(
                    f"  {label:>12} {run['lookup_rps']:9.0f} {run['bare_rps']:8.0f} "
                    f"{run['lookup_p50']:7.2f} {run['lookup_p99']:7.2f} {run['p50_ratio']:6.2f} "
                    f"{run['p99_ratio']:6.2f}  {', '.join(f'{mb:.0f}' for mb in run['rss_mb'])}"
                )
            growth50 = at_big["p50_ratio"] / at_small["p50_ratio"]
            growth99 = at_big["p99_ratio"] / at_small["p99_ratio"]
            print(f"  growth from 10,000 events: p50 {growth50:.2f}x, p99 {growth99:.2f}x "
                  f"(budget {BUDGET}x)")  # fmt: skip
            print("\nstorage")
            for line in storage(url):
                print("  " + line)
            print("\nplans")
            for line in explain(env, big_key, big_ids[0]) + explain_purge(env, big_key):
                print("  " + line)
            print("\nlong walks over the big site")
            peak, seconds, line = walk(env, "consents", "verify", "--site", big_key)
            print(f"  verify: peak RSS {peak:.0f} MB, {events / seconds:,.0f} events/s; {line}")
            set_retention(url, big_key, 30)
            peak, seconds, line = walk(env, "consents", "purge", "--site", big_key)
            print(
                f"  purge (retention 30 days): peak RSS {peak:.0f} MB, "
                f"{events / seconds:,.0f} events examined/s; {line}"
            )
            if args.smoke or args.verify_twice:
                peak, seconds, line = walk(env, "consents", "verify", "--site", big_key)
                print(f"  verify after the purge: peak RSS {peak:.0f} MB; {line}")
            errors = at_small["errors"] + at_big["errors"]
            print(f"\nerrors during the runs: {errors:.0f}; load average {os.getloadavg()[0]:.2f}")
        finally:
            if args.keep:
                print(f"kept: {url}")
            else:
                drop()
    if errors:
        return 2
    if args.smoke:
        print("smoke: loaded, served, planned, verified and purged; budget not judged")
        return 0
    if max(growth50, growth99) > BUDGET:
        print(f"BUDGET MISSED: lookup latency grew {max(growth50, growth99):.2f}x (≤ {BUDGET}x)")
        return 1
    print("budget met")
    return 0


if __name__ == "__main__":
    sys.exit(main())

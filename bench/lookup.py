"""Budgets for the consent API against a bare endpoint on the same gunicorn, measured with wrk.

    python -P bench/lookup.py                      # every database x cache configuration
    python -P bench/lookup.py --database sqlite --no-redis --rounds 5
    python -P bench/lookup.py --smoke              # one short round each, no budget

For each configuration (SQLite or PostgreSQL, with or without Redis) a fresh database gets a
site and ``--visitors`` decisions; gunicorn serves ``bench/bench_app.py`` with the shipped
settings (as ``gunicorn wsgi:app`` does), and wrk (2 threads, ``--connections``) drives, in
rounds that alternate so that drift in the machine's load hits all alike:

- the bare endpoint (``GET /bench/bare``: Flask and gunicorn, no database);
- the lookup (``GET /api/v1/sites/KEY/consents/ID``, every visitor in turn);
- the write (``POST …/consents``, a "save" for a known visitor), with the per-client write limit
  lifted through ``COOKIECONSENT_RATELIMIT_WRITES`` as an operator would for a load test.

Budgets (issue 11), each the median of the rounds, as a ratio to the bare endpoint's:
lookup throughput ≥ 0.8x and lookup p99 ≤ 1.5x; write throughput ≥ 0.5x with no error, and
``cookieconsent consents verify`` finds the chain intact afterwards. Exit status 1 when a
budget is missed (never with ``--smoke``), 2 when something did not work at all.
Durability stays at the defaults: SQLite in WAL mode with synchronous=FULL, PostgreSQL with fsync
and synchronous_commit on. Only loopback traffic; each run is bounded in time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    WrkResult,
    gunicorn,
    prepare_database,
    require_wrk,
    run_wrk,
    seed,
    service_env,
    write_data_file,
)

REDIS_URL = "redis://127.0.0.1:6379/13"
LOOKUP_RATE = 0.8
LOOKUP_P99 = 1.5
WRITE_RATE = 0.5
SCENARIOS = ("bare", "lookup", "write")


@dataclass
class Outcome:
    """One configuration's runs and what they say about the budgets."""

    name: str
    runs: dict[str, list[WrkResult]] = field(default_factory=dict)
    chain: str = "not checked"
    failures: list[str] = field(default_factory=list)

    def median(self, scenario: str, key: str) -> float:
        return statistics.median(getattr(run, key) for run in self.runs[scenario])

    def errors(self, scenario: str) -> int:
        return sum(run.errors for run in self.runs[scenario])


def flush_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter("*"):
        client.delete(key)
    client.close()


def verify_chain(env: dict[str, str]) -> tuple[bool, str]:
    """``cookieconsent consents verify``, as an operator runs it."""
    command = Path(sys.executable).with_name("cookieconsent")
    result = subprocess.run(
        [str(command), "consents", "verify"], env=env, capture_output=True, text=True, timeout=600
    )
    lines = (result.stdout.strip() or result.stderr.strip()).splitlines()
    return result.returncode == 0, lines[0] if lines else f"exit {result.returncode}"


def measure(database: str, redis: bool, args: argparse.Namespace) -> Outcome:
    """One configuration: seed, serve, drive each scenario in alternating rounds, verify."""
    name = f"{database}{' + Redis' if redis else ''}"
    outcome = Outcome(name, {scenario: [] for scenario in SCENARIOS})
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url, drop = prepare_database(database, workdir)
        extra = {"COOKIECONSENT_REDIS_URL": REDIS_URL} if redis else {}
        env = service_env(url, workdir, **extra)
        try:
            if redis:
                flush_redis()
            site_key, ids, _token = seed(env, args.visitors)
            data = write_data_file(workdir / "visitors.txt", site_key, ids)
            with gunicorn(env) as port:
                for scenario in SCENARIOS:  # warm every worker, thread, connection and cache
                    run_wrk(port, scenario, data, duration=1, connections=args.connections)
                for _ in range(args.rounds):
                    for scenario in SCENARIOS:
                        outcome.runs[scenario].append(
                            run_wrk(
                                port,
                                scenario,
                                data,
                                duration=args.duration,
                                connections=args.connections,
                            )
                        )
            ok, line = verify_chain(env)
            outcome.chain = line
            if not ok:
                outcome.failures.append(f"chain: {line}")
        finally:
            drop()
            if redis:
                flush_redis()
    return outcome


def judge(outcome: Outcome) -> None:
    """Add each missed budget to ``outcome.failures``."""
    bare_rps = outcome.median("bare", "rps")
    bare_p99 = outcome.median("bare", "p99")
    lookup = outcome.median("lookup", "rps") / bare_rps
    lookup_p99 = outcome.median("lookup", "p99") / bare_p99
    write = outcome.median("write", "rps") / bare_rps
    if lookup < LOOKUP_RATE:
        outcome.failures.append(
            f"lookup {lookup:.2f}x the bare throughput (budget ≥ {LOOKUP_RATE})"
        )
    if lookup_p99 > LOOKUP_P99:
        outcome.failures.append(
            f"lookup p99 {lookup_p99:.2f}x the bare p99 (budget ≤ {LOOKUP_P99})"
        )
    if write < WRITE_RATE:
        outcome.failures.append(f"write {write:.2f}x the bare rate (budget ≥ {WRITE_RATE})")


def report(outcome: Outcome) -> None:
    bare_rps = outcome.median("bare", "rps")
    bare_p99 = outcome.median("bare", "p99")
    print(f"\n{outcome.name}")
    head = f"{'endpoint':8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'rate x':>7} {'p99 x':>7}"
    print(f"  {head} errors")
    for scenario in SCENARIOS:
        rps = outcome.median(scenario, "rps")
        p99 = outcome.median(scenario, "p99")
        rates = "/".join(f"{run.rps:.0f}" for run in outcome.runs[scenario])
        print(
            f"  {scenario:8} {rps:8.0f} {outcome.median(scenario, 'p50'):8.2f} {p99:8.2f} "
            f"{rps / bare_rps:7.2f} {p99 / bare_p99:7.2f} {outcome.errors(scenario)} ({rates})"
        )
    print(f"  chain after the writes: {outcome.chain}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--redis",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="with Redis only (--redis), without (--no-redis); default: both",
    )
    parser.add_argument("--duration", type=float, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--visitors", type=int, default=1000)
    parser.add_argument("--smoke", action="store_true", help="one short round, no budget")
    args = parser.parse_args()
    if args.smoke:
        args.duration, args.rounds, args.visitors = 1, 1, 50
    require_wrk()
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    caches = [False, True] if args.redis is None else [args.redis]
    print(
        f"cpus={os.cpu_count()} wrk: 2 threads, {args.connections} connections, "
        f"{args.duration:g} s x {args.rounds} rounds; load average {os.getloadavg()[0]:.2f}"
    )
    outcomes = []
    for database in databases:
        for redis in caches:
            outcome = measure(database, redis, args)
            judge(outcome)
            report(outcome)
            outcomes.append(outcome)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    broken = [o for o in outcomes if any(f.startswith("chain") for f in o.failures)]
    errors = [o for o in outcomes if any(o.errors(s) for s in SCENARIOS)]
    if args.smoke:
        if broken or errors:
            print("smoke: FAILED (errors or a broken chain)")
            return 2
        print("smoke: every configuration served, wrote and verified; budgets not judged")
        return 0
    missed = [(o.name, f) for o in outcomes for f in o.failures]
    for name, failure in missed:
        print(f"MISSED {name}: {failure}")
    for outcome in errors:
        print(f"MISSED {outcome.name}: errors during the runs")
    if not missed and not errors:
        print("every budget met")
    return 1 if missed or errors else 0


if __name__ == "__main__":
    sys.exit(main())

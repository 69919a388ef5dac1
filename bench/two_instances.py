"""Two stateless gunicorn instances over one PostgreSQL and one Redis, as behind a load balancer.

    python -P bench/two_instances.py [--duration 8] [--connections 32] [--smoke]

docs/scaling.md cites this run. One database and one Redis; instance A and instance B are two
``gunicorn`` servers on different ports with the same settings (the shipped gunicorn
configuration) and nothing shared but the database and Redis. It checks, in order:

1. Read-your-writes across instances: a choice recorded on one instance is what the other
   answers at once (Redis entries are forgotten on every write, whichever instance wrote).
2. Throughput: wrk drives lookups and then writes at one instance with all the connections,
   then at both at once with half each; the combined rate is printed beside the single one.
3. Afterwards: ``cookieconsent consents verify`` finds the chain intact, and every visitor's
   current decision is their last recorded event.

Exit status 1 when a check fails (the throughput is reported, never judged: on one machine
the two instances share its cores). ``--smoke`` runs each step briefly.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import urllib.request
from contextlib import ExitStack
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
from bench.lookup import REDIS_URL, flush_redis, verify_chain  # noqa: E402

ORIGIN = "https://bench.example"


def call(port: int, method: str, path: str, body: dict[str, object] | None = None) -> dict:  # type: ignore[type-arg]
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json", "Origin": ORIGIN},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def read_your_writes(ports: tuple[int, int], site_key: str, ids: list[str]) -> list[str]:
    """Write on one instance, read on the other, both ways; the mismatches, if any."""
    base = f"/api/v1/sites/{site_key}/consents"
    problems = []
    for index, visitor_id in enumerate(ids):
        writer, reader = ports if index % 2 else ports[::-1]
        for action, expected in (("reject_all", False), ("accept_all", True)):
            # The reader has the old answer in Redis before the write, as a busy site would.
            call(reader, "GET", f"{base}/{visitor_id}")
            call(writer, "POST", base, {"action": action, "visitor_id": visitor_id})
            seen = call(reader, "GET", f"{base}/{visitor_id}")["categories"]["analytics"]
            if seen is not expected:
                problems.append(f"{visitor_id}: {action} on :{writer}, :{reader} answered {seen}")
    return problems


def drive(ports: list[int], scenario: str, data: Path, duration: float, connections: int) -> float:
    """wrk at each port at once, the connections split evenly; the combined requests/s."""
    results: list[WrkResult] = []

    def one(port: int) -> None:
        share = connections // len(ports)
        results.append(run_wrk(port, scenario, data, duration=duration, connections=share))

    threads = [threading.Thread(target=one, args=(port,)) for port in ports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    errors = sum(result.errors for result in results)
    if errors:
        print(f"  {scenario}: {errors} errors (socket errors or non-2xx) at {ports}")
    return sum(result.rps for result in results)


def states_match_last_events(env: dict[str, str]) -> int:
    """How many visitors' current decision is not their last recorded event."""
    import sqlalchemy as sa

    engine = sa.create_engine(env["COOKIECONSENT_DATABASE_URL"])
    with engine.connect() as connection:
        wrong = connection.execute(
            sa.text(
                "SELECT count(*) FROM consent_states s WHERE s.last_event_id <> ("
                " SELECT e.id FROM consent_events e"
                " WHERE e.site_id = s.site_id AND e.visitor_id = s.visitor_id"
                " ORDER BY e.sequence DESC LIMIT 1)"
            )
        ).scalar_one()
    engine.dispose()
    return int(wrong)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--visitors", type=int, default=1000)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.duration, args.visitors = 1, 50
    require_wrk()
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        url, drop = prepare_database("postgresql", workdir)
        stack.callback(drop)
        stack.callback(flush_redis)
        flush_redis()
        env = service_env(url, workdir, COOKIECONSENT_REDIS_URL=REDIS_URL)
        site_key, ids, _token = seed(env, args.visitors)
        data = write_data_file(workdir / "visitors.txt", site_key, ids)
        port_a = stack.enter_context(gunicorn(env))
        port_b = stack.enter_context(gunicorn(env))
        print(
            f"cpus={os.cpu_count()} instances :{port_a} and :{port_b}, PostgreSQL, Redis; "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        problems = read_your_writes((port_a, port_b), site_key, ids[: 20 if args.smoke else 200])
        print(f"read-your-writes across instances: {len(problems)} mismatches")
        failures += problems[:5]
        for scenario in ("lookup", "write"):
            drive([port_a, port_b], scenario, data, 1, args.connections)  # warm both
            single = drive([port_a], scenario, data, args.duration, args.connections)
            both = drive([port_a, port_b], scenario, data, args.duration, args.connections)
            print(
                f"{scenario:7} one instance {single:7.0f}/s, two instances {both:7.0f}/s "
                f"combined ({both / single:.2f}x), {args.connections} connections in all"
            )
        ok, line = verify_chain(env)
        print(f"chain: {line}")
        if not ok:
            failures.append(f"chain: {line}")
        wrong = states_match_last_events(env)
        print(f"visitors whose current decision is not their last event: {wrong}")
        if wrong:
            failures.append(f"{wrong} current decisions disagree with the last event")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

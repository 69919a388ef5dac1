"""Compare gunicorn worker classes and counts under a realistic mix, with wrk.

    python bench/worker_classes.py [--duration 10] [--rounds 3] [--connections 64]
                                   [--config sync:4 …]

Serves ``cookieconsent.wsgi:app`` with the shipped settings (cookieconsent/gunicorn_conf.py) on
a fresh PostgreSQL database, overriding only the worker class, workers and threads, and drives
each configuration with wrk (Debian's ``wrk``) through bench/worker_classes_mix.lua: 50% lookups,
30% widget scripts (gzip), 20% consent writes. Prints requests per second, latency percentiles
and errors for each: the median of rounds that interleave the configurations, so that drift in
the machine's load hits all alike. gevent needs the ``gevent`` package in the same environment.
Only loopback traffic; each run is bounded in time.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import free_port, prepare_database, seed, wait_for  # noqa: E402

DEFAULT_CONFIGS = [
    "sync:2", "sync:4", "sync:6",
    "gthread:2x4", "gthread:4x4", "gthread:4x8", "gthread:6x4",
    "gevent:2", "gevent:4",
]  # fmt: skip


def gunicorn_args(spec: str) -> list[str]:
    """``sync:4`` → 4 sync workers; ``gthread:2x4`` → 2 workers of 4 threads; ``gevent:2``."""
    kind, _, size = spec.partition(":")
    workers, _, threads = size.partition("x")
    args = ["--worker-class", kind, "--workers", workers]
    if kind == "gthread":
        args += ["--threads", threads or "1"]
    if kind == "gevent":
        args += ["--worker-connections", "256"]
    return args


def run_wrk(port: int, duration: int, connections: int, env: dict[str, str]) -> dict[str, float]:
    output = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--latency",
         "-s", str(Path(__file__).with_name("worker_classes_mix.lua")), f"http://127.0.0.1:{port}"],
        env=env, capture_output=True, text=True, check=True, timeout=duration + 60,
    ).stdout  # fmt: skip
    result: dict[str, float] = {}
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    result["rps"] = float(rate.group(1)) if rate else 0.0
    for percentile in ("50", "90", "99"):
        match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if match:
            scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]
            result[f"p{percentile}"] = float(match.group(1)) * scale
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    result["non2xx"] = float(errors.group(1)) if errors else 0.0
    result["socket_errors"] = (
        float(sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1))))
        if socket_errors
        else 0.0
    )
    return result


def measure(
    spec: str, env: dict[str, str], wrk_env: dict[str, str], tmp: str, args: argparse.Namespace
) -> dict[str, float] | None:
    """One configuration, one run: start gunicorn, warm it, drive it, stop it."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:cookieconsent.gunicorn_conf",
         "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null", "--log-level",
         "warning", *gunicorn_args(spec), "cookieconsent.wsgi:app"],
        cwd=tmp, env=env,
    )  # fmt: skip
    try:
        wait_for(port)
        run_wrk(port, 2, args.connections, wrk_env)  # warm every worker
        return run_wrk(port, args.duration, args.connections, wrk_env)
    except (RuntimeError, subprocess.CalledProcessError) as error:
        print(f"{spec}: {error}", file=sys.stderr)
        return None
    finally:
        server.terminate()
        server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--visitors", type=int, default=2000)
    parser.add_argument("--config", nargs="*", default=DEFAULT_CONFIGS)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")

    with tempfile.TemporaryDirectory() as tmp:
        url, drop = prepare_database("postgresql", Path(tmp))
        env = {
            **os.environ,
            "COOKIECONSENT_DATABASE_URL": url,
            "COOKIECONSENT_SECRET_KEYS": "bench-key-" + "k" * 32,
            "COOKIECONSENT_ENV": "production",
            "COOKIECONSENT_RATELIMIT_WRITES": "1000000 per minute",
            "COOKIECONSENT_INSTANCE_PATH": tmp,
            "PYTHONPATH": str(ROOT),
        }
        try:
            site_key, ids, _token = seed(env, args.visitors)
            # For the Lua script: the site key, then one visitor ID per line.
            (Path(tmp) / "mix.txt").write_text("\n".join([site_key, *ids[:500]]) + "\n")
            wrk_env = {**os.environ, "COOKIECONSENT_BENCH_MIX": str(Path(tmp) / "mix.txt")}
            print(
                f"cpus={os.cpu_count()} connections={args.connections} duration={args.duration}s "
                f"rounds={args.rounds} load average before: {os.getloadavg()[0]:.2f}\n"
                "mix: 50% lookup, 30% widget script (gzip), 20% consent write; PostgreSQL"
            )
            results: dict[str, list[dict[str, float]]] = {spec: [] for spec in args.config}
            for _ in range(args.rounds):
                for spec in args.config:
                    result = measure(spec, env, wrk_env, tmp, args)
                    if result is not None:
                        results[spec].append(result)
            print(f"load average after: {os.getloadavg()[0]:.2f}")
            print(f"{'config':14} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} errors")
            for spec, runs in results.items():
                if not runs:
                    print(f"{spec:14} failed")
                    continue
                median = {
                    key: statistics.median(run.get(key, 0.0) for run in runs) for key in runs[0]
                }
                errors = int(sum(run["non2xx"] + run["socket_errors"] for run in runs))
                rates = "/".join(f"{run['rps']:.0f}" for run in runs)
                print(
                    f"{spec:14} {median['rps']:8.0f} {median.get('p50', 0):8.1f} "
                    f"{median.get('p90', 0):8.1f} {median.get('p99', 0):8.1f} {errors} ({rates})"
                )
        finally:
            drop()


if __name__ == "__main__":
    main()

"""Soak test: no consent is lost through faults.

    .venv/bin/python tests/soak/soak.py [--duration 60] [--connections 64] [--workers 4]

Starts a throw-away PostgreSQL cluster (``initdb`` and ``pg_ctl`` in a temporary folder, on a free
port), migrates it, creates a site and serves it with ``gunicorn wsgi:app`` in production mode with
the write rate limit lifted. Then ``--connections`` clients record choices (accept_all, reject_all,
save, withdraw; for new and returning visitors; each with its own Idempotency-Key) and look up
decisions for ``--duration`` seconds, while the script SIGKILLs a gunicorn worker twice and stops
PostgreSQL for ``--outage`` seconds (``pg_ctl stop -m fast``, then start).

A write cut off by a killed worker (reset, no answer) is sent once more with the same key, as the
widget does. Afterwards the script checks against the database that every write answered 201 is
stored exactly once, under the visitor it was answered for, in the order the client made them,
and that each visitor's current decision is their last stored choice; that every lookup of a
settled visitor answered their last acknowledged choice; that the only final errors are 503
answers with Retry-After, during the outage. It then sends every write that ended in an error once
more with its key (the widget's later retry), checks that each is now stored exactly once, and
that ``flask --app app consents verify`` passes.

It prints the requests served, the errors by kind and the number of consents lost, and exits 1
when anything was lost, duplicated or failed otherwise, 2 when it could not set up. Only loopback
traffic; the machine's own PostgreSQL server is never touched.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from glob import glob
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cookieconsent.services.signing import verify_visitor_id  # noqa: E402

SECRET_KEYS = ["soak-signing-key-previous-" + "p" * 32, "soak-signing-key-current-" + "c" * 32]
SITE_DOMAIN = "soak.example"
CATEGORIES = ("analytics", "marketing", "preferences")
# Every write names its own page, so that its event can be found in the database afterwards.
MARKER = f"https://{SITE_DOMAIN}/choice/"
REQUEST_TIMEOUT = 20.0
# A request that ends this soon after PostgreSQL is back still counts as hit by the outage.
OUTAGE_GRACE = 2.0
LOOKUP_SHARE = 0.4
RETURNING_SHARE = 0.65
RECENT_VISITORS = 40

CUT_OFF_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # ConnectionResetError, BrokenPipeError, RemoteDisconnected, TimeoutError
    http.client.HTTPException,  # IncompleteRead, BadStatusLine
)


class SetupError(RuntimeError):
    """The soak could not prepare its database or server."""


def log(message: str) -> None:
    """One progress line on stderr, so stdout carries only the report."""
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def now_iso() -> str:
    """The current time as the widget reports a click."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- the throw-away PostgreSQL cluster --------------------------------------------------------


def postgres_bindir() -> Path:
    """Where ``initdb`` and ``pg_ctl`` live: $SOAK_POSTGRES_BIN, the newest Debian one, or PATH."""
    override = os.environ.get("SOAK_POSTGRES_BIN")
    if override:
        return Path(override)

    def version(path: str) -> int:
        match = re.search(r"/postgresql/(\d+)/", path)
        return int(match.group(1)) if match else 0

    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise SetupError(
        "initdb not found: install the PostgreSQL server (apt-get install postgresql) "
        "or set SOAK_POSTGRES_BIN"
    )


class Cluster:
    """A PostgreSQL cluster of our own in a temporary folder, stopped and removed at the end."""

    def __init__(self, workdir: Path) -> None:
        self.bindir = postgres_bindir()
        self.folder = workdir / "postgres"
        self.folder.mkdir()
        self.data = self.folder / "data"
        self.logfile = self.folder / "server.log"
        self.port = free_port()
        # initdb refuses to run as root: the cluster then belongs to the postgres system user.
        self.run_as: str | None = None
        if os.geteuid() == 0:
            self.run_as = os.environ.get("SOAK_POSTGRES_USER", "postgres")
            try:
                shutil.chown(self.folder, user=self.run_as)
            except LookupError:
                raise SetupError(
                    f"running as root, but there is no {self.run_as!r} user to own the cluster "
                    "(set SOAK_POSTGRES_USER)"
                ) from None
            workdir.chmod(0o711)

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / tool), *args]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise SetupError(f"{tool} {' '.join(args[:2])} failed: {' | '.join(detail)}")
        return result

    def create(self) -> None:
        """initdb, then settings: our port, loopback only, sockets in our folder."""
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-sync",
        )  # fmt: skip
        settings = {
            "port": str(self.port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.folder}'",
            "max_connections": "300",
            "logging_collector": "off",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# cookieconsent soak\n")
            for name, value in settings.items():
                conf.write(f"{name} = {value}\n")

    def start(self) -> None:
        """Start and wait until it accepts connections."""
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.logfile), "-w", "-t", "60", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop: ``fast`` ends open sessions, rolling back their transactions."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        """Whether the server is up."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "status")
        except SetupError:
            return False
        return True

    def url(self, database: str) -> str:
        """SQLAlchemy URL of ``database`` on this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


def create_database(cluster: Cluster, name: str) -> str:
    """Create an empty database on the cluster; return its URL."""
    import sqlalchemy as sa

    admin = sa.create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return cluster.url(name)


# --- the service ------------------------------------------------------------------------------


def service_env(database_url: str, workdir: Path) -> dict[str, str]:
    """The environment of an operator running production, with the write rate limit lifted."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOKIECONSENT_")}
    env.update(
        COOKIECONSENT_ENV="production",
        COOKIECONSENT_SECRET_KEYS=",".join(SECRET_KEYS),
        COOKIECONSENT_DATABASE_URL=database_url,
        COOKIECONSENT_RATELIMIT_WRITES="1000000 per second",
        COOKIECONSENT_INSTANCE_PATH=str(workdir / "instance"),
        PYTHONUNBUFFERED="1",
    )
    return env


def flask_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``flask --app app …`` from the checkout."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def prepare_site(env: dict[str, str]) -> str:
    """Migrate the database and create the soak's site; return its key."""
    for args in (
        ("db", "upgrade"),
        ("sites", "create", "--name", "Soak", "--domain", SITE_DOMAIN,
         *[option for name in CATEGORIES for option in ("--category", name)]),
    ):  # fmt: skip
        result = flask_cli(env, *args)
        if result.returncode != 0:
            raise SetupError(f"flask {' '.join(args[:2])} failed: {result.stderr.strip()[-500:]}")
    return str(json.loads(result.stdout.strip().splitlines()[-1])["site_key"])


class Server:
    """``gunicorn wsgi:app`` from the checkout, with a configuration file of our own."""

    def __init__(
        self, workdir: Path, env: dict[str, str], *, workers: int, threads: int, worker_class: str
    ) -> None:
        self.port = free_port()
        self.env = env
        self.workers = workers
        self.logfile = workdir / "gunicorn.log"
        # Our own file, so that a gunicorn.conf.py in the checkout does not change the soak.
        self.config = workdir / "gunicorn_soak.conf.py"
        self.config.write_text(
            f"bind = '127.0.0.1:{self.port}'\n"
            f"workers = {workers}\n"
            f"worker_class = {worker_class!r}\n"
            f"threads = {threads}\n"
            "keepalive = 5\n"
            "timeout = 30\n"
            "graceful_timeout = 10\n"
            "backlog = 2048\n"
            "loglevel = 'info'\n"
            # Several gunicorns on one machine would otherwise share ~/.gunicorn/gunicorn.ctl.
            "control_socket_disable = True\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start gunicorn and wait for /healthz."""
        with self.logfile.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(self.config), "wsgi:app"],
                cwd=ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SetupError(
                    f"gunicorn exited at start; see {self.logfile}:\n{self.log_tail()}"
                )
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/healthz")
                if (
                    connection.getresponse().status == 200
                    and len(self.worker_pids()) == self.workers
                ):
                    connection.close()
                    return
                connection.close()
            except OSError:
                pass
            time.sleep(0.2)
        raise SetupError(f"gunicorn did not become healthy; see {self.logfile}")

    def alive(self) -> bool:
        """Whether the gunicorn master is still running."""
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        """The end of gunicorn's log."""
        return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])

    def worker_pids(self) -> list[int]:
        """The master's live children: its workers."""
        assert self.process is not None
        master = self.process.pid
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name may hold spaces; the fields after its closing parenthesis do not.
            state, parent = stat.rsplit(")", 1)[1].split()[:2]
            if int(parent) == master and state != "Z":
                children.append(int(entry.name))
        return sorted(children)

    def kill_worker(self, rng: random.Random) -> tuple[int, float]:
        """SIGKILL one worker; return its pid and how long the master took to replace it."""
        before = self.worker_pids()
        if not before:
            raise RuntimeError("gunicorn has no workers to kill")
        victim = rng.choice(before)
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        while time.monotonic() < killed_at + 30:
            now = self.worker_pids()
            if victim not in now and len(now) >= len(before):
                return victim, time.monotonic() - killed_at
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn did not replace worker {victim} within 30 s")

    def stop(self) -> None:
        """Stop gunicorn (gracefully, then for good)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


# --- the clients ------------------------------------------------------------------------------


@dataclass
class Answer:
    """An HTTP answer as the client saw it."""

    status: int
    headers: dict[str, str]
    body: bytes
    started: float
    ended: float

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


class CutOff(Exception):
    """The connection failed before a whole answer arrived."""

    def __init__(self, kind: str, started: float, ended: float) -> None:
        super().__init__(kind)
        self.kind = kind
        self.started = started
        self.ended = ended


class Connection:
    """One keep-alive HTTP connection, reopened after a failure."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection: http.client.HTTPConnection | None = None

    def send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """Send one request; raise :class:`CutOff` when no whole answer comes back."""
        if self.connection is None:
            self.connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=REQUEST_TIMEOUT
            )
        started = time.monotonic()
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            data = response.read()
        except CUT_OFF_ERRORS as error:
            self.close()
            raise CutOff(type(error).__name__, started, time.monotonic()) from None
        answer = Answer(
            response.status,
            {name.lower(): value for name, value in response.getheaders()},
            data,
            started,
            time.monotonic(),
        )
        if response.will_close:
            self.close()
        return answer

    def close(self) -> None:
        """Drop the connection; the next request opens a new one."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None


@dataclass(eq=False)
class Visitor:
    """A visitor one client created; only that client acts for them, so their order is known."""

    signed_id: str
    writes: list[Write] = field(default_factory=list)
    # The last 201 answer, while no later write of theirs is in doubt.
    expected: dict[str, Any] | None = None


@dataclass(eq=False)
class Write:
    """One choice: its key and body never change, however often it is sent."""

    key: str
    body: bytes
    action: str
    visitor: Visitor | None
    attempts: list[str] = field(default_factory=list)
    status: int | None = None
    retry_after: str | None = None
    answer: dict[str, Any] | None = None
    replayed: bool = False
    started: float = 0.0
    ended: float = 0.0
    settled: dict[str, Any] | None = None
    settled_replayed: bool = False


@dataclass
class FinalError:
    """A request that ended without success, kept to be judged against the outage window."""

    what: str
    kind: str
    status: int | None
    retry_after: str | None
    started: float
    ended: float


@dataclass
class ClientStats:
    """What one client saw; merged after the run."""

    served: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)
    final_errors: list[FinalError] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    write_ms: list[float] = field(default_factory=list)
    lookup_ms: list[float] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    visitors: list[Visitor] = field(default_factory=list)
    crashed: str | None = None


class Client:
    """One of the concurrent clients: a connection, its visitors, a random mix of requests."""

    def __init__(self, index: int, port: int, site_key: str, seed: int) -> None:
        self.rng = random.Random(seed * 1000 + index)
        self.http = Connection(port)
        self.base = f"/api/v1/sites/{site_key}/consents"
        self.stats = ClientStats()

    def run(self, deadline: float, stop: threading.Event) -> None:
        """Write and look up until ``deadline``, or until the run is stopped."""
        try:
            while time.monotonic() < deadline and not stop.is_set():
                recent = self.stats.visitors[-RECENT_VISITORS:]
                settled = [visitor for visitor in recent if visitor.expected is not None]
                if settled and self.rng.random() < LOOKUP_SHARE:
                    self.lookup(self.rng.choice(settled))
                else:
                    returning = recent and self.rng.random() < RETURNING_SHARE
                    self.write(self.rng.choice(recent) if returning else None)
        except Exception as error:  # a bug in the soak itself must not pass as "nothing lost"
            self.stats.crashed = f"{type(error).__name__}: {error}"
        finally:
            self.http.close()

    def _send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Answer:
        """Send; a request cut off is sent once more, as the widget would."""
        try:
            answer = self.http.send(method, path, body, headers)
        except CutOff as cut:
            self.stats.events[f"cut off ({cut.kind}), sent again"] += 1
            answer = self.http.send(method, path, body, headers)
        self.stats.served[f"{method} {answer.status}"] += 1
        return answer

    def write(self, visitor: Visitor | None) -> None:
        """Record a choice for a new or a returning visitor, with its own Idempotency-Key."""
        actions = ["accept_all", "reject_all", "save"] + (["withdraw"] if visitor else [])
        action = self.rng.choice(actions)
        key = uuid.uuid4().hex
        body: dict[str, Any] = {
            "action": action,
            "url": MARKER + key,
            "language": self.rng.choice(("vi", "en")),
            "chosen_at": now_iso(),
        }
        if visitor is not None:
            body["visitor_id"] = visitor.signed_id
        if action == "save":
            body["categories"] = {name: self.rng.random() < 0.5 for name in CATEGORIES}
        write = Write(key, json.dumps(body).encode(), action, visitor)
        self.stats.writes.append(write)
        if visitor is not None:
            visitor.writes.append(write)
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        write.started = time.monotonic()
        try:
            answer = self.http.send("POST", self.base, write.body, headers)
        except CutOff as cut:
            write.attempts.append(f"cut off ({cut.kind})")
            self.stats.events[f"write cut off ({cut.kind}), sent again with its key"] += 1
            try:
                answer = self.http.send("POST", self.base, write.body, headers)
            except CutOff as again:
                write.attempts.append(f"cut off ({again.kind})")
                write.ended = again.ended
                self._final(
                    "write", f"cut off twice ({again.kind})", None, None, write.started, again.ended
                )
                if visitor is not None:
                    visitor.expected = None
                return
        self.stats.served[f"POST {answer.status}"] += 1
        write.attempts.append(str(answer.status))
        write.status = answer.status
        write.retry_after = answer.headers.get("retry-after")
        write.ended = answer.ended
        if answer.status != 201:
            self._final(
                "write",
                f"{answer.status}",
                answer.status,
                write.retry_after,
                write.started,
                answer.ended,
            )
            if visitor is not None:
                visitor.expected = None
            return
        self.stats.write_ms.append((answer.ended - answer.started) * 1000)
        write.answer = answer.json()
        write.replayed = answer.headers.get("idempotent-replayed") == "true"
        if write.replayed:
            self.stats.events["write answered from its key (Idempotent-Replayed)"] += 1
        if visitor is None:
            visitor = Visitor(write.answer["visitor_id"], [write])
            write.visitor = visitor
            self.stats.visitors.append(visitor)
        visitor.signed_id = write.answer["visitor_id"]
        visitor.expected = write.answer

    def lookup(self, visitor: Visitor) -> None:
        """Ask for a settled visitor's decision: it must be their last acknowledged choice."""
        expected = visitor.expected
        assert expected is not None
        category = self.rng.choice(CATEGORIES) if self.rng.random() < 0.25 else None
        path = f"{self.base}/{visitor.signed_id}"
        if category:
            path += f"/allowed/{category}"
        started = time.monotonic()
        try:
            answer = self._send("GET", path, None, {"Accept": "application/json"})
        except CutOff as cut:
            self._final("lookup", f"cut off twice ({cut.kind})", None, None, started, cut.ended)
            return
        if answer.status != 200:
            retry_after = answer.headers.get("retry-after")
            self._final(
                "lookup", f"{answer.status}", answer.status, retry_after, started, answer.ended
            )
            return
        self.stats.lookup_ms.append((answer.ended - answer.started) * 1000)
        found = answer.json()
        if category:
            if found["allowed"] != expected["categories"][category]:
                self.stats.stale.append(f"{path}: allowed {found['allowed']}")
            return
        for name in ("decided", "categories", "recorded_at"):
            if found.get(name) != expected.get(name):
                self.stats.stale.append(
                    f"{path}: {name} {found.get(name)!r}, last acknowledged {expected.get(name)!r}"
                )
                return

    def _final(
        self,
        what: str,
        kind: str,
        status: int | None,
        retry_after: str | None,
        started: float,
        ended: float,
    ) -> None:
        self.stats.final_errors.append(FinalError(what, kind, status, retry_after, started, ended))


# --- faults -----------------------------------------------------------------------------------


@dataclass
class Faults:
    """What the fault thread did, and when (monotonic clock)."""

    start: float
    kills: list[tuple[float, int, float]] = field(default_factory=list)
    outage: tuple[float, float] | None = None
    problems: list[str] = field(default_factory=list)

    def in_outage(self, started: float, ended: float) -> bool:
        """Whether a request overlapped the database outage."""
        if self.outage is None:
            return False
        down, up = self.outage
        return started <= up + OUTAGE_GRACE and ended >= down


def inject_faults(
    server: Server,
    cluster: Cluster,
    start: float,
    options: argparse.Namespace,
    stop: threading.Event,
) -> Faults:
    """Kill a worker at 20% and 75% of the run; stop PostgreSQL at 40% for ``--outage`` seconds.

    Watches gunicorn meanwhile: if its master exits, the run stops at once.
    """
    faults = Faults(start)
    rng = random.Random(options.seed)

    def wait_until(moment: float) -> bool:
        while time.monotonic() < moment:
            if not server.alive():
                faults.problems.append(f"gunicorn exited during the run:\n{server.log_tail()}")
                stop.set()
                return False
            time.sleep(0.1)
        return True

    plan = [(0.2, "kill"), (0.4, "outage"), (0.75, "kill"), (1.0, "end")]
    for at, what in plan:
        if not wait_until(start + at * options.duration) or what == "end":
            break
        try:
            if what == "kill":
                killed_at = time.monotonic()
                pid, replaced = server.kill_worker(rng)
                faults.kills.append((killed_at - start, pid, replaced))
                log(f"killed worker {pid}; replaced after {replaced:.1f} s")
            else:
                down = time.monotonic()
                cluster.stop("fast")
                log("PostgreSQL stopped")
                time.sleep(max(0.0, down + options.outage - time.monotonic()))
                cluster.start()
                faults.outage = (down, time.monotonic())
                log(f"PostgreSQL started again after {faults.outage[1] - down:.1f} s")
        except Exception as error:
            faults.problems.append(f"{what} at {at:.0%}: {error}")
            log(f"fault injection failed: {error}")
    return faults


# --- checks -----------------------------------------------------------------------------------


@dataclass
class Stored:
    """What the database holds for the soak's site."""

    events: dict[str, list[tuple[int, str]]]  # write key -> [(event id, raw visitor ID)]
    last_event: dict[str, int]  # raw visitor ID -> consent_states.last_event_id
    keys: dict[str, dict[str, Any]]  # Idempotency-Key -> stored answer
    total_events: int


def read_database(database_url: str, site_key: str) -> Stored:
    """Read the soak site's events, current states and idempotency keys."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            site_id = connection.execute(
                sa.text("SELECT id FROM sites WHERE site_key = :key"), {"key": site_key}
            ).scalar_one()
            events: dict[str, list[tuple[int, str]]] = {}
            total = 0
            for event_id, visitor_id, url in connection.execute(
                sa.text("SELECT id, visitor_id, url FROM consent_events WHERE site_id = :s"),
                {"s": site_id},
            ):
                total += 1
                key = url[len(MARKER) :] if url and url.startswith(MARKER) else f"?{event_id}"
                events.setdefault(key, []).append((event_id, visitor_id))
            last_event: dict[str, int] = dict(
                connection.execute(
                    sa.text(
                        "SELECT visitor_id, last_event_id FROM consent_states WHERE site_id = :s"
                    ),
                    {"s": site_id},
                ).all()
            )
            keys = {}
            for key, response in connection.execute(
                sa.text("SELECT key, response FROM idempotency_keys WHERE site_id = :s"),
                {"s": site_id},
            ):
                keys[key] = response if isinstance(response, dict) else json.loads(response)
    finally:
        engine.dispose()
    return Stored(events, last_event, keys, total)


@dataclass
class Verdict:
    """What the checks found; every list must be empty."""

    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    misplaced: list[str] = field(default_factory=list)
    unexpected_errors: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    def failures(self) -> int:
        """How many problems in all."""
        return sum(
            len(items)
            for items in (
                self.lost,
                self.duplicated,
                self.misplaced,
                self.unexpected_errors,
                self.other,
            )
        )


def raw_id(site_key: str, signed_id: str) -> str:
    """The raw visitor ID the database keys on."""
    return verify_visitor_id(SECRET_KEYS, site_key, signed_id)


def check_acknowledged(
    writes: Sequence[Write], visitors: Sequence[Visitor], stored: Stored, site_key: str
) -> Verdict:
    """Every 201 stored once, under its visitor, in order; each visitor's state is their last."""
    verdict = Verdict()
    known = {write.key for write in writes}
    for key, found in stored.events.items():
        if key not in known:
            verdict.other.append(f"event(s) {[i for i, _ in found]} match no write the soak sent")
    for write in writes:
        found = stored.events.get(write.key, [])
        if len(found) > 1:
            verdict.duplicated.append(f"{write.key}: {len(found)} events {[i for i, _ in found]}")
        if write.status != 201:
            continue
        assert write.answer is not None
        if not found:
            verdict.lost.append(f"{write.key} ({write.action}, attempts {write.attempts})")
            continue
        expected_visitor = raw_id(site_key, write.answer["visitor_id"])
        if any(visitor != expected_visitor for _, visitor in found):
            verdict.misplaced.append(f"{write.key}: stored under another visitor")
        sent_for = json.loads(write.body).get("visitor_id")
        if sent_for and raw_id(site_key, sent_for) != expected_visitor:
            verdict.misplaced.append(f"{write.key}: answered for another visitor than sent")
        kept = stored.keys.get(write.key)
        if kept is None:
            verdict.other.append(f"{write.key}: answered 201 but its Idempotency-Key is not kept")
        elif kept != write.answer:
            verdict.other.append(f"{write.key}: the kept answer differs from the one sent")
    for visitor in visitors:
        ids = [
            stored.events[w.key][0][0]
            for w in visitor.writes
            if len(stored.events.get(w.key, [])) == 1
        ]
        if ids != sorted(ids):
            verdict.misplaced.append(
                f"visitor {visitor.signed_id[:12]}…: events out of order {ids}"
            )
        if ids and stored.last_event.get(raw_id(site_key, visitor.signed_id)) != ids[-1]:
            verdict.misplaced.append(
                f"visitor {visitor.signed_id[:12]}…: current state is not their last choice"
            )
    return verdict


def judge_errors(errors: Sequence[FinalError], faults: Faults, verdict: Verdict) -> Counter[str]:
    """The only final errors allowed are 503 with Retry-After while the database was down."""
    kinds: Counter[str] = Counter()
    for error in errors:
        during = faults.in_outage(error.started, error.ended)
        allowed = error.status == 503 and bool(error.retry_after) and during
        label = f"{error.what} {error.kind}"
        if error.status == 503:
            label += " with Retry-After" if error.retry_after else " WITHOUT Retry-After"
        label += " during the outage" if during else " outside the outage"
        kinds[label] += 1
        if not allowed:
            verdict.unexpected_errors.append(label)
    return kinds


def settle(port: int, site_key: str, writes: Sequence[Write], verdict: Verdict) -> int:
    """Send every write that ended in an error once more with its key; each must now be 201."""
    http = Connection(port)
    base = f"/api/v1/sites/{site_key}/consents"
    pending = [write for write in writes if write.status != 201]
    for write in pending:
        headers = {"Content-Type": "application/json", "Idempotency-Key": write.key}
        answer: Answer | None = None
        for _ in range(3):
            try:
                answer = http.send("POST", base, write.body, headers)
                break
            except CutOff:
                continue
        if answer is None or answer.status != 201:
            status = answer.status if answer else "no answer"
            verdict.other.append(f"{write.key}: sent again after the run, answered {status}")
            continue
        write.settled = answer.json()
        write.settled_replayed = answer.headers.get("idempotent-replayed") == "true"
    http.close()
    return len(pending)


def check_settled(
    writes: Sequence[Write], before: Stored, stored: Stored, site_key: str, verdict: Verdict
) -> None:
    """After the late retries, every write the soak made is stored exactly once.

    A write already stored before (its commit went through, its answer was lost) must have
    been answered from its key, and one that was not must have been recorded then.
    """
    for write in writes:
        if write.status == 201:
            continue  # judged before the retries
        if write.settled is not None and write.settled_replayed != (write.key in before.events):
            verdict.other.append(
                f"{write.key}: stored before it was sent again: {write.key in before.events}, "
                f"answered from its key: {write.settled_replayed}"
            )
        found = stored.events.get(write.key, [])
        if not found and write.settled is not None:
            verdict.lost.append(f"{write.key}: answered 201 when sent again, but not stored")
        elif len(found) > 1:
            verdict.duplicated.append(f"{write.key}: {len(found)} events after being sent again")
        elif (
            found
            and write.settled is not None
            and found[0][1] != raw_id(site_key, write.settled["visitor_id"])
        ):
            verdict.misplaced.append(f"{write.key}: stored under another visitor")


def verify_chain(env: dict[str, str]) -> tuple[bool, str]:
    """``flask --app app consents verify``: the HMAC chain must hold."""
    result = flask_cli(env, "consents", "verify")
    return result.returncode == 0, (result.stdout + result.stderr).strip()


# --- the run ----------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which ``share`` of ``values`` fall."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def latency(values: Sequence[float]) -> str:
    """Median and 99th percentile in milliseconds."""
    return f"p50 {percentile(values, 0.5):.1f} ms, p99 {percentile(values, 0.99):.1f} ms"


@contextmanager
def workspace(keep: bool) -> Iterator[Path]:
    """A temporary folder for the cluster, the logs and the configuration."""
    folder = Path(tempfile.mkdtemp(prefix="cookieconsent-soak-"))
    try:
        yield folder
    finally:
        if keep:
            log(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def soak(options: argparse.Namespace) -> int:
    """Set up, run, check, report; return the exit status."""
    with workspace(options.keep) as workdir:
        cluster = Cluster(workdir)
        server: Server | None = None
        try:
            log(f"PostgreSQL from {cluster.bindir} on port {cluster.port}, in {cluster.folder}")
            cluster.create()
            cluster.start()
            database_url = create_database(cluster, "cookieconsent_soak")
            env = service_env(database_url, workdir)
            site_key = prepare_site(env)
            server = Server(
                workdir,
                env,
                workers=options.workers,
                threads=options.threads,
                worker_class=options.worker_class,
            )
            server.start()
            log(
                f"gunicorn wsgi:app on port {server.port}: {options.workers} "
                f"{options.worker_class} workers x {options.threads} threads; site {site_key}"
            )
            return run_and_check(options, cluster, server, env, database_url, site_key)
        finally:
            if server is not None:
                server.stop()
            if cluster.data.exists() and cluster.running():
                cluster.stop("fast")


def run_and_check(
    options: argparse.Namespace,
    cluster: Cluster,
    server: Server,
    env: dict[str, str],
    database_url: str,
    site_key: str,
) -> int:
    """Drive the load with faults, then check the database and report."""
    clients = [
        Client(index, server.port, site_key, options.seed) for index in range(options.connections)
    ]
    start = time.monotonic()
    deadline = start + options.duration
    stop = threading.Event()
    threads = [threading.Thread(target=client.run, args=(deadline, stop)) for client in clients]
    log(f"{options.connections} connections for {options.duration:.0f} s")
    for thread in threads:
        thread.start()
    faults = inject_faults(server, cluster, start, options, stop)
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start

    stats = ClientStats()
    for client in clients:
        stats.served.update(client.stats.served)
        stats.events.update(client.stats.events)
        stats.final_errors.extend(client.stats.final_errors)
        stats.stale.extend(client.stats.stale)
        stats.write_ms.extend(client.stats.write_ms)
        stats.lookup_ms.extend(client.stats.lookup_ms)
        stats.writes.extend(client.stats.writes)
        stats.visitors.extend(client.stats.visitors)
        if client.stats.crashed:
            stats.crashed = client.stats.crashed

    log("checking the database")
    before = read_database(database_url, site_key)
    verdict = check_acknowledged(stats.writes, stats.visitors, before, site_key)
    error_kinds = judge_errors(stats.final_errors, faults, verdict)
    verdict.other.extend(f"stale lookup: {line}" for line in stats.stale)
    verdict.other.extend(f"fault injection: {problem}" for problem in faults.problems)
    if stats.crashed:
        verdict.other.append(f"a client crashed: {stats.crashed}")
    if len(faults.kills) < 2 or faults.outage is None:
        verdict.other.append("not every fault was injected")

    resent = 0
    if server.alive():
        log("sending the failed writes again with their keys")
        resent = settle(server.port, site_key, stats.writes, verdict)
    final = read_database(database_url, site_key)
    check_settled(stats.writes, before, final, site_key, verdict)
    chain_ok, chain_report = verify_chain(env)
    if not chain_ok:
        verdict.other.append(f"consents verify failed: {chain_report}")

    report(options, elapsed, stats, faults, error_kinds, verdict, resent, final, chain_report)
    worker_errors = server.logfile.read_text(errors="replace").count("Traceback")
    if worker_errors:
        print(f"gunicorn log: {worker_errors} tracebacks (see --keep)")
    return 1 if verdict.failures() else 0


def report(
    options: argparse.Namespace,
    elapsed: float,
    stats: ClientStats,
    faults: Faults,
    error_kinds: Counter[str],
    verdict: Verdict,
    resent: int,
    stored: Stored,
    chain_report: str,
) -> None:
    """Print the figures."""
    served = sum(stats.served.values())
    acknowledged = [write for write in stats.writes if write.status == 201]
    print(
        f"\nSoak: {options.connections} connections, {elapsed:.1f} s, "
        f"gunicorn {options.workers} {options.worker_class} workers x {options.threads} threads, "
        f"seed {options.seed}"
    )
    print(f"requests served: {served} ({served / elapsed:.0f}/s)")
    for name, count in sorted(stats.served.items()):
        print(f"  {name}: {count}")
    print(
        f"writes: {len(stats.writes)} sent, {len(acknowledged)} answered 201 "
        f"({latency(stats.write_ms)}); "
        f"lookups: {len(stats.lookup_ms)} answered 200 ({latency(stats.lookup_ms)})"
    )
    kills = ", ".join(
        f"pid {pid} at {at:.1f} s (replaced in {took:.1f} s)" for at, pid, took in faults.kills
    )
    print(f"faults: worker SIGKILLs: {kills or 'none'}")
    if faults.outage:
        down, up = faults.outage
        print(
            f"        PostgreSQL stopped at {down - faults.start:.1f} s, "
            f"accepting connections again after {up - down:.1f} s"
        )
    print("recovered, then succeeded:")
    for name, count in sorted(stats.events.items()):
        print(f"  {name}: {count}")
    if not any(name.startswith("write cut off") for name in stats.events):
        print("  (no write was cut off by a worker kill in this run: the kills hit idle threads)")
    print("final errors by kind:")
    for name, count in sorted(error_kinds.items()) or [("none", 0)]:
        print(f"  {name}: {count}")
    replayed = sum(write.settled_replayed for write in stats.writes)
    print(
        f"sent again after the run with their keys: {resent}, of which {replayed} answered "
        "from their key (recorded although their answer was lost)"
    )
    print(
        f"events stored: {stored.total_events}; "
        f"consents verify: {chain_report.splitlines()[0] if chain_report else '?'}"
    )
    print(f"lost: {len(verdict.lost)}")
    print(f"duplicated: {len(verdict.duplicated)}")
    print(f"stored under the wrong visitor or out of order: {len(verdict.misplaced)}")
    print(f"unexpected final errors: {len(verdict.unexpected_errors)}")
    print(f"other problems: {len(verdict.other)}")
    unexpected = [
        f"{count} x {label}" for label, count in Counter(verdict.unexpected_errors).items()
    ]
    for title, items in (
        ("LOST", verdict.lost),
        ("DUPLICATED", verdict.duplicated),
        ("MISPLACED", verdict.misplaced),
        ("UNEXPECTED", unexpected),
        ("OTHER", verdict.other),
    ):
        for item in items[:10]:
            print(f"  {title}: {item}")
        if len(items) > 10:
            print(f"  {title}: … and {len(items) - 10} more")
    print("PASS" if not verdict.failures() else "FAIL")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options and run the soak."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--connections", type=int, default=64, help="concurrent clients (64)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (4)")
    parser.add_argument(
        "--worker-class", default="gthread", choices=["gthread", "sync"], help="(gthread)"
    )
    parser.add_argument("--outage", type=float, default=5.0, help="seconds PostgreSQL is down (5)")
    parser.add_argument("--seed", type=int, default=1, help="random seed for the mix (1)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and logs")
    options = parser.parse_args(argv)
    if options.duration < 15 or options.outage >= options.duration * 0.3:
        parser.error("--duration must be at least 15 s and --outage under 30% of it")
    try:
        return soak(options)
    except SetupError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

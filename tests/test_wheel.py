"""The built wheel, installed as an operator would, outside the checkout, serves everything.

Builds the wheel from the checkout's files, installs it with deploy/install.sh (as the Dockerfile
does) into a fresh virtual environment in a temporary folder, with its real dependencies, and
with site-packages left read-only (install.sh removes the write bits; as root, which ignores
them, site-packages is also mounted read-only for the service's processes). Against a fresh
PostgreSQL database, without COOKIECONSENT_INSTANCE_PATH: migrate, create a site, serve it with
gunicorn and the shipped settings, and use it like a browser would. Nothing may be written
under site-packages.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import throwaway_postgres

ROOT = Path(__file__).resolve().parent.parent
# What the service reads at run time, beyond the Python modules.
REQUIRED_DATA = [
    "cookieconsent/widget/bundle/core.js",
    "cookieconsent/widget/bundle/tags.js",
    "cookieconsent/widget/bundle/prefs.js",
    "cookieconsent/templates/receipt.html",
    "cookieconsent/templates/history.html",
    "cookieconsent/templates/visitor_page.html",
    "cookieconsent/templates/demo.html",
    "cookieconsent/migrations/env.py",
    "cookieconsent/migrations/alembic.ini",
    "cookieconsent/migrations/script.py.mako",
    "cookieconsent/texts.py",
    "cookieconsent/catalogs/en.json",
    "cookieconsent/catalogs/vi.json",
    "cookieconsent/catalogs/pt-BR.json",
    "cookieconsent/gunicorn_conf.py",
    "cookieconsent/translations/vi/LC_MESSAGES/messages.mo",
    "cookieconsent/templates/admin/base.html",
    "cookieconsent/templates/declaration.html",
    "cookieconsent/admin/static/console.css",
    "cookieconsent/data/open-cookie-database.csv",
    "cookieconsent/data/open-cookie-database.LICENSE",
    "cookieconsent/data/NOTICE.md",
]


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    """A folder outside the checkout."""
    path = Path(tempfile.mkdtemp(prefix="cookieconsent-wheel-"))
    try:
        yield path
    finally:
        # install.sh left site-packages read-only; make it removable again.
        subprocess.run(["chmod", "-R", "u+w", str(path)], check=False)
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with throwaway_postgres("cookieconsent_wheel") as url:
        yield url


def checkout_files() -> list[str]:
    """The checkout's files as a clone would have them (tracked, or new and not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    return [name for name in listed if name and (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def wheel(workdir: Path) -> Path:
    """The wheel, built from a copy of the checkout so that the build writes nothing into it."""
    source = workdir / "source"
    for name in checkout_files():
        if name in {"pyproject.toml", "README.md", "LICENSE"} or name.startswith("cookieconsent/"):
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
         "--disable-pip-version-check", "--wheel-dir", str(workdir / "dist"), str(source)],
        check=True, timeout=300,
    )  # fmt: skip
    (built,) = (workdir / "dist").glob("cookieconsent-*.whl")
    return built


def test_wheel_carries_everything_the_service_reads(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in REQUIRED_DATA:
        assert required in names, required
    shipped = {
        name
        for name in checkout_files()
        if name.startswith("cookieconsent/") and not name.endswith(".pyc")
    }
    assert shipped - names == set()
    assert not [name for name in names if name.startswith(("templates/", "static/", "tests/"))]
    (entry_points,) = [name for name in names if name.endswith(".dist-info/entry_points.txt")]
    scripts = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert re.search(r"^cookieconsent = cookieconsent\.console:main$", scripts, re.M)


def listing(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every entry under ``folder``: its mode, size and modification time."""
    found = {}
    for path in [folder, *folder.rglob("*")]:
        status = path.lstat()
        found[str(path.relative_to(folder))] = (
            status.st_mode,
            status.st_size,
            status.st_mtime_ns,
        )
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Service:
    """Runs the installed programs in a bare environment, with site-packages read-only."""

    def __init__(self, venv: Path, site_packages: Path, home: Path, database_url: str) -> None:
        self.venv = venv
        self.site_packages = site_packages
        self.home = home
        self.env = {
            "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "COOKIECONSENT_DATABASE_URL": database_url,
        }

    def command(self, args: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return args
        # Root writes through missing write bits: give the process a mount namespace of its own
        # in which site-packages is a read-only mount.
        read_only = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" && exec "$@"'
        return [
            "unshare", "--mount", "--propagation", "private",
            "sh", "-c", read_only, str(self.site_packages), *args,
        ]  # fmt: skip

    def run(self, args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(args),
            cwd=self.home,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=180,
        )

    def start(self, args: list[str], log: Path, **env: str) -> subprocess.Popen[bytes]:
        with log.open("wb") as output:
            return subprocess.Popen(
                self.command(args),
                cwd=self.home,
                env={**self.env, **env},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )


def http(
    base: str,
    path: str,
    *,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            **({"Content-Type": "application/json"} if body is not None else {}),
            **(headers or {}),
        },
        method="POST" if body is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_installed_wheel_serves_the_widget_consents_and_receipts(
    wheel: Path, workdir: Path, postgres_url: str
) -> None:
    started = time.monotonic()
    venv = workdir / "venv"
    installed = subprocess.run(
        ["sh", str(ROOT / "deploy" / "install.sh"), str(wheel), str(venv)],
        cwd=workdir, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    assert f"installed in {venv}" in installed.stdout
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site_packages = Path(
        subprocess.run(
            [str(venv / "bin/python"), "-c", purelib], capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    assert ROOT not in site_packages.parents
    # Real dependencies, not the checkout's: the venv sees no other site-packages.
    assert "include-system-site-packages = false" in (venv / "pyvenv.cfg").read_text()
    assert (site_packages / "flask").is_dir() and (site_packages / "psycopg").is_dir()
    before = listing(site_packages)

    home = workdir / "home"
    home.mkdir()
    service = Service(venv, site_packages, home, postgres_url)

    located = service.run(["python", "-c", "import cookieconsent; print(cookieconsent.__file__)"])
    assert located.stdout.strip() == str(site_packages / "cookieconsent" / "__init__.py")
    probe = service.run(["python", "-c", f"open({str(site_packages / 'probe')!r}, 'w')"])
    assert probe.returncode != 0
    assert "Read-only file system" in probe.stderr or "Permission denied" in probe.stderr

    # Migrations need no signing key.
    upgraded = service.run(["cookieconsent", "db", "upgrade"])
    assert upgraded.returncode == 0, upgraded.stderr
    old, new = "wheel-test-old-" + "o" * 32, "wheel-test-new-" + "n" * 32
    keys = {"COOKIECONSENT_SECRET_KEYS": f"{old},{new}"}
    created = service.run(
        ["cookieconsent", "sites", "create", "--name", "Wheel Shop", "--domain", "127.0.0.1",
         "--policy-url", "https://shop.example/privacy"],
        **keys,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    site_key = json.loads(created.stdout)["site_key"]

    port = free_port()
    log = workdir / "gunicorn.log"
    server = service.start(
        ["gunicorn", "-c", "python:cookieconsent.gunicorn_conf", "cookieconsent.wsgi:app"],
        log,
        COOKIECONSENT_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        **keys,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, body = http(base, "/healthz")
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        assert (status, json.loads(body)) == (200, {"status": "ok"})

        status, headers, script = http(base, f"/c/{site_key}.js")
        assert status == 200, script
        assert headers["Content-Type"].startswith("text/javascript")
        assert script.startswith(b"/*! cookieconsent widget | built from sources sha256:")
        assert f'"siteKey":"{site_key}"'.encode() in script
        modules = re.search(rf"/c/{site_key}/\{{\}}\.js\?v=([0-9a-f]+)", script.decode())
        assert modules is not None
        for name in ("tags", "prefs"):
            status, headers, module = http(base, f"/c/{site_key}/{name}.js?v={modules.group(1)}")
            assert status == 200, module
            assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert module.startswith(b"/*! cookieconsent widget | built from sources sha256:")

        origin = {"Origin": f"http://127.0.0.1:{port}"}
        status, _, answer = http(
            base,
            f"/api/v1/sites/{site_key}/consents",
            body={"action": "save", "categories": {"analytics": True, "marketing": False}},
            headers=origin,
        )
        assert status == 201, answer
        visitor_id = json.loads(answer)["visitor_id"]

        status, _, answer = http(base, f"/api/v1/sites/{site_key}/consents/{visitor_id}")
        assert status == 200, answer
        decision = json.loads(answer)
        assert decision["decided"] is True
        assert decision["categories"] == {"essential": True, "analytics": True, "marketing": False}

        status, headers, page = http(base, f"/receipt/{site_key}/{visitor_id}?lang=en")
        assert status == 200, page
        assert headers["Content-Type"].startswith("text/html")
        assert b"Wheel Shop" in page and b"https://shop.example/privacy" in page

        # The console, in Vietnamese from the catalog compiled into the wheel, with its styles.
        status, headers, page = http(base, "/admin/sign-in")
        assert status == 200, page
        assert b'<html lang="vi"' in page
        assert "Đăng nhập".encode() in page
        status, _, styles = http(base, "/admin/static/console.css")
        assert status == 200 and len(styles) > 1000
        status, _, page = http(base, f"/c/{site_key}/declaration?lang=vi")
        assert status == 200 and b"Wheel Shop" in page
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)

    assert "Booting worker" in log.read_text()
    assert listing(site_packages) == before
    # Production with PostgreSQL needs no instance folder, and made none.
    assert not (venv / "var").exists()
    print(f"\nwheel installed and exercised in {time.monotonic() - started:.1f} s")

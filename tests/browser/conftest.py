"""Fixtures for the browser suite: the consent service, a host site on another origin, Chromium.

The suite drives the widget the way a visitor meets it: a host page served from its own origin
embeds ``<script src="{service}/c/{site_key}.js">`` first in ``<head>``, and the consent service
runs as a real HTTP server. Nothing here relies on the top-level ``tests/conftest.py``.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import quote
from urllib.request import Request, urlopen

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

CHROMIUM = "/usr/bin/chromium"
# Host names under example.test reach the host site on 127.0.0.1 (subdomain tests), without
# touching /etc/hosts.
HOST_RESOLVER_RULES = "MAP example.test 127.0.0.1, MAP *.example.test 127.0.0.1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    f"--host-resolver-rules={HOST_RESOLVER_RULES}",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 720}
SECRET_KEY = "browser-test-key-" + "b" * 32
POLICY_URL = "https://example.com/privacy"
# Every gated element on a host page, in document order, as the scripts report themselves.
GATED_SCRIPTS = ("analytics-inline", "analytics-external", "marketing-inline", "marketing-external")


def in_ci() -> bool:
    """CI must never skip the browser suite silently."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"browser tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(f"BROWSER TESTS SKIPPED: {reason}")


class _QuietHandler(WSGIRequestHandler):
    """Keeps the access log out of the test output; errors are still logged."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class BackgroundServer:
    """A WSGI app on 127.0.0.1 and a free port (or ``port``), served from a daemon thread."""

    def __init__(self, wsgi_app: Any, name: str, port: int = 0) -> None:
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", port, wsgi_app, threaded=True, request_handler=_QuietHandler
        )
        self.port: int = self._server.server_port
        self.origin = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting requests and close the listening socket."""
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()


# --- the consent service --------------------------------------------------------------------


@dataclass
class ConsentService:
    """The running consent service and the app behind it."""

    app: Flask
    server: BackgroundServer

    @property
    def origin(self) -> str:
        return self.server.origin

    @property
    def port(self) -> int:
        return self.server.port

    def widget_url(self, site_key: str) -> str:
        """The script URL a site owner pastes into their page."""
        return f"{self.origin}/c/{site_key}.js"

    def create_site(self, domains: Iterable[str], **options: Any) -> str:
        """Register a site and return its public key."""
        from cookieconsent.services.sites import create_site

        with self.app.app_context():
            site, _token = create_site(
                f"Browser test {uuid.uuid4().hex[:8]}",
                domains=list(domains),
                policy_url=POLICY_URL,
                **options,
            )
            return site.site_key

    def set_site_texts(self, site_key: str, texts: dict[str, dict[str, str]]) -> None:
        """Override the site's banner texts, as an operator would."""
        from cookieconsent.extensions import db

        with self.app.app_context():
            site = self._site_row(site_key)
            site.texts = texts
            db.session.commit()

    def publish_policy_version(self, site_key: str, version: str) -> None:
        """Publish a new policy version and make it the site's current one."""
        from cookieconsent.extensions import db
        from cookieconsent.models import PolicyVersion

        with self.app.app_context():
            site = self._site_row(site_key)
            site.policy_versions.append(PolicyVersion(version=version))
            site.policy_version = version
            db.session.commit()

    @staticmethod
    def _site_row(site_key: str) -> Any:
        # The database row itself, whatever the service keeps in memory about it.
        from sqlalchemy import select

        from cookieconsent.extensions import db
        from cookieconsent.models import Site

        return db.session.execute(select(Site).where(Site.site_key == site_key)).scalar_one()

    def served_config(self, site_key: str) -> dict[str, Any]:
        """The configuration the site's widget script is served with."""
        from tests.widget_script import embedded_config

        with urlopen(self.widget_url(site_key), timeout=10) as response:
            return embedded_config(response.read().decode("utf-8"))

    def lookup(self, site_key: str, visitor_id: str) -> dict[str, Any]:
        """What the public lookup API says about this visitor (as a tag manager asks it)."""
        url = f"{self.origin}/api/v1/sites/{site_key}/consents/{quote(visitor_id, safe='')}"
        try:
            with urlopen(url, timeout=10) as response:
                assert response.status == 200
                return json.loads(response.read())  # type: ignore[no-any-return]
        except HTTPError as error:
            with error:
                body = error.read().decode("utf-8", "replace")
            raise AssertionError(f"lookup answered {error.code}: {body}") from None


@pytest.fixture(scope="session")
def consent_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsentService]:
    """The Flask service on its own port, with a fresh SQLite database migrated to head."""
    import flask_migrate

    from cookieconsent import create_app
    from cookieconsent.extensions import db

    database = tmp_path_factory.mktemp("consent-service") / "consent.sqlite3"
    with pytest.MonkeyPatch.context() as env:
        # The factory reads the environment first; with a key there it never writes a
        # development key under instance/.
        env.setenv("COOKIECONSENT_SECRET_KEYS", SECRET_KEY)
        env.delenv("COOKIECONSENT_ENV", raising=False)
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                "COOKIECONSENT_SECRET_KEYS": [SECRET_KEY],
                "SECRET_KEY": SECRET_KEY,
                "TESTING": True,
                "RATELIMIT_ENABLED": False,
            }
        )
    with app.app_context():
        flask_migrate.upgrade()
    server = BackgroundServer(app, name="consent-service")
    try:
        yield ConsentService(app=app, server=server)
    finally:
        server.stop()
        with app.app_context():
            db.engine.dispose()


# --- the host site ---------------------------------------------------------------------------


class HostSite:
    """A site on another origin: serves the pages tests build and remembers every request."""

    def __init__(self) -> None:
        self._pages: dict[str, tuple[str, list[tuple[str, str]]]] = {}
        self._scripts: dict[str, str] = {}
        self._requests: list[str] = []
        self._lock = threading.Lock()
        self.origin = ""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path: str = environ.get("PATH_INFO", "/")
        with self._lock:
            self._requests.append(path)
            page = self._pages.get(path)
            script = self._scripts.get(path)
        status, content_type, body = "404 Not Found", "text/plain; charset=utf-8", "not found"
        extra_headers: list[tuple[str, str]] = []
        if page is not None:
            status, content_type = "200 OK", "text/html; charset=utf-8"
            body, extra_headers = page
        elif script is not None:
            status, content_type, body = "200 OK", "text/javascript; charset=utf-8", script
        elif path.startswith("/slow/") and path.endswith(".js"):
            # /slow/<ms>/<name>.js: a tag on a slow CDN, answered after <ms> milliseconds;
            # with ?write=1 it also document.writes <p id="written-<name>">.
            delay, _, name = path[len("/slow/") : -len(".js")].partition("/")
            time.sleep(int(delay) / 1000)
            status, content_type = "200 OK", "text/javascript; charset=utf-8"
            body = _report(f"{name}-external") + ";"
            if "write=1" in environ.get("QUERY_STRING", ""):
                body += f"document.write('<p id=\"written-{name}\">written</p>');"
        elif path.startswith("/track/") and path.endswith(".js"):
            name = path[len("/track/") : -len(".js")]
            status, content_type = "200 OK", "text/javascript; charset=utf-8"
            body = _report(f"{name}-external") + ";"
        elif path.startswith("/frame/"):
            status, content_type = "200 OK", "text/html; charset=utf-8"
            body = f"<!doctype html><p>{path[len('/frame/') :]} frame</p>"
        data = body.encode("utf-8")
        start_response(
            status,
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(data))),
                ("Cache-Control", "no-store"),
                *extra_headers,
            ],
        )
        return [data]

    def add_page(
        self, html: str, headers: dict[str, str] | None = None, path: str | None = None
    ) -> str:
        """Serve ``html`` (with extra response ``headers``) at ``path`` or a new address.

        Returns its URL on 127.0.0.1; any host name that resolves here serves it too.
        """
        path = path or f"/pages/{uuid.uuid4().hex}.html"
        with self._lock:
            self._pages[path] = (html, list((headers or {}).items()))
        return self.origin + path

    def add_script(self, code: str, name: str = "script.js") -> str:
        """Serve JavaScript ``code`` at a new address under ``/vendor/``; return its URL."""
        path = f"/vendor/{uuid.uuid4().hex}/{name}"
        with self._lock:
            self._scripts[path] = code
        return self.origin + path

    def requests(self, prefix: str = "/") -> list[str]:
        """Paths requested so far (since the test started) that start with ``prefix``."""
        with self._lock:
            return [path for path in self._requests if path.startswith(prefix)]

    def gated_requests(self) -> list[str]:
        """Requests that only gated scripts and frames make."""
        return [path for path in self.requests() if path.startswith(("/track/", "/frame/"))]

    def forget_requests(self) -> None:
        with self._lock:
            self._requests.clear()


@pytest.fixture(scope="session")
def _host_site_server() -> Iterator[HostSite]:
    site = HostSite()
    server = BackgroundServer(site, name="host-site")
    site.origin = server.origin
    try:
        yield site
    finally:
        server.stop()


@pytest.fixture
def host_server(_host_site_server: HostSite) -> HostSite:
    """The host site, with the request log started afresh for this test."""
    _host_site_server.forget_requests()
    return _host_site_server


@pytest.fixture
def site_key(consent_service: ConsentService, host_server: HostSite) -> str:
    """A fresh site whose only domain is the host site (host and port)."""
    return consent_service.create_site([host_server.origin.removeprefix("http://")])


def _report(name: str) -> str:
    """The statement a gated script runs to say it ran (the host's /track/*.js do the same)."""
    return f"window.__ran=(window.__ran||[]);__ran.push({json.dumps(name)})"


def build_page(
    *,
    script_src: str | None,
    host_origin: str,
    lang: str | None = "en",
    script_attributes: str = "",
    nonce: str | None = None,
    head_extra: str = "",
    body_extra: str = "",
) -> str:
    """A host page embedding the widget first in <head>, with gated scripts and a gated frame.

    With ``nonce``, every script tag carries it, as on a site with a strict CSP.
    """
    lang_attribute = f' lang="{lang}"' if lang is not None else ""
    track = f"{host_origin}/track"
    n = f' nonce="{nonce}"' if nonce else ""
    attributes = f" {script_attributes}" if script_attributes else ""
    widget = f'<script src="{script_src}"{attributes}{n}></script>' if script_src else ""
    return f"""<!doctype html>
<html{lang_attribute}>
<head>
{widget}
<title>Host page</title>
{head_extra}
</head>
<body>
<main>
<h1 id="content">Welcome to the host page</h1>
<p>An article that does not depend on the consent service.</p>
<script type="text/plain" data-category="analytics"{n}>{_report("analytics-inline")}</script>
<script type="text/plain" data-category="analytics" src="{track}/analytics.js"{n}></script>
<script type="text/plain" data-category="marketing"{n}>{_report("marketing-inline")}</script>
<script type="text/plain" data-category="marketing" src="{track}/marketing.js"{n}></script>
<iframe data-category="marketing" data-src="{host_origin}/frame/marketing" title="Ad"></iframe>
{body_extra}
</main>
</body>
</html>
"""


@pytest.fixture
def host_page(
    consent_service: ConsentService, host_server: HostSite, site_key: str
) -> Callable[..., str]:
    """Build and serve a host page; returns its URL. Defaults embed this test's site."""

    def make(
        *,
        key: str | None = None,
        script_src: str | None = None,
        lang: str | None = "en",
        script_attributes: str = "",
        nonce: str | None = None,
        headers: dict[str, str] | None = None,
        head_extra: str = "",
        body_extra: str = "",
    ) -> str:
        src = script_src or consent_service.widget_url(key or site_key)
        return host_server.add_page(
            build_page(
                script_src=src,
                host_origin=host_server.origin,
                lang=lang,
                script_attributes=script_attributes,
                nonce=nonce,
                head_extra=head_extra,
                body_extra=body_extra,
            ),
            headers,
        )

    return make


# --- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium (Debian's) for the whole session; tests get their own contexts."""
    if not Path(CHROMIUM).exists() or not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"{CHROMIUM} is missing; install Debian's 'chromium' package")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Python playwright is not installed; pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_context(chromium: Any) -> Iterator[Callable[..., Any]]:
    """Make a fresh browser context (own cookies and storage); each is closed after the test."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        settings: dict[str, Any] = {
            "viewport": VIEWPORT,
            "locale": "en-US",
            "color_scheme": "light",
        }
        settings.update(options)
        context = chromium.new_context(**settings)
        context.set_default_timeout(5000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., Any]) -> Any:
    """A page in a fresh 1280x720 en-US context."""
    return new_context().new_page()


# --- sites with services, and what the service recorded --------------------------------------


def create_site_with_token(
    service: ConsentService, domains: Iterable[str], **options: Any
) -> tuple[str, str]:
    """Register a site; return its public key and its API token (shown once, as the CLI does)."""
    from cookieconsent.services.sites import create_site

    with service.app.app_context():
        site, api_token = create_site(
            f"Browser test {uuid.uuid4().hex[:8]}",
            domains=list(domains),
            policy_url=POLICY_URL,
            **options,
        )
        return site.site_key, api_token


def patch_site_config(
    service: ConsentService, site_key: str, api_token: str, config: dict[str, Any]
) -> dict[str, Any]:
    """Change a site's configuration the way its operator's server does: PATCH .../config."""
    request = Request(
        f"{service.origin}/api/v1/sites/{site_key}/config",
        data=json.dumps(config).encode("utf-8"),
        method="PATCH",
        headers={"Authorization": f"Bearer {api_token}", "Content-Type": "application/json"},
    )
    try:
        with urlopen(request, timeout=10) as response:
            assert response.status == 200
            return json.loads(response.read())  # type: ignore[no-any-return]
    except HTTPError as error:
        with error:
            body = error.read().decode("utf-8", "replace")
        raise AssertionError(f"PATCH config answered {error.code}: {body}") from None


def recorded_events(service: ConsentService, site_key: str) -> list[dict[str, Any]]:
    """Every consent event the service stored for this site, oldest first."""
    from sqlalchemy import select

    from cookieconsent.extensions import db
    from cookieconsent.models import ConsentEvent, Site

    with service.app.app_context():
        rows = db.session.execute(
            select(ConsentEvent)
            .join(Site, Site.id == ConsentEvent.site_id)
            .where(Site.site_key == site_key)
            .order_by(ConsentEvent.id)
        ).scalars()
        return [
            {
                "action": row.action,
                "source": row.source,
                "gpc": row.gpc,
                "decided": row.decided,
                "categories": dict(row.categories),
                "services": dict(row.services or {}),
            }
            for row in rows
        ]


@pytest.fixture
def configured_site(consent_service: ConsentService, host_server: HostSite) -> Callable[..., str]:
    """Make a site for the host origin (and ``extra_domains``), configured through the HTTP API.

    ``config`` is a body for ``PATCH /api/v1/sites/{key}/config``; ``options`` go to
    ``create_site`` (``categories=…``). Returns the site key.
    """

    def make(
        config: dict[str, Any] | None = None,
        *,
        extra_domains: Iterable[str] = (),
        **options: Any,
    ) -> str:
        domains = [host_server.origin.removeprefix("http://"), *extra_domains]
        site_key, api_token = create_site_with_token(consent_service, domains, **options)
        if config:
            patch_site_config(consent_service, site_key, api_token, config)
        return site_key

    return make


# --- visitors from somewhere: a consent service with a GeoIP database behind one proxy --------


class RequestLog:
    """WSGI middleware that remembers every request the service receives, then passes it on."""

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app
        self._seen: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self._lock:
            self._seen.append((environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")))
        return self.wsgi_app(environ, start_response)

    def requests(self, path_prefix: str = "/", method: str | None = None) -> list[str]:
        """Paths received so far that start with ``path_prefix`` (and used ``method``)."""
        with self._lock:
            return [
                path
                for seen_method, path in self._seen
                if path.startswith(path_prefix) and method in (None, seen_method)
            ]


@dataclass
class RegionalConsentService(ConsentService):
    """The consent service reading a City database, trusting one proxy's ``X-Forwarded-For``."""

    log: RequestLog

    def site_api(self, site_key: str) -> str:
        return f"{self.origin}/api/v1/sites/{site_key}"

    def region_requests(self, site_key: str) -> list[str]:
        """The ``GET …/region`` requests the service received for this site."""
        return self.log.requests(f"/api/v1/sites/{site_key}/region", method="GET")


@pytest.fixture(scope="session")
def regional_service(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RegionalConsentService]:
    """A second consent service, started as an operator would behind one reverse proxy:
    ``COOKIECONSENT_GEOIP_DB`` names a real City database (built with mmdb-writer) and
    ``COOKIECONSENT_TRUST_PROXY=1``. Browsers reach it with ``X-Forwarded-For: <visitor IP>``.
    """
    import flask_migrate

    from cookieconsent import create_app
    from cookieconsent.extensions import db
    from tests.geodata import build_database

    directory = tmp_path_factory.mktemp("regional-consent-service")
    geoip = build_database(directory / "GeoIP2-City-Test.mmdb", city=True)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("COOKIECONSENT_SECRET_KEYS", SECRET_KEY)
        env.setenv("COOKIECONSENT_GEOIP_DB", str(geoip))
        env.setenv("COOKIECONSENT_TRUST_PROXY", "1")
        env.delenv("COOKIECONSENT_ENV", raising=False)
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'consent.sqlite3'}",
                "COOKIECONSENT_SECRET_KEYS": [SECRET_KEY],
                "SECRET_KEY": SECRET_KEY,
                "TESTING": True,
                "RATELIMIT_ENABLED": False,
            }
        )
    with app.app_context():
        flask_migrate.upgrade()
    log = RequestLog(app)
    server = BackgroundServer(log, name="regional-consent-service")
    try:
        yield RegionalConsentService(app=app, server=server, log=log)
    finally:
        server.stop()
        with app.app_context():
            db.engine.dispose()
            app.extensions["cookieconsent.geo"].close()


def visitor_from(
    new_context: Callable[..., Any], service: ConsentService, ip: str, **options: Any
) -> Any:
    """A fresh browser context whose requests to ``service`` arrive as if from ``ip``.

    The header is added as the trusted proxy would add it, after the browser's CORS checks:
    as a request header of the page (``extra_http_headers``) it would make every API call a
    preflighted one, which the service rightly refuses. Routing turns the context's HTTP cache
    off, as Playwright does for any routed context.
    """
    context = new_context(**options)

    def through_proxy(route: Any) -> None:
        route.continue_(headers={**route.request.headers, "x-forwarded-for": ip})

    context.route(f"{service.origin}/**", through_proxy)
    return context


@pytest.fixture
def regional_site(
    regional_service: RegionalConsentService, host_server: HostSite
) -> Callable[..., tuple[str, str]]:
    """Make a site on the regional service for the host origin; returns (site key, API token).

    ``config`` is a body for ``PATCH …/config``; ``options`` go to ``create_site``.
    """

    def make(config: dict[str, Any] | None = None, **options: Any) -> tuple[str, str]:
        domains = [host_server.origin.removeprefix("http://")]
        site_key, api_token = create_site_with_token(regional_service, domains, **options)
        if config:
            patch_site_config(regional_service, site_key, api_token, config)
        return site_key, api_token

    return make


def api_call(
    url: str,
    *,
    method: str = "GET",
    body: Any = None,
    api_token: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    """One request to the consent service as a server (no Origin); returns status, headers, JSON."""
    all_headers = dict(headers or {})
    if api_token:
        all_headers["Authorization"] = f"Bearer {api_token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        all_headers["Content-Type"] = "application/json"
    request = Request(url, data=data, method=method, headers=all_headers)
    try:
        with urlopen(request, timeout=10) as response:
            raw = response.read()
            status, response_headers = response.status, dict(response.headers)
    except HTTPError as error:
        with error:
            raw = error.read()
            status, response_headers = error.code, dict(error.headers)
    content_type = response_headers.get("Content-Type", "")
    return status, response_headers, json.loads(raw) if "json" in content_type else raw


# --- the widget's own storage ----------------------------------------------------------------


def consent_cookie_name(site_key: str) -> str:
    """The cookie that keeps one site's choice in the browser (one per site, never shared)."""
    return f"cookieconsent_{site_key}"


def stored_record(context: Any, site_key: str) -> dict[str, Any] | None:
    """The widget's record for this site, decoded from its cookie (``None`` without one)."""
    from urllib.parse import unquote

    for cookie in context.cookies():
        if cookie["name"] == consent_cookie_name(site_key):
            return json.loads(unquote(cookie["value"]))  # type: ignore[no-any-return]
    return None


def store_record(context: Any, origin: str, site_key: str, record: dict[str, Any]) -> None:
    """Put a record in the widget's cookie, as another script on the page could."""
    value = quote(json.dumps(record, separators=(",", ":")))
    expires = time.time() + 30 * 86400
    context.add_cookies(
        [{"name": consent_cookie_name(site_key), "value": value, "url": origin, "expires": expires}]
    )

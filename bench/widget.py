"""The widget's weight and its time to a visible banner, measured in one run.

    python bench/widget.py [--rounds 15] [--smoke]

Size: every part the browser may load, gzip and brotli, for the reference site
(bench/fixtures/widget-site.json: 3 categories, 6 services, vi and en). The budget: the script
that must load before the banner can show is at most 10,000 bytes gzipped.

Time to banner: headless Chromium (Debian's), a first visit in a fresh profile from Germany
(GeoIP configured with a MaxMind-format database built here, so the region answer is opt-in),
from navigation start to the banner being visible, against the same host page showing a static
div of the same size (the floor: what any HTML element costs). Rounds alternate, so drift hits
both alike; the ratio of medians is printed. Budget: at most 1.5x the static div.

Returning visitor: after a choice, the next page view in the same session; every request that
reaches the consent service is counted at the service. Budget: nothing beyond a revalidated
(304) script and the once-per-session check of the decision.

Exit status 1 when a budget is missed. ``--smoke`` runs one round and checks only that
everything works.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REFERENCE = ROOT / "bench" / "fixtures" / "widget-site.json"
BUDGET_GZIP = 10_000
BUDGET_TIME_RATIO = 1.5
CHROMIUM = "/usr/bin/chromium"

# Resolves once the element is on screen: present, not hidden, with a box, and painted.
VISIBLE_AT = r"""(selector) => new Promise((resolve) => {
  const check = () => {
    const node = document.querySelector(selector);
    const box = node && !node.closest("[hidden]") && node.getBoundingClientRect();
    if (box && box.width > 0 && box.height > 0) {
      requestAnimationFrame(() => resolve({
        at: performance.now(),
        loaded: performance.getEntriesByType("resource").map((entry) => [
          entry.name.replace(/^https?:\/\/[^/]+/, "").split("?")[0],
          Math.round(entry.startTime), Math.round(entry.responseEnd)]),
      }));
    } else {
      requestAnimationFrame(check);
    }
  };
  check();
})"""


def brotli_size(data: bytes) -> int | None:
    try:
        import brotli
    except ImportError:
        return None
    return len(brotli.compress(data, quality=11))


def serve(app: Any) -> tuple[Any, str]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def counting(app: Any, hits: list[tuple[str, str, int]]) -> Any:
    """``app``, noting each request it answers as ``(method, path, status)`` in ``hits``."""

    def counted(environ: dict[str, Any], start_response: Any) -> Any:
        def respond(status: str, headers: Any, *rest: Any) -> Any:
            hits.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], int(status[:3])))
            return start_response(status, headers, *rest)

        return app(environ, respond)

    return counted


def returning_visit(browser: Any, url: str, hits: list[tuple[str, str, int]]) -> list[Any]:
    """Accept on a first page view, then count what the next page view asks of the service."""
    context = browser.new_context(locale="vi-VN")
    tab = context.new_page()
    tab.goto(url)
    # The banner's own button: the dialog, prefetched once the page is idle, has one too.
    tab.locator('#cookieconsent [data-role="banner"] [data-role="accept-all"]').click()
    tab.wait_for_function("window.cookieConsent && window.cookieConsent.get().decided")
    tab.wait_for_timeout(500)  # the write and anything it sets off have landed
    hits.clear()
    tab.goto(url)
    tab.wait_for_function("window.cookieConsent && window.cookieConsent.get().decided")
    tab.wait_for_timeout(1000)
    seen = list(hits)
    context.close()
    return seen


def allowed_on_return(hit: tuple[str, str, int], site_key: str) -> bool:
    """A revalidated script (304), or the once-per-session check of the decision (issue 5)."""
    method, path, status = hit
    if path == f"/c/{site_key}.js":
        return status == 304
    return method == "GET" and path.startswith(f"/api/v1/sites/{site_key}/consents/")


def host_app(pages: dict[str, str]) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = pages.get(environ["PATH_INFO"], "not found").encode()
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [body]

    return app


def page(head: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="vi"><head><meta charset="utf-8">{head}<title>Shop</title>'
        "</head><body><main><h1>Cửa hàng</h1><p>Bài viết của trang.</p></main>"
        f"{body}</body></html>"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--smoke", action="store_true", help="one round, no budget")
    args = parser.parse_args()
    rounds = 1 if args.smoke else args.rounds

    import flask_migrate

    from cookieconsent import create_app
    from cookieconsent.schemas import SiteConfigSchema
    from cookieconsent.services.site_config import apply_site_config
    from cookieconsent.services.sites import create_site
    from tests.geodata import GERMANY_IP, build_database

    workdir = Path(tempfile.mkdtemp(prefix="cookieconsent-bench-"))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "COOKIECONSENT_SECRET_KEYS": ["bench-key"],
            "SECRET_KEY": "bench-key",
            "RATELIMIT_ENABLED": False,
            # The visitor's address comes from X-Forwarded-For, set by the browser context.
            "COOKIECONSENT_GEOIP_DB": str(build_database(workdir / "city.mmdb", city=True)),
            "COOKIECONSENT_TRUST_PROXY": 1,
        }
    )
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    with app.app_context():
        flask_migrate.upgrade()
        site, _ = create_site(reference["name"], ["127.0.0.1"])
        apply_site_config(site, SiteConfigSchema().load({**reference, "domains": ["127.0.0.1"]}))
        site_key = site.site_key

    # --- size ---------------------------------------------------------------------------------
    client = app.test_client()
    core = client.get(f"/c/{site_key}.js").data
    config = json.loads(core.decode().rsplit("})(", 1)[1].removesuffix(");\n"))
    parts = {
        "core script + site configuration (before the banner)": core,
        "tags module (gating, clean-up; beside the banner)": client.get(
            config["modules"].replace("{}", "tags")
        ).data,
        "preferences module (on demand)": client.get(config["modules"].replace("{}", "prefs")).data,
        "texts, one language (on demand)": client.get(f"/c/{site_key}/texts/vi.json").data,
    }
    print(f"Widget for {REFERENCE.relative_to(ROOT)}")
    print(f"  {'part':<56}{'plain':>8}{'gzip':>8}{'brotli':>8}")
    for name, data in parts.items():
        packed = brotli_size(data)
        print(
            f"  {name:<56}{len(data):>8}{len(gzip.compress(data, 9)):>8}"
            f"{packed if packed is not None else '-':>8}"
        )
    first_layer = len(gzip.compress(core, 9))
    print(f"  budget: the script before the banner, {first_layer} of {BUDGET_GZIP} bytes gzip")

    # --- time to a visible banner --------------------------------------------------------------
    hits: list[tuple[str, str, int]] = []
    service, service_origin = serve(counting(app, hits))
    widget = f'<script src="{service_origin}/c/{site_key}.js"></script>'
    static = (
        '<div id="floor" style="position:fixed;left:16px;right:16px;bottom:16px;'
        'max-width:760px;margin:0 auto;padding:20px;background:#fff;border:1px solid #ccc">'
        "<h2>Chúng tôi tôn trọng quyền riêng tư của bạn</h2><p>Chúng tôi dùng cookie…</p>"
        "<button>Chấp nhận tất cả</button><button>Từ chối tất cả</button></div>"
    )
    host, host_origin = serve(host_app({"/widget": page(widget, ""), "/static": page("", static)}))
    from playwright.sync_api import sync_playwright

    FROM_GERMANY = {"X-Forwarded-For": GERMANY_IP}

    times: dict[str, list[float]] = {"widget": [], "static": []}
    loads: list[list[list[Any]]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            for _ in range(rounds + 1):  # the first round warms the service up, not counted
                for kind, selector in (
                    ("widget", '#cookieconsent [data-role="banner"]'),
                    ("static", "#floor"),
                ):
                    context = browser.new_context(locale="vi-VN", extra_http_headers=FROM_GERMANY)
                    tab = context.new_page()
                    tab.goto(f"{host_origin}/{kind}", wait_until="commit")
                    seen = tab.evaluate(VISIBLE_AT, selector)
                    times[kind].append(seen["at"])
                    if kind == "widget":
                        loads.append(seen["loaded"])
                    context.close()
            returning = returning_visit(browser, f"{host_origin}/widget", hits)
        finally:
            browser.close()
            service.shutdown()
            host.shutdown()
    widget_ms = statistics.median(times["widget"][1:])
    static_ms = statistics.median(times["static"][1:])
    print(f"Time to a visible banner, first visit, median of {rounds} alternating rounds:")
    print(f"  static div {static_ms:.1f} ms, widget {widget_ms:.1f} ms")
    ratio = widget_ms / static_ms
    print("  requests made before the banner showed (last round): start → end, ms")
    for name, start, end in loads[-1]:
        print(f"    {name:60} {start:5d} → {end:5d}")
    print(f"  ratio widget / static div: {ratio:.2f}x (budget {BUDGET_TIME_RATIO}x)")
    print("Returning visitor, the next page view in the session; requests the service received:")
    for method, path, status in returning or [("-", "none", 0)]:
        print(f"  {method} {path} {status or ''}")
    extra = [hit for hit in returning if not allowed_on_return(hit, site_key)]
    missed = []
    if first_layer > BUDGET_GZIP:
        missed.append(f"size: {first_layer} > {BUDGET_GZIP} bytes gzip")
    if ratio > BUDGET_TIME_RATIO:
        missed.append(f"time to banner: {ratio:.2f}x > {BUDGET_TIME_RATIO}x the static div")
    if extra:
        missed.append(f"returning visitor: {len(extra)} request(s) beyond the budget: {extra}")
    if args.smoke:
        print("smoke: measured; budgets not judged")
        return 0
    for problem in missed:
        print(f"BUDGET MISSED: {problem}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())

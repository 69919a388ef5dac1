"""The widget's weight and its time to a visible banner, measured in one run.

    python bench/widget.py [--rounds 15] [--smoke]

Size: every part the browser may load, gzip and brotli, for the reference site
(bench/fixtures/widget-site.json: 3 categories, 6 services, vi and en). The budget: the script
that must load before the banner can show is at most 10,000 bytes gzipped.

Time to banner: headless Chromium (Debian's), a first visit in a fresh profile, from navigation
start to the banner being visible, against the same host page showing a static div of the same
size (the floor: what any HTML element costs). Rounds alternate, so drift hits both alike; the
ratio of medians is printed. Exit status 1 when the size budget is missed. ``--smoke`` runs one
round and checks only that everything works.
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
CHROMIUM = "/usr/bin/chromium"

# Resolves once the element is on screen: present, not hidden, with a box, and painted.
VISIBLE_AT = """(selector) => new Promise((resolve) => {
  const check = () => {
    const node = document.querySelector(selector);
    const box = node && !node.closest("[hidden]") && node.getBoundingClientRect();
    if (box && box.width > 0 && box.height > 0) {
      requestAnimationFrame(() => resolve(performance.now()));
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

    workdir = Path(tempfile.mkdtemp(prefix="cookieconsent-bench-"))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "COOKIECONSENT_SECRET_KEYS": ["bench-key"],
            "SECRET_KEY": "bench-key",
            "RATELIMIT_ENABLED": False,
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
    service, service_origin = serve(app)
    widget = f'<script src="{service_origin}/c/{site_key}.js"></script>'
    static = (
        '<div id="floor" style="position:fixed;left:16px;right:16px;bottom:16px;'
        'max-width:760px;margin:0 auto;padding:20px;background:#fff;border:1px solid #ccc">'
        "<h2>Chúng tôi tôn trọng quyền riêng tư của bạn</h2><p>Chúng tôi dùng cookie…</p>"
        "<button>Chấp nhận tất cả</button><button>Từ chối tất cả</button></div>"
    )
    host, host_origin = serve(host_app({"/widget": page(widget, ""), "/static": page("", static)}))
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {"widget": [], "static": []}
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
                    context = browser.new_context(locale="vi-VN")
                    tab = context.new_page()
                    tab.goto(f"{host_origin}/{kind}", wait_until="commit")
                    times[kind].append(tab.evaluate(VISIBLE_AT, selector))
                    context.close()
        finally:
            browser.close()
            service.shutdown()
            host.shutdown()
    widget_ms = statistics.median(times["widget"][1:])
    static_ms = statistics.median(times["static"][1:])
    print(f"Time to a visible banner, first visit, median of {rounds} alternating rounds:")
    print(f"  static div {static_ms:.1f} ms, widget {widget_ms:.1f} ms")
    print(f"  ratio widget / static div: {widget_ms / static_ms:.2f}x")
    if not args.smoke and first_layer > BUDGET_GZIP:
        print(f"SIZE BUDGET MISSED: {first_layer} > {BUDGET_GZIP}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

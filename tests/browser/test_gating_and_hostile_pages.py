"""Gated content on real pages, and the widget in hostile environments, in Chromium.

Gated content always works: elements a single-page app adds later, one bad element among many,
a stalled tag, legacy document.write tags, several categories or services on one element.
Hostile environments: a sandboxed frame (no storage at all), the strictest Content-Security-Policy
a site may set, cookies blocked.

Each test starts from a fresh browser context and a fresh site; the host pages are served from
another origin than the consent service.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from .conftest import GATED_SCRIPTS, ConsentService, HostSite, build_page, in_ci, recorded_events
from .test_banner import BANNER, REOPEN
from .test_trackers import GA4, GPC_IN_PAGE, MATOMO, META_PIXEL

try:
    from playwright.sync_api import BrowserContext, Frame, Page, expect
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
except ImportError:  # pragma: no cover - the [test] extra installs it
    if in_ci():
        raise
    pytest.skip("BROWSER TESTS SKIPPED: playwright is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser

NONCE = "r4nd0m-n0nce-f0r-tests"
EVERYTHING = {"essential": True, "analytics": True, "marketing": True}
# Records every Content-Security-Policy violation the page sees, from the first script on.
RECORD_VIOLATIONS = """window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => __violations.push(
  event.violatedDirective + " " + event.blockedURI + " " + (event.sourceFile || "")));"""
# Keeps the widget's console warnings where a page's own script can read them.
RECORD_WARNINGS = """window.__warnings = [];
(function () {
  const warn = console.warn;
  console.warn = function (...args) {
    __warnings.push(args.join(" "));
    return warn.apply(this, args);
  };
})();"""


# --- helpers ---------------------------------------------------------------------------------


def report(name: str) -> str:
    """The statement a gated inline script runs to say it ran."""
    return f"window.__ran=(window.__ran||[]);__ran.push({json.dumps(name)})"


def document_html(
    service: ConsentService,
    key: str,
    body: str,
    *,
    head: str = "",
    nonce: str | None = None,
    widget_nonce: bool = True,
) -> str:
    """A host page with the widget first in <head> and ``body`` after a heading."""
    n = f' nonce="{nonce}"' if nonce and widget_nonce else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<script src="{service.widget_url(key)}"{n}></script>
<title>Host page</title>
{head}
</head>
<body>
<h1 id="content">Welcome to the host page</h1>
{body}
</body>
</html>
"""


@dataclass
class PageLog:
    """What a page (and its frames) said on the console, and its uncaught errors."""

    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def warnings(self, containing: str = "") -> list[str]:
        """The widget's console warnings that contain ``containing``."""
        return [
            text
            for kind, text in self.console
            if kind == "warning" and text.startswith("cookieconsent: ") and containing in text
        ]

    def csp_errors(self) -> list[str]:
        return [
            text
            for kind, text in self.console
            if kind == "error" and ("Content Security Policy" in text or "Trusted Type" in text)
        ]


def watch(page: Page) -> PageLog:
    log = PageLog()
    page.on("console", lambda message: log.console.append((message.type, message.text)))
    page.on("pageerror", lambda error: log.errors.append(str(error)))
    return log


def ran_in(target: Page | Frame) -> list[str]:
    return target.evaluate("window.__ran || []")  # type: ignore[no-any-return]


def wait_for_ran_in(target: Page | Frame, expected: list[str], timeout: float = 5000) -> None:
    """Wait until the gated scripts have reported ``expected`` (and check nothing else ran)."""
    target.wait_for_function(
        "n => (window.__ran || []).length >= n", arg=len(expected), timeout=timeout
    )
    assert ran_in(target) == expected


def state_of(target: Page | Frame) -> dict[str, Any]:
    return target.evaluate("window.cookieConsent.get()")  # type: ignore[no-any-return]


def decided_in(target: Page | Frame) -> dict[str, Any]:
    """Wait until the service has the choice (nothing pending); return the state."""
    try:
        target.wait_for_function(
            "() => { const s = window.cookieConsent.get(); return s.decided && !s.pending; }"
        )
    except PlaywrightTimeoutError:
        alert = target.evaluate(
            "(document.querySelector('#cookieconsent [role=alert]') || {}).textContent"
        )
        raise AssertionError(
            f"the choice never reached the service: {state_of(target)}; the banner says {alert!r}"
        ) from None
    return state_of(target)


def ready_state(target: Page | Frame) -> dict[str, Any]:
    """The state once the widget is ready (its first layer drawn, its start-up choices made)."""
    return target.evaluate(  # type: ignore[no-any-return]
        """() => new Promise((resolve) => window.cookieConsent.on("ready", () =>
             resolve(window.cookieConsent.get())))"""
    )


def wait_for_request(page: Page, host_server: HostSite, path: str) -> None:
    """Wait until the host site has received a request for ``path``."""
    for _ in range(100):
        if path in host_server.requests():
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"{path} was never requested: {host_server.requests()}")


def posts(page: Page) -> list[dict[str, Any]]:
    """Collect the bodies of the consent POSTs this page (or its frames) sends from now on."""
    bodies: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda request: (
            bodies.append(request.post_data_json or {})
            if request.method == "POST" and request.url.endswith("/consents")
            else None
        ),
    )
    return bodies


def actions(service: ConsentService, site_key: str) -> list[tuple[str, str | None, bool]]:
    return [(e["action"], e["source"], e["gpc"]) for e in recorded_events(service, site_key)]


def sandboxing_page(host_server: HostSite, inner_url: str) -> str:
    """A partner page that frames ``inner_url`` in a sandbox without allow-same-origin."""
    return host_server.add_page(
        f"""<!doctype html><html lang="en"><head><title>Partner</title></head><body>
<h1>Partner page embedding a form</h1>
<iframe id="sandboxed" sandbox="allow-scripts" src="{inner_url}" width="900" height="600"
  title="Booking form"></iframe>
</body></html>"""
    )


def sandboxed_frame(page: Page) -> Frame:
    frame = page.wait_for_selector("#sandboxed").content_frame()
    assert frame is not None
    frame.wait_for_load_state("domcontentloaded")
    return frame


def block_cookies(page: Page) -> Page:
    """Switch document.cookie off for this page (before its first navigation), storage stays."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setDocumentCookieDisabled", {"disabled": True})
    return page


def click_accept(page: Page) -> dict[str, Any]:
    page.locator(f'{BANNER} [data-role="accept-all"]').click()
    return decided_in(page)


# --- C6. single-page apps --------------------------------------------------------------------

SPA_ROUTER = """<nav><a href="/video" id="go">Go to /video</a></nav>
<main id="view"><p>home</p></main>
<script{n}>
document.getElementById("go").addEventListener("click", function (event) {{
  event.preventDefault();
  history.pushState({{}}, "", "/video");
  var view = document.getElementById("view");
  view.innerHTML = '<h2>Video</h2>' +
    '<iframe data-category="marketing" data-src="/frame/spa-video" title="Video"></iframe>';
  var script = document.createElement("script");
  script.type = "text/plain";
  script.setAttribute("data-category", "analytics");
  script.text = {code};
  view.appendChild(script);
}});
</script>"""


def test_spa_route_after_accept_all_runs_its_gated_script_and_loads_its_iframe(
    page: Page,
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    log = watch(page)
    body = SPA_ROUTER.format(n="", code=json.dumps(report("route-analytics")))
    page.goto(host_server.add_page(document_html(consent_service, site_key, body)))
    click_accept(page)
    expect(page.locator(REOPEN)).to_be_visible()
    assert host_server.gated_requests() == []

    page.locator("#go").click()
    assert page.evaluate("location.pathname") == "/video"
    frame = page.locator("#view iframe")
    expect(frame).to_have_attribute("src", "/frame/spa-video")
    expect(page.frame_locator("#view iframe").locator("p")).to_have_text("spa-video frame")
    wait_for_ran_in(page, ["route-analytics"])
    assert page.locator("#view script").get_attribute("type") is None
    assert host_server.gated_requests() == ["/frame/spa-video"]
    # The route's elements are woken once, whatever else the page does afterwards.
    page.evaluate("window.cookieConsent.rescan()")
    assert ran_in(page) == ["route-analytics"]
    assert log.errors == []
    assert log.warnings() == []


def test_elements_added_before_the_choice_wake_when_it_is_made(
    page: Page,
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    log = watch(page)
    page.goto(host_server.add_page(document_html(consent_service, site_key, "<main></main>")))
    expect(page.locator(BANNER)).to_be_visible()
    page.evaluate(
        """([analytics, marketing]) => {
          const main = document.querySelector("main");
          const inline = document.createElement("script");
          inline.type = "text/plain";
          inline.dataset.category = "analytics";
          inline.text = analytics;
          const external = document.createElement("script");
          external.type = "text/plain";
          external.dataset.category = "marketing";
          external.setAttribute("src", "/track/late-marketing.js");
          const frame = document.createElement("iframe");
          frame.dataset.category = "marketing";
          frame.dataset.src = "/frame/late";
          main.append(inline, external, frame);
        }""",
        [report("late-analytics"), report("never")],
    )
    # Nothing wakes before the visitor chose, however often the page is scanned.
    page.evaluate("window.cookieConsent.rescan()")
    assert ran_in(page) == []
    assert host_server.gated_requests() == []

    page.evaluate("window.cookieConsent.save({analytics: true})")
    wait_for_ran_in(page, ["late-analytics"])
    assert page.locator("main iframe").get_attribute("src") is None
    assert host_server.gated_requests() == []

    page.evaluate("window.cookieConsent.acceptAll()")
    wait_for_ran_in(page, ["late-analytics", "late-marketing-external"])
    expect(page.frame_locator("main iframe").locator("p")).to_have_text("late frame")
    assert sorted(host_server.gated_requests()) == ["/frame/late", "/track/late-marketing.js"]
    assert log.errors == []


def test_embeds_whose_source_or_category_arrives_later_load_once_allowed(
    page: Page,
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    log = watch(page)
    page.goto(host_server.add_page(document_html(consent_service, site_key, "<main></main>")))
    click_accept(page)
    # A lazy-loading component renders its placeholders first and fills the sources in later.
    page.evaluate(
        """() => {
          const main = document.querySelector("main");
          main.insertAdjacentHTML("beforeend",
            '<iframe id="player" data-category="marketing" title="Player"></iframe>' +
            '<img id="banner-ad" data-category="marketing" alt="">' +
            '<iframe id="map" data-src="/frame/map" title="Map"></iframe>');
        }"""
    )
    page.evaluate("window.cookieConsent.rescan()")
    assert host_server.gated_requests() == []

    page.evaluate(
        """() => {
          document.getElementById("player").setAttribute("data-src", "/frame/player");
          document.getElementById("map").setAttribute("data-category", "marketing");
        }"""
    )
    expect(page.locator("#player")).to_have_attribute("src", "/frame/player")
    expect(page.frame_locator("#player").locator("p")).to_have_text("player frame")
    expect(page.locator("#map")).to_have_attribute("src", "/frame/map")
    assert page.locator("#banner-ad").get_attribute("srcset") is None
    # On its own, so that no other change on the page makes the widget look again.
    page.evaluate(
        """() => document.getElementById("banner-ad")
             .setAttribute("data-srcset", "/frame/ad-image 1x")"""
    )
    expect(page.locator("#banner-ad")).to_have_attribute("srcset", "/frame/ad-image 1x")
    wait_for_request(page, host_server, "/frame/ad-image")
    assert log.errors == []


def test_rescan_wakes_gated_content_the_page_observer_cannot_see(
    page: Page,
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    log = watch(page)
    page.goto(host_server.add_page(document_html(consent_service, site_key, "<main></main>")))
    click_accept(page)
    # A web component renders a video embed and its tag inside its own shadow root.
    page.evaluate(
        """(code) => {
          const host = document.createElement("video-embed");
          document.querySelector("main").append(host);
          const shadow = host.attachShadow({mode: "open"});
          shadow.innerHTML = '<iframe data-category="marketing" data-src="/frame/shadow" ' +
            'title="Video"></iframe>';
          const script = document.createElement("script");
          script.type = "text/plain";
          script.dataset.category = "analytics";
          script.text = code;
          shadow.append(script);
        }""",
        report("shadow-analytics"),
    )
    page.evaluate("window.cookieConsent.rescan()")
    assert ran_in(page) == []
    assert host_server.gated_requests() == []

    page.evaluate("window.cookieConsent.rescan(document.querySelector('video-embed').shadowRoot)")
    wait_for_ran_in(page, ["shadow-analytics"])
    expect(page.locator("video-embed iframe")).to_have_attribute("src", "/frame/shadow")
    wait_for_request(page, host_server, "/frame/shadow")
    page.evaluate("window.cookieConsent.rescan(document.querySelector('video-embed').shadowRoot)")
    assert ran_in(page) == ["shadow-analytics"], "a woken element never runs twice"
    assert log.errors == []


# --- C7. one bad element never stops the others ----------------------------------------------


def test_gated_script_removed_before_its_turn_is_skipped_and_later_choices_still_wake(
    page: Page,
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    log = watch(page)
    head = (
        '<script type="text/plain" data-category="analytics" '
        'src="/slow/1500/slow-analytics.js"></script>'
    )
    body = f"""<div id="view">
<script type="text/plain" data-category="analytics">{report("old-view-inline")}</script>
</div>
<iframe data-category="marketing" data-src="/frame/later" title="Later"></iframe>
<script type="text/plain" data-category="analytics">{report("after-view-inline")}</script>"""
    page.goto(host_server.add_page(document_html(consent_service, site_key, body, head=head)))
    expect(page.locator(BANNER)).to_be_visible()

    page.evaluate("window.cookieConsent.save({analytics: true, marketing: false})")
    wait_for_request(page, host_server, "/slow/1500/slow-analytics.js")
    # The app changes route while the slow tag still holds the inline ones back.
    page.evaluate("document.getElementById('view').innerHTML = '<p>new route</p>'")
    wait_for_ran_in(page, ["slow-analytics-external", "after-view-inline"])
    assert len(log.warnings("removed from the page before its turn")) == 1
    assert page.locator("iframe[data-category]").get_attribute("src") is None

    page.evaluate("window.cookieConsent.save({analytics: true, marketing: true})")
    expect(page.locator("iframe[data-category]")).to_have_attribute("src", "/frame/later")
    expect(page.frame_locator("iframe[data-category]").locator("p")).to_have_text("later frame")
    assert ran_in(page) == ["slow-analytics-external", "after-view-inline"]
    assert log.errors == []


def test_failing_gated_scripts_do_not_stop_the_ones_after_them(
    page: Page,
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    log = watch(page)
    missing = host_server.origin + "/vendor/missing/tag.js"
    body = f"""
<script type="text/plain" data-category="analytics">{report("first")}</script>
<script type="text/plain" data-category="analytics">{report("thrower")};
  throw new Error("the site's tag failed");</script>
<script type="text/plain" data-category="analytics" src="{missing}"></script>
<script type="text/plain" data-category="analytics">{report("remover")};
  document.getElementById("victim").remove();</script>
<script type="text/plain" data-category="analytics" id="victim">{report("victim")}</script>
<script type="text/plain" data-category="marketing">{report("marketing")}</script>
<script type="text/plain" data-category="analytics" src="/track/final.js"></script>
<iframe data-category="marketing" data-src="/frame/after-failures" title="Ad"></iframe>"""
    page.goto(host_server.add_page(document_html(consent_service, site_key, body)))
    click_accept(page)

    wait_for_ran_in(page, ["first", "thrower", "remover", "marketing", "final-external"])
    expect(page.frame_locator("iframe[data-category]").locator("p")).to_have_text(
        "after-failures frame"
    )
    assert "/vendor/missing/tag.js" in host_server.requests()
    assert len(log.warnings("removed from the page before its turn")) == 1
    # The only uncaught error is the site's own tag's.
    assert len(log.errors) == 1 and "the site's tag failed" in log.errors[0], log.errors


# --- C8. a slow tag holds back only what must wait for it ------------------------------------


def test_a_stalled_analytics_script_does_not_hold_back_marketing_iframes(
    page: Page,
    consent_service: ConsentService,
    host_server: HostSite,
    configured_site: Callable[..., str],
) -> None:
    log = watch(page)
    key = configured_site({"services": [GA4, META_PIXEL]})
    head = (
        '<script type="text/plain" data-category="analytics" '
        'src="/slow/20000/slow-tracker.js"></script>'
    )
    body = """<iframe id="video" data-category="marketing" data-src="/frame/video"
  title="Video"></iframe>
<iframe id="pixel" data-service="meta_pixel" data-src="/frame/pixel" title="Pixel"></iframe>"""
    page.goto(host_server.add_page(document_html(consent_service, key, body, head=head)))
    click_accept(page)

    expect(page.frame_locator("#video").locator("p")).to_have_text("video frame")
    expect(page.frame_locator("#pixel").locator("p")).to_have_text("pixel frame")
    assert "/slow/20000/slow-tracker.js" in host_server.requests()
    assert ran_in(page) == [], "the frames loaded while the slow tag was still on its way"
    assert log.errors == []


def test_scripts_after_a_stalled_one_run_once_the_site_timeout_passes_with_a_warning(
    page: Page,
    consent_service: ConsentService,
    host_server: HostSite,
    configured_site: Callable[..., str],
) -> None:
    log = watch(page)
    page.add_init_script(RECORD_WARNINGS)
    key = configured_site({"script_timeout_ms": 1000})
    after = (
        "window.__warningsBefore = window.__warnings.filter("
        "(text) => text.indexOf('has not loaded') >= 0).length;" + report("after-stall")
    )
    body = f"""
<script type="text/plain" data-category="analytics" src="/slow/20000/stalled.js"></script>
<script type="text/plain" data-category="analytics">{after}</script>
<script type="text/plain" data-category="analytics" src="/track/after.js"></script>"""
    page.goto(host_server.add_page(document_html(consent_service, key, body)))
    click_accept(page)

    wait_for_ran_in(page, ["after-stall", "after-external"])
    assert page.evaluate("window.__warningsBefore") == 1, "they waited for the timeout"
    warnings = log.warnings("has not loaded after 1000 ms")
    assert len(warnings) == 1
    assert "/slow/20000/stalled.js" in warnings[0]
    assert log.errors == []


def test_gated_scripts_keep_document_order_and_async_ones_hold_nothing_back(
    page: Page,
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    log = watch(page)
    body = f"""
<script type="text/plain" data-category="analytics" async
  src="/slow/20000/async-stall.js"></script>
<script type="text/plain" data-category="analytics" src="/slow/400/one.js"></script>
<script type="text/plain" data-category="analytics">{report("two")}</script>
<script type="text/plain" data-category="marketing" src="/slow/50/three.js"></script>
<script type="text/plain" data-category="analytics">{report("four")}</script>
<script type="text/plain" data-category="marketing" src="/track/five.js"></script>
<script type="text/plain" data-category="marketing">{report("six")}</script>"""
    page.goto(host_server.add_page(document_html(consent_service, site_key, body)))
    click_accept(page)

    # The default timeout is 10 s; this wait is shorter, so nothing waited for the async tag.
    wait_for_ran_in(page, ["one-external", "two", "three-external", "four", "five-external", "six"])
    assert log.warnings("has not loaded") == []
    assert log.errors == []


# --- C9. legacy tags that use document.write -------------------------------------------------


def test_document_write_from_a_woken_tag_lands_after_it_and_keeps_the_page(
    page: Page,
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    log = watch(page)
    body = """<p id="article">Article text</p>
<script>document.write('<p id="native">written by the page itself</p>');</script>
<script type="text/plain" data-category="marketing" id="legacy">
  document.write('<div id="ad">legacy ad</div>');</script>
<p id="after">after</p>"""
    url = host_server.add_page(document_html(consent_service, site_key, body))
    page.goto(url)
    expect(page.locator("#native")).to_have_text("written by the page itself")
    click_accept(page)

    expect(page.locator("#ad")).to_have_text("legacy ad")
    placement = """() => {
      const ad = document.getElementById("ad");
      return [ad.previousElementSibling.id, ad.nextElementSibling.id,
              document.querySelectorAll("#ad").length];
    }"""
    assert page.evaluate(placement) == ["legacy", "after", 1]
    expect(page.locator("#content")).to_have_text("Welcome to the host page")
    expect(page.locator("#article")).to_be_visible()
    expect(page.locator(REOPEN)).to_be_visible()
    expect(page.locator(REOPEN)).to_have_text("Cookie settings")

    # A returning visitor: the tag wakes as the page starts, and the page stays whole.
    page.reload()
    expect(page.locator("#ad")).to_have_text("legacy ad")
    assert page.evaluate(placement) == ["legacy", "after", 1]
    expect(page.locator(REOPEN)).to_be_visible()
    expect(page.locator("#article")).to_be_visible()
    expect(page.locator("#native")).to_have_count(1)
    assert log.errors == []


def test_woken_tag_is_its_own_current_script_and_wakes_while_a_returning_visitors_page_loads(
    page: Page,
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    log = watch(page)
    probe = """window.__probes = window.__probes || [];
  __probes.push({
    self: document.currentScript === document.getElementById("probe"),
    readyState: document.readyState,
    tailParsed: !!document.getElementById("tail"),
  });
  document.write('<span id="probe-out">written</span>');"""
    # An ordinary parser-blocking script after the tag keeps the page loading for a while.
    body = f"""<script type="text/plain" data-category="analytics" id="probe">{probe}</script>
<script src="/slow/1500/blocker.js"></script>
<p id="tail">end of the page</p>"""
    page.goto(host_server.add_page(document_html(consent_service, site_key, body)))
    click_accept(page)
    page.wait_for_function("(window.__probes || []).length === 1")
    first = page.evaluate("window.__probes[0]")
    assert first["self"] is True
    assert first["tailParsed"] is True

    page.reload(wait_until="commit")
    page.wait_for_function("(window.__probes || []).length === 1")
    returning = page.evaluate("window.__probes[0]")
    assert returning == {"self": True, "readyState": "loading", "tailParsed": False}
    page.wait_for_load_state("load")
    assert (
        page.evaluate("document.getElementById('probe-out').previousElementSibling.id") == "probe"
    )
    expect(page.locator("#probe-out")).to_have_count(1)
    expect(page.locator(REOPEN)).to_be_visible()
    assert page.evaluate("window.__probes.length") == 1
    assert log.errors == []


def test_tags_that_write_scripts_in_pieces_or_by_line_work_under_a_nonce_policy(
    page: Page,
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    log = watch(page)
    page.add_init_script(RECORD_VIOLATIONS)
    n = f' nonce="{NONCE}"'
    body = f"""
<script type="text/plain" data-category="marketing" id="loader"{n}>
  document.write('<script src="/track/written.js"><\\/script>');
  document.write('<script>{report("written-inline")}<\\/script>');
</script>
<script type="text/plain" data-category="marketing" id="lines"{n}>
  document.writeln('<b id="line1">one</b>');
  document.writeln('<b id="line2">two</b>');
</script>
<script type="text/plain" data-category="marketing" id="pieces"{n}>
  document.write('<div id="split">');
  document.write('split ');
  document.write('ad</div>');
</script>
<p id="after">after</p>"""
    # Scripts run only with the nonce: the written ones get it from the tag that wrote them.
    policy = f"script-src 'nonce-{NONCE}'; object-src 'none'; base-uri 'none'"
    page.goto(
        host_server.add_page(
            document_html(consent_service, site_key, body, nonce=NONCE),
            headers={"Content-Security-Policy": policy},
        )
    )
    click_accept(page)

    page.wait_for_function("() => (window.__ran || []).length >= 2")
    assert sorted(ran_in(page)) == ["written-external", "written-inline"]
    assert (
        page.evaluate(
            "document.querySelector('script[src=\"/track/written.js\"]').previousElementSibling.id"
        )
        == "loader"
    )
    expect(page.locator("#split")).to_have_text("split ad")
    shape = page.evaluate(
        """() => {
          const one = document.getElementById("line1");
          const two = document.getElementById("line2");
          return {
            afterLines: one.previousElementSibling.id,
            newline: one.nextSibling.nodeValue,
            pair: two.previousElementSibling === one,
            split: document.getElementById("split").previousElementSibling.id,
            last: document.getElementById("split").nextElementSibling.id,
          };
        }"""
    )
    assert shape == {
        "afterLines": "lines",
        "newline": "\n",
        "pair": True,
        "split": "pieces",
        "last": "after",
    }
    assert page.evaluate("window.__violations") == []
    expect(page.locator(REOPEN)).to_be_visible()
    assert log.errors == []


def test_document_write_under_trusted_types_is_refused_with_a_warning_and_the_page_stays(
    page: Page,
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    log = watch(page)
    n = f' nonce="{NONCE}"'
    body = f"""<p id="article">Article text</p>
<script type="text/plain" data-category="marketing"{n}>{report("legacy")};
  document.write('<div id="ad">legacy ad</div>');</script>
<script type="text/plain" data-category="marketing"{n}>{report("next")}</script>
<p id="after">after</p>"""
    policy = (
        f"script-src 'nonce-{NONCE}'; object-src 'none'; base-uri 'none'; "
        "require-trusted-types-for 'script'; trusted-types 'none'"
    )
    page.goto(
        host_server.add_page(
            document_html(consent_service, site_key, body, nonce=NONCE),
            headers={"Content-Security-Policy": policy},
        )
    )
    click_accept(page)

    wait_for_ran_in(page, ["legacy", "next"])
    assert len(log.warnings("document.write from a gated script was not applied")) == 1
    expect(page.locator("#ad")).to_have_count(0)
    expect(page.locator("#article")).to_be_visible()
    expect(page.locator("#after")).to_be_visible()
    expect(page.locator(REOPEN)).to_be_visible()
    assert log.errors == []


# --- C10. several categories or services on one element --------------------------------------


def test_an_element_listing_several_categories_runs_only_once_all_are_allowed(
    page: Page,
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    log = watch(page)
    body = f"""
<script type="text/plain" data-category="analytics marketing">{report("space-separated")}</script>
<script type="text/plain" data-category="analytics,marketing">{report("comma-separated")}</script>
<script type="text/plain" data-category="Analytics">{report("capitalised")}</script>
<script type="text/plain" data-category=" analytics ">{report("padded")}</script>
<iframe data-category="marketing
  analytics" data-src="/frame/both" title="Both"></iframe>"""
    page.goto(host_server.add_page(document_html(consent_service, site_key, body)))
    expect(page.locator(BANNER)).to_be_visible()

    page.evaluate("window.cookieConsent.save({analytics: true, marketing: false})")
    wait_for_ran_in(page, ["padded"])
    page.evaluate("window.cookieConsent.rescan()")
    assert ran_in(page) == ["padded"]
    assert page.locator("iframe").get_attribute("src") is None

    page.evaluate("window.cookieConsent.acceptAll()")
    wait_for_ran_in(page, ["padded", "space-separated"])
    expect(page.frame_locator("iframe").locator("p")).to_have_text("both frame")
    page.evaluate("window.cookieConsent.rescan()")
    assert ran_in(page) == ["padded", "space-separated"]
    still_inert = page.evaluate(
        """() => Array.from(document.querySelectorAll('script[type="text/plain"]'),
             (node) => node.getAttribute("data-category"))"""
    )
    assert still_inert == ["analytics,marketing", "Analytics"]
    # One warning per element, naming its token, however often the page was scanned.
    assert len(log.warnings('"analytics,marketing"')) == 1
    assert len(log.warnings('"Analytics"')) == 1
    assert len(log.warnings("stays inert")) == 2
    assert log.errors == []


def test_an_element_listing_several_services_runs_only_once_all_are_allowed(
    page: Page,
    consent_service: ConsentService,
    host_server: HostSite,
    configured_site: Callable[..., str],
) -> None:
    log = watch(page)
    key = configured_site({"services": [GA4, META_PIXEL, MATOMO]})
    both = report("analytics+meta")
    body = f"""
<script type="text/plain" data-service="ga4 meta_pixel">{report("ga4+meta")}</script>
<script type="text/plain" data-service=" ga4 ">{report("ga4-padded")}</script>
<script type="text/plain" data-service="GA4">{report("capitalised")}</script>
<script type="text/plain" data-service="ga4,matomo">{report("comma-separated")}</script>
<script type="text/plain" data-service="">{report("empty")}</script>
<script type="text/plain" data-category="analytics" data-service="meta_pixel">{both}</script>
<iframe data-service="matomo ga4" data-src="/frame/services" title="Stats"></iframe>"""
    page.goto(host_server.add_page(document_html(consent_service, key, body)))
    expect(page.locator(BANNER)).to_be_visible()

    saved = page.evaluate(
        "window.cookieConsent.save({analytics: true, marketing: false}, {matomo: false})"
    )
    assert saved["services"] == {"ga4": True, "meta_pixel": False, "matomo": False}
    wait_for_ran_in(page, ["ga4-padded"])
    page.evaluate("window.cookieConsent.rescan()")
    assert ran_in(page) == ["ga4-padded"]
    assert page.locator("iframe").get_attribute("src") is None

    page.evaluate("window.cookieConsent.acceptAll()")
    wait_for_ran_in(page, ["ga4-padded", "ga4+meta", "analytics+meta"])
    expect(page.frame_locator("iframe").locator("p")).to_have_text("services frame")
    assert len(log.warnings('"GA4"')) == 1
    assert len(log.warnings('"ga4,matomo"')) == 1
    assert len(log.warnings("empty data-category or data-service")) == 1
    assert len(log.warnings("stays inert")) == 3
    assert [e["services"] for e in recorded_events(consent_service, key)] == [
        {"ga4": True, "meta_pixel": False, "matomo": False},
        {"ga4": True, "meta_pixel": True, "matomo": True},
    ]
    assert log.errors == []


# --- D11. sandboxed frames -------------------------------------------------------------------


def test_widget_in_a_sandboxed_frame_shows_its_banner_and_records_accept_all(
    page: Page,
    host_page: Callable[..., str],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    log = watch(page)
    page.goto(sandboxing_page(host_server, host_page()))
    frame = sandboxed_frame(page)
    inside = page.frame_locator("#sandboxed")

    expect(inside.locator(BANNER)).to_be_visible()
    assert frame.evaluate("typeof window.cookieConsent") == "object"
    assert frame.evaluate("window.cookieConsent.allowed('analytics')") is False
    assert state_of(frame)["storage"] == "memory"
    assert ran_in(frame) == []

    inside.locator(f'{BANNER} [data-role="accept-all"]').click()
    state = decided_in(frame)
    assert state["categories"] == EVERYTHING
    assert state["storage"] == "memory"
    wait_for_ran_in(frame, list(GATED_SCRIPTS))
    expect(inside.frame_locator("iframe[data-category]").locator("p")).to_have_text(
        "marketing frame"
    )
    expect(inside.locator(BANNER)).to_be_hidden()
    expect(inside.locator(REOPEN)).to_be_visible()
    assert actions(consent_service, site_key) == [("accept_all", "banner", False)]
    assert consent_service.lookup(site_key, state["visitorId"])["categories"] == EVERYTHING
    assert log.errors == []


def test_in_a_sandboxed_frame_the_choice_holds_for_the_page_view_and_show_still_works(
    page: Page,
    host_page: Callable[..., str],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    log = watch(page)
    page.goto(sandboxing_page(host_server, host_page()))
    frame = sandboxed_frame(page)
    inside = page.frame_locator("#sandboxed")
    inside.locator(f'{BANNER} [data-role="accept-all"]').click()
    decided_in(frame)
    wait_for_ran_in(frame, list(GATED_SCRIPTS))

    # What makes the widget re-read its record: the tab coming back, focus, a rescan.
    frame.evaluate(
        """() => {
          document.dispatchEvent(new Event("visibilitychange"));
          window.dispatchEvent(new Event("focus"));
          window.cookieConsent.rescan();
        }"""
    )
    expect(inside.locator(REOPEN)).to_be_visible()
    expect(inside.locator(BANNER)).to_be_hidden()
    assert state_of(frame)["decided"] is True
    assert ran_in(frame) == list(GATED_SCRIPTS)

    frame.evaluate("window.cookieConsent.show()")
    expect(inside.locator(BANNER)).to_be_visible()
    inside.locator(f'{BANNER} [data-role="reject-all"]').click()
    expect(inside.locator(BANNER)).to_be_hidden()
    frame.wait_for_function("!window.cookieConsent.get().pending")
    assert frame.evaluate("window.cookieConsent.allowed('analytics')") is False
    assert [a for a, _, _ in actions(consent_service, site_key)] == ["accept_all", "reject_all"]
    assert log.errors == []


# --- D12. the strictest Content-Security-Policy ----------------------------------------------


def _assert_widget_works_under(
    page: Page, log: PageLog, url: str, consent_service: ConsentService, site_key: str
) -> None:
    page.goto(url)
    banner = page.locator(BANNER)
    expect(banner).to_be_visible()
    # Styled: its own stylesheet applies although inline styles are refused.
    assert banner.evaluate("el => getComputedStyle(el).position") == "fixed"
    assert banner.evaluate("el => getComputedStyle(el).zIndex") == "2147483000"
    accept = page.locator(f'{BANNER} [data-role="accept-all"]')
    assert accept.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(29, 78, 216)"

    state = click_accept(page)
    wait_for_ran_in(page, list(GATED_SCRIPTS))
    expect(page.frame_locator("iframe[data-category]").locator("p")).to_have_text("marketing frame")
    assert consent_service.lookup(site_key, state["visitorId"])["categories"] == EVERYTHING

    # The preferences dialog is a module imported on demand.
    page.locator(REOPEN).click()
    dialog = page.get_by_role("dialog", name="Cookie preferences")
    expect(dialog).to_be_visible()
    assert dialog.evaluate("el => getComputedStyle(el).display") == "flex"
    overlay = page.locator("#cookieconsent .cookieconsent-overlay")
    assert overlay.evaluate("el => getComputedStyle(el).position") == "fixed"
    expect(dialog.get_by_role("switch", name="Marketing")).to_be_checked()
    dialog.locator('[data-role="close"]').click()
    expect(dialog).to_be_hidden()

    assert page.evaluate("window.__violations") == []
    assert log.csp_errors() == []
    assert log.errors == []
    # The policy is in force: markup through a string sink is refused on this page.
    assert (
        page.evaluate(
            """() => {
              try {
                document.createElement("div").innerHTML = "<b>markup</b>";
                return "accepted";
              } catch (error) {
                return error.name;
              }
            }"""
        )
        == "TypeError"
    )


def test_widget_works_under_a_strict_dynamic_nonce_policy_with_trusted_types(
    page: Page,
    host_page: Callable[..., str],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    log = watch(page)
    page.add_init_script(RECORD_VIOLATIONS)
    policy = (
        f"default-src 'self'; script-src 'nonce-{NONCE}' 'strict-dynamic'; object-src 'none'; "
        "base-uri 'none'; require-trusted-types-for 'script'; trusted-types 'none'; "
        f"style-src 'nonce-{NONCE}'; connect-src 'self' {consent_service.origin}; "
        f"frame-src {host_server.origin}"
    )
    url = host_page(nonce=NONCE, headers={"Content-Security-Policy": policy})
    _assert_widget_works_under(page, log, url, consent_service, site_key)


def test_widget_works_under_a_nonce_policy_that_allowlists_the_service_with_trusted_types(
    page: Page,
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    log = watch(page)
    page.add_init_script(RECORD_VIOLATIONS)
    policy = (
        f"default-src 'self'; script-src 'nonce-{NONCE}' {consent_service.origin}; "
        "object-src 'none'; base-uri 'none'; require-trusted-types-for 'script'; "
        f"trusted-types 'none'; style-src 'self'; connect-src {consent_service.origin}; "
        "frame-src 'self'"
    )
    n = f' nonce="{NONCE}"'
    track = f"{host_server.origin}/track"
    # The widget's tag has no nonce: the policy names the consent service instead.
    body = f"""
<script type="text/plain" data-category="analytics"{n}>{report("analytics-inline")}</script>
<script type="text/plain" data-category="analytics" src="{track}/analytics.js"{n}></script>
<script type="text/plain" data-category="marketing"{n}>{report("marketing-inline")}</script>
<script type="text/plain" data-category="marketing" src="{track}/marketing.js"{n}></script>
<iframe data-category="marketing" data-src="/frame/marketing" title="Ad"></iframe>"""
    url = host_server.add_page(
        document_html(consent_service, site_key, body, nonce=NONCE, widget_nonce=False),
        headers={"Content-Security-Policy": policy},
    )
    _assert_widget_works_under(page, log, url, consent_service, site_key)


# --- D13. cookies blocked, storage failing ---------------------------------------------------


def test_with_cookies_blocked_one_visitor_id_and_one_choice_live_in_web_storage(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    consent_service: ConsentService,
    site_key: str,
) -> None:
    context: BrowserContext = new_context()
    page = block_cookies(context.new_page())
    log = watch(page)
    bodies = posts(page)
    first, second = host_page(), host_page()
    page.goto(first)
    expect(page.locator(BANNER)).to_be_visible()
    assert page.evaluate("document.cookie = 'probe=1'; document.cookie") == ""
    assert state_of(page)["storage"] == "local"

    visitor_id = click_accept(page)["visitorId"]
    assert visitor_id
    wait_for_ran_in(page, list(GATED_SCRIPTS))

    for go in (lambda: page.goto(second), page.reload):
        go()
        expect(page.locator(REOPEN)).to_be_visible()
        expect(page.locator(BANNER)).to_be_hidden()
        state = state_of(page)
        assert (state["visitorId"], state["decided"], state["storage"]) == (
            visitor_id,
            True,
            "local",
        )
        wait_for_ran_in(page, list(GATED_SCRIPTS))

    # Another tab of the same browser.
    tab = block_cookies(context.new_page())
    tab_log = watch(tab)
    tab.goto(first)
    expect(tab.locator(REOPEN)).to_be_visible()
    expect(tab.locator(BANNER)).to_be_hidden()
    assert state_of(tab)["visitorId"] == visitor_id

    assert [body["action"] for body in bodies] == ["accept_all"]
    assert actions(consent_service, site_key) == [("accept_all", "banner", False)]
    assert not [c for c in context.cookies() if c["name"].startswith("cookieconsent")]
    assert log.errors == [] and tab_log.errors == []


def test_with_cookies_blocked_gpc_is_recorded_once_per_browser_session(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    consent_service: ConsentService,
    site_key: str,
) -> None:
    context: BrowserContext = new_context()
    context.add_init_script(GPC_IN_PAGE)
    page = block_cookies(context.new_page())
    log = watch(page)
    first, second = host_page(), host_page()

    page.goto(first)
    page.wait_for_function("window.cookieConsent.get().visitorId !== null")
    page.wait_for_function("!window.cookieConsent.get().pending")
    visitor_id = state_of(page)["visitorId"]
    assert state_of(page)["storage"] == "local"
    for go in (lambda: page.goto(second), page.reload, lambda: page.goto(first)):
        go()
        state = ready_state(page)
        assert (state["visitorId"], state["pending"], state["gpc"]) == (visitor_id, False, True)
        assert state["categories"]["marketing"] is False
        expect(page.locator(f'{BANNER} [data-role="gpc-notice"]')).to_be_visible()

    assert actions(consent_service, site_key) == [("opt_out", "gpc", True)]
    assert consent_service.lookup(site_key, visitor_id)["gpc"] is True
    assert log.errors == []


def test_in_a_sandboxed_frame_gpc_applies_locally_and_only_explicit_choices_are_recorded(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    context: BrowserContext = new_context()
    context.add_init_script(GPC_IN_PAGE)
    page = context.new_page()
    log = watch(page)
    bodies = posts(page)
    page.goto(sandboxing_page(host_server, host_page()))

    for view in (1, 2):
        frame = sandboxed_frame(page)
        inside = page.frame_locator("#sandboxed")
        state = ready_state(frame)
        assert (state["storage"], state["gpc"], state["pending"]) == ("memory", True, False)
        assert frame.evaluate("window.cookieConsent.allowed('marketing')") is False
        expect(inside.locator(f'{BANNER} [data-role="gpc-notice"]')).to_be_visible()
        assert len(bodies) == view - 1, "GPC alone is not put on record without storage"

        # An explicit choice is recorded, once, and allows what it says.
        inside.locator(f'{BANNER} [data-role="accept-all"]').click()
        decided_in(frame)
        assert frame.evaluate("window.cookieConsent.allowed('marketing')") is True
        wait_for_ran_in(frame, list(GATED_SCRIPTS))
        assert [body["action"] for body in bodies] == ["accept_all"] * view
        if view == 1:
            # Nothing outlives the page view: the next one asks again.
            page.reload()

    assert actions(consent_service, site_key) == [("accept_all", "banner", True)] * 2
    assert log.errors == []


def test_storage_failing_in_the_middle_of_a_page_keeps_the_choice_in_memory(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    page = block_cookies(new_context().new_page())
    log = watch(page)
    page.goto(host_page())
    expect(page.locator(BANNER)).to_be_visible()
    assert state_of(page)["storage"] == "local"
    # Another script on the page fills the storage quota.
    page.evaluate(
        """() => {
          Storage.prototype.setItem = function () {
            throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
          };
        }"""
    )

    state = click_accept(page)
    assert (state["storage"], state["categories"]) == ("memory", EVERYTHING)
    wait_for_ran_in(page, list(GATED_SCRIPTS))
    expect(page.locator(BANNER)).to_be_hidden()
    expect(page.locator(REOPEN)).to_be_visible()
    assert actions(consent_service, site_key) == [("accept_all", "banner", False)]
    assert consent_service.lookup(site_key, state["visitorId"])["categories"] == EVERYTHING
    assert log.errors == []


def test_what_a_tag_writes_after_its_timeout_still_lands_where_it_stands(
    page: Page,
    configured_site: Callable[..., str],
    consent_service: ConsentService,
    host_server: HostSite,
) -> None:
    key = configured_site({"script_timeout_ms": 500})
    log = watch(page)
    url = host_server.add_page(
        build_page(
            script_src=consent_service.widget_url(key),
            host_origin=host_server.origin,
            body_extra=(
                '<div id="slot"><script type="text/plain" data-category="analytics" '
                'src="/slow/1500/late-writer.js?write=1"></script></div>'
                '<p id="after">after</p>'
            ),
        )
    )
    page.goto(url)
    page.locator(f'{BANNER} [data-role="accept-all"]').click()
    # The scripts after it did not wait: the timeout let them go.
    page.wait_for_function("(window.__ran || []).includes('analytics-external')")
    page.wait_for_function("(window.__ran || []).includes('late-writer-external')", timeout=5000)
    written = page.locator("#written-late-writer")
    expect(written).to_have_count(1)
    assert (
        page.evaluate("document.getElementById('written-late-writer').parentElement.id") == "slot"
    ), "written right after the tag, inside its container"
    expect(page.locator("#content")).to_have_text("Welcome to the host page")
    assert len(log.warnings("has not loaded after 500 ms")) == 1
    assert log.errors == []

"""Trackers under consent, in Chromium: Google's own snippet after the widget, one switch per
service, clean-up of what refused tools left behind, Global Privacy Control, and the hooks that
privacy tools use to answer the banner for their users.

Each test starts from a fresh browser context and a fresh site.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from .conftest import (
    GATED_SCRIPTS,
    ConsentService,
    HostSite,
    consent_cookie_name,
    in_ci,
    recorded_events,
)
from .test_banner import (
    ALL_DENIED,
    ALL_GRANTED_BUT_PERSONALIZATION,
    BANNER,
    ONLY_ESSENTIAL_GRANTED,
    REOPEN,
    data_layer,
    ran,
    wait_for_ran,
    wait_until_decided,
    widget_state,
)

try:
    from playwright.sync_api import BrowserContext, Page, Request, expect
except ImportError:  # pragma: no cover - the [test] extra installs it
    if in_ci():
        raise
    pytest.skip("BROWSER TESTS SKIPPED: playwright is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser

DEFAULT = ["consent", "default", {**ALL_DENIED, "wait_for_update": 500}]
ALL_GRANTED = {signal: "granted" for signal in ALL_DENIED}
UNDECIDED = {"essential": True, "analytics": False, "marketing": False}
EVERYTHING = {"essential": True, "analytics": True, "marketing": True}
# Google's documented on-page snippet, placed after the widget as the contract asks.
GTAG_SNIPPET = """<script>
window.dataLayer = window.dataLayer || [];
function gtag(){dataLayer.push(arguments);}
gtag('js', new Date());
gtag('config', 'G-TEST');
</script>"""
PAGE_TAGS = [["js", "<Date>"], ["config", "G-TEST"]]
# navigator.globalPrivacyControl as a browser (or extension) with GPC switched on reports it.
GPC_IN_PAGE = """Object.defineProperty(Navigator.prototype, "globalPrivacyControl",
  {get: () => true, configurable: true});"""
GPC_NOTICE = {
    "en": "Opt-out request honored",
    "vi": "Đã tôn trọng yêu cầu từ chối",
}

GA4 = {
    "name": "ga4",
    "category": "analytics",
    "label": "Google Analytics 4",
    "cookies": [
        {"name": "_ga", "match": "exact", "lifetime_days": 400},
        {"name": "_ga_", "match": "prefix", "lifetime_days": 400},
    ],
    "local_storage": ["ga_*"],
}
META_PIXEL = {
    "name": "meta_pixel",
    "category": "marketing",
    "label": "Meta Pixel",
    "cookies": [{"name": "_fbp", "lifetime_days": 90}],
}
MATOMO = {
    "name": "matomo",
    "category": "analytics",
    "label": "Matomo",
    "cookies": [{"name": "_pk_", "match": "prefix", "lifetime_days": 395}],
}
SERVICES = {"services": [GA4, META_PIXEL, MATOMO]}

# What GA's gtag.js leaves behind, the way it does: cookies on "/", on the host or its parent
# domain, a stray copy on a sub-path, and a client ID in localStorage.
GA_LIKE_SCRIPT = """(function () {
  var host = location.hostname;
  var year = "; max-age=34560000";
  document.cookie = "_ga=GA1.1.111.222; path=/" + year;
  document.cookie = "_ga=GA1.1.333.444; path=/pages" + year;
  document.cookie = "_ga_ABC123=GS1.1.555; path=/; domain=" + host + year;
  if (!/^[\\d.]+$/.test(host)) {
    var parent = host.split(".").slice(1).join(".");
    document.cookie = "_ga_XYZ789=GS1.1.777; path=/; domain=." + parent + year;
  }
  localStorage.setItem("ga_client", "111.222");
  (window.__ran = window.__ran || []).push("ga4-external");
})();
"""
# A page served under this name resolves to 127.0.0.1 in Chromium, so cookies can carry
# domain attributes (a host given as an IP address cannot).
NAMED_HOST = "www.shop.localhost"


# --- helpers ---------------------------------------------------------------------------------


def report(name: str) -> str:
    """The statement a gated inline script runs to say it ran."""
    return f"window.__ran=(window.__ran||[]);__ran.push({json.dumps(name)})"


def service_scripts(*names: str) -> str:
    """Inline scripts gated on one service each."""
    return "\n".join(
        f'<script type="text/plain" data-service="{name}">{report(f"{name}-inline")}</script>'
        for name in names
    )


def layer(page: Page) -> list[Any]:
    """window.dataLayer with gtag's Arguments as arrays and the date of gtag('js') as a marker."""
    return [
        [("<Date>" if isinstance(value, datetime) else value) for value in entry]
        if isinstance(entry, list)
        else entry
        for entry in data_layer(page)
    ]


def ready_events(entries: list[Any]) -> list[Any]:
    return [
        entry
        for entry in entries
        if isinstance(entry, dict) and entry.get("event") == "cookie_consent_ready"
    ]


def consent_signals(entries: list[Any]) -> list[dict[str, Any]]:
    """The signals of every gtag('consent', …) call, default and updates, in order."""
    return [entry[2] for entry in entries if isinstance(entry, list) and entry[0] == "consent"]


def wait_for_layer_event(page: Page, name: str, count: int = 1) -> None:
    page.wait_for_function(
        """([name, count]) => (window.dataLayer || []).filter(
             (entry) => entry && entry.event === name).length >= count""",
        arg=[name, count],
    )


def consent_posts(page: Page) -> list[dict[str, Any]]:
    """Collect the bodies of the consent POSTs this page sends from now on."""
    bodies: list[dict[str, Any]] = []

    def collect(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/consents"):
            bodies.append(request.post_data_json or {})

    page.on("request", collect)
    return bodies


def named_host_url(url: str, host_server: HostSite, host: str = NAMED_HOST) -> str:
    """The same page on the host server, reached under a host name instead of 127.0.0.1."""
    assert url.startswith(host_server.origin)
    return f"http://{host}:{host_server.origin.rsplit(':', 1)[1]}{url[len(host_server.origin) :]}"


def cookie_names(context: BrowserContext) -> list[tuple[str, str, str]]:
    """Every cookie in the browser context as (name, domain, path), sorted."""
    return sorted((c["name"], c["domain"], c["path"]) for c in context.cookies())


def tracker_cookies(context: BrowserContext) -> list[tuple[str, str, str]]:
    return [cookie for cookie in cookie_names(context) if cookie[0].startswith("_ga")]


def settled_cookies(
    page: Page, read: Callable[[BrowserContext], list[tuple[str, str, str]]], expected: list[Any]
) -> list[tuple[str, str, str]]:
    """What ``read`` finds once it matches ``expected``, or after a few seconds.

    A page's cookie writes reach the browser's cookie store a moment after the script ran.
    """
    for _ in range(50):
        found = read(page.context)
        if found == expected:
            break
        page.wait_for_timeout(50)
    return found


def local_storage(page: Page) -> dict[str, str]:
    return page.evaluate("() => ({...localStorage})")  # type: ignore[no-any-return]


# --- 1. Google Consent Mode v2 with Google's own snippet --------------------------------------


def test_google_snippet_after_the_widget_sees_defaults_then_updates_in_order(
    page: Page, host_page: Callable[..., str], consent_service: ConsentService, site_key: str
) -> None:
    url = host_page(head_extra=GTAG_SNIPPET)

    # A new visitor: denied defaults before the page's own tags, no update.
    page.goto(url)
    wait_for_layer_event(page, "cookie_consent_ready")
    ready = {"event": "cookie_consent_ready", "cookie_consent": UNDECIDED}
    assert layer(page) == [DEFAULT, *PAGE_TAGS, ready]

    # Accept all: one update (no preferences category here, so no personalization_storage),
    # then the dataLayer event with the categories.
    page.locator(f'{BANNER} [data-role="accept-all"]').click()
    state = wait_until_decided(page)
    wait_for_layer_event(page, "cookie_consent_update")
    assert layer(page) == [
        DEFAULT,
        *PAGE_TAGS,
        ready,
        ["consent", "update", ALL_GRANTED_BUT_PERSONALIZATION],
        {"event": "cookie_consent_update", "cookie_consent": EVERYTHING},
    ]
    server = consent_service.lookup(site_key, state["visitorId"])
    assert server["google_consent_mode"] == ALL_GRANTED_BUT_PERSONALIZATION

    # The returning visitor: the stored choice is in the dataLayer before gtag('js').
    page.reload()
    wait_for_layer_event(page, "cookie_consent_ready")
    wait_for_ran(page, list(GATED_SCRIPTS))
    assert layer(page) == [
        DEFAULT,
        ["consent", "update", ALL_GRANTED_BUT_PERSONALIZATION],
        {"event": "cookie_consent_update", "cookie_consent": EVERYTHING},
        *PAGE_TAGS,
        {"event": "cookie_consent_ready", "cookie_consent": EVERYTHING},
    ]


def test_consent_mode_options_follow_the_default_at_once(
    page: Page, host_page: Callable[..., str], configured_site: Callable[..., str]
) -> None:
    key = configured_site({"consent_mode": {"ads_data_redaction": True, "url_passthrough": True}})
    page.goto(host_page(key=key, head_extra=GTAG_SNIPPET))
    wait_for_layer_event(page, "cookie_consent_ready")

    assert layer(page) == [
        DEFAULT,
        ["set", "ads_data_redaction", True],
        ["set", "url_passthrough", True],
        *PAGE_TAGS,
        {"event": "cookie_consent_ready", "cookie_consent": UNDECIDED},
    ]


def test_a_preferences_category_grants_personalization_storage(
    page: Page,
    host_page: Callable[..., str],
    configured_site: Callable[..., str],
    consent_service: ConsentService,
) -> None:
    key = configured_site(categories=("analytics", "marketing", "preferences"))
    page.goto(host_page(key=key, head_extra=GTAG_SNIPPET))
    page.locator(f'{BANNER} [data-role="preferences"]').click()
    dialog = page.get_by_role("dialog", name="Cookie preferences")
    dialog.get_by_role("switch", name="Preferences", exact=True).check()
    dialog.locator('[data-role="save"]').click()

    state = wait_until_decided(page)
    chosen = {"essential": True, "analytics": False, "marketing": False, "preferences": True}
    assert state["categories"] == chosen
    granted = {**ONLY_ESSENTIAL_GRANTED, "personalization_storage": "granted"}
    assert layer(page)[-2:] == [
        ["consent", "update", granted],
        {"event": "cookie_consent_update", "cookie_consent": chosen},
    ]
    assert consent_service.lookup(key, state["visitorId"])["google_consent_mode"] == granted

    page.evaluate("window.cookieConsent.acceptAll()")
    assert layer(page)[-2][2] == ALL_GRANTED
    assert consent_service.lookup(key, state["visitorId"])["google_consent_mode"] == ALL_GRANTED


def test_cookie_consent_ready_is_pushed_once_per_page_load(
    page: Page, host_page: Callable[..., str]
) -> None:
    page.goto(host_page(head_extra=GTAG_SNIPPET))
    wait_for_layer_event(page, "cookie_consent_ready")
    page.evaluate("window.cookieConsent.save({analytics: true, marketing: false})")
    page.evaluate("window.cookieConsent.rejectAll()")
    page.evaluate("window.cookieConsent.showPreferences()")
    page.evaluate("window.cookieConsent.hide()")
    entries = layer(page)
    assert len(ready_events(entries)) == 1
    assert entries.count(["consent", "default", DEFAULT[2]]) == 1
    assert len(consent_signals(entries)) == 3, "the default and one update per choice"

    page.reload()
    wait_for_layer_event(page, "cookie_consent_ready")
    page.wait_for_timeout(200)
    assert ready_events(layer(page)) == [
        {"event": "cookie_consent_ready", "cookie_consent": UNDECIDED}
    ]


# --- 2. services, one switch each ------------------------------------------------------------


def test_each_service_has_its_own_switch_and_gate(
    page: Page,
    host_page: Callable[..., str],
    configured_site: Callable[..., str],
    consent_service: ConsentService,
) -> None:
    key = configured_site(SERVICES)
    page.goto(host_page(key=key, body_extra=service_scripts("ga4", "matomo", "meta_pixel")))
    page.locator(f'{BANNER} [data-role="preferences"]').click()
    dialog = page.get_by_role("dialog", name="Cookie preferences")
    expect(dialog).to_be_visible()

    def category_row(title: str) -> Any:
        return dialog.locator("li.cookieconsent-cat").filter(
            has=page.get_by_role("switch", name=title, exact=True)
        )

    analytics_row, marketing_row = category_row("Analytics"), category_row("Marketing")
    analytics = analytics_row.get_by_role("switch", name="Analytics", exact=True)
    marketing = marketing_row.get_by_role("switch", name="Marketing", exact=True)
    ga4 = analytics_row.get_by_role("switch", name="Google Analytics 4", exact=True)
    matomo = analytics_row.get_by_role("switch", name="Matomo", exact=True)
    meta_pixel = marketing_row.get_by_role("switch", name="Meta Pixel", exact=True)
    # Each category lists its own services, each with a switch named by the service's label.
    expect(analytics_row.get_by_role("switch")).to_have_count(3)
    expect(marketing_row.get_by_role("switch")).to_have_count(2)
    for switch in (analytics, marketing, ga4, matomo, meta_pixel):
        expect(switch).to_be_visible()
        expect(switch).not_to_be_checked()
        expect(switch).to_be_enabled()

    analytics.check()
    expect(ga4).to_be_checked()
    expect(matomo).to_be_checked()
    expect(meta_pixel).not_to_be_checked()
    expect(marketing).not_to_be_checked()

    ga4.uncheck()
    expect(analytics).to_be_checked()
    # The category is on while any of its services is.
    matomo.uncheck()
    expect(analytics).not_to_be_checked()
    matomo.check()
    expect(analytics).to_be_checked()
    expect(ga4).not_to_be_checked()

    dialog.locator('[data-role="save"]').click()
    state = wait_until_decided(page)
    expected_services = {"ga4": False, "matomo": True, "meta_pixel": False}
    assert state["categories"] == {"essential": True, "analytics": True, "marketing": False}
    assert state["services"] == expected_services
    server = consent_service.lookup(key, state["visitorId"])
    assert server["services"] == expected_services
    assert server["categories"] == state["categories"]
    assert recorded_events(consent_service, key)[-1]["services"] == expected_services
    api = {
        name: page.evaluate("(name) => window.cookieConsent.allowedService(name)", name)
        for name in ("ga4", "matomo", "meta_pixel", "no_such_service")
    }
    assert api == {"ga4": False, "matomo": True, "meta_pixel": False, "no_such_service": False}
    assert page.evaluate("window.cookieConsent.allowed('analytics')") is True

    # data-service gates one tool; data-category still follows the category.
    expected_ran = ["analytics-inline", "analytics-external", "matomo-inline"]
    wait_for_ran(page, expected_ran)
    page.wait_for_timeout(200)
    assert ran(page) == expected_ran
    assert page.locator('script[type="text/plain"][data-service="ga4"]').count() == 1

    # Reopened, the dialog shows the choice as saved; a reload runs matomo once more.
    page.locator(REOPEN).click()
    expect(analytics).to_be_checked()
    expect(ga4).not_to_be_checked()
    expect(matomo).to_be_checked()
    expect(meta_pixel).not_to_be_checked()
    page.reload()
    wait_for_ran(page, expected_ran)
    page.wait_for_timeout(200)
    assert ran(page) == expected_ran


# --- 3. clean-up of what refused tools left behind -------------------------------------------


@pytest.mark.parametrize(
    ("host", "how"),
    [
        ("127.0.0.1", "withdraw-button"),
        (NAMED_HOST, "withdraw-button"),
        (NAMED_HOST, "withdraw-api"),
        (NAMED_HOST, "reject-all-after-accept"),
    ],
)
def test_refusing_a_service_removes_its_cookies_and_storage(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    host_server: HostSite,
    configured_site: Callable[..., str],
    consent_service: ConsentService,
    host: str,
    how: str,
) -> None:
    port = host_server.origin.rsplit(":", 1)[1]
    key = configured_site(SERVICES, extra_domains=[f"{NAMED_HOST}:{port}"])
    # GA's tag comes from the page's own host, as gtag.js served first-party would.
    script = host_server.add_script(GA_LIKE_SCRIPT, "gtag.js")
    if host == NAMED_HOST:
        script = named_host_url(script, host_server)
    url = host_page(
        key=key, body_extra=f'<script type="text/plain" data-service="ga4" src="{script}"></script>'
    )
    if host == NAMED_HOST:
        url = named_host_url(url, host_server)
    context = new_context()
    origin = url.split("/pages/")[0]
    context.add_cookies([{"name": "session_id", "value": "s3ss10n", "url": origin}])
    page = context.new_page()
    page.goto(url)
    page.evaluate("localStorage.setItem('theme', 'dark')")

    page.locator(f'{BANNER} [data-role="accept-all"]').click()
    wait_for_ran(page, [*GATED_SCRIPTS, "ga4-external"])
    assert len(host_server.requests("/vendor/")) == 1
    cookie_domain = host if host == "127.0.0.1" else f".{host}"
    left_by_ga = [
        ("_ga", host, "/"),
        ("_ga", host, "/pages"),
        ("_ga_ABC123", cookie_domain, "/"),
    ]
    if host == NAMED_HOST:
        left_by_ga.append(("_ga_XYZ789", ".shop.localhost", "/"))
    assert settled_cookies(page, tracker_cookies, sorted(left_by_ga)) == sorted(left_by_ga)
    assert local_storage(page) == {"ga_client": "111.222", "theme": "dark"}

    if how == "withdraw-button":
        page.locator(REOPEN).click()
        page.get_by_role("dialog", name="Cookie preferences").locator(
            '[data-role="withdraw"]'
        ).click()
        wait_until_decided(page, False)
    elif how == "withdraw-api":
        assert page.evaluate("window.cookieConsent.withdraw()")["decided"] is False
    else:
        page.locator(REOPEN).click()
        page.get_by_role("dialog", name="Cookie preferences").locator(
            '[data-role="reject-all"]'
        ).click()
        page.wait_for_function("window.cookieConsent.allowedService('ga4') === false")
        wait_until_decided(page, True)

    assert settled_cookies(page, tracker_cookies, []) == []
    assert cookie_names(context) == [
        (consent_cookie_name(key), host, "/"),
        (f"{consent_cookie_name(key)}_s", host, "/"),
        ("session_id", host, "/"),
    ]
    assert local_storage(page) == {"theme": "dark"}
    state = widget_state(page)
    assert consent_service.lookup(key, state["visitorId"])["services"]["ga4"] is False

    # Nothing comes back on the next page: the tag stays asleep.
    host_server.forget_requests()
    page.reload()
    wait_for_layer_event(page, "cookie_consent_ready")
    page.wait_for_timeout(200)
    assert "ga4-external" not in ran(page)
    assert host_server.requests("/vendor/") == []
    assert tracker_cookies(context) == []


def test_tracker_cookies_from_before_are_removed_when_the_page_starts(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    host_server: HostSite,
    configured_site: Callable[..., str],
) -> None:
    key = configured_site(SERVICES)
    context = new_context()
    context.add_cookies(
        [
            {"name": name, "value": "old", "url": host_server.origin}
            for name in ("_ga", "_ga_OLD1", "_pk_id.1.abcd", "_fbp", "session_id")
        ]
    )
    context.add_init_script("localStorage.setItem('ga_old', '1'); localStorage.setItem('x', '1')")
    page = context.new_page()
    page.goto(host_page(key=key))
    wait_for_layer_event(page, "cookie_consent_ready")

    # Undecided means refused: what the tools declared is gone, the rest stays.
    remaining = [("session_id", "127.0.0.1", "/")]
    assert settled_cookies(page, cookie_names, remaining) == remaining
    assert local_storage(page) == {"x": "1"}


# --- 4. Global Privacy Control ---------------------------------------------------------------

GPC_SIGNALS: dict[str, dict[str, Any]] = {
    "navigator": {"init_script": GPC_IN_PAGE, "options": {}},
    "header": {"init_script": None, "options": {"extra_http_headers": {"Sec-GPC": "1"}}},
}


def gpc_context(new_context: Callable[..., Any], signal: str, **options: Any) -> BrowserContext:
    """A browser context whose visitor sends Global Privacy Control in the given way."""
    context = new_context(**GPC_SIGNALS[signal]["options"], **options)
    if GPC_SIGNALS[signal]["init_script"]:
        context.add_init_script(GPC_SIGNALS[signal]["init_script"])
    return context  # type: ignore[no-any-return]


@pytest.mark.parametrize("signal", list(GPC_SIGNALS))
def test_gpc_is_honored_as_an_opt_out_until_an_explicit_choice(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    host_server: HostSite,
    consent_service: ConsentService,
    site_key: str,
    signal: str,
) -> None:
    page = gpc_context(new_context, signal).new_page()
    bodies = consent_posts(page)
    page.goto(host_page())

    in_page = page.evaluate("navigator.globalPrivacyControl")
    assert in_page is (True if signal == "navigator" else None)
    banner = page.locator(BANNER)
    expect(banner).to_be_visible()
    notice = banner.locator('[data-role="gpc-notice"]')
    expect(notice).to_be_visible()
    expect(notice).to_have_text(re.compile(f"^{GPC_NOTICE['en']}"))

    # The opt-out is put on record once, by the widget, without a visitor's click.
    page.wait_for_function("window.cookieConsent.get().visitorId !== null")
    assert len(bodies) == 1
    assert bodies[0]["action"] == "opt_out"
    assert bodies[0]["source"] == "gpc"
    assert bodies[0]["gpc"] is True
    assert "categories" not in bodies[0] and "visitor_id" not in bodies[0]
    state = widget_state(page)
    assert state["decided"] is False
    assert state["gpc"] is True
    assert page.evaluate("window.cookieConsent.allowed('marketing')") is False
    server = consent_service.lookup(site_key, state["visitorId"])
    assert server["gpc"] is True
    assert server["decided"] is False
    assert server["categories"]["marketing"] is False
    assert [
        (e["action"], e["source"], e["gpc"]) for e in recorded_events(consent_service, site_key)
    ] == [("opt_out", "gpc", True)]
    assert all(s["ad_storage"] == "denied" for s in consent_signals(layer(page)))
    assert ran(page) == []
    assert host_server.gated_requests() == []

    # The next page does not record the same opt-out again.
    page.reload()
    expect(page.locator(f'{BANNER} [data-role="gpc-notice"]')).to_be_visible()
    wait_for_layer_event(page, "cookie_consent_ready")
    page.wait_for_timeout(300)
    assert len(bodies) == 1
    assert widget_state(page)["visitorId"] == state["visitorId"]
    assert all(s["ad_storage"] == "denied" for s in consent_signals(layer(page)))

    # Accept all is a new, explicit choice, and it does allow marketing.
    page.locator(f'{BANNER} [data-role="accept-all"]').click()
    wait_for_ran(page, list(GATED_SCRIPTS))
    assert [body["action"] for body in bodies] == ["opt_out", "accept_all"]
    assert consent_signals(layer(page))[-1] == ALL_GRANTED_BUT_PERSONALIZATION
    server = consent_service.lookup(site_key, state["visitorId"])
    assert server["categories"] == EVERYTHING
    assert server["gpc"] is True


RECORD_READY = """addEventListener("cookieconsent:ready", (event) => {
  window.__atReady = {
    marketing: window.cookieConsent.allowed("marketing"),
    analytics: window.cookieConsent.allowed("analytics"),
    categories: event.detail.categories,
  };
});"""


@pytest.mark.parametrize("signal", list(GPC_SIGNALS))
def test_gpc_withdraws_marketing_from_an_earlier_accept_all(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    host_server: HostSite,
    consent_service: ConsentService,
    site_key: str,
    signal: str,
) -> None:
    url = host_page(head_extra=GTAG_SNIPPET)
    before = new_context()
    page = before.new_page()
    page.goto(url)
    page.locator(f'{BANNER} [data-role="accept-all"]').click()
    wait_for_ran(page, list(GATED_SCRIPTS))
    # Let the marketing frame finish loading, so its request is not counted for the next page.
    expect(page.frame_locator("iframe[data-category]").locator("p")).to_have_text("marketing frame")
    visitor_id = widget_state(page)["visitorId"]

    host_server.forget_requests()
    context = gpc_context(new_context, signal, storage_state=before.storage_state())
    context.add_init_script(RECORD_READY)
    page = context.new_page()
    bodies = consent_posts(page)
    page.goto(url)

    assert page.evaluate("window.__atReady") == {
        "marketing": False,
        "analytics": True,
        "categories": {"essential": True, "analytics": True, "marketing": False},
    }
    # The stored choice without marketing, at once; the opt-out recorded changes nothing more.
    page.wait_for_function("!window.cookieConsent.get().pending")
    wait_for_layer_event(page, "cookie_consent_update", 1)
    assert [(body["action"], body["source"], body["visitor_id"]) for body in bodies] == [
        ("opt_out", "gpc", visitor_id)
    ]
    expect(page.locator(BANNER)).to_be_hidden()
    wait_for_ran(page, ["analytics-inline", "analytics-external"])
    page.wait_for_timeout(200)
    assert ran(page) == ["analytics-inline", "analytics-external"]
    assert host_server.gated_requests() == ["/track/analytics.js"]
    state = widget_state(page)
    assert state["decided"] is True
    assert state["categories"] == {"essential": True, "analytics": True, "marketing": False}

    server = consent_service.lookup(site_key, visitor_id)
    assert server["decided"] is True
    assert server["gpc"] is True
    assert server["categories"] == {"essential": True, "analytics": True, "marketing": False}
    assert [e["action"] for e in recorded_events(consent_service, site_key)] == [
        "accept_all",
        "opt_out",
    ]
    # Consent Mode never told Google's tags that ads were allowed on this page.
    entries = layer(page)
    assert entries[:3] == [
        DEFAULT,
        ["consent", "update", {**ONLY_ESSENTIAL_GRANTED, "analytics_storage": "granted"}],
        {
            "event": "cookie_consent_update",
            "cookie_consent": {"essential": True, "analytics": True, "marketing": False},
        },
    ]
    assert all(s["ad_storage"] == "denied" for s in consent_signals(entries))


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_gpc_notice_speaks_the_page_language(
    new_context: Callable[..., Any], host_page: Callable[..., str], lang: str
) -> None:
    page = gpc_context(new_context, "navigator").new_page()
    page.goto(host_page(lang=lang))

    notice = page.locator(f'{BANNER} [data-role="gpc-notice"]')
    expect(notice).to_be_visible()
    expect(notice).to_have_text(re.compile(f"^{GPC_NOTICE[lang]}"))
    page.locator(f'{BANNER} [data-role="preferences"]').click()
    in_dialog = page.locator('#cookieconsent .cookieconsent-prefs [data-role="gpc-notice"]')
    expect(in_dialog).to_be_visible()
    expect(in_dialog).to_have_text(re.compile(f"^{GPC_NOTICE[lang]}"))


# --- 5. privacy tools that answer banners ----------------------------------------------------

READ_BANNER = """() => {
  const banner = document.querySelector('#cookieconsent [data-role="banner"]');
  return {
    role: banner.getAttribute("role"),
    topDocument: window.top === window && banner.ownerDocument === document,
    rootIsDocument: banner.getRootNode() === document,
    position: getComputedStyle(banner).position,
    shadowHosts: Array.from(document.querySelectorAll("*")).filter((el) => el.shadowRoot).length,
    framesInWidget: document.querySelectorAll("#cookieconsent iframe").length,
    buttons: Array.from(banner.querySelectorAll("button")).map((button) => ({
      role: button.getAttribute("data-role"),
      text: button.innerText.trim(),
      plain: button.children.length === 0,
      rootIsDocument: button.getRootNode() === document,
    })),
  };
}"""


def test_banner_is_plain_dom_that_privacy_tools_can_find_and_answer(
    page: Page,
    host_page: Callable[..., str],
    consent_service: ConsentService,
    site_key: str,
) -> None:
    page.goto(host_page())
    expect(page.get_by_role("dialog", name="We respect your privacy")).to_be_visible()

    banner = page.evaluate(READ_BANNER)
    assert banner["role"] == "dialog"
    assert banner["topDocument"] is True
    assert banner["rootIsDocument"] is True
    assert banner["position"] == "fixed"
    assert banner["shadowHosts"] == 0
    assert banner["framesInWidget"] == 0
    assert [button["role"] for button in banner["buttons"]] == [
        "accept-all",
        "reject-all",
        "preferences",
    ]
    for button in banner["buttons"]:
        assert button["text"], button
        assert button["plain"] and button["rootIsDocument"], button

    page.locator('[data-role="preferences"]').click()
    dialog = page.locator("#cookieconsent .cookieconsent-prefs")
    for role in ("close", "reject-all", "save", "accept-all"):
        hook = dialog.locator(f'[data-role="{role}"]')
        expect(hook).to_be_visible()
        assert hook.inner_text().strip()
    dialog.locator('[data-role="close"]').click()

    # A tool answering "reject" for its user clicks the hook, nothing else.
    page.locator('[data-role="reject-all"]:visible').click()
    state = wait_until_decided(page)
    expect(page.locator('[data-role="reopen"]')).to_be_visible()
    assert page.locator('[data-role="reopen"]').inner_text().strip() == "Cookie settings"
    assert consent_service.lookup(site_key, state["visitorId"])["categories"] == UNDECIDED
    assert [e["action"] for e in recorded_events(consent_service, site_key)] == ["reject_all"]


EARLY_REJECT = """<script>
window.__early = {readyState: document.readyState, hasBody: document.body !== null};
window.cookieConsent.rejectAll().then(
  function (state) { window.__early.result = state; },
  function (error) { window.__early.error = String(error); });
</script>"""


def test_reject_all_works_before_the_page_has_a_body(
    page: Page,
    host_page: Callable[..., str],
    host_server: HostSite,
    consent_service: ConsentService,
    site_key: str,
) -> None:
    bodies = consent_posts(page)
    page.goto(host_page(head_extra=EARLY_REJECT))
    page.wait_for_function("'result' in window.__early || 'error' in window.__early")

    early = page.evaluate("window.__early")
    assert early["readyState"] == "loading"
    assert early["hasBody"] is False
    assert "error" not in early
    assert early["result"]["decided"] is True
    assert early["result"]["categories"] == UNDECIDED
    assert [body["action"] for body in bodies] == ["reject_all"]
    server = consent_service.lookup(site_key, early["result"]["visitorId"])
    assert server["decided"] is True
    assert server["categories"] == UNDECIDED
    assert [e["action"] for e in recorded_events(consent_service, site_key)] == ["reject_all"]

    expect(page.locator(REOPEN)).to_be_visible()
    expect(page.locator(BANNER)).to_be_hidden()
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.wait_for_timeout(200)
    assert ran(page) == []
    assert host_server.gated_requests() == []


def test_reject_all_while_the_preferences_dialog_is_open_closes_it(
    page: Page,
    host_page: Callable[..., str],
    consent_service: ConsentService,
    site_key: str,
) -> None:
    page.goto(host_page())
    page.locator(f'{BANNER} [data-role="preferences"]').click()
    dialog = page.get_by_role("dialog", name="Cookie preferences")
    dialog.get_by_role("switch", name="Analytics", exact=True).check()

    result = page.evaluate("window.cookieConsent.rejectAll()")

    assert result["decided"] is True
    assert result["categories"] == UNDECIDED
    expect(dialog).to_be_hidden()
    expect(page.locator(BANNER)).to_be_hidden()
    expect(page.locator(REOPEN)).to_be_visible()
    assert page.evaluate("document.activeElement.getAttribute('data-role')") == "reopen"
    assert page.evaluate("window.cookieConsent.allowed('analytics')") is False
    assert consent_service.lookup(site_key, result["visitorId"])["categories"] == UNDECIDED
    assert [e["action"] for e in recorded_events(consent_service, site_key)] == ["reject_all"]
    assert ran(page) == []

"""A choice belongs to one site, is the same everywhere and always current, and is never lost.

Cases from real sites (issue "The widget on real sites", parts A, B and E), each with at least
one more input of the same kind. Chromium maps example.test and its subdomains to 127.0.0.1.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from tests.geodata import CALIFORNIA_IP

from .conftest import (
    GATED_SCRIPTS,
    BackgroundServer,
    ConsentService,
    HostSite,
    RegionalConsentService,
    api_call,
    build_page,
    consent_cookie_name,
    create_site_with_token,
    in_ci,
    patch_site_config,
    recorded_events,
    store_record,
    stored_record,
    visitor_from,
)
from .test_banner import (
    BANNER,
    REOPEN,
    ran,
    wait_for_ran,
    wait_until_decided,
    widget_state,
)
from .test_trackers import GPC_IN_PAGE, consent_posts

try:
    from playwright.sync_api import Page, Request, Route, expect
except ImportError:  # pragma: no cover - the [test] extra installs it
    if in_ci():
        raise
    pytest.skip("BROWSER TESTS SKIPPED: playwright is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser

ALL = {"essential": True, "analytics": True, "marketing": True}
NONE = {"essential": True, "analytics": False, "marketing": False}
# Within this long of a change in another tab of the same origin, a page follows it.
SAME_ORIGIN_MS = 1000


def host_of(host_server: HostSite) -> str:
    return host_server.origin.removeprefix("http://")


def page_at(
    host_server: HostSite,
    service: ConsentService,
    site_key: str,
    path: str,
    host: str = "127.0.0.1",
    body_extra: str = "",
) -> str:
    """Serve a host page embedding ``site_key`` at ``path``; its URL on ``host``."""
    url = host_server.add_page(
        build_page(
            script_src=service.widget_url(site_key),
            host_origin=f"http://{host}:{host_server.origin.rsplit(':', 1)[1]}",
            body_extra=body_extra,
        ),
        path=path,
    )
    return url.replace("127.0.0.1", host, 1)


def answer_banner(page: Page, url: str, role: str) -> dict[str, Any]:
    """Open ``url``, answer its first layer with the ``role`` button, wait for the record."""
    page.goto(url)
    page.locator(f'{BANNER} [data-role="{role}"]').click()
    return wait_until_decided(page)


def lookup_status(service: ConsentService, site_key: str, visitor_id: str) -> int:
    url = f"{service.origin}/api/v1/sites/{site_key}/consents/{quote(visitor_id, safe='')}"
    status, _, _ = api_call(url)
    return status


def session_cookie_dropped(context: Any) -> dict[str, Any]:
    """The context's storage as a browser keeps it across a restart: no session cookies."""
    state = context.storage_state()
    state["cookies"] = [cookie for cookie in state["cookies"] if cookie["expires"] > 0]
    return state  # type: ignore[no-any-return]


def lookups_of(page: Page) -> list[Request]:
    """The GET lookups of a visitor's decision this page makes from now on."""
    seen: list[Request] = []
    page.on(
        "request",
        lambda request: (
            seen.append(request)
            if request.method == "GET" and "/consents/" in request.url
            else None
        ),
    )
    return seen


# --- A. a choice belongs to one site ----------------------------------------------------------


def test_a_choice_on_one_site_never_counts_for_another_site_on_the_same_host(
    page: Page, consent_service: ConsentService, host_server: HostSite
) -> None:
    site_a = consent_service.create_site([host_of(host_server)])
    site_b = consent_service.create_site([host_of(host_server)])
    url_a = page_at(host_server, consent_service, site_a, "/dept-a/index.html")
    url_b = page_at(host_server, consent_service, site_b, "/dept-b/index.html")

    accepted = answer_banner(page, url_a, "accept-all")
    wait_for_ran(page, list(GATED_SCRIPTS))

    host_server.forget_requests()
    page.goto(url_b)
    expect(page.locator(BANNER)).to_be_visible()
    state = widget_state(page)
    assert (state["decided"], state["visitorId"]) == (False, None)
    assert state["categories"] == NONE
    page.wait_for_timeout(300)
    assert ran(page) == []
    assert host_server.gated_requests() == []
    assert recorded_events(consent_service, site_b) == []
    # Site B never heard of this visitor; site A's ID means nothing there.
    assert lookup_status(consent_service, site_b, accepted["visitorId"]) == 400

    # And site A's choice is still its own.
    page.goto(url_a)
    expect(page.locator(REOPEN)).to_be_visible()
    assert widget_state(page)["visitorId"] == accepted["visitorId"]


def test_two_sites_on_one_host_keep_different_choices_side_by_side(
    page: Page, consent_service: ConsentService, host_server: HostSite
) -> None:
    site_a = consent_service.create_site([host_of(host_server)])
    site_b = consent_service.create_site([host_of(host_server)])
    url_a = page_at(host_server, consent_service, site_a, "/shop/index.html")
    url_b = page_at(host_server, consent_service, site_b, "/blog/index.html")

    visitor_a = answer_banner(page, url_a, "accept-all")["visitorId"]
    visitor_b = answer_banner(page, url_b, "reject-all")["visitorId"]
    assert visitor_a != visitor_b

    # Refusing on B cleans up B's trackers, never A's record.
    cookies = {c["name"] for c in page.context.cookies()}
    assert {consent_cookie_name(site_a), consent_cookie_name(site_b)} <= cookies
    page.goto(url_a)
    expect(page.locator(REOPEN)).to_be_visible()
    assert widget_state(page)["categories"] == ALL
    wait_for_ran(page, list(GATED_SCRIPTS))
    page.goto(url_b)
    expect(page.locator(REOPEN)).to_be_visible()
    assert widget_state(page)["categories"] == NONE
    page.wait_for_timeout(300)
    assert ran(page) == []


def largest_configuration() -> dict[str, Any]:
    """The largest configuration the configuration API accepts: 20 categories, 100 services."""
    categories = [{"name": f"purpose_{index:02d}_" + "x" * 29} for index in range(1, 20)]
    names = [category["name"] for category in categories]
    services = [
        {
            "name": f"service_{index:03d}_" + "y" * 28,
            "category": names[index % len(names)],
            "label": f"Tracker number {index}",
            "cookies": [{"name": f"_t{index}", "lifetime_days": 30}],
        }
        for index in range(100)
    ]
    assert all(len(service["name"]) == 40 for service in services)
    assert all(len(name) == 40 for name in names)
    return {"categories": categories, "services": services}


def test_the_largest_accepted_configuration_keeps_its_choice_in_a_small_cookie(
    new_context: Callable[..., Any],
    configured_site: Callable[..., str],
    consent_service: ConsentService,
    host_server: HostSite,
) -> None:
    config = largest_configuration()
    site_key = configured_site(config)
    last = config["services"][-1]
    tag = (
        f'<script type="text/plain" data-service="{last["name"]}">'
        "window.__ran=(window.__ran||[]);__ran.push('last-service')</script>"
    )
    url = page_at(host_server, consent_service, site_key, f"/big/{site_key}.html", body_extra=tag)
    context = new_context()
    page = context.new_page()
    state = answer_banner(page, url, "accept-all")
    page.wait_for_function("(window.__ran || []).includes('last-service')")

    (cookie,) = [c for c in context.cookies() if c["name"] == consent_cookie_name(site_key)]
    size = len(cookie["name"]) + len(cookie["value"])
    assert size < 4000, f"the consent cookie is {size} bytes"

    page.reload()
    expect(page.locator(REOPEN)).to_be_visible()
    expect(page.locator(BANNER)).to_be_hidden()
    again = widget_state(page)
    assert again["visitorId"] == state["visitorId"]
    assert again["decided"] is True
    assert all(again["services"].values()) and len(again["services"]) == 100
    page.wait_for_function("(window.__ran || []).includes('last-service')")
    assert len(recorded_events(consent_service, site_key)) == 1


def test_every_per_service_choice_of_the_largest_configuration_survives_a_reload(
    new_context: Callable[..., Any],
    configured_site: Callable[..., str],
    consent_service: ConsentService,
    host_server: HostSite,
) -> None:
    config = largest_configuration()
    site_key = configured_site(config)
    categories = [category["name"] for category in config["categories"]]
    services = config["services"]
    url = page_at(host_server, consent_service, site_key, f"/big/{site_key}.html")
    context = new_context()
    page = context.new_page()
    page.goto(url)
    expect(page.locator(BANNER)).to_be_visible()
    # Every other category; within them every third service refused one by one.
    chosen = {name: index % 2 == 0 for index, name in enumerate(categories)}
    refused = {s["name"]: False for index, s in enumerate(services) if index % 3 == 0}
    page.evaluate("([c, s]) => window.cookieConsent.save(c, s)", [chosen, refused])
    state = wait_until_decided(page)
    server = consent_service.lookup(site_key, state["visitorId"])

    page.reload()
    expect(page.locator(REOPEN)).to_be_visible()
    again = widget_state(page)
    assert again["categories"] == server["categories"]
    assert again["services"] == server["services"]
    assert sum(again["services"].values()) == sum(
        chosen[s["category"]] and s["name"] not in refused for s in services
    )
    (cookie,) = [c for c in context.cookies() if c["name"] == consent_cookie_name(site_key)]
    assert len(cookie["name"]) + len(cookie["value"]) < 4000


def subdomain_site(
    service: ConsentService, host_server: HostSite, cookie_domain: str | None
) -> str:
    config: dict[str, Any] = {"domains": ["example.test", "*.example.test"]}
    if cookie_domain:
        config["cookie_domain"] = cookie_domain
    site_key, api_token = create_site_with_token(service, ["example.test"])
    patch_site_config(service, site_key, api_token, config)
    return site_key


def test_a_choice_is_shared_by_the_sites_subdomains_through_its_cookie_domain(
    page: Page, consent_service: ConsentService, host_server: HostSite
) -> None:
    site_key = subdomain_site(consent_service, host_server, "example.test")
    path = f"/shared/{site_key}.html"
    www = page_at(host_server, consent_service, site_key, path, host="www.example.test")
    shop = www.replace("www.example.test", "shop.example.test")
    apex = www.replace("www.example.test", "example.test")

    accepted = answer_banner(page, www, "accept-all")
    (cookie,) = [c for c in page.context.cookies() if c["name"] == consent_cookie_name(site_key)]
    assert cookie["domain"] == ".example.test"

    for url in (shop, apex):
        page.goto(url)
        expect(page.locator(REOPEN)).to_be_visible()
        expect(page.locator(BANNER)).to_be_hidden()
        state = widget_state(page)
        assert (state["visitorId"], state["decided"]) == (accepted["visitorId"], True)
        wait_for_ran(page, list(GATED_SCRIPTS))
    assert [e["action"] for e in recorded_events(consent_service, site_key)] == ["accept_all"]


def test_without_a_cookie_domain_each_subdomain_asks_for_itself(
    page: Page, consent_service: ConsentService, host_server: HostSite
) -> None:
    site_key = subdomain_site(consent_service, host_server, None)
    path = f"/own/{site_key}.html"
    www = page_at(host_server, consent_service, site_key, path, host="www.example.test")
    page.goto(www)
    page.locator(f'{BANNER} [data-role="accept-all"]').click()
    wait_until_decided(page)
    (cookie,) = [c for c in page.context.cookies() if c["name"] == consent_cookie_name(site_key)]
    assert cookie["domain"] == "www.example.test", "host-only without cookie_domain"

    page.goto(www.replace("www.example.test", "shop.example.test"))
    expect(page.locator(BANNER)).to_be_visible()
    assert widget_state(page)["decided"] is False


# --- B. one state everywhere, always current --------------------------------------------------

READ_UPDATES = """() => (window.dataLayer || [])
  .filter((e) => Object.prototype.toString.call(e) === "[object Arguments]")
  .map((e) => Array.from(e)).filter((e) => e[0] === "consent" && e[1] === "update")
  .map((e) => e[2])"""
RECORD_CHANGES = """window.__changes = [];
addEventListener("cookieconsent:change", (e) => __changes.push(e.detail));"""


def test_a_withdrawal_in_one_tab_reaches_every_open_tab_at_once(
    new_context: Callable[..., Any], host_page: Callable[..., str]
) -> None:
    url = host_page()
    context = new_context()
    context.add_init_script(RECORD_CHANGES)
    tab_a = context.new_page()
    tab_a.goto(url)
    tab_a.locator(f'{BANNER} [data-role="accept-all"]').click()
    wait_until_decided(tab_a)
    assert tab_a.evaluate("window.cookieConsent.allowed('analytics')") is True

    tab_b = context.new_page()
    tab_b.goto(url)
    expect(tab_b.locator(REOPEN)).to_be_visible()
    tab_b.evaluate("window.cookieConsent.withdraw()")

    tab_a.wait_for_function("!window.cookieConsent.allowed('analytics')", timeout=SAME_ORIGIN_MS)
    assert tab_a.evaluate("window.cookieConsent.allowed('marketing')") is False
    updates = tab_a.evaluate(READ_UPDATES)
    assert updates[-1]["analytics_storage"] == "denied"
    assert updates[-1]["ad_storage"] == "denied"
    changes = tab_a.evaluate("window.__changes")
    assert changes[-1]["decided"] is False
    assert changes[-1]["categories"] == NONE
    # Undecided again: this tab asks again too.
    expect(tab_a.locator(BANNER)).to_be_visible()


def test_an_answer_in_one_tab_hides_the_banner_and_wakes_tags_in_the_others(
    new_context: Callable[..., Any], host_page: Callable[..., str]
) -> None:
    url = host_page()
    context = new_context()
    tab_a = context.new_page()
    tab_a.goto(url)
    expect(tab_a.locator(BANNER)).to_be_visible()
    tab_b = context.new_page()
    tab_b.goto(url)
    tab_b.locator(f'{BANNER} [data-role="accept-all"]').click()
    wait_until_decided(tab_b)

    tab_a.wait_for_function("window.cookieConsent.get().decided", timeout=SAME_ORIGIN_MS)
    expect(tab_a.locator(BANNER)).to_be_hidden()
    expect(tab_a.locator(REOPEN)).to_be_visible()
    wait_for_ran(tab_a, list(GATED_SCRIPTS))
    assert (
        tab_a.evaluate("window.cookieConsent.get().visitorId") == widget_state(tab_b)["visitorId"]
    )


def test_another_subdomain_follows_when_its_page_comes_back_into_view(
    new_context: Callable[..., Any], consent_service: ConsentService, host_server: HostSite
) -> None:
    site_key = subdomain_site(consent_service, host_server, "example.test")
    path = f"/tabs/{site_key}.html"
    www = page_at(host_server, consent_service, site_key, path, host="www.example.test")
    context = new_context()
    on_www = context.new_page()
    on_www.goto(www)
    on_www.locator(f'{BANNER} [data-role="accept-all"]').click()
    wait_until_decided(on_www)
    on_shop = context.new_page()
    on_shop.goto(www.replace("www.example.test", "shop.example.test"))
    expect(on_shop.locator(REOPEN)).to_be_visible()
    on_shop.evaluate("window.cookieConsent.rejectAll()")

    # Another origin: no channel reaches it; the shared cookie does, once the page is back.
    on_www.evaluate("window.dispatchEvent(new Event('focus'))")
    on_www.wait_for_function("!window.cookieConsent.allowed('analytics')")
    assert widget_state(on_www)["categories"] == NONE
    assert on_www.evaluate(READ_UPDATES)[-1]["analytics_storage"] == "denied"


def test_an_erasure_made_on_the_service_reaches_the_browser_at_the_next_session(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    host_server: HostSite,
    consent_service: ConsentService,
    site_key: str,
) -> None:
    url = host_page()
    context = new_context()
    page = context.new_page()
    visitor_id = answer_banner(page, url, "accept-all")["visitorId"]

    # Later pages of the same session ask the service nothing.
    asked = lookups_of(page)
    page.goto(url)
    wait_for_ran(page, list(GATED_SCRIPTS))
    page.wait_for_timeout(300)
    assert asked == [], "one check per browser session, not one per page"

    status, _, _ = api_call(
        f"{consent_service.origin}/api/v1/sites/{site_key}/consents/{quote(visitor_id)}",
        method="DELETE",
    )
    assert status == 200

    # The browser restarts: session cookies are gone, the consent cookie stays.
    later = new_context(storage_state=session_cookie_dropped(context)).new_page()
    asked = lookups_of(later)
    later.goto(url)
    expect(later.locator(BANNER)).to_be_visible()
    later.wait_for_function("!window.cookieConsent.get().decided")
    assert len(asked) == 1
    state = widget_state(later)
    assert state["categories"] == NONE
    assert later.evaluate("window.cookieConsent.allowed('marketing')") is False


def test_a_withdrawal_recorded_through_the_api_reaches_the_browser(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    consent_service: ConsentService,
    site_key: str,
) -> None:
    url = host_page()
    context = new_context()
    page = context.new_page()
    visitor_id = answer_banner(page, url, "accept-all")["visitorId"]
    status, _, _ = api_call(
        f"{consent_service.origin}/api/v1/sites/{site_key}/consents",
        method="POST",
        body={"visitor_id": visitor_id, "action": "withdraw"},
    )
    assert status == 201

    later_context = new_context(storage_state=session_cookie_dropped(context))
    later = later_context.new_page()
    asked = lookups_of(later)
    later.goto(url)
    later.wait_for_function("!window.cookieConsent.get().decided")
    expect(later.locator(BANNER)).to_be_visible()
    assert widget_state(later)["visitorId"] == visitor_id
    assert len(asked) == 1

    # The next session of the same browser asks again, conditionally: the service answers 304.
    later_context.clear_cookies(name=f"{consent_cookie_name(site_key)}_s")
    again = lookups_of(later)
    with later.expect_response(lambda r: "/consents/" in r.url):
        later.reload()
    assert len(again) == 1
    etag = again[0].all_headers().get("if-none-match")
    assert etag, "revalidated with the ETag the browser was given"
    # For that ETag the service has nothing new to send (the browser shows its copy as 200).
    status, _, _ = api_call(again[0].url, headers={"If-None-Match": etag})
    assert status == 304


def test_a_cookie_edited_by_another_script_is_corrected_by_the_service(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    host_server: HostSite,
    consent_service: ConsentService,
    site_key: str,
) -> None:
    url = host_page()
    context = new_context()
    page = context.new_page()
    visitor_id = answer_banner(page, url, "reject-all")["visitorId"]
    record = stored_record(context, site_key)
    assert record is not None
    # Another script on the page rewrites the choice: every category "granted".
    forged = {**record, "c": "f", "u": record["u"] + 1}
    page.close()
    store_record(context, host_server.origin, site_key, forged)

    later = new_context(storage_state=session_cookie_dropped(context)).new_page()
    later.goto(url)
    later.wait_for_function(
        "!window.cookieConsent.allowed('marketing') && !window.cookieConsent.allowed('analytics')"
    )
    state = widget_state(later)
    assert (state["visitorId"], state["decided"]) == (visitor_id, True)
    assert state["categories"] == NONE
    assert consent_service.lookup(site_key, visitor_id)["categories"] == NONE


# --- E. choices never race, and are never lost --------------------------------------------------


class SlowWrites:
    """WSGI middleware: consent POSTs take ``delay`` seconds, as on a slow network."""

    def __init__(self, wsgi_app: Any, delay: float) -> None:
        self.wsgi_app = wsgi_app
        self.delay = delay

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/consents"):
            time.sleep(self.delay)
        return self.wsgi_app(environ, start_response)


@pytest.fixture
def slow_service(consent_service: ConsentService) -> Any:
    """The consent service behind a slow network: each consent POST takes 0.8 s."""
    server = BackgroundServer(SlowWrites(consent_service.app, 0.8), name="slow-writes")
    yield server
    server.stop()


def slow_page(host_server: HostSite, slow_service: BackgroundServer, site_key: str) -> str:
    return host_server.add_page(
        build_page(
            script_src=f"{slow_service.origin}/c/{site_key}.js", host_origin=host_server.origin
        )
    )


RECORD_BUSY = """window.__busy = [];
new MutationObserver((records) => records.forEach((r) => {
  if (r.attributeName === "aria-busy") __busy.push(r.target.getAttribute("aria-busy"));
})).observe(document, {subtree: true, attributes: true, attributeFilter: ["aria-busy"]});"""


def test_a_double_click_on_accept_all_is_one_choice(
    page: Page,
    host_server: HostSite,
    slow_service: BackgroundServer,
    consent_service: ConsentService,
    site_key: str,
) -> None:
    page.add_init_script(RECORD_BUSY)
    bodies = consent_posts(page)
    page.goto(slow_page(host_server, slow_service, site_key))
    page.locator(f'{BANNER} [data-role="accept-all"]').dblclick()
    state = wait_until_decided(page)
    # The controls said that a choice was on its way, and then that it was done.
    assert page.evaluate("window.__busy")[:1] == ["true"]
    expect(page.locator("#cookieconsent")).to_have_attribute("aria-busy", "false")
    assert len(bodies) == 1
    events = recorded_events(consent_service, site_key)
    assert [e["action"] for e in events] == ["accept_all"]
    assert consent_service.lookup(site_key, state["visitorId"])["decided"] is True


def test_the_same_call_twice_from_page_code_is_one_choice(
    page: Page,
    host_page: Callable[..., str],
    consent_service: ConsentService,
    site_key: str,
) -> None:
    page.goto(host_page())
    expect(page.locator(BANNER)).to_be_visible()
    results = page.evaluate(
        """async () => {
          const api = window.cookieConsent;
          const first = api.acceptAll();
          const second = api.acceptAll();
          return {same: first === second, states: await Promise.all([first, second])};
        }"""
    )
    assert results["same"] is True
    assert results["states"][0]["visitorId"] == results["states"][1]["visitorId"]
    assert [e["action"] for e in recorded_events(consent_service, site_key)] == ["accept_all"]


def test_a_click_during_the_gpc_opt_out_is_the_final_choice_under_one_visitor_id(
    new_context: Callable[..., Any],
    host_server: HostSite,
    slow_service: BackgroundServer,
    consent_service: ConsentService,
    site_key: str,
) -> None:
    context = new_context()
    context.add_init_script(GPC_IN_PAGE)
    page = context.new_page()
    bodies = consent_posts(page)
    page.goto(slow_page(host_server, slow_service, site_key))
    expect(page.locator(BANNER)).to_be_visible()
    page.wait_for_function("window.cookieConsent.get().pending")
    page.locator(f'{BANNER} [data-role="accept-all"]').click()

    state = wait_until_decided(page)
    assert state["categories"] == ALL
    wait_for_ran(page, list(GATED_SCRIPTS))
    assert [(b["action"], b.get("source")) for b in bodies] == [
        ("opt_out", "gpc"),
        ("accept_all", None),
    ]
    assert "visitor_id" not in bodies[0]
    assert bodies[1]["visitor_id"] == state["visitorId"], "the accept goes under the same ID"
    server = consent_service.lookup(site_key, state["visitorId"])
    assert server["categories"] == ALL
    assert [e["action"] for e in recorded_events(consent_service, site_key)] == [
        "opt_out",
        "accept_all",
    ]


def test_a_refusal_made_while_a_grant_is_on_its_way_is_the_final_state(
    page: Page,
    host_server: HostSite,
    slow_service: BackgroundServer,
    consent_service: ConsentService,
    site_key: str,
) -> None:
    bodies = consent_posts(page)
    page.goto(slow_page(host_server, slow_service, site_key))
    outcome = page.evaluate(
        """async () => {
          const api = window.cookieConsent;
          const grant = api.acceptAll();
          const refusal = api.rejectAll();
          const atOnce = api.allowed("analytics");
          await Promise.all([grant, refusal]);
          return {atOnce, state: api.get()};
        }"""
    )
    assert outcome["atOnce"] is False, "a refusal applies at once"
    assert outcome["state"]["categories"] == NONE
    assert outcome["state"]["pending"] is False
    assert [b["action"] for b in bodies] == ["accept_all", "reject_all"]
    assert bodies[1]["visitor_id"] == outcome["state"]["visitorId"]
    server = consent_service.lookup(site_key, outcome["state"]["visitorId"])
    assert server["categories"] == NONE
    page.wait_for_timeout(300)
    assert ran(page) == []


def record_layers(page: Page) -> None:
    """Remember, at every change of the widget's DOM, the layer shown and the regime in force."""
    page.add_init_script(
        """window.__layers = [];
        new MutationObserver(() => {
          const banner = document.querySelector('#cookieconsent [data-role="banner"]');
          if (!banner || banner.hidden || !window.cookieConsent) return;
          window.__layers.push([banner.getAttribute("data-mode"), cookieConsent.get().mode,
                                cookieConsent.allowed("analytics")]);
        }).observe(document, {subtree: true, childList: true, attributes: true});"""
    )


def test_the_visible_layer_always_matches_the_regime_in_force(
    new_context: Callable[..., Any],
    regional_service: RegionalConsentService,
    regional_site: Callable[..., tuple[str, str]],
    host_server: HostSite,
) -> None:
    site_key, _ = regional_site()
    url = host_server.add_page(
        build_page(
            script_src=regional_service.widget_url(site_key),
            host_origin=host_server.origin,
            body_extra="<script>cookieConsent.show()</script>",
        )
    )
    context = visitor_from(new_context, regional_service, CALIFORNIA_IP)

    def late_region(route: Route) -> None:
        time.sleep(0.8)
        route.continue_(headers={**route.request.headers, "x-forwarded-for": CALIFORNIA_IP})

    context.route(f"{regional_service.origin}/api/v1/sites/*/region", late_region)
    page = context.new_page()
    record_layers(page)
    page.goto(url)
    banner = page.locator(BANNER)
    expect(banner).to_have_attribute("data-mode", "opt-out", timeout=5000)
    expect(banner).to_be_visible()
    layers = page.evaluate("window.__layers")
    assert layers, "the banner was shown"
    assert all(shown == mode for shown, mode, _ in layers), layers
    # Tags ran only once the opt-out regime was in force, and it was shown.
    assert all(not allowed for shown, _, allowed in layers if shown == "opt-in"), layers
    wait_for_ran(page, list(GATED_SCRIPTS))


def test_show_with_a_remembered_regime_draws_that_regimes_layer_at_once(
    new_context: Callable[..., Any],
    regional_service: RegionalConsentService,
    regional_site: Callable[..., tuple[str, str]],
    host_server: HostSite,
) -> None:
    site_key, _ = regional_site()
    url = host_server.add_page(
        build_page(script_src=regional_service.widget_url(site_key), host_origin=host_server.origin)
    )
    context = visitor_from(new_context, regional_service, CALIFORNIA_IP)
    page = context.new_page()
    page.goto(url)
    page.locator(f'{BANNER} [data-role="dismiss"]').click()
    expect(page.locator(REOPEN)).to_be_visible()

    page = context.new_page()
    record_layers(page)
    page.goto(url)
    page.evaluate("window.cookieConsent.show()")
    expect(page.locator(BANNER)).to_have_attribute("data-mode", "opt-out")
    layers = page.evaluate("window.__layers")
    assert layers and all(shown == mode == "opt-out" for shown, mode, _ in layers), layers


# --- E17. an unsent choice is kept and delivered ------------------------------------------------


class StoppableService:
    """The consent service on its own port, which a test can stop and start again."""

    def __init__(self, service: ConsentService) -> None:
        self.app = service.app
        self.server: BackgroundServer | None = BackgroundServer(self.app, name="stoppable")
        self.port = self.server.port
        self.origin = self.server.origin

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def start(self) -> None:
        if self.server is None:
            self.server = BackgroundServer(self.app, name="stoppable", port=self.port)


@pytest.fixture
def stoppable(consent_service: ConsentService) -> Any:
    service = StoppableService(consent_service)
    yield service
    service.stop()


def attempts(page: Page) -> list[Request]:
    """Every consent POST this page tries, answered or not."""
    seen: list[Request] = []
    page.on(
        "request",
        lambda request: (
            seen.append(request)
            if request.method == "POST" and request.url.endswith("/consents")
            else None
        ),
    )
    return seen


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_choice_made_while_the_service_is_down_is_sent_when_it_is_back(
    new_context: Callable[..., Any],
    host_server: HostSite,
    consent_service: ConsentService,
    stoppable: StoppableService,
    site_key: str,
) -> None:
    url = host_server.add_page(
        build_page(script_src=f"{stoppable.origin}/c/{site_key}.js", host_origin=host_server.origin)
    )
    page = new_context().new_page()
    tried = attempts(page)
    page.goto(url)
    expect(page.locator(BANNER)).to_be_visible()
    stoppable.stop()

    # Kept, not awaited: the Promise stays pending while the choice waits.
    page.evaluate("() => { window.__grant = window.cookieConsent.acceptAll(); }")
    clicked = datetime.now(UTC)
    expect(page.locator(BANNER).get_by_role("alert")).to_contain_text("not saved yet")
    state = widget_state(page)
    assert (state["pending"], state["decided"]) == (True, False)
    assert page.evaluate("window.cookieConsent.allowed('analytics')") is False
    page.wait_for_timeout(300)
    assert ran(page) == [], "a grant is recorded before anything gated runs"

    time.sleep(1)
    stoppable.start()
    page.wait_for_function("!window.cookieConsent.get().pending", timeout=15000)
    assert page.evaluate("window.__grant.then((state) => state.decided)") is True
    state = wait_until_decided(page)
    wait_for_ran(page, list(GATED_SCRIPTS))
    expect(page.locator(BANNER)).to_be_hidden()

    keys = {request.headers.get("idempotency-key") for request in tried}
    assert len(tried) >= 2 and len(keys) == 1 and None not in keys, "one key, every attempt"
    [event] = recorded_events(consent_service, site_key)
    assert event["action"] == "accept_all"
    history = consent_service.lookup(site_key, state["visitorId"])
    assert history["decided"] is True
    with consent_service.app.app_context():
        from sqlalchemy import select

        from cookieconsent.extensions import db
        from cookieconsent.models import ConsentEvent

        row = db.session.execute(
            select(ConsentEvent).order_by(ConsentEvent.id.desc()).limit(1)
        ).scalar_one()
        assert row.chosen_at is not None
        assert abs(row.chosen_at - clicked) < timedelta(seconds=2)
        assert row.created_at - row.chosen_at > timedelta(seconds=1), "sent after the outage"


def test_a_refusal_applies_at_once_while_down_and_is_sent_from_a_later_page(
    new_context: Callable[..., Any],
    host_server: HostSite,
    consent_service: ConsentService,
    stoppable: StoppableService,
    site_key: str,
) -> None:
    url = host_server.add_page(
        build_page(script_src=f"{stoppable.origin}/c/{site_key}.js", host_origin=host_server.origin)
    )
    context = new_context()
    page = context.new_page()
    page.goto(url)
    page.locator(f'{BANNER} [data-role="accept-all"]').click()
    wait_until_decided(page)
    wait_for_ran(page, list(GATED_SCRIPTS))
    stoppable.stop()

    page.locator(REOPEN).click()
    page.get_by_role("dialog", name="Cookie preferences").locator(
        '[data-role="reject-all"]'
    ).click()
    page.wait_for_function("!window.cookieConsent.allowed('analytics')")
    expect(page.locator(REOPEN)).to_be_visible()
    assert widget_state(page)["pending"] is True
    record = stored_record(context, site_key)
    assert record is not None and [entry["a"] for entry in record["q"]] == ["reject_all"]

    # Another page while the service is still down: the script comes from the browser's cache,
    # the refusal still holds, and it waits in storage.
    page.goto(url)
    expect(page.locator(REOPEN)).to_be_visible()
    assert page.evaluate("window.cookieConsent.allowed('analytics')") is False
    stoppable.start()
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("!window.cookieConsent.get().pending", timeout=10000)
    assert [e["action"] for e in recorded_events(consent_service, site_key)] == [
        "accept_all",
        "reject_all",
    ]
    assert stored_record(context, site_key)["q"] == []  # type: ignore[index]


def test_a_choice_the_service_refuses_rejects_its_promise_and_says_so(
    page: Page,
    host_page: Callable[..., str],
    consent_service: ConsentService,
    site_key: str,
) -> None:
    def refuse(route: Route) -> None:
        route.fulfill(
            status=422,
            content_type="application/problem+json",
            headers={"Access-Control-Allow-Origin": "*"},
            body=json.dumps({"status": 422, "title": "Unprocessable", "detail": "No."}),
        )

    page.route(f"{consent_service.origin}/api/v1/sites/*/consents", refuse)
    page.goto(host_page())
    outcome = page.evaluate(
        """() => window.cookieConsent.acceptAll().then(
             () => ({settled: "resolved"}),
             (error) => ({settled: "rejected", status: error.status}))"""
    )
    assert outcome == {"settled": "rejected", "status": 422}
    assert widget_state(page)["pending"] is False
    expect(page.locator(BANNER).get_by_role("alert")).to_have_text(
        "Your choice could not be saved. Please try again."
    )
    assert recorded_events(consent_service, site_key) == []


def test_a_choice_kept_longer_than_seven_days_is_dropped(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    host_server: HostSite,
    consent_service: ConsentService,
    site_key: str,
) -> None:
    url = host_page()
    context = new_context()
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("window.cookieConsent.get().visitorId === null")
    stale = int((datetime.now(UTC) - timedelta(days=8)).timestamp() * 1000)
    fresh_record = stored_record(context, site_key) or {}
    layout_hash = page.evaluate(
        """() => {
          let value = 2166136261;
          const text = "analytics,marketing|";
          for (let i = 0; i < text.length; i++) {
            value = Math.imul(value ^ text.charCodeAt(i), 16777619);
          }
          return (value >>> 0).toString(36);
        }"""
    )
    entry = {"k": "0" * 32, "a": "accept_all", "t": stale, "h": layout_hash, "p": "1.0", "g": 0}
    store_record(context, host_server.origin, site_key, {**fresh_record, "u": 1, "q": [entry]})
    messages: list[str] = []
    page = context.new_page()
    page.on("console", lambda message: messages.append(message.text))
    page.goto(url)
    page.wait_for_function("!window.cookieConsent.get().pending")
    expect(page.locator(BANNER)).to_be_visible()
    assert recorded_events(consent_service, site_key) == []
    assert any("7 days" in message for message in messages), messages


# --- found by trying to break it ---------------------------------------------------------------


def test_an_answer_to_an_older_question_never_overrides_a_newer_refusal(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    host_server: HostSite,
    consent_service: ConsentService,
    site_key: str,
) -> None:
    url = host_page()
    context = new_context()
    page = context.new_page()
    answer_banner(page, url, "accept-all")

    # A new session: the widget asks the service; the answer (still "accepted") is held back.
    later = new_context(storage_state=session_cookie_dropped(context)).new_page()
    held: list[Route] = []
    later.route(
        f"{consent_service.origin}/api/v1/sites/*/consents/*",
        lambda route: held.append(route) if route.request.method == "GET" else route.continue_(),
    )
    later.goto(url)
    later.wait_for_function("window.cookieConsent && window.cookieConsent.get().decided")
    later.evaluate("window.cookieConsent.rejectAll()")
    assert widget_state(later)["categories"] == NONE
    while not held:
        later.wait_for_timeout(50)
    held[0].continue_()
    later.wait_for_timeout(500)
    assert widget_state(later)["categories"] == NONE, "the old answer came after the refusal"

    host_server.forget_requests()
    later.reload()
    expect(later.locator(REOPEN)).to_be_visible()
    later.wait_for_timeout(300)
    assert ran(later) == []
    assert host_server.gated_requests() == []


def test_a_grant_waiting_behind_a_recorded_refusal_grants_nothing(
    page: Page,
    host_page: Callable[..., str],
    host_server: HostSite,
    consent_service: ConsentService,
    site_key: str,
) -> None:
    url = host_page()
    answer_banner(page, url, "accept-all")
    posts = 0

    def second_fails(route: Route) -> None:
        nonlocal posts
        if route.request.method != "POST":
            return route.continue_()
        posts += 1
        if posts == 1:
            return route.continue_()
        return route.fulfill(status=503, body="busy")

    page.route(f"{consent_service.origin}/api/v1/sites/*/consents", second_fails)
    page.evaluate("() => { window.cookieConsent.rejectAll(); window.cookieConsent.acceptAll(); }")
    page.wait_for_function(
        "() => window.__queued = document.querySelector("
        "'#cookieconsent [role=alert]').textContent.includes('not saved yet')"
    )
    state = widget_state(page)
    assert state["pending"] is True
    assert state["categories"] == NONE, "the service has the refusal; the grant is not recorded"

    host_server.forget_requests()
    page.reload()
    page.wait_for_timeout(500)
    assert ran(page) == []
    assert host_server.gated_requests() == []
    assert page.evaluate("window.cookieConsent.allowed('analytics')") is False


@pytest.mark.parametrize(
    "forged",
    [
        {"d": 1, "c": "f", "s": "", "p": "1.0", "P": "1.0", "k": 9e15, "m": "opt-in", "x": 9e15},
        {"d": 1, "c": "f", "s": "", "p": "1.0", "P": "1.0", "k": 9e15, "v": "made.up"},
    ],
    ids=["no-visitor-id", "made-up-visitor-id"],
)
def test_a_cookie_written_by_another_script_grants_nothing(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    host_server: HostSite,
    consent_service: ConsentService,
    site_key: str,
    forged: dict[str, Any],
) -> None:
    url = host_page()
    context = new_context()
    page = context.new_page()
    page.goto(url)
    expect(page.locator(BANNER)).to_be_visible()
    layout = page.evaluate(
        """() => {
          let value = 2166136261;
          const text = "analytics,marketing|";
          for (let i = 0; i < text.length; i++) {
            value = Math.imul(value ^ text.charCodeAt(i), 16777619);
          }
          return (value >>> 0).toString(36);
        }"""
    )
    far = int(time.time() * 1000) + 10 * 365 * 86_400_000
    store_record(
        context, host_server.origin, site_key, {**forged, "h": layout, "e": far, "u": 9e15}
    )
    host_server.forget_requests()
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(
        "window.cookieConsent && !window.cookieConsent.get().decided && "
        "window.cookieConsent.get().visitorId === null"
    )
    expect(page.locator(BANNER)).to_be_visible()
    page.wait_for_timeout(300)
    assert ran(page) == []
    assert host_server.gated_requests() == []


def test_an_answer_that_is_not_the_services_keeps_the_choice_waiting(
    page: Page,
    host_page: Callable[..., str],
    consent_service: ConsentService,
    site_key: str,
) -> None:
    portal = {"on": True}

    def captive_portal(route: Route) -> None:
        if portal["on"]:
            route.fulfill(status=200, content_type="text/html", body="<h1>Sign in to Wi-Fi</h1>")
        else:
            route.continue_()

    page.route(f"{consent_service.origin}/api/v1/sites/*/consents", captive_portal)
    page.goto(host_page())
    page.evaluate("() => { window.cookieConsent.rejectAll(); }")
    expect(page.locator(BANNER)).to_be_hidden()
    page.wait_for_timeout(300)
    assert widget_state(page)["pending"] is True, "an HTML page is not a recorded choice"
    portal["on"] = False
    page.evaluate("window.dispatchEvent(new Event('online'))")
    state = wait_until_decided(page)
    assert state["categories"] == NONE
    assert [e["action"] for e in recorded_events(consent_service, site_key)] == ["reject_all"]


def test_choices_made_in_two_tabs_of_a_new_visitor_are_each_sent_once(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    consent_service: ConsentService,
    site_key: str,
) -> None:
    url = host_page()
    context = new_context()
    tab_a, tab_b = context.new_page(), context.new_page()
    posts: list[str] = []
    for tab in (tab_a, tab_b):
        tab.on(
            "request",
            lambda request: (
                posts.append(request.headers.get("idempotency-key", ""))
                if request.method == "POST" and request.url.endswith("/consents")
                else None
            ),
        )
        tab.goto(url)
        expect(tab.locator(BANNER)).to_be_visible()
    tab_a.locator(f'{BANNER} [data-role="accept-all"]').click()
    # At once, while tab A's choice may still be on its way (its banner may already be gone).
    tab_b.evaluate("() => { window.cookieConsent.rejectAll(); }")
    for tab in (tab_a, tab_b):
        try:
            tab.wait_for_function(
                "!window.cookieConsent.get().pending && !window.cookieConsent.allowed('analytics')",
                timeout=10000,
            )
        except Exception:
            raise AssertionError(
                [widget_state(t) for t in (tab_a, tab_b)],
                stored_record(context, site_key),
                recorded_events(consent_service, site_key),
            ) from None
    tab_a.wait_for_timeout(1500)
    assert len(posts) <= 4, f"{len(posts)} POSTs for two choices"
    assert [e["action"] for e in recorded_events(consent_service, site_key)] == [
        "accept_all",
        "reject_all",
    ]
    assert widget_state(tab_a)["visitorId"] == widget_state(tab_b)["visitorId"]


def test_a_second_copy_of_the_widget_says_why_it_does_not_start(
    page: Page, host_page: Callable[..., str], consent_service: ConsentService, site_key: str
) -> None:
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    second = f'<script src="{consent_service.widget_url(site_key)}"></script>'
    page.goto(host_page(body_extra=second))
    expect(page.locator(BANNER)).to_have_count(1)
    assert any("already defined" in message for message in messages), messages


def test_an_erasure_reaches_the_browser_even_while_the_region_is_asked_again(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    host_server: HostSite,
    consent_service: ConsentService,
    site_key: str,
) -> None:
    url = host_page()
    context = new_context()
    page = context.new_page()
    visitor_id = answer_banner(page, url, "accept-all")["visitorId"]
    record = stored_record(context, site_key)
    assert record is not None
    page.close()
    # The regime it remembered has run out: the next page asks for it beside the decision.
    store_record(context, host_server.origin, site_key, {**record, "x": 0, "u": record["u"] + 1})
    status, _, _ = api_call(
        f"{consent_service.origin}/api/v1/sites/{site_key}/consents/{quote(visitor_id)}",
        method="DELETE",
    )
    assert status == 200

    later = new_context(storage_state=session_cookie_dropped(context)).new_page()
    later.goto(url)
    later.wait_for_function("!window.cookieConsent.get().decided", timeout=5000)
    expect(later.locator(BANNER)).to_be_visible()
    assert widget_state(later)["categories"] == NONE

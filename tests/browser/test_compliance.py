"""Compliance as visitors meet it, in Chromium: the regime where they are (opt-in, opt-out with
Do Not Sell, notice), the page's language, policy versions that ask again, a refusal that is
remembered, and the visitor's rights over their own record (history, export, receipt, erasure).

Regions come from a real City database read by geoip2: the regional consent service trusts one
proxy, and each browser context sends ``X-Forwarded-For`` with its visitor's address.
Each test starts from fresh browser contexts and a fresh site.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from cookieconsent.texts import BANNER_TEXTS
from tests.geodata import (
    ALABAMA_IP,
    CALIFORNIA_IP,
    GERMANY_IP,
    TEXAS_IP,
    UNKNOWN_IP,
    VIETNAM_IP,
)

from .conftest import (
    GATED_SCRIPTS,
    ConsentService,
    HostSite,
    RegionalConsentService,
    api_call,
    build_page,
    consent_cookie_name,
    create_site_with_token,
    in_ci,
    recorded_events,
    visitor_from,
)
from .test_banner import BANNER, REOPEN, ran, wait_for_ran, wait_until_decided, widget_state
from .test_trackers import GPC_IN_PAGE, consent_posts, consent_signals, layer, wait_for_layer_event

try:
    from playwright.sync_api import BrowserContext, Page, Request, expect
except ImportError:  # pragma: no cover - the [test] extra installs it
    if in_ci():
        raise
    pytest.skip("BROWSER TESTS SKIPPED: playwright is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser

EN = BANNER_TEXTS["en"]
ANALYTICS_ONLY = ["analytics-inline", "analytics-external"]
PREFERENCES = "#cookieconsent .cookieconsent-prefs"
# The service has the refusal of this category: nothing is pending any more.
SETTLED = "!window.cookieConsent.allowed('{category}') && !window.cookieConsent.get().pending"
YOUR_DATA = f'{PREFERENCES} [data-role="your-data"]'
ROOT = "#cookieconsent"
TAKES_TIME_TO_SHOW = 300  # ms to wait before asserting that something did not happen


# --- helpers ---------------------------------------------------------------------------------


def regional_page(
    service: RegionalConsentService, host_server: HostSite, site_key: str, lang: str = "en"
) -> str:
    """A host page embedding the regional service's widget for ``site_key``."""
    return host_server.add_page(
        build_page(
            script_src=service.widget_url(site_key), host_origin=host_server.origin, lang=lang
        )
    )


def wait_until_ready(page: Page) -> None:
    wait_for_layer_event(page, "cookie_consent_ready")


def settled_ran(page: Page, expected: list[str]) -> None:
    """``expected`` ran, and a moment later still nothing else."""
    wait_for_ran(page, expected)
    page.wait_for_timeout(TAKES_TIME_TO_SHOW)
    assert ran(page) == expected


def consent_updates(page: Page) -> list[dict[str, Any]]:
    """The signals of every gtag('consent', 'update', …) so far."""
    return [
        entry[2]
        for entry in layer(page)
        if isinstance(entry, list) and entry[:2] == ["consent", "update"]
    ]


def requests_to(page: Page, fragment: str) -> list[str]:
    """Collect the URLs of requests this page makes from now on that contain ``fragment``."""
    urls: list[str] = []

    def collect(request: Request) -> None:
        if fragment in request.url:
            urls.append(request.url)

    page.on("request", collect)
    return urls


def same_visitor_later(
    new_context: Callable[..., Any], context: BrowserContext, **options: Any
) -> Page:
    """The same visitor (same cookies) on a later visit, once the cached widget has expired."""
    return new_context(storage_state=context.storage_state(), **options).new_page()  # type: ignore[no-any-return]


def visitor_api(service: ConsentService, site_key: str, visitor_id: str) -> str:
    """The visitor's own address in the public API."""
    return f"{service.origin}/api/v1/sites/{site_key}/consents/{quote(visitor_id, safe='')}"


def history(service: ConsentService, site_key: str, visitor_id: str) -> list[dict[str, Any]]:
    """The visitor's events as the public history endpoint lists them."""
    status, _, body = api_call(f"{visitor_api(service, site_key, visitor_id)}/history")
    assert status == 200, body
    return body["events"]  # type: ignore[no-any-return]


def publish_policy(
    service: ConsentService, site_key: str, api_token: str, version: str, summary: str | None
) -> None:
    """Publish a policy version through the API, as the site's operator does."""
    status, _, body = api_call(
        f"{service.origin}/api/v1/sites/{site_key}/policy-versions",
        method="POST",
        body={"version": version, "summary": summary},
        api_token=api_token,
    )
    assert status == 201, body


def open_preferences_again(page: Page) -> None:
    """Reopen the preferences dialog after a choice, through the "Cookie settings" control."""
    page.locator(REOPEN).click()
    expect(page.locator(PREFERENCES)).to_be_visible()


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- 1. the regime where the visitor is ------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "region", "mode"),
    [
        (VIETNAM_IP, "VN", "opt-in-specific"),
        (GERMANY_IP, "DE-BE", "opt-in"),
        (UNKNOWN_IP, None, "opt-in"),
    ],
    ids=["vietnam", "germany", "unknown"],
)
def test_where_the_law_asks_first_the_banner_asks_before_anything_runs(
    new_context: Callable[..., Any],
    regional_service: RegionalConsentService,
    regional_site: Callable[..., tuple[str, str]],
    host_server: HostSite,
    address: str,
    region: str | None,
    mode: str,
) -> None:
    site_key, _ = regional_site()
    page = visitor_from(new_context, regional_service, address).new_page()
    page.goto(regional_page(regional_service, host_server, site_key))

    banner = page.locator(f'{BANNER}[data-mode="{mode}"]')
    expect(banner).to_be_visible()
    # Vietnam: the controller named (the site's name until its owner gives one), a switch per
    # purpose, all off.
    specific = mode == "opt-in-specific"
    description = EN["specific_description"].split("{controller}")[-1] if specific else None
    expect(banner.locator("#cookieconsent-desc")).to_contain_text(description or EN["description"])
    roles = (
        ("reject-all", "save", "accept-all", "more")
        if specific
        else ("accept-all", "reject-all", "preferences")
    )
    for role in roles:
        expect(banner.locator(f'[data-role="{role}"]')).to_be_visible()
    expect(banner.locator('[role="switch"][aria-checked="false"]')).to_have_count(
        2 if specific else 0
    )
    for role in ("do-not-sell", "dismiss"):
        expect(banner.locator(f'[data-role="{role}"]')).to_have_count(0)

    wait_until_ready(page)
    state = widget_state(page)
    assert state["mode"] == mode
    assert state["region"] == region
    assert state["decided"] is False
    assert state["categories"] == {"essential": True, "analytics": False, "marketing": False}
    page.wait_for_timeout(TAKES_TIME_TO_SHOW)
    assert ran(page) == []
    assert host_server.gated_requests() == []
    assert consent_updates(page) == []


@pytest.mark.parametrize(
    ("address", "region"), [(CALIFORNIA_IP, "US-CA"), (TEXAS_IP, "US-TX")], ids=["ca", "tx"]
)
def test_opt_out_states_run_tags_until_the_visitor_says_do_not_sell(
    new_context: Callable[..., Any],
    regional_service: RegionalConsentService,
    regional_site: Callable[..., tuple[str, str]],
    host_server: HostSite,
    address: str,
    region: str,
) -> None:
    site_key, _ = regional_site()
    url = regional_page(regional_service, host_server, site_key)
    page = visitor_from(new_context, regional_service, address).new_page()
    bodies = consent_posts(page)
    page.goto(url)

    banner = page.locator(BANNER)
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("data-mode", "opt-out")
    expect(banner.locator("#cookieconsent-desc")).to_have_text(
        re.compile("^" + re.escape(EN["opt_out_description"]))
    )
    do_not_sell = banner.locator('[data-role="do-not-sell"]')
    expect(do_not_sell).to_be_visible()
    expect(do_not_sell).to_have_text("Do Not Sell or Share My Personal Information")
    expect(banner.locator('[data-role="dismiss"]')).to_have_text(EN["dismiss"])
    expect(banner.locator('[data-role="accept-all"]')).to_have_count(0)

    # No prior consent is needed here: every gated tag runs before any choice.
    wait_for_ran(page, list(GATED_SCRIPTS))
    state = widget_state(page)
    assert (state["mode"], state["region"], state["decided"]) == ("opt-out", region, False)
    assert state["categories"] == {"essential": True, "analytics": True, "marketing": True}
    updates = consent_updates(page)
    assert updates, "Consent Mode is told the tags may run"
    assert updates[-1]["analytics_storage"] == "granted"
    assert updates[-1]["ad_storage"] == "granted"
    assert bodies == [], "nothing is recorded until the visitor acts"

    do_not_sell.click()
    page.wait_for_function(
        "!window.cookieConsent.allowed('marketing') && !window.cookieConsent.get().pending"
    )
    expect(banner).to_be_hidden()
    assert [body["action"] for body in bodies] == ["opt_out"]
    state = widget_state(page)
    assert state["categories"] == {"essential": True, "analytics": True, "marketing": False}
    assert consent_updates(page)[-1]["ad_storage"] == "denied"
    server = regional_service.lookup(site_key, state["visitorId"])
    # What may fire now: everything but sale and sharing, where no prior consent is needed.
    assert server["categories"] == {"essential": True, "analytics": True, "marketing": False}
    assert (server["mode"], server["region"]) == ("opt-out", region)
    assert server["google_consent_mode"]["ad_storage"] == "denied"

    # The next page: analytics still runs, marketing no longer does.
    host_server.forget_requests()
    page.goto(regional_page(regional_service, host_server, site_key))
    wait_until_ready(page)
    settled_ran(page, ANALYTICS_ONLY)
    assert host_server.gated_requests() == ["/track/analytics.js"]
    assert page.evaluate("window.cookieConsent.allowed('marketing')") is False
    assert all(update["ad_storage"] == "denied" for update in consent_updates(page))
    # The visitor has answered the notice: it stays away, the reopen control stays.
    expect(page.locator(BANNER)).to_be_hidden()
    expect(page.locator(REOPEN)).to_be_visible()
    assert len(bodies) == 1, "the opt-out is not sent again"


def test_ok_on_the_opt_out_notice_hides_it_for_good(
    new_context: Callable[..., Any],
    regional_service: RegionalConsentService,
    regional_site: Callable[..., tuple[str, str]],
    host_server: HostSite,
) -> None:
    site_key, _ = regional_site()
    page = visitor_from(new_context, regional_service, CALIFORNIA_IP).new_page()
    bodies = consent_posts(page)
    page.goto(regional_page(regional_service, host_server, site_key))

    page.locator(f'{BANNER} [data-role="dismiss"]').click()
    expect(page.locator(BANNER)).to_be_hidden()
    expect(page.locator(REOPEN)).to_be_visible()

    page.reload()
    wait_until_ready(page)
    expect(page.locator(BANNER)).to_be_hidden()
    expect(page.locator(REOPEN)).to_be_visible()
    wait_for_ran(page, list(GATED_SCRIPTS))
    assert widget_state(page)["decided"] is False
    assert bodies == [], "OK acknowledges the notice; it records no choice"


def test_a_californian_with_gpc_never_gets_marketing(
    new_context: Callable[..., Any],
    regional_service: RegionalConsentService,
    regional_site: Callable[..., tuple[str, str]],
    host_server: HostSite,
) -> None:
    site_key, _ = regional_site()
    context = visitor_from(new_context, regional_service, CALIFORNIA_IP)
    context.add_init_script(GPC_IN_PAGE)
    page = context.new_page()
    bodies = consent_posts(page)
    page.goto(regional_page(regional_service, host_server, site_key))

    expect(page.locator(BANNER)).to_have_attribute("data-mode", "opt-out")
    expect(page.locator(f'{BANNER} [data-role="gpc-notice"]')).to_be_visible()
    settled_ran(page, ANALYTICS_ONLY)
    assert host_server.gated_requests() == ["/track/analytics.js"]
    assert all(signals["ad_storage"] == "denied" for signals in consent_signals(layer(page)))
    assert consent_updates(page)[-1]["analytics_storage"] == "granted"

    page.wait_for_function("window.cookieConsent.get().visitorId !== null")
    assert [(body["action"], body["source"], body["gpc"]) for body in bodies] == [
        ("opt_out", "gpc", True)
    ]
    server = regional_service.lookup(site_key, widget_state(page)["visitorId"])
    assert server["gpc"] is True
    assert server["categories"]["marketing"] is False
    assert (server["mode"], server["region"]) == ("opt-out", "US-CA")

    page.reload()
    settled_ran(page, ANALYTICS_ONLY)
    assert host_server.gated_requests() == ["/track/analytics.js"] * 2


@pytest.mark.parametrize(
    ("address", "region", "rule"),
    [(ALABAMA_IP, "US-AL", "US"), (TEXAS_IP, "US-TX", "US-TX")],
    ids=["alabama", "texas"],
)
def test_site_rule_notice_informs_and_offers_a_refusal(
    new_context: Callable[..., Any],
    regional_service: RegionalConsentService,
    regional_site: Callable[..., tuple[str, str]],
    host_server: HostSite,
    address: str,
    region: str,
    rule: str,
) -> None:
    # Texas has an opt-out law by default; the site's own, more specific rule wins.
    site_key, _ = regional_site(
        {
            "controller": {"name": "Example Co", "email": "privacy@example.com"},
            "jurisdiction_rules": {"US": "notice", "US-TX": "notice"},
            # Weaker than the built-in opt-out: the site says why.
            "jurisdiction_acknowledgements": {
                "US": {"reason": "Browser test of the notice regime."},
                "US-TX": {"reason": "Browser test of the notice regime."},
            },
        }
    )
    context = visitor_from(new_context, regional_service, address)
    status, _, answer = api_call(
        f"{regional_service.site_api(site_key)}/region", headers={"X-Forwarded-For": address}
    )
    assert status == 200
    assert {key: answer[key] for key in ("region", "country", "mode", "rule")} == {
        "region": region,
        "country": "US",
        "mode": "notice",
        "rule": rule,
    }
    page = context.new_page()
    page.goto(regional_page(regional_service, host_server, site_key))

    banner = page.locator(BANNER)
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("data-mode", "notice")
    expect(banner.locator("#cookieconsent-desc")).to_have_text(
        re.compile("^" + re.escape(EN["notice_description"]))
    )
    expect(banner.locator('[data-role="dismiss"]')).to_be_visible()
    expect(banner.locator('[data-role="do-not-sell"]')).to_have_count(0)
    wait_for_ran(page, list(GATED_SCRIPTS))
    assert widget_state(page)["mode"] == "notice"

    banner.locator('[data-role="reject-all"]').click()
    state = wait_until_decided(page)
    expect(banner).to_be_hidden()
    assert state["categories"] == {"essential": True, "analytics": False, "marketing": False}
    assert [event["action"] for event in recorded_events(regional_service, site_key)] == [
        "reject_all"
    ]
    server = regional_service.lookup(site_key, state["visitorId"])
    assert (server["decided"], server["mode"], server["region"]) == (True, "notice", region)

    page.reload()
    wait_until_ready(page)
    page.wait_for_timeout(TAKES_TIME_TO_SHOW)
    assert ran(page) == []
    expect(page.locator(BANNER)).to_be_hidden()


@pytest.mark.parametrize("address", [CALIFORNIA_IP, None], ids=["ca-remembered", "unknown-cached"])
def test_the_region_is_asked_once_and_then_remembered(
    new_context: Callable[..., Any],
    regional_service: RegionalConsentService,
    regional_site: Callable[..., tuple[str, str]],
    host_server: HostSite,
    address: str | None,
) -> None:
    site_key, _ = regional_site()
    # Without an address the visitor comes straight from 127.0.0.1, an unknown region, and the
    # context keeps its HTTP cache (a routed context has none).
    if address is None:
        context, mode = new_context(), "opt-in"
    else:
        context, mode = visitor_from(new_context, regional_service, address), "opt-out"
    page = context.new_page()
    asked = requests_to(page, f"/api/v1/sites/{site_key}/region")
    page.goto(regional_page(regional_service, host_server, site_key))
    wait_until_ready(page)
    assert widget_state(page)["mode"] == mode
    assert len(asked) == 1
    assert len(regional_service.region_requests(site_key)) == 1

    page.goto(regional_page(regional_service, host_server, site_key))
    wait_until_ready(page)
    page.reload()
    wait_until_ready(page)
    assert widget_state(page)["mode"] == mode
    assert len(regional_service.region_requests(site_key)) == 1, "the service was asked again"
    if mode == "opt-out":
        # Kept with the visitor's state: the page does not even ask its HTTP cache.
        assert len(asked) == 1
    else:
        # An undecided opt-in visitor gets no cookie; the browser's HTTP cache answers.
        assert len(asked) == 3


def test_the_widget_script_is_the_same_for_every_region(
    new_context: Callable[..., Any],
    regional_service: RegionalConsentService,
    regional_site: Callable[..., tuple[str, str]],
) -> None:
    site_key, _ = regional_site()
    request = new_context().request
    answers = {}
    for address in (VIETNAM_IP, GERMANY_IP, CALIFORNIA_IP, TEXAS_IP, UNKNOWN_IP):
        proxied = {"X-Forwarded-For": address}
        script = request.get(regional_service.widget_url(site_key), headers=proxied)
        region = request.get(f"{regional_service.site_api(site_key)}/region", headers=proxied)
        assert script.status == 200 and region.status == 200
        answers[address] = (script.headers["etag"], script.body(), region.json()["mode"])

    assert len({etag for etag, _, _ in answers.values()}) == 1
    assert len({body for _, body, _ in answers.values()}) == 1
    # ... while the regime each of them gets does differ.
    assert {address: mode for address, (_, _, mode) in answers.items()} == {
        VIETNAM_IP: "opt-in-specific",
        GERMANY_IP: "opt-in",
        CALIFORNIA_IP: "opt-out",
        TEXAS_IP: "opt-out",
        UNKNOWN_IP: "opt-in",
    }


# --- 2. the page's language ------------------------------------------------------------------

SEVEN_LANGUAGES = {"languages": ["vi", "en", "fr", "de", "ja", "zh", "th"]}


@pytest.mark.parametrize(
    ("page_lang", "language", "fetched"),
    [
        ("fr", "fr", True),
        ("de", "de", True),
        ("ja", "ja", True),
        ("zh-CN", "zh-CN", True),
        ("th", "th", True),
        ("en", "en", False),
        ("vi", "vi", False),
    ],
)
def test_the_banner_speaks_the_page_language(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    configured_site: Callable[..., str],
    consent_service: ConsentService,
    page_lang: str,
    language: str,
    fetched: bool,
) -> None:
    site_key = configured_site(SEVEN_LANGUAGES)
    page = new_context().new_page()
    texts = requests_to(page, "/texts/")
    page.goto(host_page(key=site_key, lang=page_lang))

    accept = page.locator(f'{BANNER} [data-role="accept-all"]')
    expect(accept).to_have_text(BANNER_TEXTS[language]["accept_all"])
    expect(page.locator(ROOT)).to_have_attribute("lang", language)
    if fetched:
        # A language the script does not carry: its file came before the banner could show.
        assert len(texts) == 1
    # Every page fetches its language's file once (for the dialog, when idle), by version.
    page.wait_for_function("document.querySelector('.cookieconsent-prefs')")
    digest = consent_service.served_config(site_key)["digest"]
    expected = [f"{consent_service.origin}/c/{site_key}/texts/{language}.json?v={digest}"]
    assert texts == expected, "one file per page, the visitor's language only"

    accept.click()
    state = wait_until_decided(page)
    events = history(consent_service, site_key, state["visitorId"])
    assert [event["language"] for event in events] == [language]


@pytest.mark.parametrize(
    ("locale", "language"), [("fr-FR", "fr"), ("ko-KR", "vi")], ids=["browser", "site-default"]
)
def test_a_page_language_the_site_does_not_offer_falls_back(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    configured_site: Callable[..., str],
    consent_service: ConsentService,
    locale: str,
    language: str,
) -> None:
    site_key = configured_site(SEVEN_LANGUAGES)
    page = new_context(locale=locale).new_page()
    texts = requests_to(page, "/texts/")
    page.goto(host_page(key=site_key, lang="ko"))

    reject = page.locator(f'{BANNER} [data-role="reject-all"]')
    expect(reject).to_have_text(BANNER_TEXTS[language]["reject_all"])
    expect(page.locator(ROOT)).to_have_attribute("lang", language)
    page.wait_for_function("document.querySelector('.cookieconsent-prefs')")
    digest = consent_service.served_config(site_key)["digest"]
    assert texts == [f"{consent_service.origin}/c/{site_key}/texts/{language}.json?v={digest}"]

    reject.click()
    state = wait_until_decided(page)
    events = history(consent_service, site_key, state["visitorId"])
    assert [event["language"] for event in events] == [language]


# --- 3. policy versions ----------------------------------------------------------------------


def test_a_minor_policy_version_keeps_the_choice_and_a_major_one_asks_again(
    new_context: Callable[..., Any],
    consent_service: ConsentService,
    host_server: HostSite,
    host_page: Callable[..., str],
) -> None:
    site_key, api_token = create_site_with_token(
        consent_service, [host_server.origin.removeprefix("http://")]
    )
    url = host_page(key=site_key)
    context = new_context()
    page = context.new_page()
    page.goto(url)
    page.locator(f'{BANNER} [data-role="accept-all"]').click()
    before = wait_until_decided(page)
    assert before["policyVersion"] == "1.0"
    wait_for_ran(page, list(GATED_SCRIPTS))

    publish_policy(consent_service, site_key, api_token, "1.1", "Typo fixes.")
    page = same_visitor_later(new_context, context)
    page.goto(url)
    wait_until_ready(page)
    expect(page.locator(BANNER)).to_be_hidden()
    expect(page.locator(REOPEN)).to_be_visible()
    state = widget_state(page)
    assert (state["decided"], state["visitorId"]) == (True, before["visitorId"])
    assert state["policyVersion"] == "1.0"
    wait_for_ran(page, list(GATED_SCRIPTS))

    summary = "We added a marketing partner."
    publish_policy(consent_service, site_key, api_token, "2.0", summary)
    host_server.forget_requests()
    page = same_visitor_later(new_context, page.context)
    bodies = consent_posts(page)
    page.goto(url)

    banner = page.locator(BANNER)
    expect(banner).to_be_visible()
    updated = banner.locator('[data-role="policy-updated"]')
    expect(updated).to_be_visible()
    expect(updated).to_contain_text(summary)
    expect(updated).to_have_text(f"{EN['policy_updated']} {summary}")
    state = widget_state(page)
    assert (state["decided"], state["visitorId"]) == (False, before["visitorId"])
    page.wait_for_timeout(TAKES_TIME_TO_SHOW)
    assert ran(page) == []
    assert host_server.gated_requests() == []
    assert consent_service.lookup(site_key, before["visitorId"])["decided"] is False

    page.locator(f'{BANNER} [data-role="reject-all"]').click()
    after = wait_until_decided(page)
    expect(banner).to_be_hidden()
    assert after["policyVersion"] == "2.0"
    assert [body["policy_version"] for body in bodies] == ["2.0"]
    server = consent_service.lookup(site_key, before["visitorId"])
    assert (server["decided"], server["policy_version"]) == (True, "2.0")
    assert [
        (event["action"], event["policy_version"])
        for event in history(consent_service, site_key, before["visitorId"])
    ] == [("accept_all", "1.0"), ("reject_all", "2.0")]

    page.reload()
    wait_until_ready(page)
    expect(page.locator(BANNER)).to_be_hidden()
    expect(page.locator('[data-role="policy-updated"]')).to_be_hidden()


# --- 4. a refusal is remembered --------------------------------------------------------------


def test_a_refusal_is_remembered_for_the_refusal_lifetime(
    page: Page,
    host_page: Callable[..., str],
    configured_site: Callable[..., str],
    consent_service: ConsentService,
    host_server: HostSite,
) -> None:
    site_key = configured_site({"refusal_lifetime_days": 90, "consent_lifetime_days": 365})
    writes = consent_posts(page)
    page.goto(host_page(key=site_key))
    page.locator(f'{BANNER} [data-role="reject-all"]').click()
    state = wait_until_decided(page)

    for visit in ("another page", "a third page", "a reload"):
        if visit == "a reload":
            page.reload()
        else:
            page.goto(host_page(key=site_key))
        wait_until_ready(page)
        expect(page.locator(BANNER), visit).to_be_hidden()
        expect(page.locator(REOPEN), visit).to_be_visible()
        assert widget_state(page)["decided"] is True, visit
    assert ran(page) == []
    assert host_server.gated_requests() == []
    assert len(writes) == 1

    server = consent_service.lookup(site_key, state["visitorId"])
    lifetime = parse_time(server["expires_at"]) - parse_time(server["decided_at"])
    assert lifetime == timedelta(days=90)
    assert state["expiresAt"] == server["expires_at"]
    (cookie,) = [c for c in page.context.cookies() if c["name"] == consent_cookie_name(site_key)]
    assert abs(cookie["expires"] - parse_time(server["expires_at"]).timestamp()) < 5


# --- 5. the visitor's rights -----------------------------------------------------------------


def test_the_visitor_sees_exports_gets_a_receipt_and_erases_their_record(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    consent_service: ConsentService,
    site_key: str,
) -> None:
    context = new_context()
    page = context.new_page()
    url = host_page()
    page.goto(url)
    page.locator(f'{BANNER} [data-role="accept-all"]').click()
    visitor_id = wait_until_decided(page)["visitorId"]
    open_preferences_again(page)
    page.locator(f'{PREFERENCES} [data-role="reject-all"]').click()
    page.wait_for_function(
        "!window.cookieConsent.allowed('analytics') && !window.cookieConsent.get().pending"
    )

    open_preferences_again(page)
    your_data = page.locator(YOUR_DATA)
    expect(your_data).to_be_visible()
    expect(your_data.locator("h3")).to_have_text(EN["your_data"])

    your_data.locator('[data-role="history"]').click()
    items = your_data.locator('[data-role="history-list"] li')
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("accept_all")
    expect(items.nth(1)).to_contain_text("reject_all")

    export = your_data.locator('[data-role="export"]')
    expect(export).to_have_attribute(
        "href", f"{visitor_api(consent_service, site_key, visitor_id)}/export"
    )
    download = context.request.get(export.get_attribute("href") or "")
    assert download.status == 200
    assert download.headers["content-type"].startswith("application/json")
    exported = download.json()
    assert exported["visitor_id"] == visitor_id
    assert [event["action"] for event in exported["events"]] == ["accept_all", "reject_all"]
    assert exported["current"]["categories"] == {
        "essential": True,
        "analytics": False,
        "marketing": False,
    }

    receipt_link = your_data.locator('[data-role="receipt"]')
    expect(receipt_link).to_have_attribute(
        "href",
        f"{consent_service.origin}/receipt/{site_key}/{quote(visitor_id, safe='')}?lang=en",
    )
    with context.expect_page() as opened:
        receipt_link.click()
    receipt = opened.value
    receipt.wait_for_load_state()
    expect(receipt.locator("html")).to_have_attribute("lang", "en")
    expect(receipt.locator("h1")).to_have_text(EN["receipt_title"])
    expect(receipt.locator('[data-field="action"]')).to_have_text(EN["action_reject_all"])
    expect(receipt.locator('[data-field="action"]')).to_have_attribute("data-action", "reject_all")
    rows = receipt.locator("tbody tr")
    expect(rows).to_have_count(3)
    assert [rows.nth(i).get_attribute("data-purpose") for i in range(3)] == [
        "essential",
        "analytics",
        "marketing",
    ]
    expect(receipt.locator('tr[data-purpose="analytics"] td').nth(1)).to_have_text(
        EN["receipt_refused"]
    )
    expect(receipt.locator('[data-field="withdrawal"]')).to_have_count(0)
    receipt.close()

    confirmations: list[str] = []

    def confirm(dialog: Any) -> None:
        confirmations.append(dialog.message)
        dialog.accept()

    page.on("dialog", confirm)
    your_data.locator('[data-role="erase"]').click()
    status = your_data.locator('[role="status"]')
    expect(status).to_have_text(EN["erased"])
    expect(status).to_be_visible()
    # Links to a record that no longer exists are gone with it.
    for role in ("history", "export", "receipt", "erase"):
        expect(your_data.locator(f'[data-role="{role}"]')).to_be_hidden()
    assert confirmations == [EN["erase_confirm"]]
    # The erase button is gone; focus stays in the dialog rather than falling to the page.
    assert page.evaluate(
        "document.querySelector('.cookieconsent-prefs') === document.activeElement"
    )
    state = widget_state(page)
    assert (state["decided"], state["visitorId"]) == (False, None)
    assert history(consent_service, site_key, visitor_id) == []
    assert consent_service.lookup(site_key, visitor_id)["decided"] is False

    page.reload()
    expect(page.locator(BANNER)).to_be_visible()
    assert widget_state(page)["visitorId"] is None

    # A new choice is a new record, with its own links.
    page.locator(f'{BANNER} [data-role="accept-all"]').click()
    fresh_id = wait_until_decided(page)["visitorId"]
    assert fresh_id not in (None, visitor_id)
    open_preferences_again(page)
    expect(your_data.locator('[data-role="export"]')).to_be_visible()
    expect(your_data.locator('[data-role="export"]')).to_have_attribute(
        "href", re.compile(re.escape(quote(fresh_id, safe="")) + "/export$")
    )
    expect(your_data.locator('[role="status"]')).to_have_text("")


# --- 6. a receipt for a withdrawal -----------------------------------------------------------


def test_the_receipt_of_a_withdrawal_explains_it(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    consent_service: ConsentService,
    site_key: str,
) -> None:
    context = new_context()
    page = context.new_page()
    page.goto(host_page(lang="vi"))
    page.locator(f'{BANNER} [data-role="accept-all"]').click()
    visitor_id = wait_until_decided(page)["visitorId"]

    open_preferences_again(page)
    page.locator(f'{PREFERENCES} [data-role="withdraw"]').click()
    wait_until_decided(page, decided=False)
    assert widget_state(page)["visitorId"] == visitor_id

    open_preferences_again(page)
    href = page.locator(f'{YOUR_DATA} [data-role="receipt"]').get_attribute("href")
    assert href and href.endswith("?lang=vi")
    receipt = context.new_page()
    receipt.goto(href)
    vi = BANNER_TEXTS["vi"]
    expect(receipt.locator("html")).to_have_attribute("lang", "vi")
    expect(receipt.locator("h1")).to_have_text(vi["receipt_title"])
    expect(receipt.locator('[data-field="action"]')).to_have_text(vi["action_withdraw"])
    expect(receipt.locator('[data-field="withdrawal"]')).to_have_text(vi["receipt_withdrawal"])
    expect(receipt.locator('tr[data-purpose="marketing"] td').nth(1)).to_have_text(
        vi["receipt_refused"]
    )

"""The banner as visitors meet it: in Chromium, on a host page of another origin.

Each test starts from a fresh browser context and a fresh site, so no choice leaks between tests.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from typing import Any

import pytest

from .conftest import (
    GATED_SCRIPTS,
    POLICY_URL,
    BackgroundServer,
    ConsentService,
    HostSite,
    in_ci,
    recorded_events,
    store_record,
)

try:
    from playwright.sync_api import Page, Route, expect
except ImportError:  # pragma: no cover - the [test] extra installs it
    if in_ci():
        raise
    pytest.skip("BROWSER TESTS SKIPPED: playwright is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser

BANNER = '#cookieconsent [data-role="banner"]'
REOPEN = '#cookieconsent [data-role="reopen"]'
ENGLISH = {"accept-all": "Accept all", "reject-all": "Reject all", "preferences": "Preferences"}
VIETNAMESE = {
    "accept-all": "Chấp nhận tất cả",
    "reject-all": "Từ chối tất cả",
    "preferences": "Tùy chọn",
}
ALL_DENIED = {
    "ad_storage": "denied",
    "ad_user_data": "denied",
    "ad_personalization": "denied",
    "analytics_storage": "denied",
    "functionality_storage": "denied",
    "personalization_storage": "denied",
    "security_storage": "denied",
}
ONLY_ESSENTIAL_GRANTED = {
    **ALL_DENIED,
    "functionality_storage": "granted",
    "security_storage": "granted",
}
ALL_GRANTED_BUT_PERSONALIZATION = {
    **{signal: "granted" for signal in ALL_DENIED},
    "personalization_storage": "denied",
}

# Google's tags read gtag() calls as Arguments objects; turn them into arrays to compare.
READ_DATA_LAYER = """() => (window.dataLayer || []).map((entry) =>
  Object.prototype.toString.call(entry) === "[object Arguments]" ? Array.from(entry) : entry)"""
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(),
    role: el.getAttribute("data-role"),
    category: el.getAttribute("data-category-switch"),
    inWidget: !!el.closest("#cookieconsent"),
    inPreferences: !!el.closest(".cookieconsent-prefs"),
    inBanner: !!el.closest('[data-role="banner"]'),
    focusVisible: el.matches(":focus-visible"),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth) || 0,
  };
}"""


# --- helpers ---------------------------------------------------------------------------------


def ran(page: Page) -> list[str]:
    """What the gated scripts reported, in the order they ran."""
    return page.evaluate("window.__ran || []")  # type: ignore[no-any-return]


def wait_for_ran(page: Page, expected: list[str]) -> None:
    """Wait until the gated scripts have reported ``expected`` (and check nothing else ran)."""
    page.wait_for_function("n => (window.__ran || []).length >= n", arg=len(expected))
    assert ran(page) == expected


def widget_state(page: Page) -> dict[str, Any]:
    return page.evaluate("window.cookieConsent.get()")  # type: ignore[no-any-return]


def data_layer(page: Page) -> list[Any]:
    return page.evaluate(READ_DATA_LAYER)  # type: ignore[no-any-return]


def focused(page: Page) -> dict[str, Any]:
    return page.evaluate(FOCUSED)  # type: ignore[no-any-return]


def consent_writes(page: Page) -> list[str]:
    """Collect the consent POSTs this page sends from now on."""
    writes: list[str] = []
    page.on(
        "request",
        lambda request: (
            writes.append(request.url)
            if request.method == "POST" and "/consents" in request.url
            else None
        ),
    )
    return writes


def wait_until_decided(page: Page, decided: bool = True) -> dict[str, Any]:
    """Wait until the service has the choice (nothing pending) and it reads as ``decided``."""
    page.wait_for_function(
        "d => { const s = window.cookieConsent.get(); return s.decided === d && !s.pending; }",
        arg=decided,
    )
    return widget_state(page)


def inert_gated_elements(page: Page) -> dict[str, int]:
    """How many gated scripts and frames are still asleep, per category."""
    return page.evaluate(  # type: ignore[no-any-return]
        """() => {
          const counts = {};
          document.querySelectorAll(
            'script[type="text/plain"][data-category], iframe[data-category][data-src]'
          ).forEach((node) => {
            const name = node.getAttribute("data-category");
            counts[name] = (counts[name] || 0) + 1;
          });
          return counts;
        }"""
    )


def free_port() -> int:
    """A port on which nothing listens (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def assert_visible_focus(page: Page) -> dict[str, Any]:
    """The focused widget element shows a focus ring a keyboard user can see."""
    state = focused(page)
    assert state["inWidget"], state
    assert state["focusVisible"], state
    assert state["outlineStyle"] != "none", state
    assert state["outlineWidth"] > 0, state
    return state


def open_preferences_and_save(page: Page, **choices: bool) -> dict[str, Any]:
    """Choose through the preferences dialog as a visitor would, and wait for the record."""
    page.locator(f'{BANNER} [data-role="preferences"]').click()
    dialog = page.get_by_role("dialog", name="Cookie preferences")
    for category, on in choices.items():
        dialog.get_by_role("switch", name=category.capitalize()).set_checked(on)
    dialog.locator('[data-role="save"]').click()
    return wait_until_decided(page)


# --- 1. the first layer ----------------------------------------------------------------------


def test_banner_offers_equal_choices_before_anything_gated_runs(
    page: Page, host_page: Callable[..., str], host_server: HostSite
) -> None:
    page.goto(host_page())

    banner = page.get_by_role("dialog", name="We respect your privacy")
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("data-role", "banner")
    expect(banner).to_have_accessible_description(re.compile("essential cookies"))
    buttons = [banner.locator(f'[data-role="{role}"]') for role in ENGLISH]
    for button, (role, label) in zip(buttons, ENGLISH.items(), strict=True):
        expect(button).to_be_visible()
        expect(banner.get_by_role("button", name=label, exact=True)).to_have_attribute(
            "data-role", role
        )

    # The banner slides in; measure once its entrance animation has finished.
    page.wait_for_function("document.getAnimations().every(a => a.playState === 'finished')")
    boxes = [button.bounding_box() for button in buttons]
    assert all(box is not None for box in boxes)
    tops = [box["y"] for box in boxes if box]
    assert max(tops) - min(tops) <= 1, f"the three buttons should share one row: {boxes}"
    widths = [box["width"] for box in boxes if box]
    heights = [box["height"] for box in boxes if box]
    assert max(widths) - min(widths) <= 1, f"unequal widths: {widths}"
    assert max(heights) - min(heights) <= 1, f"unequal heights: {heights}"
    weights = {button.evaluate("el => getComputedStyle(el).fontWeight") for button in buttons}
    assert len(weights) == 1, f"unequal font weights: {weights}"

    policy = banner.get_by_role("link", name="Privacy policy")
    expect(policy).to_be_visible()
    expect(policy).to_have_attribute("href", POLICY_URL)

    expect(page.locator(REOPEN)).to_be_hidden()
    assert ran(page) == []
    assert host_server.gated_requests() == []
    assert inert_gated_elements(page) == {"analytics": 2, "marketing": 3}
    state = widget_state(page)
    assert state["decided"] is False
    assert state["visitorId"] is None
    assert page.evaluate("window.cookieConsent.allowed('analytics')") is False
    assert page.evaluate("window.cookieConsent.allowed('essential')") is True
    assert data_layer(page)[0] == ["consent", "default", {**ALL_DENIED, "wait_for_update": 500}]


# --- 2. reject all ---------------------------------------------------------------------------


def test_reject_all_keeps_everything_gated_and_is_recorded(
    page: Page,
    host_page: Callable[..., str],
    host_server: HostSite,
    consent_service: ConsentService,
    site_key: str,
) -> None:
    page.goto(host_page())
    page.locator(f'{BANNER} [data-role="reject-all"]').click()

    state = wait_until_decided(page)
    expect(page.locator(BANNER)).to_be_hidden()
    expect(page.locator(REOPEN)).to_be_visible()
    expect(page.locator(REOPEN)).to_have_text("Cookie settings")
    assert state["categories"] == {"essential": True, "analytics": False, "marketing": False}
    assert page.evaluate("window.cookieConsent.allowed('analytics')") is False
    assert page.evaluate("window.cookieConsent.allowed('marketing')") is False

    server = consent_service.lookup(site_key, state["visitorId"])
    assert server["decided"] is True
    assert server["categories"] == {"essential": True, "analytics": False, "marketing": False}
    assert server["google_consent_mode"] == ONLY_ESSENTIAL_GRANTED

    assert ran(page) == []
    assert host_server.gated_requests() == []
    assert inert_gated_elements(page) == {"analytics": 2, "marketing": 3}
    assert page.locator("iframe[data-category]").get_attribute("src") is None

    layer = data_layer(page)
    assert layer[0] == ["consent", "default", {**ALL_DENIED, "wait_for_update": 500}]
    updates = [
        index
        for index, entry in enumerate(layer)
        if isinstance(entry, list) and entry[:2] == ["consent", "update"]
    ]
    assert len(updates) == 1
    assert layer[updates[0]][2] == ONLY_ESSENTIAL_GRANTED
    assert {
        "event": "cookie_consent_update",
        "cookie_consent": {"essential": True, "analytics": False, "marketing": False},
    } in layer[updates[0] :]


# --- 3. accept all ---------------------------------------------------------------------------


def test_accept_all_wakes_each_gated_element_once_per_page_load(
    page: Page,
    host_page: Callable[..., str],
    host_server: HostSite,
    consent_service: ConsentService,
    site_key: str,
) -> None:
    url = host_page()
    page.goto(url)
    page.locator(f'{BANNER} [data-role="accept-all"]').click()

    wait_for_ran(page, list(GATED_SCRIPTS))
    frame = page.locator("iframe[data-category]")
    expect(frame).to_have_attribute("src", f"{host_server.origin}/frame/marketing")
    expect(page.frame_locator("iframe[data-category]").locator("p")).to_have_text("marketing frame")
    expect(page.locator(BANNER)).to_be_hidden()
    assert inert_gated_elements(page) == {}
    assert sorted(host_server.gated_requests()) == [
        "/frame/marketing",
        "/track/analytics.js",
        "/track/marketing.js",
    ]
    state = widget_state(page)
    assert state["categories"] == {"essential": True, "analytics": True, "marketing": True}
    assert consent_service.lookup(site_key, state["visitorId"])["categories"] == state["categories"]

    host_server.forget_requests()
    page.reload()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator(REOPEN)).to_be_visible()
    wait_for_ran(page, list(GATED_SCRIPTS))
    expect(page.frame_locator("iframe[data-category]").locator("p")).to_have_text("marketing frame")
    assert inert_gated_elements(page) == {}
    # Nothing is queued twice: every gated script reported exactly once on this load.
    page.wait_for_timeout(200)
    assert ran(page) == list(GATED_SCRIPTS)
    assert sorted(host_server.gated_requests()) == [
        "/frame/marketing",
        "/track/analytics.js",
        "/track/marketing.js",
    ]


@pytest.mark.parametrize("attribute", ["async", "defer"])
def test_async_or_deferred_embed_still_gates_until_consent(
    page: Page,
    host_page: Callable[..., str],
    host_server: HostSite,
    consent_service: ConsentService,
    site_key: str,
    attribute: str,
) -> None:
    page.goto(host_page(script_attributes=attribute))
    expect(page.locator(BANNER)).to_be_visible()
    assert ran(page) == []
    assert host_server.gated_requests() == []

    page.locator(f'{BANNER} [data-role="accept-all"]').click()
    wait_for_ran(page, list(GATED_SCRIPTS))
    state = widget_state(page)
    assert consent_service.lookup(site_key, state["visitorId"])["decided"] is True


def test_banner_works_under_a_strict_content_security_policy(
    page: Page,
    host_page: Callable[..., str],
    host_server: HostSite,
    consent_service: ConsentService,
) -> None:
    nonce = "c5p-n0nce-for-tests"
    policy = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'none'; "
        f"connect-src {consent_service.origin}; frame-src {host_server.origin}"
    )
    page.add_init_script(
        """window.__violations = [];
        document.addEventListener("securitypolicyviolation",
          (event) => __violations.push(event.violatedDirective + " " + event.blockedURI));"""
    )
    page.goto(host_page(nonce=nonce, headers={"Content-Security-Policy": policy}))

    banner = page.locator(BANNER)
    expect(banner).to_be_visible()
    # Styled although style-src is 'none': the stylesheet is not an inline <style>.
    assert banner.evaluate("el => getComputedStyle(el).position") == "fixed"
    page.locator(f'{BANNER} [data-role="accept-all"]').click()

    # Inline gated scripts run only because the widget carries their nonce over.
    wait_for_ran(page, list(GATED_SCRIPTS))
    expect(page.frame_locator("iframe[data-category]").locator("p")).to_have_text("marketing frame")
    assert page.evaluate("window.__violations") == []


# --- 4. preferences --------------------------------------------------------------------------


def test_preferences_allow_one_category_only(
    page: Page,
    host_page: Callable[..., str],
    host_server: HostSite,
    consent_service: ConsentService,
    site_key: str,
) -> None:
    page.goto(host_page())
    page.locator(f'{BANNER} [data-role="preferences"]').click()

    dialog = page.get_by_role("dialog", name="Cookie preferences")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(page.locator(BANNER)).to_be_hidden()
    assert focused(page)["inPreferences"], "focus moves into the dialog (or onto it)"
    essential = dialog.get_by_role("switch", name="Essential")
    expect(essential).to_be_checked()
    expect(essential).to_be_disabled()
    analytics = dialog.get_by_role("switch", name="Analytics")
    marketing = dialog.get_by_role("switch", name="Marketing")
    expect(analytics).not_to_be_checked()
    expect(marketing).not_to_be_checked()
    expect(dialog.locator('[data-role="withdraw"]')).to_be_hidden()

    analytics.check()
    dialog.locator('[data-role="save"]').click()

    state = wait_until_decided(page)
    expect(dialog).to_be_hidden()
    wait_for_ran(page, ["analytics-inline", "analytics-external"])
    assert inert_gated_elements(page) == {"marketing": 3}
    assert host_server.gated_requests() == ["/track/analytics.js"]
    assert state["categories"] == {"essential": True, "analytics": True, "marketing": False}
    assert page.evaluate("window.cookieConsent.allowed('marketing')") is False

    server = consent_service.lookup(site_key, state["visitorId"])
    assert server["decided"] is True
    assert server["categories"] == {"essential": True, "analytics": True, "marketing": False}
    assert server["google_consent_mode"]["analytics_storage"] == "granted"
    assert server["google_consent_mode"]["ad_storage"] == "denied"


# --- 5. reload -------------------------------------------------------------------------------


def test_choice_survives_a_reload(
    page: Page, host_page: Callable[..., str], host_server: HostSite
) -> None:
    page.goto(host_page())
    before = open_preferences_and_save(page, analytics=True)
    wait_for_ran(page, ["analytics-inline", "analytics-external"])

    writes = consent_writes(page)
    page.reload()
    expect(page.locator(REOPEN)).to_be_visible()
    expect(page.locator(BANNER)).to_be_hidden()
    after = widget_state(page)
    assert after["visitorId"] == before["visitorId"]
    assert after["decided"] is True
    assert after["categories"] == before["categories"]
    assert after["expiresAt"] == before["expiresAt"]
    wait_for_ran(page, ["analytics-inline", "analytics-external"])
    assert writes == [], "a remembered choice is not sent again"

    layer = data_layer(page)
    assert layer[0][:2] == ["consent", "default"]
    assert layer[1] == [
        "consent",
        "update",
        {**ONLY_ESSENTIAL_GRANTED, "analytics_storage": "granted"},
    ]
    assert layer[2] == {
        "event": "cookie_consent_update",
        "cookie_consent": {"essential": True, "analytics": True, "marketing": False},
    }


def test_new_policy_version_asks_again(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    consent_service: ConsentService,
    site_key: str,
) -> None:
    url = host_page()
    context = new_context()
    page = context.new_page()
    page.goto(url)
    page.locator(f'{BANNER} [data-role="accept-all"]').click()
    before = wait_until_decided(page)
    wait_for_ran(page, list(GATED_SCRIPTS))

    consent_service.publish_policy_version(site_key, "2.0")
    # Same cookies, empty HTTP cache: the widget is fetched again and knows the new version.
    page = new_context(storage_state=context.storage_state()).new_page()
    page.goto(url)
    expect(page.locator(BANNER)).to_be_visible()
    state = widget_state(page)
    assert state["decided"] is False
    assert state["visitorId"] == before["visitorId"]
    assert ran(page) == []

    page.locator(f'{BANNER} [data-role="reject-all"]').click()
    after = wait_until_decided(page)
    assert after["policyVersion"] == "2.0"
    server = consent_service.lookup(site_key, before["visitorId"])
    assert server["policy_version"] == "2.0"
    assert server["categories"] == {"essential": True, "analytics": False, "marketing": False}


def settled_change(page: Page) -> dict[str, Any]:
    """The last ``change`` the page heard (into ``window.__changes``) once nothing is pending."""
    page.wait_for_function(
        "window.__changes.length > 0 && !window.__changes[window.__changes.length - 1].pending"
    )
    return page.evaluate("window.__changes[window.__changes.length - 1]")  # type: ignore[no-any-return]


def post_statuses(page: Page) -> list[int]:
    """Statuses of the consent POSTs this page sends from now on."""
    statuses: list[int] = []
    page.on(
        "response",
        lambda response: (
            statuses.append(response.status)
            if response.request.method == "POST" and "/consents" in response.url
            else None
        ),
    )
    return statuses


def test_a_visitor_id_the_service_refuses_is_dropped_when_the_session_starts(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    host_server: HostSite,
    consent_service: ConsentService,
    site_key: str,
) -> None:
    context = new_context()
    store_record(context, host_server.origin, site_key, {"u": 1, "v": "forged.visitor-id"})
    page = context.new_page()
    statuses = post_statuses(page)
    with page.expect_response(lambda r: "/consents/forged.visitor-id" in r.url) as lookup:
        page.goto(host_page())
    assert lookup.value.status == 400
    expect(page.locator(BANNER)).to_be_visible()
    page.wait_for_function("window.cookieConsent.get().visitorId === null")

    page.locator(f'{BANNER} [data-role="accept-all"]').click()
    state = wait_until_decided(page)
    assert state["visitorId"] not in (None, "forged.visitor-id")
    assert statuses == [201], "the write goes out without the refused ID"
    assert consent_service.lookup(site_key, state["visitorId"])["decided"] is True
    wait_for_ran(page, list(GATED_SCRIPTS))


def test_a_refused_visitor_id_is_replaced_by_a_fresh_one(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    host_server: HostSite,
    consent_service: ConsentService,
    site_key: str,
) -> None:
    context = new_context()
    store_record(context, host_server.origin, site_key, {"u": 1, "v": "forged.visitor-id"})
    page = context.new_page()
    # The lookup at the start of the session cannot reach the service, so the ID is kept.
    page.route(f"{consent_service.origin}/api/v1/sites/*/consents/*", lambda r: r.abort())
    statuses = post_statuses(page)
    page.goto(host_page())
    expect(page.locator(BANNER)).to_be_visible()
    assert widget_state(page)["visitorId"] == "forged.visitor-id"

    page.locator(f'{BANNER} [data-role="accept-all"]').click()
    state = wait_until_decided(page)
    assert state["visitorId"] not in (None, "forged.visitor-id")
    assert statuses == [400, 201], "refused once, then sent afresh without the ID"
    assert consent_service.lookup(site_key, state["visitorId"])["decided"] is True
    expect(page.locator(BANNER)).to_be_hidden()
    wait_for_ran(page, list(GATED_SCRIPTS))


# --- 6. reopen, change, withdraw -------------------------------------------------------------


def test_reopen_change_and_withdraw(
    page: Page,
    host_page: Callable[..., str],
    consent_service: ConsentService,
    site_key: str,
) -> None:
    page.goto(host_page())
    first = open_preferences_and_save(page, analytics=True)
    wait_for_ran(page, ["analytics-inline", "analytics-external"])
    page.evaluate(
        """() => {
          window.__changes = [];
          addEventListener("cookieconsent:change", (event) => __changes.push(event.detail));
        }"""
    )

    page.locator(REOPEN).click()
    dialog = page.get_by_role("dialog", name="Cookie preferences")
    expect(dialog).to_be_visible()
    expect(page.locator(REOPEN)).to_be_hidden()
    analytics = dialog.get_by_role("switch", name="Analytics")
    marketing = dialog.get_by_role("switch", name="Marketing")
    expect(analytics).to_be_checked()
    expect(marketing).not_to_be_checked()
    expect(dialog.get_by_role("switch", name="Essential")).to_be_checked()

    analytics.uncheck()
    marketing.check()
    dialog.locator('[data-role="save"]').click()
    change = settled_change(page)
    assert change["visitorId"] == first["visitorId"]
    assert change["decided"] is True
    assert change["categories"] == {"essential": True, "analytics": False, "marketing": True}
    assert page.evaluate("window.cookieConsent.allowed('analytics')") is False
    assert page.evaluate("window.cookieConsent.allowed('marketing')") is True
    wait_for_ran(
        page, ["analytics-inline", "analytics-external", "marketing-inline", "marketing-external"]
    )
    server = consent_service.lookup(site_key, first["visitorId"])
    assert server["decided"] is True
    assert server["categories"] == {"essential": True, "analytics": False, "marketing": True}

    page.locator(REOPEN).click()
    expect(analytics).not_to_be_checked()
    expect(marketing).to_be_checked()
    withdraw = dialog.locator('[data-role="withdraw"]')
    expect(withdraw).to_be_visible()
    page.evaluate("window.__changes = []")
    withdraw.click()
    # A withdrawal applies at once, before the service answers.
    page.wait_for_function("window.__changes.length >= 1")
    change = page.evaluate("window.__changes[0]")
    assert change["decided"] is False
    assert change["categories"] == {"essential": True, "analytics": False, "marketing": False}
    assert page.evaluate("window.cookieConsent.allowed('marketing')") is False
    # The service's answer changes nothing more: no second event.
    assert wait_until_decided(page, False)["categories"] == change["categories"]
    assert page.evaluate("window.__changes.length") == 1
    server = consent_service.lookup(site_key, first["visitorId"])
    assert server["decided"] is False
    assert server["categories"] == {"essential": True, "analytics": False, "marketing": False}

    # Withdrawn means undecided: the next page asks again, for the same visitor.
    page.reload()
    expect(page.locator(BANNER)).to_be_visible()
    assert widget_state(page)["visitorId"] == first["visitorId"]
    assert ran(page) == []


# --- 7. keyboard only ------------------------------------------------------------------------


def test_keyboard_only_visitor_can_open_leave_and_answer_the_banner(
    page: Page,
    host_page: Callable[..., str],
    host_server: HostSite,
    consent_service: ConsentService,
    site_key: str,
) -> None:
    writes = consent_writes(page)
    page.goto(host_page())
    expect(page.locator(BANNER)).to_be_visible()

    for _ in range(10):
        page.keyboard.press("Tab")
        state = assert_visible_focus(page)
        assert state["inBanner"], state
        if state["role"] == "preferences":
            break
    else:
        pytest.fail("Tab never reached the Preferences button")

    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Cookie preferences")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    assert page.evaluate(
        "document.querySelector('.cookieconsent-prefs').contains(document.activeElement)"
    )

    # Forward: the trap cycles through the dialog's controls and never leaves it.
    seen = []
    for _ in range(15):
        page.keyboard.press("Tab")
        state = assert_visible_focus(page)
        assert state["inPreferences"], f"focus left the dialog: {state}"
        seen.append(state["role"] or state["category"])
    # The request form's opener sits in the dialog's body, before the choices.
    assert seen[:7] == [
        "close",
        "analytics",
        "marketing",
        "requests",
        "reject-all",
        "save",
        "accept-all",
    ]
    assert seen[7:] == seen[:8], "Tab on the last control wraps to the first"
    # Backward too: from the first control, Shift+Tab wraps to the last.
    backward = []
    for _ in range(8):
        page.keyboard.press("Shift+Tab")
        state = assert_visible_focus(page)
        assert state["inPreferences"], f"focus left the dialog: {state}"
        backward.append(state["role"] or state["category"])
    assert backward[:7] == [
        "accept-all",
        "save",
        "reject-all",
        "requests",
        "marketing",
        "analytics",
        "close",
    ]

    # Space toggles a switch; Escape then leaves without consenting to anything.
    for _ in range(7):
        if focused(page)["category"] == "analytics":
            break
        page.keyboard.press("Tab")
    assert focused(page)["category"] == "analytics"
    page.keyboard.press("Space")
    expect(dialog.get_by_role("switch", name="Analytics")).to_be_checked()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator(BANNER)).to_be_visible()
    state = assert_visible_focus(page)
    assert state["inBanner"] and state["role"] == "preferences", state
    assert widget_state(page)["decided"] is False
    assert widget_state(page)["visitorId"] is None
    assert writes == []
    assert ran(page) == []

    page.keyboard.press("Shift+Tab")
    state = assert_visible_focus(page)
    assert state["inBanner"] and state["role"] == "reject-all", state
    page.keyboard.press("Enter")

    decided = wait_until_decided(page)
    expect(page.locator(BANNER)).to_be_hidden()
    state = assert_visible_focus(page)
    assert state["role"] == "reopen", "focus lands on the reopen control, not on <body>"
    assert len(writes) == 1
    server = consent_service.lookup(site_key, decided["visitorId"])
    assert server["decided"] is True
    assert server["categories"] == {"essential": True, "analytics": False, "marketing": False}
    assert ran(page) == []
    assert host_server.gated_requests() == []


def test_escape_on_the_banner_dismisses_it_without_consent(
    page: Page, host_page: Callable[..., str], host_server: HostSite
) -> None:
    writes = consent_writes(page)
    url = host_page()
    page.goto(url)
    expect(page.locator(BANNER)).to_be_visible()

    page.keyboard.press("Tab")
    assert focused(page)["inBanner"]
    page.keyboard.press("Escape")

    expect(page.locator(BANNER)).to_be_hidden()
    expect(page.locator(REOPEN)).to_be_visible()
    assert assert_visible_focus(page)["role"] == "reopen"
    assert widget_state(page)["decided"] is False
    assert writes == []
    assert ran(page) == []
    assert host_server.gated_requests() == []

    # Still undecided: the reopen control leads back to the choice, and the next page asks again.
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Cookie preferences")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(REOPEN)).to_be_visible()
    assert focused(page)["role"] == "reopen"
    page.reload()
    expect(page.locator(BANNER)).to_be_visible()


# --- 8. languages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html_lang", "locale", "language"),
    [
        pytest.param("vi", "en-US", "vi", id="html-vi-wins-over-en-browser"),
        pytest.param("en", "vi-VN", "en", id="html-en-wins-over-vi-browser"),
        pytest.param(None, "en-US", "en", id="no-lang-en-browser"),
        pytest.param(None, "vi-VN", "vi", id="no-lang-vi-browser"),
    ],
)
def test_banner_speaks_the_page_or_browser_language(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    html_lang: str | None,
    locale: str,
    language: str,
) -> None:
    page = new_context(locale=locale).new_page()
    page.goto(host_page(lang=html_lang))

    banner = page.locator(BANNER)
    expect(banner).to_be_visible()
    labels = VIETNAMESE if language == "vi" else ENGLISH
    for role, label in labels.items():
        expect(banner.locator(f'[data-role="{role}"]')).to_have_text(label)
    expect(page.locator("#cookieconsent")).to_have_attribute("lang", language)


# --- 9. the service is unreachable -----------------------------------------------------------


@pytest.mark.parametrize("failure", ["nothing-listening", "unknown-site-key"])
def test_page_works_without_the_consent_service(
    page: Page,
    host_page: Callable[..., str],
    host_server: HostSite,
    consent_service: ConsentService,
    failure: str,
) -> None:
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    if failure == "nothing-listening":
        src = f"http://127.0.0.1:{free_port()}/c/whatever-site.js"
    else:
        src = consent_service.widget_url("no-such-site-key")

    page.goto(host_page(script_src=src), wait_until="domcontentloaded")
    page.wait_for_load_state("load")

    assert page.evaluate("document.readyState") == "complete"
    expect(page.locator("#content")).to_be_visible()
    expect(page.locator("#content")).to_have_text("Welcome to the host page")
    expect(page.locator("#cookieconsent")).to_have_count(0)
    assert page.evaluate("typeof window.cookieConsent") == "undefined"
    assert ran(page) == []
    assert host_server.gated_requests() == []
    assert inert_gated_elements(page) == {"analytics": 2, "marketing": 3}
    assert page_errors == []


# --- 10. contrast ----------------------------------------------------------------------------

READ_COLOURS = """(selector) => {
  const el = document.querySelector(selector);
  const layers = [];
  for (let node = el; node; node = node.parentElement) {
    layers.push(getComputedStyle(node).backgroundColor);
  }
  return {color: getComputedStyle(el).color, backgrounds: layers};
}"""


def _parse_colour(text: str) -> tuple[float, float, float, float]:
    numbers = [float(part) for part in re.findall(r"[\d.]+", text)]
    assert text.startswith("rgb") and len(numbers) in {3, 4}, f"unexpected colour {text!r}"
    alpha = numbers[3] if len(numbers) == 4 else 1.0
    return numbers[0], numbers[1], numbers[2], alpha


def _over(top: tuple[float, float, float, float], below: tuple[float, float, float]) -> tuple:
    red, green, blue, alpha = top
    return tuple(
        channel * alpha + under * (1 - alpha)
        for channel, under in zip((red, green, blue), below, strict=True)
    )


def _luminance(rgb: tuple[float, ...]) -> float:
    def linear(channel: float) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(page: Page, selector: str) -> float:
    """WCAG contrast between an element's text colour and what is painted behind it."""
    colours = page.evaluate(READ_COLOURS, selector)
    background: tuple[float, ...] = (255.0, 255.0, 255.0)  # the canvas
    for layer in reversed(colours["backgrounds"]):
        background = _over(_parse_colour(layer), background)  # type: ignore[arg-type]
    foreground = _over(_parse_colour(colours["color"]), background)  # type: ignore[arg-type]
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_banner_text_meets_wcag_aa_contrast(
    new_context: Callable[..., Any], host_page: Callable[..., str], scheme: str
) -> None:
    page = new_context(color_scheme=scheme).new_page()
    page.goto(host_page())
    expect(page.locator(BANNER)).to_be_visible()
    # Let the entrance animation finish so nothing is measured half-faded.
    page.wait_for_function(
        "document.querySelector('.cookieconsent-banner').getAnimations().length === 0"
    )

    parts = {
        "title": f"{BANNER} .cookieconsent-title",
        "description": f"{BANNER} #cookieconsent-desc",
        "policy link": f"{BANNER} .cookieconsent-link",
        **{f"{role} button": f'{BANNER} [data-role="{role}"]' for role in ENGLISH},
    }
    ratios = {name: round(contrast_ratio(page, selector), 2) for name, selector in parts.items()}
    too_low = {name: ratio for name, ratio in ratios.items() if ratio < 4.5}
    assert not too_low, f"contrast below 4.5:1 in {scheme} mode: {too_low} (all: {ratios})"


# --- 11. site texts are text -----------------------------------------------------------------


def test_site_texts_are_shown_as_text_never_as_markup(
    page: Page,
    host_page: Callable[..., str],
    consent_service: ConsentService,
    site_key: str,
) -> None:
    hostile = '<img src=x onerror="window.__xss=1">'
    breakout = "</script><script>window.__xss=2</script>"
    consent_service.set_site_texts(site_key, {"en": {"title": hostile, "description": breakout}})
    page.goto(host_page())

    title = page.locator(f"{BANNER} .cookieconsent-title")
    expect(title).to_have_text(hostile)
    expect(page.get_by_role("dialog", name=hostile)).to_be_visible()
    expect(page.locator("#cookieconsent img")).to_have_count(0)
    expect(page.locator(f"{BANNER} #cookieconsent-desc")).to_contain_text("</script><script>")
    page.wait_for_timeout(100)
    assert page.evaluate("typeof window.__xss") == "undefined"


# --- 12. the JavaScript API ------------------------------------------------------------------

RECORD_EVENTS = """
window.__events = [];
addEventListener("cookieconsent:ready", (event) => __events.push(["ready", event.detail]));
addEventListener("cookieconsent:change", (event) => __events.push(["change", event.detail]));
"""


def test_javascript_api_records_and_announces_choices(
    page: Page,
    host_page: Callable[..., str],
    consent_service: ConsentService,
    site_key: str,
) -> None:
    page.add_init_script(RECORD_EVENTS)
    page.goto(host_page())
    page.wait_for_function("window.__events.some((e) => e[0] === 'ready')")
    ready = page.evaluate("window.__events")
    assert [name for name, _ in ready] == ["ready"]
    assert ready[0][1]["decided"] is False
    assert not any(
        isinstance(entry, dict) and entry.get("event") == "cookie_consent_update"
        for entry in data_layer(page)
    ), "no update event before anyone decided"

    outcome = page.evaluate(
        """async () => {
          const api = window.cookieConsent;
          const changes = [];
          let lateReady = null;
          api.on("change", (detail) => changes.push(detail));
          api.on("ready", (detail) => { lateReady = detail; });
          const pending = api.acceptAll();
          const isPromise = pending instanceof Promise;
          const decidedWhilePending = api.get().decided;
          const result = await pending;
          return {isPromise, decidedWhilePending, result, changes, lateReady,
                  allowed: api.allowed("marketing")};
        }"""
    )
    assert outcome["isPromise"] is True
    assert outcome["decidedWhilePending"] is False
    assert outcome["lateReady"] is not None, "on('ready') after start still hears it"
    result = outcome["result"]
    assert result["decided"] is True
    assert result["categories"] == {"essential": True, "analytics": True, "marketing": True}
    assert result["policyVersion"] == "1.0"
    assert result["decidedAt"] and result["expiresAt"]
    assert outcome["allowed"] is True
    assert [change["categories"] for change in outcome["changes"]] == [result["categories"]]
    assert [name for name, _ in page.evaluate("window.__events")] == ["ready", "change"]

    # The promise settled only once the server had the record.
    server = consent_service.lookup(site_key, result["visitorId"])
    assert server["decided"] is True
    assert server["categories"] == result["categories"]

    layer = data_layer(page)
    assert {
        "event": "cookie_consent_update",
        "cookie_consent": {"essential": True, "analytics": True, "marketing": True},
    } in layer
    assert ["consent", "update", ALL_GRANTED_BUT_PERSONALIZATION] in layer
    expect(page.locator(BANNER)).to_be_hidden()


def test_javascript_api_save_reject_and_withdraw(
    page: Page,
    host_page: Callable[..., str],
    consent_service: ConsentService,
    site_key: str,
) -> None:
    page.goto(host_page())
    expect(page.locator(BANNER)).to_be_visible()

    saved = page.evaluate("window.cookieConsent.save({analytics: true, marketing: false})")
    assert saved["categories"] == {"essential": True, "analytics": True, "marketing": False}
    visitor_id = saved["visitorId"]
    assert consent_service.lookup(site_key, visitor_id)["categories"] == saved["categories"]
    assert page.evaluate("window.cookieConsent.allowed('analytics')") is True
    wait_for_ran(page, ["analytics-inline", "analytics-external"])

    rejected = page.evaluate("window.cookieConsent.rejectAll()")
    assert rejected["visitorId"] == visitor_id
    assert rejected["categories"] == {"essential": True, "analytics": False, "marketing": False}
    assert consent_service.lookup(site_key, visitor_id)["categories"] == rejected["categories"]

    withdrawn = page.evaluate("window.cookieConsent.withdraw()")
    assert withdrawn["decided"] is False
    assert consent_service.lookup(site_key, visitor_id)["decided"] is False
    assert page.evaluate("window.cookieConsent.allowed('analytics')") is False
    assert page.evaluate("window.cookieConsent.allowed('essential')") is True

    page.evaluate("window.cookieConsent.showPreferences()")
    expect(page.get_by_role("dialog", name="Cookie preferences")).to_be_visible()
    page.evaluate("window.cookieConsent.hide()")
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.evaluate("window.cookieConsent.show()")
    expect(page.locator(BANNER)).to_be_visible()


# --- 13. the API fails while the banner is up ------------------------------------------------


@pytest.mark.parametrize("failure", ["network-error", "server-error", "service-stopped"])
def test_failed_write_keeps_the_banner_and_says_so(
    page: Page,
    host_page: Callable[..., str],
    host_server: HostSite,
    consent_service: ConsentService,
    site_key: str,
    failure: str,
) -> None:
    own_service: BackgroundServer | None = None
    if failure == "service-stopped":
        # A second server for the same service, so stopping it leaves the shared one running.
        own_service = BackgroundServer(consent_service.app, name="doomed-consent-service")
        url = host_page(script_src=f"{own_service.origin}/c/{site_key}.js")
    else:
        url = host_page()
    endpoint = f"{consent_service.origin}/api/v1/sites/{site_key}/consents"

    def break_writes(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
        elif failure == "network-error":
            route.abort("connectionrefused")
        else:
            route.fulfill(
                status=503,
                content_type="application/problem+json",
                headers={"Access-Control-Allow-Origin": host_server.origin},
                body='{"type": "about:blank", "title": "Service Unavailable", "status": 503}',
            )

    try:
        page.goto(url)
        expect(page.locator(BANNER)).to_be_visible()
        if own_service is not None:
            own_service.stop()
            own_service = None
        else:
            page.route(endpoint, break_writes)

        page.locator(f'{BANNER} [data-role="accept-all"]').click()

        alert = page.locator(BANNER).get_by_role("alert")
        expect(alert).to_have_text(
            "Your choice is not saved yet: we will send it again as soon as we can."
        )
        expect(page.locator(BANNER)).to_be_visible()
        expect(page.locator(REOPEN)).to_be_hidden()
        state = widget_state(page)
        assert state["decided"] is False
        assert state["pending"] is True, "the grant waits to be sent"
        assert state["visitorId"] is None
        assert page.evaluate("window.cookieConsent.allowed('analytics')") is False
        page.wait_for_timeout(100)
        assert ran(page) == []
        assert host_server.gated_requests() == []
        assert inert_gated_elements(page) == {"analytics": 2, "marketing": 3}
    finally:
        if own_service is not None:
            own_service.stop()

    if failure != "service-stopped":
        # Once the service answers again, the same button sends the waiting choice at once.
        page.unroute(endpoint)
        page.locator(f'{BANNER} [data-role="accept-all"]').click()
        wait_for_ran(page, list(GATED_SCRIPTS))
        expect(page.locator(BANNER)).to_be_hidden()
        state = widget_state(page)
        assert consent_service.lookup(site_key, state["visitorId"])["decided"] is True
        assert [e["action"] for e in recorded_events(consent_service, site_key)] == ["accept_all"]

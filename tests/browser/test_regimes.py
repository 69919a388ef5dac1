"""The regimes' first layers and what every visitor can always reach, in Chromium.

- opt-in-specific (Vietnam's default: Law 91/2025/QH15, Decree 356/2025/ND-CP, Art. 15): the
  controller named, a switch per purpose (all off), behaviour tracking marked, Reject all, Save
  choices and Accept all alike, and "About your data" one click away;
- opt-in-stats-exempt: statistics run until the visitor objects, in one click;
- opt-out: Do Not Sell or Share one step away after the first choice too;
- withdrawal as easy as acceptance, from the widget and from the host page;
- every control at least 24x24 CSS pixels (WCAG 2.2, SC 2.5.8) in every regime and layer;
- a focused host element never hidden under the banner (SC 2.4.11);
- contrast of text (4.5:1), switches and focus rings (3:1) in every state, light and dark;
- the lang of every text, translated history, the printable history and data requests.

The regime comes from the region endpoint (routed here to the regime under test), and the
configuration fields the service adds for these regimes (``controller``, ``behaviour``,
``statsOnly``, ``policySummary`` per language) are set in the served script, so that each test
pins exactly what it draws. Screenshots land in tests/browser/screenshots/ for a human to see.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from .conftest import (
    ConsentService,
    HostSite,
    build_page,
    in_ci,
    recorded_events,
)
from .test_banner import BANNER, REOPEN, wait_for_ran, wait_until_decided

try:
    from playwright.sync_api import BrowserContext, Page, Route, expect
except ImportError:  # pragma: no cover - the [test] extra installs it
    if in_ci():
        raise
    pytest.skip("BROWSER TESTS SKIPPED: playwright is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser

ROOT = "#cookieconsent"
DIALOG = "#cookieconsent .cookieconsent-prefs"
SCREENSHOTS = Path(__file__).parent / "screenshots"
CATALOGS = Path(__file__).resolve().parents[2] / "cookieconsent" / "catalogs"
PHONE = {"width": 390, "height": 844}
CONTROLLER = {
    "name": "Công ty TNHH Omi Việt Nam",
    "address": "12 Lý Thái Tổ, Hoàn Kiếm, Hà Nội",
    "email": "privacy@omishop.vn",
    "dpoEmail": "dpo@omishop.vn",
}
CALL = re.compile(r"\}\)\((\{.*\})\);\s*$", re.S)

# Every interactive element the widget shows, and its size (WCAG 2.2, SC 2.5.8).
TARGETS = """() => Array.from(document.querySelectorAll(
  '#cookieconsent button, #cookieconsent a[href], #cookieconsent input, #cookieconsent select,'
  + ' #cookieconsent textarea, #cookieconsent [role=switch]'
)).filter((node) => node.getClientRects().length).map((node) => {
  const box = node.getBoundingClientRect();
  return {
    what: node.getAttribute("data-role") || node.getAttribute("data-switch")
      || node.getAttribute("data-category-switch") || node.getAttribute("data-service-switch")
      || node.id || node.tagName,
    width: box.width, height: box.height,
  };
})"""

# WCAG 2.x relative luminance and contrast ratio of computed colours (rgb/rgba over a backdrop).
CONTRAST_JS = """
const parse = (text) => Array.isArray(text) ? text : (text.match(/[\\d.]+/g) || []).map(Number);
const over = (top, bottom) => {
  const [r, g, b, a = 1] = parse(top);
  const [R, G, B] = parse(bottom);
  return [r * a + R * (1 - a), g * a + G * (1 - a), b * a + B * (1 - a)];
};
const lum = ([r, g, b]) => {
  const c = (v) => (v /= 255) <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  return 0.2126 * c(r) + 0.7152 * c(g) + 0.0722 * c(b);
};
const ratio = (one, two) => {
  const [a, b] = [lum(one), lum(two)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
};
// The colour an element is painted on: the first opaque background among its ancestors.
const backdrop = (node) => {
  for (let at = node; at; at = at.parentElement) {
    const colour = getComputedStyle(at).backgroundColor;
    if (parse(colour)[3] !== 0 && colour !== "transparent") return colour;
  }
  return "rgb(255, 255, 255)";
};
"""


# --- the world: a site whose region, configuration and texts the test decides ----------------


def catalog_texts(language: str) -> dict[str, str]:
    """Every built-in text of a language (the reference for what the service serves)."""
    data = json.loads((CATALOGS / f"{language}.json").read_text(encoding="utf-8"))
    return data["texts"]  # type: ignore[no-any-return]


def set_up(
    context: BrowserContext,
    service: ConsentService,
    site_key: str,
    mode: str,
    extra: dict[str, Any] | None = None,
) -> None:
    """Route the site's script, region and texts: the region answers ``mode``; the script
    carries ``extra`` configuration; the texts carry every catalog key the service may not
    serve yet (those it serves win)."""

    def script(route: Route) -> None:
        response = route.fetch()
        body = response.text()
        match = CALL.search(body)
        assert match
        config = json.loads(match.group(1))
        config.update(extra or {})
        text = json.dumps(config, ensure_ascii=False).replace("<", "\\u003c")
        route.fulfill(response=response, body=body[: match.start(1)] + text + body[match.end(1) :])

    def region(route: Route) -> None:
        route.fulfill(
            status=200,
            content_type="application/json",
            headers={"Access-Control-Allow-Origin": "*"},
            body=json.dumps(
                {
                    "region": "VN" if mode == "opt-in-specific" else "GB",
                    "country": "VN" if mode == "opt-in-specific" else "GB",
                    "mode": mode,
                    "rule": mode,
                    "consent_days": 365,
                    "refusal_days": 180,
                }
            ),
        )

    def texts(route: Route) -> None:
        response = route.fetch()
        served = response.json()
        language = route.request.url.rsplit("/", 1)[1].split(".json")[0]
        merged = {**catalog_texts(language), **served}
        route.fulfill(response=response, body=json.dumps(merged, ensure_ascii=False))

    context.route(f"{service.origin}/c/{site_key}.js", script)
    context.route(f"{service.origin}/api/v1/sites/{site_key}/region", region)
    context.route(f"{service.origin}/c/{site_key}/texts/*", texts)


def open_page(
    new_context: Callable[..., Any],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
    mode: str,
    extra: dict[str, Any] | None = None,
    *,
    lang: str = "en",
    body_extra: str = "",
    **options: Any,
) -> Page:
    """A host page embedding the site in ``mode``, in a fresh context made with ``options``."""
    context = new_context(**options)
    set_up(context, consent_service, site_key, mode, extra)
    page: Page = context.new_page()
    page.goto(
        host_server.add_page(
            build_page(
                script_src=consent_service.widget_url(site_key),
                host_origin=host_server.origin,
                lang=lang,
                body_extra=body_extra,
            )
        )
    )
    expect(page.locator(f'{BANNER}[data-mode="{mode}"]')).to_be_visible()
    page.wait_for_function("(m) => cookieConsent.get().mode === m", arg=mode)
    return page


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.mouse.move(0, 0)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), animations="disabled")


def small_targets(page: Page) -> list[dict[str, Any]]:
    """Interactive widget elements smaller than 24x24 CSS pixels."""
    targets = page.evaluate(TARGETS)
    assert targets, "the widget shows controls"
    return [t for t in targets if t["width"] < 24 - 0.01 or t["height"] < 24 - 0.01]


def switch_names(page: Page) -> list[str]:
    return page.eval_on_selector_all(  # type: ignore[no-any-return]
        f"{BANNER} [role=switch]", "nodes => nodes.map((n) => n.getAttribute('data-switch'))"
    )


# --- 1. opt-in-specific ------------------------------------------------------------------------


SPECIFIC = {
    "controller": CONTROLLER,
    "behaviour": ["analytics", "marketing"],
}


@pytest.mark.parametrize("language", ["vi", "en"])
def test_opt_in_specific_names_the_controller_with_a_switch_per_purpose(
    new_context: Callable[..., Any],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
    language: str,
) -> None:
    page = open_page(
        new_context,
        consent_service,
        host_server,
        site_key,
        "opt-in-specific",
        {"controller": CONTROLLER, "behaviour": ["marketing"]},
        lang=language,
    )
    texts = catalog_texts(language)
    banner = page.locator(BANNER)
    expected = texts["specific_description"].replace("{controller}", CONTROLLER["name"])
    expect(banner.locator("#cookieconsent-desc")).to_contain_text(expected)
    # A switch per non-essential purpose, every one off, each at least 24x24.
    assert switch_names(page) == ["analytics", "marketing"]
    for name in ("analytics", "marketing"):
        switch = banner.locator(f'[role=switch][data-switch="{name}"]')
        expect(switch).to_have_attribute("aria-checked", "false")
        box = switch.bounding_box()
        assert box and box["width"] >= 24 and box["height"] >= 24, box
    # The switches are named by their purpose; behaviour tracking is said where it applies.
    marketing = page.get_by_role("switch", name=re.compile("Marketing|Tiếp thị"))
    expect(marketing).to_have_count(1)
    expect(marketing).to_have_accessible_name(re.compile(re.escape(texts["tracks_behaviour"])))
    analytics = banner.locator('[role=switch][data-switch="analytics"]')
    assert texts["tracks_behaviour"] not in (
        analytics.evaluate(
            "(n) => document.getElementById(n.getAttribute('aria-labelledby')).textContent"
        )
    )
    # Reject all, Save choices, Accept all, in that order; Reject and Accept alike.
    roles = banner.locator(".cookieconsent-actions button").evaluate_all(
        "nodes => nodes.map((n) => n.getAttribute('data-role'))"
    )
    assert roles == ["reject-all", "save", "accept-all"]
    look = """(n) => { const s = getComputedStyle(n); const b = n.getBoundingClientRect();
      return [Math.round(b.width), Math.round(b.height), s.fontWeight, s.fontSize,
              s.backgroundColor, s.color]; }"""
    assert banner.locator('[data-role="reject-all"]').evaluate(look) == banner.locator(
        '[data-role="accept-all"]'
    ).evaluate(look)
    expect(banner.locator('[data-role="more"]')).to_have_text(texts["more"])
    assert small_targets(page) == []
    shoot(page, f"specific-first-layer-{language}")

    # Switch one purpose on and save: exactly that is recorded.
    analytics.click()
    expect(analytics).to_have_attribute("aria-checked", "true")
    banner.locator('[data-role="save"]').click()
    state = wait_until_decided(page)
    assert state["categories"] == {"essential": True, "analytics": True, "marketing": False}
    events = recorded_events(consent_service, site_key)
    assert [(e["action"], e["categories"]) for e in events] == [
        ("save", {"essential": True, "analytics": True, "marketing": False})
    ]
    wait_for_ran(page, ["analytics-inline", "analytics-external"])


def test_opt_in_specific_more_opens_the_data_section_one_click_away(
    new_context: Callable[..., Any],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    page = open_page(
        new_context, consent_service, host_server, site_key, "opt-in-specific", SPECIFIC
    )
    texts = catalog_texts("en")
    page.locator(f'{BANNER} [data-role="more"]').click()
    section = page.locator(f'{DIALOG} [data-role="more-section"]')
    expect(section).to_be_visible()
    expect(page.locator("#cookieconsent-more-title")).to_be_focused()
    expect(page.locator("#cookieconsent-more-title")).to_be_in_viewport()
    for key in (
        "more_title",
        "data_types_title",
        "data_types",
        "purposes_title",
        "rights_title",
        "rights",
        "contact_title",
        "sensitive_notice",
    ):
        expect(section).to_contain_text(texts[key])
    # Purposes: each category's title and description, behaviour tracking marked.
    expect(section).to_contain_text("Analytics")
    expect(section).to_contain_text("Marketing")
    expect(section.locator("li", has_text="Marketing")).to_contain_text(texts["tracks_behaviour"])
    expect(section.locator("li", has_text="Essential")).not_to_contain_text(
        texts["tracks_behaviour"]
    )
    # Contact: the controller, its address, and the data protection officer's address.
    expect(section).to_contain_text(CONTROLLER["name"])
    expect(section).to_contain_text(CONTROLLER["address"])
    expect(section).to_contain_text(texts["dpo_contact"].replace("{email}", CONTROLLER["dpoEmail"]))
    expect(section.locator(f'a[href="mailto:{CONTROLLER["dpoEmail"]}"]')).to_have_count(1)
    assert small_targets(page) == []
    shoot(page, "specific-more-section")
    # Esc closes without consent.
    page.keyboard.press("Escape")
    expect(page.locator(DIALOG)).to_be_hidden()
    expect(page.locator(BANNER)).to_be_visible()
    assert recorded_events(consent_service, site_key) == []
    assert page.evaluate("cookieConsent.get().decided") is False


def test_opt_in_specific_contact_falls_back_to_the_controllers_email(
    new_context: Callable[..., Any],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    controller = {"name": "Omi", "email": "hello@omishop.vn"}
    page = open_page(
        new_context,
        consent_service,
        host_server,
        site_key,
        "opt-in-specific",
        {"controller": controller, "behaviour": []},
    )
    page.locator(f'{BANNER} [data-role="more"]').click()
    section = page.locator(f'{DIALOG} [data-role="more-section"]')
    expect(section).to_contain_text("Data protection contact: hello@omishop.vn")
    # No purpose tracks behaviour: no sensitive-data notice.
    expect(section).not_to_contain_text(catalog_texts("en")["sensitive_notice"])


@pytest.mark.parametrize("language", ["vi", "en"])
def test_opt_in_specific_fits_40_percent_of_a_phone(
    new_context: Callable[..., Any],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
    language: str,
) -> None:
    page = open_page(
        new_context,
        consent_service,
        host_server,
        site_key,
        "opt-in-specific",
        SPECIFIC,
        lang=language,
        viewport=PHONE,
    )
    page.wait_for_timeout(400)
    box = page.locator(BANNER).bounding_box()
    assert box is not None
    share = 100 * box["height"] / PHONE["height"]
    shoot(page, f"specific-phone-390x844-{language}")
    assert share <= 40.0, f"{share:.1f}% of the height ({box['height']:.0f}px)"
    # Every switch and the three choices are on screen without scrolling the banner.
    for selector in (
        "[role=switch]",
        '[data-role="reject-all"]',
        '[data-role="save"]',
        '[data-role="accept-all"]',
        '[data-role="more"]',
    ):
        for node in page.locator(f"{BANNER} {selector}").all():
            expect(node).to_be_in_viewport(ratio=1)
    assert small_targets(page) == []


# --- 2. opt-in-stats-exempt --------------------------------------------------------------------


def test_stats_exempt_runs_statistics_until_the_visitor_objects_in_one_click(
    new_context: Callable[..., Any],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    page = open_page(
        new_context,
        consent_service,
        host_server,
        site_key,
        "opt-in-stats-exempt",
        {"statsOnly": ["analytics"]},
    )
    texts = catalog_texts("en")
    expect(page.locator(f"{BANNER} #cookieconsent-desc")).to_contain_text(
        texts["stats_exempt_description"]
    )
    # No decision yet: statistics run, marketing waits.
    state = page.evaluate("cookieConsent.get()")
    assert (state["decided"], state["categories"]) == (
        False,
        {"essential": True, "analytics": True, "marketing": False},
    )
    wait_for_ran(page, ["analytics-inline", "analytics-external"])
    banner = page.locator(BANNER)
    for role in ("accept-all", "reject-all", "object-statistics"):
        expect(banner.locator(f'[data-role="{role}"]')).to_be_visible()
    expect(banner.locator('[data-role="object-statistics"]')).to_have_text(
        texts["object_statistics"]
    )
    assert small_targets(page) == []
    shoot(page, "stats-exempt-first-layer")

    banner.locator('[data-role="object-statistics"]').click()
    state = wait_until_decided(page)
    assert state["categories"] == {"essential": True, "analytics": False, "marketing": False}
    events = recorded_events(consent_service, site_key)
    assert [(e["action"], e["categories"]) for e in events] == [
        ("save", {"essential": True, "analytics": False, "marketing": False})
    ]
    expect(page.locator(BANNER)).to_be_hidden()
    # The preferences say statistics run unless one objects.
    page.locator(REOPEN).click()
    expect(page.locator(DIALOG)).to_contain_text(texts["statistics_exempt"])


def test_stats_exempt_objection_leaves_a_marketing_grant_as_it_was(
    new_context: Callable[..., Any],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    page = open_page(
        new_context,
        consent_service,
        host_server,
        site_key,
        "opt-in-stats-exempt",
        {"statsOnly": ["analytics"]},
    )
    page.evaluate("cookieConsent.show()")
    # Marketing granted through the API first (as a site's own preference centre would).
    page.evaluate("cookieConsent.save({analytics: true, marketing: true})")
    wait_until_decided(page)
    page.evaluate("cookieConsent.show()")
    page.locator(f'{BANNER} [data-role="object-statistics"]').click()
    page.wait_for_function("!cookieConsent.get().pending && !cookieConsent.allowed('analytics')")
    events = recorded_events(consent_service, site_key)
    assert events[-1]["action"] == "save"
    assert events[-1]["categories"] == {"essential": True, "analytics": False, "marketing": True}


# --- 3. opt-out: Do Not Sell always one step away ------------------------------------------------


def test_do_not_sell_stays_beside_the_reopen_control_and_in_the_dialog(
    new_context: Callable[..., Any],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    page = open_page(new_context, consent_service, host_server, site_key, "opt-out")
    texts = catalog_texts("en")
    page.locator(f'{BANNER} [data-role="dismiss"]').click()
    expect(page.locator(BANNER)).to_be_hidden()
    beside = page.locator(f'{ROOT} .cookieconsent-dock [data-role="do-not-sell"]')
    expect(page.locator(REOPEN)).to_be_visible()
    expect(beside).to_be_visible()
    expect(beside).to_have_text(texts["do_not_sell"])
    assert small_targets(page) == []
    shoot(page, "opt-out-dock")
    # On the next page too, where the first layer no longer shows.
    page.reload()
    expect(page.locator(REOPEN)).to_be_visible()
    expect(beside).to_be_visible()
    expect(page.locator(BANNER)).to_be_hidden()
    # In the preferences dialog too.
    page.locator(REOPEN).click()
    expect(page.locator(f'{DIALOG} [data-role="do-not-sell"]')).to_be_visible()
    assert small_targets(page) == []
    page.keyboard.press("Escape")
    # One click from the dock records the opt-out.
    beside.click()
    page.wait_for_function("!cookieConsent.get().pending && !cookieConsent.allowed('marketing')")
    assert [e["action"] for e in recorded_events(consent_service, site_key)] == ["opt_out"]
    assert page.evaluate("cookieConsent.allowed('analytics')") is True


@pytest.mark.parametrize("mode", ["opt-out", "notice", "opt-in-stats-exempt", "opt-in"])
def test_only_opt_in_specific_says_that_behaviour_data_waits_for_specific_consent(
    new_context: Callable[..., Any],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
    mode: str,
) -> None:
    """Where tracking may run before a choice, the dialog must not claim it waits for consent."""
    page = open_page(
        new_context, consent_service, host_server, site_key, mode,
        {"behaviour": ["analytics", "marketing"]},
    )  # fmt: skip
    texts = catalog_texts("en")
    page.evaluate("cookieConsent.showPreferences()")
    dialog = page.locator(DIALOG)
    expect(dialog.locator('[data-role="more-section"]')).to_be_attached()
    expect(dialog).not_to_contain_text(texts["sensitive_notice"])
    expect(dialog).not_to_contain_text(texts["tracks_behaviour"])


def test_do_not_sell_is_not_offered_where_the_regime_is_opt_in(
    new_context: Callable[..., Any],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    page = open_page(new_context, consent_service, host_server, site_key, "opt-in")
    page.locator(f'{BANNER} [data-role="reject-all"]').click()
    expect(page.locator(REOPEN)).to_be_visible()
    expect(page.locator(f'{ROOT} [data-role="do-not-sell"]:visible')).to_have_count(0)


# --- 4. withdrawal as easy as acceptance; every control 24x24 ------------------------------------


def test_the_reopen_layer_offers_withdrawal_as_a_full_size_button(
    new_context: Callable[..., Any],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    page = open_page(
        new_context, consent_service, host_server, site_key, "opt-in-specific", SPECIFIC
    )
    page.locator(f'{BANNER} [data-role="accept-all"]').click()
    wait_until_decided(page)
    page.locator(REOPEN).click()
    withdraw = page.locator(f'{DIALOG} [data-role="withdraw"]')
    accept = page.locator(f'{DIALOG} [data-role="accept-all"]')
    expect(withdraw).to_be_visible()
    expect(withdraw).to_have_text(catalog_texts("en")["withdraw"])
    size = (
        "(n) => { const b = n.getBoundingClientRect(); const s = getComputedStyle(n);"
        " return [Math.round(b.height), s.fontSize, s.fontWeight]; }"
    )
    assert withdraw.evaluate(size) == accept.evaluate(size)
    assert withdraw.evaluate("(n) => n.getBoundingClientRect().width") >= accept.evaluate(
        "(n) => n.getBoundingClientRect().width"
    )
    assert small_targets(page) == []
    shoot(page, "reopen-layer-withdraw")
    withdraw.click()
    wait_until_decided(page, decided=False)
    assert [e["action"] for e in recorded_events(consent_service, site_key)] == [
        "accept_all",
        "withdraw",
    ]


def test_a_withdraw_hook_on_the_host_page_withdraws_in_one_click_even_when_added_later(
    new_context: Callable[..., Any],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    page = open_page(
        new_context,
        consent_service,
        host_server,
        site_key,
        "opt-in",
        body_extra='<footer><a href="#" data-role="withdraw" id="early">Withdraw</a></footer>',
    )
    page.locator(f'{BANNER} [data-role="accept-all"]').click()
    wait_until_decided(page)
    page.locator("#early").click()
    wait_until_decided(page, decided=False)
    page.evaluate("cookieConsent.acceptAll()")
    wait_until_decided(page)
    page.evaluate(
        """() => { const b = document.createElement("button"); b.id = "late";
        b.setAttribute("data-role", "withdraw"); b.innerHTML = "<span>Withdraw consent</span>";
        document.querySelector("main").append(b); }"""
    )
    page.locator("#late span").click()
    wait_until_decided(page, decided=False)
    assert [e["action"] for e in recorded_events(consent_service, site_key)] == [
        "accept_all",
        "withdraw",
        "accept_all",
        "withdraw",
    ]


@pytest.mark.parametrize(
    "mode", ["opt-in", "opt-in-specific", "opt-in-stats-exempt", "opt-out", "notice"]
)
@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 720}, PHONE], ids=["desktop", "phone"]
)
def test_every_control_is_at_least_24_by_24_in_every_layer(
    new_context: Callable[..., Any],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
    mode: str,
    viewport: dict[str, int],
) -> None:
    page = open_page(
        new_context,
        consent_service,
        host_server,
        site_key,
        mode,
        {**SPECIFIC, "statsOnly": ["analytics"], "policySummary": {"en": "New processors."}},
        viewport=viewport,
    )
    problems = {"first layer": small_targets(page)}
    page.locator(
        f'{BANNER} [data-role="{"more" if mode == "opt-in-specific" else "preferences"}"]'
    ).click()
    expect(page.locator(DIALOG)).to_be_visible()
    page.locator(f'{DIALOG} [data-role="requests"]').click()
    problems["dialog"] = small_targets(page)
    page.keyboard.press("Escape")
    page.evaluate("cookieConsent.acceptAll()")
    wait_until_decided(page)
    expect(page.locator(REOPEN)).to_be_visible()
    problems["reopen"] = small_targets(page)
    page.locator(REOPEN).click()
    page.locator(f'{DIALOG} [data-role="history"]').click()
    expect(page.locator(f'{DIALOG} [data-role="history-list"] li')).to_have_count(1)
    problems["reopen layer"] = small_targets(page)
    assert problems == {layer: [] for layer in problems}, problems


# --- 5. focus never hidden under the banner ------------------------------------------------------


def test_tabbing_through_the_host_page_never_leaves_focus_under_the_banner(
    new_context: Callable[..., Any],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    links = "".join(
        f'<p style="margin:0 0 18px">Paragraph {n} <a href="#l{n}" id="l{n}">link {n}</a></p>'
        for n in range(30)
    )
    page = open_page(
        new_context,
        consent_service,
        host_server,
        site_key,
        "opt-in",
        body_extra=links,
        viewport={"width": 375, "height": 740},
    )
    page.wait_for_timeout(300)
    covered: list[str] = []
    seen: set[str] = set()
    for _ in range(60):
        page.keyboard.press("Tab")
        state = page.evaluate(
            """() => {
              const f = document.activeElement;
              const banner = document.querySelector('#cookieconsent [data-role="banner"]');
              if (!f || f.closest('#cookieconsent') || !/^l\\d+$/.test(f.id)) return null;
              const a = f.getBoundingClientRect(), b = banner.getBoundingClientRect();
              return {id: f.id, covered: !banner.hidden && a.bottom > b.top && a.top < b.bottom
                && a.right > b.left && a.left < b.right, top: a.top, bottom: a.bottom,
                bannerTop: b.top};
            }"""
        )
        if state is None:
            continue
        seen.add(state["id"])
        if state["covered"]:
            covered.append(
                f"{state['id']} at {state['top']:.0f}-{state['bottom']:.0f}, "
                f"banner from {state['bannerTop']:.0f}"
            )
        if len(seen) == 30:
            break
    assert len(seen) == 30, sorted(seen)
    shoot(page, "focus-last-link-375x740")
    assert covered == [], covered
    # The banner still shows: nothing was decided by tabbing.
    expect(page.locator(BANNER)).to_be_visible()


# --- 6. contrast in every state, light and dark --------------------------------------------------

CONTRASTS = (
    CONTRAST_JS
    + """
(() => {
  const out = [];
  const root = document.querySelector("#cookieconsent");
  const check = (what, value, least) =>
    out.push({what, ratio: Math.round(value * 100) / 100, least});
  root.querySelectorAll("[role=switch], .cookieconsent-switch").forEach((node) => {
    if (!node.getClientRects().length) return;
    const track = getComputedStyle(node).backgroundColor;
    const thumb = getComputedStyle(node, "::after").backgroundColor;
    const back = backdrop(node.parentElement);
    const on = node.checked || node.getAttribute("aria-checked") === "true";
    const state = (node.disabled ? "disabled " : "") + (on ? "on" : "off");
    const name = node.getAttribute("data-switch") || node.id;
    const painted = over(track, back);
    check(name + " " + state + " thumb/track", ratio(over(thumb, painted), painted), 3);
    check(name + " " + state + " track/background", ratio(over(track, back), parse(back)), 3);
  });
  const texts = "p, h2, h3, h4, li, label, span, small, strong, button, a";
  root.querySelectorAll(texts).forEach((node) => {
    if (!node.getClientRects().length || !node.textContent.trim()) return;
    if (![...node.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim())) return;
    const back = backdrop(node);
    check("text " + (node.getAttribute("data-role") || node.tagName + "." + node.className),
      ratio(over(getComputedStyle(node).color, back), parse(back)), 4.5);
  });
  return out;
})()
"""
)

FOCUS_RING = (
    CONTRAST_JS
    + """
(() => {
  const node = document.activeElement;
  const style = getComputedStyle(node);
  const back = backdrop(node.parentElement);
  return {what: node.getAttribute("data-role") || node.getAttribute("data-switch") || node.id,
          width: parseFloat(style.outlineWidth), style: style.outlineStyle,
          ratio: ratio(over(style.outlineColor, back), parse(back))};
})()
"""
)


def low_contrast(page: Page) -> list[dict[str, Any]]:
    return [c for c in page.evaluate(CONTRASTS) if c["ratio"] < c["least"]]


def focus_rings(page: Page, steps: int) -> list[dict[str, Any]]:
    """Tab ``steps`` times inside the widget; every focused control's ring and its contrast."""
    rings = []
    for _ in range(steps):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('#cookieconsent')"):
            rings.append(page.evaluate(FOCUS_RING))
    return rings


# A site's own palettes (as tests/browser/test_design.py uses them).
BRAND = {"accent": "#c2410c", "background": "#fffbeb", "text": "#1c1917"}
BRAND_DARK = {"accent": "#fdba74", "background": "#1c1917", "text": "#fafaf9"}


@pytest.mark.parametrize("design", [False, True], ids=["built-in", "brand"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_switches_text_and_focus_rings_keep_their_contrast_in_every_state(
    new_context: Callable[..., Any],
    consent_service: ConsentService,
    host_server: HostSite,
    configured_site: Callable[..., str],
    scheme: str,
    design: bool,
) -> None:
    site_key = configured_site(
        {"design": {"colors": BRAND, "dark": BRAND_DARK}} if design else None
    )
    page = open_page(
        new_context,
        consent_service,
        host_server,
        site_key,
        "opt-in-specific",
        SPECIFIC,
        color_scheme=scheme,
    )
    problems: dict[str, Any] = {"first layer off": low_contrast(page)}
    page.locator(f'{BANNER} [data-switch="analytics"]').click()
    problems["first layer on"] = low_contrast(page)
    page.locator(f'{BANNER} [data-switch="analytics"]').focus()
    rings = focus_rings(page, 6)
    shoot(page, f"contrast-specific-{scheme}{'-brand' if design else ''}")
    page.locator(f'{BANNER} [data-role="more"]').click()
    dialog = page.locator(DIALOG)
    expect(dialog).to_be_visible()
    dialog.get_by_role("switch", name="Analytics").check()
    problems["dialog"] = low_contrast(page)
    page.locator(f'{DIALOG} [data-role="close"]').focus()
    rings += focus_rings(page, 12)
    shoot(page, f"contrast-dialog-{scheme}{'-brand' if design else ''}")
    measured = page.evaluate(CONTRASTS)
    states = {c["what"] for c in measured}
    print(
        scheme,
        "lowest ratios:",
        sorted(measured, key=lambda c: c["ratio"] / c["least"])[:4],
        "switches:",
        [c for c in measured if "thumb" in c["what"] or "track" in c["what"]],
        "rings:",
        sorted({round(r["ratio"], 2) for r in rings})[:3],
    )
    # Every state was measured: off, on, and the locked essential switch.
    assert any("disabled on" in s for s in states), states
    assert any(" off thumb" in s for s in states) and any(" on thumb" in s for s in states)
    problems["focus rings"] = [
        r for r in rings if r["ratio"] < 3 or r["width"] < 2 or r["style"] == "none"
    ]
    assert len(rings) >= 10, rings
    assert problems == {key: [] for key in problems}, problems


# --- 7. language of every text; history; printable history ---------------------------------------


@pytest.mark.parametrize(
    ("summaries", "expected"),
    [
        (
            {"en": "Two new advertising partners.", "vi": "Hai đối tác quảng cáo mới."},
            ("en", "Two new advertising partners."),
        ),
        ({"vi": "Hai đối tác quảng cáo mới."}, ("vi", "Hai đối tác quảng cáo mới.")),
    ],
    ids=["own-language", "default-language"],
)
def test_the_policy_summary_carries_the_lang_of_its_language(
    new_context: Callable[..., Any],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
    summaries: dict[str, str],
    expected: tuple[str, str],
) -> None:
    page = open_page(
        new_context,
        consent_service,
        host_server,
        site_key,
        "opt-in",
        {"policySummary": summaries},
    )
    page.locator(f'{BANNER} [data-role="accept-all"]').click()
    wait_until_decided(page)
    consent_service.publish_policy_version(site_key, "2.0")
    page.reload()
    notice = page.locator(f'{BANNER} [data-role="policy-updated"]')
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(catalog_texts("en")["policy_updated"])
    summary = notice.locator("[data-role=policy-summary]")
    expect(summary).to_have_text(expected[1])
    expect(summary).to_have_attribute("lang", expected[0])
    # Every text node in the widget is in the language its nearest lang says.
    langs = page.evaluate(
        """() => [...document.querySelectorAll('#cookieconsent [lang]')].map((n) => n.lang)"""
    )
    assert set(langs) <= {"en", expected[0]}
    shoot(page, f"policy-summary-{expected[0]}")


def test_history_shows_translated_actions_and_local_dates_with_a_printable_page(
    new_context: Callable[..., Any],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    page = open_page(new_context, consent_service, host_server, site_key, "opt-in", lang="vi")
    texts = catalog_texts("vi")
    page.locator(f'{BANNER} [data-role="reject-all"]').click()
    wait_until_decided(page)
    page.evaluate("cookieConsent.acceptAll()")
    state = wait_until_decided(page)
    page.locator(REOPEN).click()
    page.locator(f'{DIALOG} [data-role="history"]').click()
    items = page.locator(f'{DIALOG} [data-role="history-list"] li')
    expect(items).to_have_count(2)
    lines = items.all_inner_texts()
    assert texts["action_reject_all"] in lines[0] and texts["action_accept_all"] in lines[1], lines
    assert not any("reject_all" in line or "accept_all" in line for line in lines), lines
    assert not any(re.search(r"\d{4}-\d{2}-\d{2}", line) for line in lines), lines
    recorded = items.nth(1).locator("time").get_attribute("datetime")
    local = page.evaluate(
        "(iso) => new Intl.DateTimeFormat('vi', {dateStyle: 'medium', timeStyle: 'short'})"
        ".format(new Date(iso))",
        recorded,
    )
    assert local in lines[1], (local, lines)
    # Printable history, beside the receipt.
    link = page.locator(f'{DIALOG} [data-role="print-history"]')
    expect(link).to_have_text(texts["print_history"])
    href = unquote(link.get_attribute("href") or "")
    assert href == (f"{consent_service.origin}/history/{site_key}/{state['visitorId']}?lang=vi"), (
        href
    )
    receipt = page.locator(f'{DIALOG} [data-role="receipt"]')
    assert receipt.evaluate("(n) => n.parentElement") == link.evaluate("(n) => n.parentElement")
    shoot(page, "history-vi")


# --- 8. a request about the visitor's data -------------------------------------------------------


def requests_endpoint_answers(service: ConsentService, site_key: str) -> bool:
    """Whether the service already takes data subject requests (another part of this pass)."""
    from urllib.error import HTTPError
    from urllib.request import Request, urlopen

    request = Request(
        f"{service.origin}/api/v1/sites/{site_key}/requests",
        data=b"{}",
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urlopen(request, timeout=10):
            return True
    except HTTPError as error:
        return error.code not in (404, 405)


def test_a_request_about_the_visitors_data_is_sent_and_acknowledged(
    new_context: Callable[..., Any],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    page = open_page(new_context, consent_service, host_server, site_key, "opt-in", lang="vi")
    texts = catalog_texts("vi")
    page.locator(f'{BANNER} [data-role="accept-all"]').click()
    state = wait_until_decided(page)
    sent: list[dict[str, Any]] = []
    live = requests_endpoint_answers(consent_service, site_key)
    if not live:
        # The endpoint is not there yet: a stub answers as its contract says.
        def stub(route: Route) -> None:
            sent.append(json.loads(route.request.post_data or "{}"))
            route.fulfill(
                status=201,
                content_type="application/json",
                headers={"Access-Control-Allow-Origin": "*"},
                body=json.dumps(
                    {
                        "reference": "DSR-TEST-0001",
                        "kind": "access",
                        "status": "received",
                        "received_at": "2026-12-07T10:00:00Z",
                        "acknowledge_by": "2026-12-09T10:00:00Z",
                        "due_by": "2026-12-22T10:00:00Z",
                        "law": "vn",
                    }
                ),
            )

        page.context.route(f"{consent_service.origin}/api/v1/sites/{site_key}/requests", stub)
    else:
        page.on(
            "request",
            lambda r: (
                sent.append(json.loads(r.post_data or "{}"))
                if r.url.endswith("/requests") and r.method == "POST"
                else None
            ),
        )
    page.locator(REOPEN).click()
    page.locator(f'{DIALOG} [data-role="requests"]').click()
    form = page.locator(f"{DIALOG} form")
    expect(form.get_by_label(texts["request_kind"])).to_be_focused()
    form.get_by_label(texts["request_kind"]).select_option("deletion")
    form.get_by_label(texts["request_email"]).fill("khach@example.vn")
    form.get_by_label(texts["request_details"]).fill("Xin xóa dữ liệu của tôi.")
    shoot(page, "request-form-vi")
    form.locator('[data-role="request-submit"]').click()
    status = page.locator(f'{DIALOG} [data-role="request-status"]')
    expect(status).to_contain_text(re.compile(r"DSR-"))
    text = status.inner_text()
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text), text
    assert sent and sent[-1]["kind"] == "deletion" and sent[-1]["language"] == "vi"
    assert sent[-1]["visitor_id"] == state["visitorId"]
    assert sent[-1]["email"] == "khach@example.vn"
    shoot(page, "request-sent-vi")
    if not live:
        expect(status).to_have_text(
            texts["request_sent"]
            .replace("{reference}", "DSR-TEST-0001")
            .replace(
                "{date}",
                page.evaluate(
                    "new Intl.DateTimeFormat('vi', {dateStyle: 'long'})"
                    ".format(new Date('2026-12-09T10:00:00Z'))"
                ),
            )
        )


def test_a_refused_request_says_so(
    new_context: Callable[..., Any],
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
) -> None:
    page = open_page(new_context, consent_service, host_server, site_key, "opt-in")

    def refuse(route: Route) -> None:
        route.fulfill(
            status=422,
            content_type="application/problem+json",
            headers={"Access-Control-Allow-Origin": "*"},
            body=json.dumps(
                {
                    "status": 422,
                    "title": "Unprocessable",
                    "errors": {"email": ["Not a valid email address."]},
                }
            ),
        )

    page.context.route(f"{consent_service.origin}/api/v1/sites/{site_key}/requests", refuse)
    page.locator(f'{BANNER} [data-role="preferences"]').click()
    page.locator(f'{DIALOG} [data-role="requests"]').click()
    page.locator(f'{DIALOG} [data-role="request-submit"]').click()
    status = page.locator(f'{DIALOG} [data-role="request-status"]')
    expect(status).to_contain_text(catalog_texts("en")["request_error"])
    expect(status).to_contain_text("Not a valid email address.")
    # Still no consent: the dialog closes with Esc and nothing was recorded.
    page.keyboard.press("Escape")
    assert recorded_events(consent_service, site_key) == []


# --- the screen budget in every language --------------------------------------------------------


@pytest.mark.parametrize("mode", ["opt-in-specific", "opt-in-stats-exempt"])
def test_the_regimes_first_layers_fit_40_percent_of_a_phone_in_every_language(
    new_context: Callable[..., Any],
    consent_service: ConsentService,
    host_server: HostSite,
    mode: str,
) -> None:
    from cookieconsent.texts import SUPPORTED_LANGUAGES

    languages = [code for code in SUPPORTED_LANGUAGES if (CATALOGS / f"{code}.json").exists()]
    assert "vi" in languages and len(languages) >= 13, languages
    context = new_context(viewport=PHONE)
    shares: dict[str, float] = {}
    tiny: dict[str, list[dict[str, Any]]] = {}
    for language in languages:
        key = consent_service.create_site(
            [host_server.origin.removeprefix("http://")],
            default_language=language,
            languages=[language],
        )
        set_up(context, consent_service, key, mode, {**SPECIFIC, "statsOnly": ["analytics"]})
        page = context.new_page()
        page.goto(
            host_server.add_page(
                build_page(
                    script_src=consent_service.widget_url(key),
                    host_origin=host_server.origin,
                    lang=language,
                )
            )
        )
        banner = page.locator(f'{BANNER}[data-mode="{mode}"]')
        expect(banner).to_be_visible()
        expect(page.locator(ROOT)).to_have_attribute("lang", language)
        page.wait_for_timeout(250)
        box = banner.bounding_box()
        assert box is not None
        shares[language] = round(100 * box["height"] / PHONE["height"], 1)
        tiny[language] = small_targets(page)
        for node in banner.locator("button").all():
            expect(node).to_be_in_viewport(ratio=1)
        if language in ("vi", "ar") or shares[language] >= max(shares.values()):
            shoot(page, f"{mode}-phone-390x844-{language}")
        page.close()
    print(mode, "share of a 390x844 phone by height (%):", shares)
    assert max(shares.values()) <= 40.0, shares
    assert tiny == {language: [] for language in languages}, tiny

"""The widget's hooks in the host page: data-role="declaration" and data-role="withdraw"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cookieconsent.texts import BANNER_TEXTS

from .conftest import ConsentService, HostSite, in_ci, recorded_events
from .test_banner import BANNER, wait_until_decided

try:
    from playwright.sync_api import Page, expect
except ImportError:  # pragma: no cover - the [test] extra installs it
    if in_ci():
        raise
    pytest.skip("BROWSER TESTS SKIPPED: playwright is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).parent / "screenshots"
HOSTILE = '<img src=x onerror="window.__pwned=1">'
CONFIG: dict[str, Any] = {
    "services": [
        {
            "name": "google_analytics",
            "category": "analytics",
            "label": "Google Analytics " + HOSTILE,
            "cookies": [
                {"name": "_ga", "lifetime_days": 395, "description": "Tells visits apart."},
            ],
        },
        {
            "name": "meta_pixel",
            "category": "marketing",
            "label": "Meta Pixel",
            "cookies": [{"name": "_fbp", "lifetime_days": 90}],
        },
    ],
}
HOOKS = """
<section id="cookies"><h2>Cookies</h2><div data-role="declaration"></div></section>
<footer><a href="#" data-role="withdraw" id="host-withdraw">Withdraw my consent</a></footer>
"""


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_declaration_fills_in_the_pages_language(
    page: Page,
    configured_site: Callable[..., str],
    host_page: Callable[..., str],
    lang: str,
) -> None:
    key = configured_site(CONFIG)
    page.goto(host_page(key=key, lang=lang, body_extra=HOOKS))
    place = page.locator('[data-role="declaration"]')
    expect(place.locator("table").first).to_be_visible()
    texts = BANNER_TEXTS[lang]
    expect(place).to_have_attribute("lang", lang)
    # In step with the banner: the same language.
    expect(page.locator("#cookieconsent")).to_have_attribute("lang", lang)
    expect(place.locator("th", has_text=texts["declaration_cookie"]).first).to_be_visible()
    analytics = place.locator('[data-category="analytics"]')
    row = analytics.locator("tbody tr").first
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "_ga"
    assert cells[1] == "Google Analytics " + HOSTILE  # as text, never markup
    assert cells[3] == "Tells visits apart."
    assert cells[4] == texts["declaration_days"].replace("{n}", "395")
    assert page.evaluate("window.__pwned") is None
    assert place.locator("img").count() == 0
    # The essential category declares at least the banner's own cookies.
    essential = place.locator('[data-category="essential"]')
    expect(essential).to_contain_text(f"cookieconsent_{key}_s")
    expect(essential).to_contain_text(texts["declaration_consent_cookie"])
    expect(essential).not_to_contain_text(texts["declaration_no_cookies"])
    if lang == "vi":
        SCREENSHOTS.mkdir(exist_ok=True)
        place.screenshot(path=str(SCREENSHOTS / "declaration-hook-vi.png"))


def test_a_declaration_below_a_slow_part_of_the_page_is_filled(
    page: Page,
    configured_site: Callable[..., str],
    host_page: Callable[..., str],
) -> None:
    """The tags module can arrive while the page is still being parsed (a warm cache, a slow
    host script): the place further down the page is filled all the same."""
    key = configured_site(CONFIG)
    slow: list[str] = []

    def hold(route: Any) -> None:
        # The parser waits on this script; the widget's modules load meanwhile.
        slow.append(route.request.url)
        page.wait_for_timeout(1500)
        route.fulfill(status=200, content_type="text/javascript", body="window.__slow = 1;")

    page.route("https://slow.invalid/**", hold)
    blocker = '<script src="https://slow.invalid/app.js"></script>'
    page.goto(host_page(key=key, body_extra=blocker + HOOKS))
    place = page.locator('[data-role="declaration"]')
    expect(place.locator('[data-category="analytics"] tbody tr')).to_have_count(1)
    assert slow and page.evaluate("window.__slow") == 1


def test_no_declaration_module_loads_on_a_page_without_one(
    page: Page, consent_service: ConsentService, host_page: Callable[..., str]
) -> None:
    modules: list[str] = []
    page.on(
        "request",
        lambda request: modules.append(request.url) if "declaration" in request.url else None,
    )
    page.goto(host_page())
    expect(page.locator(BANNER)).to_be_visible()
    page.wait_for_timeout(1000)
    assert modules == []


def test_a_withdraw_element_on_the_page_withdraws_in_one_click(
    page: Page,
    consent_service: ConsentService,
    host_server: HostSite,
    site_key: str,
    host_page: Callable[..., str],
) -> None:
    page.goto(host_page(body_extra=HOOKS))
    page.locator(f'{BANNER} [data-role="accept-all"]').click()
    assert wait_until_decided(page)["categories"]["analytics"] is True
    url = page.url
    page.locator("#host-withdraw").click()
    state = wait_until_decided(page, decided=False)
    assert state["categories"]["analytics"] is False
    # The link's own navigation (href="#") was kept from happening; one withdrawal recorded.
    assert page.url == url
    assert [event["action"] for event in recorded_events(consent_service, site_key)] == [
        "accept_all",
        "withdraw",
    ]
    # As after a withdrawal in the dialog: the layers close, "Cookie settings" stays, and the
    # next page asks again.
    expect(page.locator('#cookieconsent [data-role="reopen"]')).to_be_visible()
    page.reload()
    expect(page.locator(BANNER)).to_be_visible()


def test_the_public_declaration_page_in_vietnamese(
    page: Page, consent_service: ConsentService, configured_site: Callable[..., str]
) -> None:
    key = configured_site(CONFIG)
    page.goto(f"{consent_service.origin}/c/{key}/declaration?lang=vi")
    expect(page.locator("h1")).to_contain_text(BANNER_TEXTS["vi"]["declaration_title"])
    expect(page.locator('[data-category="analytics"] tbody tr')).to_have_count(1)
    assert page.evaluate("window.__pwned") is None
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "declaration-page-vi.png"), full_page=True)

"""The printable history as a visitor opens and prints it: content, languages, print styles.

Screenshots go to tests/browser/screenshots/history-*.png.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest

from cookieconsent.services.consent import ConsentInput, record_consent
from cookieconsent.services.sites import SiteProfile, load_site
from cookieconsent.texts import BANNER_TEXTS, CATEGORY_TEXTS

from .conftest import SECRET_KEY, ConsentService, in_ci

try:
    from playwright.sync_api import Page, expect
except ImportError:  # pragma: no cover - the [test] extra installs it
    if in_ci():
        raise
    pytest.skip("BROWSER TESTS SKIPPED: playwright is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).parent / "screenshots"
HOSTILE = '<img src=x onerror="window.__pwned=1">'
FIRST = datetime(2026, 12, 7, 20, 15, 3, tzinfo=UTC)
CONFIG = {
    "categories": [
        {"name": "essential"},
        {"name": "analytics"},
        {"name": "marketing"},
        # Titled by the site in English only: on other pages it is marked lang="en".
        {"name": "loyalty", "texts": {"en": {"title": "Loyalty club " + HOSTILE}}},
    ]
}


def record_history(service: ConsentService, site_key: str) -> str:
    """Rejected all, saved analytics only (from Vietnam), then withdrew; one day apart."""
    with service.app.app_context():
        site = load_site(site_key)
        assert site is not None
        profile = SiteProfile.of(site)
        first = record_consent(
            profile, ConsentInput(action="reject_all"), secret_keys=[SECRET_KEY], now=FIRST
        )
        record_consent(
            profile,
            ConsentInput(
                action="save",
                categories={"analytics": True, "marketing": False, "loyalty": True},
                visitor_id=first.visitor_id,
                region="VN",
            ),
            secret_keys=[SECRET_KEY],
            now=FIRST + timedelta(days=1),
        )
        record_consent(
            profile,
            ConsentInput(action="withdraw", visitor_id=first.visitor_id),
            secret_keys=[SECRET_KEY],
            now=FIRST + timedelta(days=2),
        )
        return first.visitor_id


def history_url(service: ConsentService, site_key: str, visitor_id: str, lang: str) -> str:
    return f"{service.origin}/history/{site_key}/{quote(visitor_id, safe='')}?lang={lang}"


def test_the_visitor_reads_and_prints_their_history_in_vietnamese(
    page: Page, consent_service: ConsentService, configured_site: Callable[..., str]
) -> None:
    site_key = configured_site(CONFIG)
    visitor_id = record_history(consent_service, site_key)
    vi = BANNER_TEXTS["vi"]
    failures: list[str] = []
    page.on(
        "response",
        lambda response: failures.append(response.url) if response.status >= 400 else None,
    )
    page.on("pageerror", lambda error: failures.append(str(error)))
    page.goto(history_url(consent_service, site_key, visitor_id, "vi"))

    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("h1")).to_have_text(vi["history_title"])
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.locator('[data-field="action"]')).to_have_text(
        [vi["action_reject_all"], vi["action_save"], vi["action_withdraw"]]
    )
    expect(rows.nth(0).locator("time")).to_have_text("20:15:03 UTC 7 tháng 12, 2026")
    expect(rows.nth(0).locator("time")).to_have_attribute("datetime", "2026-12-07T20:15:03.000Z")
    saved = rows.nth(1)
    expect(saved.locator('[data-field="region"]')).to_have_text("VN")
    expect(saved.locator('[data-purpose="analytics"]')).to_have_text(
        f"{CATEGORY_TEXTS['analytics']['vi']['title']}: {vi['receipt_allowed']}"
    )
    expect(saved.locator('[data-purpose="marketing"]')).to_have_text(
        f"{CATEGORY_TEXTS['marketing']['vi']['title']}: {vi['receipt_refused']}"
    )
    # The site's English-only title: shown as text, in English, and marked so.
    loyalty = saved.locator('[data-purpose="loyalty"] [data-field="title"]')
    expect(loyalty).to_have_text("Loyalty club " + HOSTILE)
    expect(loyalty).to_have_attribute("lang", "en")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img").count() == 0
    # Every element's language, as the browser computes it: only that title is English.
    languages = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.childElementCount === 0 && e.textContent.trim())
            .map(e => e.closest('[lang]').getAttribute('lang'))"""
    )
    assert languages.count("en") == 3  # one loyalty title per row
    assert set(languages) == {"vi", "en"}

    button = page.locator('[data-role="print"]')
    expect(button).to_have_text(vi["print_history"])
    expect(button).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "history-vi.png"), full_page=True)
    page.emulate_media(media="print")
    expect(button).to_be_hidden()
    expect(rows).to_have_count(3)
    page.screenshot(path=str(SCREENSHOTS / "history-vi-print.png"), full_page=True)
    page.emulate_media(media="screen")

    # The print button prints (window.print, through the page's own script: no inline code).
    page.evaluate("window.print = () => { window.__printed = true; }")
    button.click()
    assert page.evaluate("window.__printed") is True

    # Each row's receipt opens that choice's receipt, in the same language.
    page.locator('tbody tr:nth-child(2) [data-field="receipt-link"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("h1")).to_have_text(vi["receipt_title"])
    expect(page.locator('[data-field="action"]')).to_have_text(vi["action_save"])
    expect(page.locator('tr[data-purpose="loyalty"] td').first).to_have_attribute("lang", "en")
    # The styles and the print script loaded (the browser's own favicon guess aside).
    assert [url for url in failures if not url.endswith("/favicon.ico")] == []


def test_the_history_reads_right_to_left_in_arabic(
    page: Page, consent_service: ConsentService, configured_site: Callable[..., str]
) -> None:
    site_key = configured_site(CONFIG)
    visitor_id = record_history(consent_service, site_key)
    page.goto(history_url(consent_service, site_key, visitor_id, "ar"))
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("h1")).to_have_text(BANNER_TEXTS["ar"]["history_title"])
    # The table runs from the right: its first column is the rightmost.
    first, last = (page.locator("thead th").nth(index).bounding_box() for index in (0, 5))
    assert first is not None and last is not None
    assert first["x"] > last["x"]
    loyalty = page.locator('tbody tr:nth-child(1) [data-purpose="loyalty"] [data-field="title"]')
    expect(loyalty).to_have_attribute("lang", "en")
    expect(loyalty).to_have_attribute("dir", "ltr")
    page.screenshot(path=str(SCREENSHOTS / "history-ar.png"), full_page=True)


def test_a_tampered_link_is_a_page_in_the_visitors_language(
    page: Page, consent_service: ConsentService, configured_site: Callable[..., str]
) -> None:
    site_key = configured_site(CONFIG)
    visitor_id = record_history(consent_service, site_key)
    response = page.goto(history_url(consent_service, site_key, visitor_id + "x", "vi"))
    assert response is not None and response.status == 400
    expect(page.locator('[data-field="error"]')).to_have_text(BANNER_TEXTS["vi"]["receipt_invalid"])
    expect(page.locator("tbody tr")).to_have_count(0)

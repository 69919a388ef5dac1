"""The widget speaks the visitor's language among the site's, regional variants included.

A browser set to pt-BR gets the pt-BR catalog when the site offers it, pt-PT when it offers only
that; Chinese regions read the catalog of their script (zh-HK → zh-TW, zh-SG → zh-CN); Arabic
turns the widget's root right to left. Languages beyond the two the script carries come from the
language's texts file before the first layer shows. A screenshot of the Arabic banner goes to
tests/browser/screenshots/banner-ar.png.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cookieconsent.texts import BANNER_TEXTS

from .conftest import ConsentService, HostSite, in_ci

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - the [test] extra installs it
    if in_ci():
        raise
    pytest.skip("BROWSER TESTS SKIPPED: playwright is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).parent / "screenshots"
ROOT = "#cookieconsent"
BANNER = '#cookieconsent [data-role="banner"]'
OFFERED = ["vi", "en", "pt-PT", "pt-BR", "zh-CN", "zh-TW", "ar", "he"]


@pytest.fixture
def many_languages(consent_service: ConsentService, host_server: HostSite) -> str:
    """A site in eight languages, Vietnamese by default."""
    return consent_service.create_site(
        [host_server.origin.removeprefix("http://")], default_language="vi", languages=OFFERED
    )


def event_languages(service: ConsentService, site_key: str) -> list[str | None]:
    """The language of every consent event of the site, oldest first."""
    from sqlalchemy import select

    from cookieconsent.extensions import db
    from cookieconsent.models import ConsentEvent, Site

    with service.app.app_context():
        return list(
            db.session.execute(
                select(ConsentEvent.language)
                .join(Site, Site.id == ConsentEvent.site_id)
                .where(Site.site_key == site_key)
                .order_by(ConsentEvent.id)
            ).scalars()
        )


@pytest.mark.parametrize(
    ("locale", "language", "direction"),
    [
        pytest.param("pt-BR", "pt-BR", "ltr", id="pt-BR"),
        pytest.param("pt-PT", "pt-PT", "ltr", id="pt-PT"),
        pytest.param("pt-AO", "pt-PT", "ltr", id="pt-AO-reads-pt-PT"),
        pytest.param("zh-HK", "zh-TW", "ltr", id="zh-HK-reads-traditional"),
        pytest.param("zh-SG", "zh-CN", "ltr", id="zh-SG-reads-simplified"),
        pytest.param("ar-EG", "ar", "rtl", id="ar-right-to-left"),
        pytest.param("he-IL", "he", "rtl", id="he-right-to-left"),
        pytest.param("ja-JP", "vi", "ltr", id="ja-not-offered-default"),
    ],
)
def test_the_banner_speaks_the_browsers_language_or_its_nearest(
    consent_service: ConsentService,
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    many_languages: str,
    locale: str,
    language: str,
    direction: str,
) -> None:
    page = new_context(locale=locale).new_page()
    page.goto(host_page(key=many_languages, lang=None))
    banner = page.locator(BANNER)
    expect(banner).to_be_visible()
    root = page.locator(ROOT)
    expect(root).to_have_attribute("lang", language)
    expect(root).to_have_attribute("dir", direction)
    texts = BANNER_TEXTS[language]
    expect(banner.locator('[data-role="accept-all"]')).to_have_text(texts["accept_all"])
    expect(banner.locator('[data-role="reject-all"]')).to_have_text(texts["reject_all"])
    assert root.evaluate("(node) => getComputedStyle(node).direction") == direction
    # The choice is recorded in the language shown.
    banner.locator('[data-role="reject-all"]').click()
    page.wait_for_function(
        "() => { const s = window.cookieConsent.get(); return s.decided && !s.pending; }"
    )
    assert event_languages(consent_service, many_languages) == [language]


def test_the_arabic_banner_is_laid_out_right_to_left(
    new_context: Callable[..., Any], host_page: Callable[..., str], many_languages: str
) -> None:
    page = new_context(locale="ar").new_page()
    page.goto(host_page(key=many_languages, lang=None))
    banner = page.locator(BANNER)
    expect(banner).to_be_visible()
    title = banner.locator("h2, [id$=title]").first
    expect(title).to_have_text(BANNER_TEXTS["ar"]["title"])
    # Right to left: the title's text hugs the banner's right edge, not its left one.
    text, box = title.evaluate(
        """(node) => {
          const range = document.createRange();
          range.selectNodeContents(node);
          const text = range.getBoundingClientRect();
          const box = node.closest('[data-role="banner"]').getBoundingClientRect();
          return [[text.left, text.right], [box.left, box.right]];
        }"""
    )
    assert box[1] - text[1] < text[0] - box[0], (text, box)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "banner-ar.png"))

"""The "banner shown" beacon in a real browser: once per shown first layer, and nothing else."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from .conftest import ConsentService, in_ci
from .test_banner import BANNER, wait_until_decided

try:
    from playwright.sync_api import Page, Request, expect
except ImportError:  # pragma: no cover - the [test] extra installs it
    if in_ci():
        raise
    pytest.skip("BROWSER TESTS SKIPPED: playwright is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser


SEEN_AT_BEACON = """(() => {
  const send = window.fetch;
  window.__bannerAtBeacon = [];
  window.fetch = function (url) {
    if (String(url).endsWith("/shown")) {
      const banner = document.querySelector('#cookieconsent [data-role="banner"]');
      window.__bannerAtBeacon.push(!!banner && !banner.closest("[hidden]") &&
        banner.getBoundingClientRect().height > 0);
    }
    return send.apply(this, arguments);
  };
})();"""


def banner_counts(service: ConsentService, site_key: str) -> dict[tuple[str, str], int]:
    """What the service counted for this site, by region and language (today)."""
    from sqlalchemy import select

    from cookieconsent.extensions import db
    from cookieconsent.models import BannerCount, Site

    with service.app.app_context():
        rows = db.session.execute(
            select(BannerCount)
            .join(Site, Site.id == BannerCount.site_id)
            .where(Site.site_key == site_key)
        ).scalars()
        return {(row.region, row.language): row.shown for row in rows}


def beacons(page: Page) -> list[Request]:
    seen: list[Request] = []
    page.on("request", lambda request: seen.append(request) if "/shown" in request.url else None)
    return seen


def test_one_beacon_leaves_after_the_banner_shows(
    page: Page, host_page: Callable[..., str], consent_service: ConsentService, site_key: str
) -> None:
    sent = beacons(page)
    # Whether the first layer was on screen when the widget sent the beacon.
    page.add_init_script(SEEN_AT_BEACON)
    page.goto(host_page(lang="vi"))
    expect(page.locator(BANNER)).to_be_visible()
    page.wait_for_function("() => window.cookieConsent.get().mode")
    page.wait_for_timeout(1500)
    assert len(sent) == 1, [request.url for request in sent]
    beacon = sent[0]
    assert beacon.method == "POST"
    assert beacon.url == f"{consent_service.origin}/c/{site_key}/shown"
    headers = beacon.all_headers()
    assert "cookie" not in headers
    body = json.loads(beacon.post_data or "")
    # Counts only: the region and the language, no visitor ID.
    assert set(body) == {"region", "language"}
    assert body["language"] == "vi"
    response = beacon.response()
    assert response is not None and response.status == 204
    assert banner_counts(consent_service, site_key) == {("", "vi"): 1}
    # Choosing does not count again; neither does the page staying open.
    page.locator(f'{BANNER} [data-role="reject-all"]').click()
    wait_until_decided(page)
    page.wait_for_timeout(500)
    assert len(sent) == 1
    assert page.evaluate("window.__bannerAtBeacon") == [True]


def test_no_beacon_for_a_returning_visitor_who_decided(
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
    wait_until_decided(page)
    later = context.new_page()
    sent = beacons(later)
    later.goto(url)
    later.wait_for_function("() => window.cookieConsent && window.cookieConsent.get().decided")
    later.wait_for_timeout(1500)
    expect(later.locator(BANNER)).to_be_hidden()
    assert sent == []
    assert banner_counts(consent_service, site_key) == {("", "en"): 1}

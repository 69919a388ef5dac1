"""The console's live preview, in Chromium: change a text and a colour, see the real widget in the
preview frame change within a second, switch regime, language, theme and width, and publish.

Screenshots of the design and texts pages (desktop and phone) go to tests/browser/screenshots/.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import ConsentService, HostSite
from .console_world import ConsoleWorld, build_world, sign_in

SCREENSHOTS = Path(__file__).parent / "screenshots"
WITHIN_MS = 1000


@pytest.fixture(scope="module")
def world(consent_service: ConsentService, _host_site_server: HostSite) -> Iterator[ConsoleWorld]:
    yield build_world(consent_service, _host_site_server.origin.removeprefix("http://"))


def preview(page: Any) -> Any:
    return page.frame_locator("[data-preview-frame]")


def wait_for(check: Any, started: float, what: str) -> float:
    """Poll ``check`` until it is true; how long it took from ``started``, in ms."""
    deadline = started + 5
    while time.monotonic() < deadline:
        try:
            done = check()
        except Exception:  # the frame is reloading: ask again
            done = False
        if done:
            return (time.monotonic() - started) * 1000
        time.sleep(0.02)
    raise AssertionError(f"the preview never showed {what}")


def accent_of(page: Any) -> str:
    button = preview(page).locator('[data-role="banner"] [data-role="accept-all"]')
    return str(button.evaluate("node => getComputedStyle(node).backgroundColor", timeout=500))


def title_of(page: Any) -> str:
    return str(preview(page).locator("#cookieconsent-title").inner_text(timeout=500))


def test_a_colour_change_shows_in_the_preview_within_a_second(
    new_context: Any, world: ConsoleWorld
) -> None:
    page = new_context().new_page()
    sign_in(page, world, world.owner)
    page.goto(world.url(f"/admin/sites/{world.site_key}/design"))
    preview(page).locator('[data-role="banner"] [data-role="accept-all"]').wait_for()
    before = accent_of(page)
    # The preview runs the widget in preview mode: it records nothing.
    served = page.locator("[data-preview-frame]").get_attribute("src") or ""
    assert "/preview" in served
    page.get_by_label("Use my own colours", exact=True).check()
    started = time.monotonic()
    page.locator("#accent").fill("#0b5d1e")
    took = wait_for(lambda: accent_of(page) == "rgb(11, 93, 30)", started, "the new accent")
    assert took < WITHIN_MS, f"the preview took {took:.0f} ms"
    assert before != "rgb(11, 93, 30)"
    # Reject all carries the same accent (equal prominence).
    reject = preview(page).locator('[data-role="banner"] [data-role="reject-all"]')
    assert reject.evaluate("node => getComputedStyle(node).backgroundColor") == "rgb(11, 93, 30)"
    assert page.locator("[data-draftbar]").is_visible()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-design-preview.png"), full_page=True)

    # A failing pair is named next to its field, and the preview keeps the last good draft.
    page.locator("#text").fill("#eeeeee")
    message = page.locator("#text-error")
    message.wait_for()
    assert "4.5:1" in message.inner_text()
    assert accent_of(page) == "rgb(11, 93, 30)"
    page.screenshot(path=str(SCREENSHOTS / "console-design-contrast-error.png"), full_page=True)

    # Dark theme and a phone's width.
    page.locator('select[name="p_theme"]').select_option("dark")
    page.locator('select[name="p_width"]').select_option("phone")
    preview(page).locator('[data-role="banner"] [data-role="accept-all"]').wait_for()
    frame_node = page.locator("[data-preview-frame]")
    wait_for(
        lambda: frame_node.evaluate("node => node.clientWidth") <= 375, time.monotonic(), "a phone"
    )
    page.screenshot(path=str(SCREENSHOTS / "console-design-preview-dark-phone.png"), full_page=True)


def test_a_text_change_shows_in_the_preview_and_every_regime_and_language_opens(
    new_context: Any, world: ConsoleWorld, consent_service: ConsentService
) -> None:
    page = new_context().new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.method + " " + request.url))
    sign_in(page, world, world.owner)
    page.goto(world.url(f"/admin/sites/{world.site_key}/texts?lang=en"))
    preview(page).locator("#cookieconsent-title").wait_for()
    started = time.monotonic()
    page.locator('[name="t-title"]').fill("Cookies, in plain words")
    took = wait_for(lambda: title_of(page) == "Cookies, in plain words", started, "the new title")
    assert took < WITHIN_MS, f"the preview took {took:.0f} ms"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-texts-preview.png"), full_page=True)

    # Every regime and every language the site offers, with the draft's texts in each.
    titles = {"vi": "Chúng tôi dùng cookie", "en": "Cookies, in plain words"}
    for regime in ("opt-in", "opt-out", "notice"):
        page.locator('select[name="p_regime"]').select_option(regime)
        for language, title in titles.items():
            page.locator('select[name="p_lang"]').select_option(language)
            banner = preview(page).locator(f'[data-role="banner"][data-mode="{regime}"]')
            wait_for(
                lambda banner=banner, title=title: (
                    banner.locator("#cookieconsent-title").inner_text(timeout=500) == title
                ),
                time.monotonic(),
                f"the {regime} banner in {title!r}",
            )
    page.screenshot(path=str(SCREENSHOTS / "console-texts-preview-notice.png"), full_page=True)
    # Clicks in the preview record nothing: no consent is written, no beacon is sent.
    page.locator('select[name="p_regime"]').select_option("opt-in")
    frame = preview(page)
    # (dispatched: the fixed banner may sit below the console's fold inside the frame)
    frame.locator('[data-role="banner"] [data-role="accept-all"]').dispatch_event("click")
    time.sleep(0.3)
    written = [r for r in requests if r.startswith("POST") and "/api/v1/sites/" in r]
    beacons = [r for r in requests if r.startswith("POST") and r.endswith("/shown")]
    assert written == [] and beacons == []

    # Publish from the draft bar: the widget visitors get changes.
    page.locator("[data-draftbar] button", has_text="Publish").click()
    page.wait_for_load_state()
    assert consent_service.served_config(world.site_key)["texts"]["en"]["title"] == (
        "Cookies, in plain words"
    )
    page.screenshot(path=str(SCREENSHOTS / "console-texts-published.png"), full_page=True)


def test_the_pages_fit_a_phone(new_context: Any, world: ConsoleWorld) -> None:
    page = new_context(viewport={"width": 390, "height": 844}).new_page()
    sign_in(page, world, world.owner)
    SCREENSHOTS.mkdir(exist_ok=True)
    for name in ("banner", "design", "history", "settings"):
        page.goto(world.url(f"/admin/sites/{world.site_key}/{name}"))
        page.screenshot(path=str(SCREENSHOTS / f"console-{name}-phone.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px"
    page = new_context().new_page()
    sign_in(page, world, world.owner)
    for name in ("banner", "history", "settings", "policy"):
        page.goto(world.url(f"/admin/sites/{world.site_key}/{name}"))
        page.screenshot(path=str(SCREENSHOTS / f"console-{name}.png"), full_page=True)

"""The configuration pages' panels hold what they show, at 1366 px and on a 390 px phone.

Screenshots go to tests/browser/screenshots/console-fit-*.png.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .conftest import in_ci
from .console_world import ConsoleWorld, sign_in
from .test_console_journeys import service, shot, world  # noqa: F401

try:
    from playwright.sync_api import Page
except ImportError:  # pragma: no cover - the [test] extra installs it
    if in_ci():
        raise
    pytest.skip("playwright is not installed", allow_module_level=True)

VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
PAGES = ("banner", "settings", "design", "history")

# Each panel whose content is wider than the panel, and each panel, table cell or button whose
# right edge is past the viewport's.
OVERFLOWS = """() => {
  const found = [];
  const right = document.documentElement.clientWidth;
  for (const panel of document.querySelectorAll("main .panel")) {
    if (panel.scrollWidth > panel.clientWidth + 1) {
      const title = panel.querySelector("h2")?.textContent;
      found.push(`${title}: ${panel.scrollWidth} > ${panel.clientWidth}`);
    }
    const box = panel.getBoundingClientRect();
    for (const item of panel.querySelectorAll("td, th, .btn")) {
      const r = item.getBoundingClientRect();
      if (r.width && (r.right > box.right + 1 || r.right > right + 1)) {
        const text = item.textContent.trim().slice(0, 30);
        found.push(`${text} ends at ${r.right}, panel at ${box.right}`);
      }
    }
  }
  return found;
}"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_configuration_panels_hold_their_tables_and_buttons(
    world: ConsoleWorld,  # noqa: F811
    new_context: Callable[..., Any],
    viewport: str,
) -> None:
    size = VIEWPORTS[viewport]
    page: Page = new_context(viewport=size, locale="vi-VN").new_page()
    sign_in(page, world, world.owner)
    problems = {}
    for name in PAGES:
        response = page.goto(world.url(f"/admin/sites/{world.site_key}/{name}"))
        assert response is not None and response.status == 200, name
        assert page.evaluate("() => document.documentElement.scrollWidth") <= size["width"], name
        found = page.evaluate(OVERFLOWS)
        if found:
            problems[name] = found
        shot(page, f"fit-{viewport}-{name}")
    assert not problems, problems


def test_the_live_badge_stays_on_one_line_and_the_delete_box_stands_apart(
    world: ConsoleWorld,  # noqa: F811
    new_context: Callable[..., Any],
) -> None:
    page: Page = new_context(viewport=VIEWPORTS["phone"], locale="vi-VN").new_page()
    sign_in(page, world, world.owner)
    page.goto(world.url(f"/admin/sites/{world.site_key}/history"))
    badge = page.locator("main .table .badge").first.bounding_box()
    assert badge is not None and badge["height"] < 30, badge
    page.goto(world.url(f"/admin/sites/{world.site_key}/settings"))
    save = page.locator("main form .actions .btn-primary").first.bounding_box()
    danger = page.locator("main .panel-danger").bounding_box()
    assert save is not None and danger is not None
    assert danger["y"] - (save["y"] + save["height"]) >= 16

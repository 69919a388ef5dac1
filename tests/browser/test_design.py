"""The site's design in a real browser: layouts and positions, colours, dark mode, the preview.

Screenshots of each layout land in tests/browser/screenshots/design-*.png for a human to look at.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cookieconsent.services.widget import build_widget

from .conftest import ConsentService, HostSite, build_page, in_ci
from .test_banner import BANNER

try:
    from playwright.sync_api import Page, expect
except ImportError:  # pragma: no cover - the [test] extra installs it
    if in_ci():
        raise
    pytest.skip("BROWSER TESTS SKIPPED: playwright is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).parent / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
BRAND = {"accent": "#c2410c", "background": "#fffbeb", "text": "#1c1917"}
BRAND_DARK = {"accent": "#fdba74", "background": "#1c1917", "text": "#fafaf9"}
LAYOUTS = [
    ("box", "bottom"),
    ("box", "top"),
    ("box", "bottom-left"),
    ("box", "bottom-right"),
    ("box", "center"),
    ("bar", "bottom"),
    ("bar", "top"),
    ("dialog", "center"),
]

SETTLED = """() => document.getAnimations().every((a) => a.playState !== "running")"""


def rgb(color: str) -> str:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def styles(page: Page, selector: str, *names: str) -> dict[str, str]:
    return page.eval_on_selector(  # type: ignore[no-any-return]
        selector,
        "(node, names) => Object.fromEntries(names.map((n) => [n, getComputedStyle(node)[n]]))",
        list(names),
    )


def show_banner(page: Page, url: str) -> dict[str, float]:
    page.goto(url)
    banner = page.locator(BANNER)
    expect(banner).to_be_visible()
    page.wait_for_function(SETTLED)
    box = banner.bounding_box()
    assert box is not None
    return box


def near(value: float, expected: float, tolerance: float = 1.5) -> bool:
    return abs(value - expected) <= tolerance


def placement_problems(
    layout: str, position: str, box: dict[str, float], viewport: dict[str, int]
) -> list[str]:
    """Where the banner should be, given its layout and position; empty when it is there."""
    width, height = viewport["width"], viewport["height"]
    phone = width <= 600
    gap = 8 if phone else 16
    left, top = box["x"], box["y"]
    right, bottom = left + box["width"], top + box["height"]
    problems = []

    def check(ok: bool, what: str) -> None:
        if not ok:
            problems.append(f"{layout}/{position} at {width}x{height}: {what} (box {box})")

    check(
        left >= -0.5 and right <= width + 0.5 and top >= -0.5 and bottom <= height + 0.5,
        "inside the viewport",
    )
    if layout == "bar":
        check(near(left, 0) and near(right, width), "spans the width")
        if position == "top":
            check(near(top, 0), "touches the top")
        else:
            check(near(bottom, height), "touches the bottom")
        return problems
    centered_x = near(left, width - right)
    if position == "bottom":
        check(near(bottom, height - gap) and centered_x, "at the bottom, centered")
    elif position == "top":
        check(near(top, gap) and centered_x, "at the top, centered")
    elif position == "bottom-left":
        check(near(left, gap) and near(bottom, height - gap), "in the bottom left corner")
        check(phone or box["width"] <= 421, "a narrow box")
    elif position == "bottom-right":
        check(near(right, width - gap) and near(bottom, height - gap), "bottom right corner")
        check(phone or box["width"] <= 421, "a narrow box")
    elif position == "center":
        check(centered_x and near(top, height - bottom), "in the center")
    return problems


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280x800", "390x844"])
@pytest.mark.parametrize(("layout", "position"), LAYOUTS, ids=[f"{a}-{b}" for a, b in LAYOUTS])
def test_each_layout_renders_where_it_should(
    new_context: Callable[..., Any],
    configured_site: Callable[..., str],
    host_page: Callable[..., str],
    layout: str,
    position: str,
    viewport: dict[str, int],
) -> None:
    key = configured_site({"design": {"layout": layout, "position": position}})
    page = new_context(viewport=viewport).new_page()
    box = show_banner(page, host_page(key=key))
    root_classes = page.eval_on_selector("#cookieconsent", "node => node.className")
    assert f"cookieconsent-{layout}" in root_classes and f"cookieconsent-{position}" in root_classes
    SCREENSHOTS.mkdir(exist_ok=True)
    page.mouse.move(0, 0)
    size = f"{viewport['width']}x{viewport['height']}"
    page.screenshot(path=str(SCREENSHOTS / f"design-{layout}-{position}-{size}.png"))
    assert placement_problems(layout, position, box, viewport) == []
    if viewport is PHONE:
        # The bound on a phone holds for every layout.
        share = 100 * box["height"] / PHONE["height"]
        assert share <= 40.0, f"{layout}/{position} covers {share:.1f}% of a 390x844 phone"
    if layout == "dialog":
        shadow = styles(page, BANNER, "boxShadow")["boxShadow"]
        assert "rgba(15, 23, 42, 0.55)" in shadow, shadow


def test_the_built_in_look_is_unchanged_without_a_design(
    new_context: Callable[..., Any], host_page: Callable[..., str]
) -> None:
    page = new_context(viewport=DESKTOP).new_page()
    box = show_banner(page, host_page())
    assert placement_problems("box", "bottom", box, DESKTOP) == []
    assert box["width"] <= 761
    seen = styles(page, BANNER, "backgroundColor", "color")
    assert seen == {"backgroundColor": rgb("#ffffff"), "color": rgb("#1f2328")}
    accept = styles(page, f'{BANNER} [data-role="accept-all"]', "backgroundColor", "color")
    assert accept == {"backgroundColor": rgb("#1d4ed8"), "color": rgb("#ffffff")}


BUTTON_STYLES = (
    "backgroundColor",
    "color",
    "fontWeight",
    "fontSize",
    "borderTopColor",
    "borderTopWidth",
    "paddingTop",
    "paddingLeft",
    "borderRadius",
)


def test_the_colours_apply_and_accept_and_reject_look_alike(
    new_context: Callable[..., Any],
    configured_site: Callable[..., str],
    host_page: Callable[..., str],
) -> None:
    key = configured_site({"design": {"colors": BRAND}})
    page = new_context(viewport=DESKTOP).new_page()
    show_banner(page, host_page(key=key))
    assert styles(page, BANNER, "backgroundColor", "color") == {
        "backgroundColor": rgb(BRAND["background"]),
        "color": rgb(BRAND["text"]),
    }
    accept = styles(page, f'{BANNER} [data-role="accept-all"]', *BUTTON_STYLES)
    reject = styles(page, f'{BANNER} [data-role="reject-all"]', *BUTTON_STYLES)
    # Equal prominence: the same accent, the same button text, the same weight and size.
    assert accept == reject
    assert accept["backgroundColor"] == rgb(BRAND["accent"])
    # The button text is the palette's background (it stands out more on this accent).
    assert accept["color"] == rgb(BRAND["background"])
    accept_box = page.locator(f'{BANNER} [data-role="accept-all"]').bounding_box()
    reject_box = page.locator(f'{BANNER} [data-role="reject-all"]').bounding_box()
    assert accept_box and reject_box
    assert near(accept_box["width"], reject_box["width"]) and near(
        accept_box["height"], reject_box["height"]
    )
    # The description is in the text colour (muted text would lose the checked contrast).
    assert styles(page, "#cookieconsent-desc", "color")["color"] == rgb(BRAND["text"])


@pytest.mark.parametrize("with_dark", [True, False], ids=["dark-palette", "colors-only"])
def test_dark_mode_applies_the_dark_palette(
    new_context: Callable[..., Any],
    configured_site: Callable[..., str],
    host_page: Callable[..., str],
    with_dark: bool,
) -> None:
    design: dict[str, Any] = {"layout": "box", "position": "bottom-right", "colors": BRAND}
    if with_dark:
        design["dark"] = BRAND_DARK
    key = configured_site({"design": design})
    page = new_context(viewport=DESKTOP, color_scheme="dark").new_page()
    show_banner(page, host_page(key=key))
    palette = BRAND_DARK if with_dark else BRAND
    assert styles(page, BANNER, "backgroundColor", "color") == {
        "backgroundColor": rgb(palette["background"]),
        "color": rgb(palette["text"]),
    }
    accept = styles(page, f'{BANNER} [data-role="accept-all"]', *BUTTON_STYLES)
    assert accept == styles(page, f'{BANNER} [data-role="reject-all"]', *BUTTON_STYLES)
    assert accept["backgroundColor"] == rgb(palette["accent"])
    if with_dark:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.mouse.move(0, 0)
        page.screenshot(path=str(SCREENSHOTS / "design-dark-box-bottom-right-1280x800.png"))


def test_dark_mode_without_a_design_keeps_the_built_in_dark_palette(
    new_context: Callable[..., Any], host_page: Callable[..., str]
) -> None:
    page = new_context(viewport=DESKTOP, color_scheme="dark").new_page()
    show_banner(page, host_page())
    assert styles(page, BANNER, "backgroundColor")["backgroundColor"] == rgb("#16191d")


# The console's preview: the real widget with preview options --------------------------------


def preview_page(
    consent_service: ConsentService, host_server: HostSite, key: str, preview: Any, lang: str
) -> str:
    """A page running the site's widget inline with ``preview`` in its configuration."""
    config = consent_service.served_config(key)
    config["preview"] = preview
    script = build_widget(config).body.decode("utf-8")
    return host_server.add_page(
        build_page(
            script_src=None,
            host_origin=host_server.origin,
            lang=lang,
            head_extra=f"<script>{script}</script>",
        )
    )


@pytest.mark.parametrize(
    ("theme", "scheme", "background"),
    [("dark", "light", BRAND_DARK["background"]), ("light", "dark", BRAND["background"])],
)
def test_the_preview_forces_its_theme_regime_and_language(
    new_context: Callable[..., Any],
    configured_site: Callable[..., str],
    consent_service: ConsentService,
    host_server: HostSite,
    theme: str,
    scheme: str,
    background: str,
) -> None:
    key = configured_site({"design": {"layout": "bar", "colors": BRAND, "dark": BRAND_DARK}})
    url = preview_page(
        consent_service,
        host_server,
        key,
        {"regime": "opt-out", "language": "en", "theme": theme},
        lang="vi",
    )
    page = new_context(viewport=DESKTOP, color_scheme=scheme).new_page()
    sent: list[str] = []
    page.on("request", lambda request: sent.append(f"{request.method} {request.url}"))
    page.goto(url)
    banner = page.locator(f'{BANNER}[data-mode="opt-out"]')
    expect(banner).to_be_visible()
    expect(page.locator("#cookieconsent")).to_have_attribute("lang", "en")
    page.wait_for_function(SETTLED)
    assert styles(page, BANNER, "backgroundColor")["backgroundColor"] == rgb(background)
    page.wait_for_timeout(1500)
    # Nothing is written or counted from a preview: no region question, no beacon, no choice.
    assert not [line for line in sent if "/region" in line or "/shown" in line], sent
    banner.locator('[data-role="do-not-sell"]').click()
    page.wait_for_timeout(300)
    assert not [line for line in sent if line.startswith("POST")], sent
    assert page.context.cookies() == []

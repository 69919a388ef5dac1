"""Layout on any page, in Chromium: what a visitor sees of the banner and the preferences dialog.

Every viewport from 320x480 up, with the longest texts the configuration accepts; a phone in every
built-in language and regime; right-to-left pages; host pages whose own CSS would restyle the
widget if it could. Everything is measured as it is painted (bounding boxes, scroll sizes, what
``document.elementFromPoint`` finds, computed styles), never how long anything takes.

Screenshots land in tests/browser/screenshots/ (ignored by git) for a human to look at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cookieconsent.texts import (
    BANNER_TEXT_KEYS,
    LABEL_LIMIT,
    PROSE_LIMIT,
    SUPPORTED_LANGUAGES,
    TITLE_LIMIT,
    text_limit,
)
from tests.geodata import CALIFORNIA_IP, GERMANY_IP, TEXAS_IP, VIETNAM_IP

from .conftest import (
    ConsentService,
    HostSite,
    RegionalConsentService,
    build_page,
    in_ci,
    recorded_events,
    visitor_from,
)
from .test_banner import BANNER, wait_until_decided
from .test_trackers import GPC_IN_PAGE

try:
    from playwright.sync_api import Locator, Page, expect
except ImportError:  # pragma: no cover - the [test] extra installs it
    if in_ci():
        raise
    pytest.skip("BROWSER TESTS SKIPPED: playwright is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser

ROOT = "#cookieconsent"
PREFS = "#cookieconsent .cookieconsent-prefs"
SCREENSHOTS = Path(__file__).parent / "screenshots"
# Every data-role hook the widget documents for privacy tools and site scripts.
ALL_HOOKS = frozenset(
    {
        "banner",
        "accept-all",
        "reject-all",
        "preferences",
        "save",
        "close",
        "reopen",
        "withdraw",
        "dismiss",
        "do-not-sell",
        "gpc-notice",
        "policy-updated",
        "your-data",
        "history",
        "export",
        "receipt",
        "erase",
    }
)
# The controls of the first layer in each regime (a link-styled button may follow the row).
FIRST_LAYER_CONTROLS = {
    "opt-in": ("accept-all", "reject-all", "preferences"),
    "opt-out": ("dismiss", "preferences", "do-not-sell"),
    "notice": ("dismiss", "preferences", "reject-all"),
    "opt-in-specific": ("reject-all", "save", "accept-all", "more"),
    "opt-in-stats-exempt": ("accept-all", "reject-all", "preferences", "object-statistics"),
}
PHONE = {"width": 390, "height": 844}
SMALL_PHONES = ({"width": 360, "height": 800}, {"width": 320, "height": 568})
LAYOUT_SIZES = [
    pytest.param({"width": 320, "height": 480}, id="320x480"),
    pytest.param({"width": 360, "height": 640}, id="360x640"),
    pytest.param({"width": 601, "height": 480}, id="601x480-just-above-the-phone-layout"),
    pytest.param({"width": 768, "height": 1024}, id="768x1024"),
    pytest.param({"width": 1280, "height": 720}, id="1280x720"),
]

# --- reading the page ------------------------------------------------------------------------

SETTLED = "document.getAnimations().every((a) => a.playState === 'finished')"

# Scroll an element into view inside its layer only (never the page), the way a visitor scrolls
# the banner's own scrolling parts; then say what of it is visible and what a click there hits.
REACH = """(el) => {
  const layer = el.closest(".cookieconsent-banner, .cookieconsent-prefs");
  const before = [window.scrollX, window.scrollY];
  const clips = (box) => {
    const style = getComputedStyle(box);
    return style.overflowX !== "visible" || style.overflowY !== "visible";
  };
  const inner = (box) => {
    const r = box.getBoundingClientRect();
    const left = r.left + box.clientLeft;
    const top = r.top + box.clientTop;
    return {left, top, right: left + box.clientWidth, bottom: top + box.clientHeight};
  };
  for (let box = el.parentElement; box && layer && layer.contains(box); box = box.parentElement) {
    if (!clips(box)) continue;
    const port = inner(box);
    let r = el.getBoundingClientRect();
    if (r.bottom > port.bottom) box.scrollTop += r.bottom - port.bottom;
    r = el.getBoundingClientRect();
    if (r.top < port.top) box.scrollTop -= port.top - r.top;
    r = el.getBoundingClientRect();
    if (r.right > port.right) box.scrollLeft += r.right - port.right;
    r = el.getBoundingClientRect();
    if (r.left < port.left) box.scrollLeft -= port.left - r.left;
  }
  const r = el.getBoundingClientRect();
  let seen = {left: r.left, top: r.top, right: r.right, bottom: r.bottom};
  const cut = (box) => {
    seen = {
      left: Math.max(seen.left, box.left), top: Math.max(seen.top, box.top),
      right: Math.min(seen.right, box.right), bottom: Math.min(seen.bottom, box.bottom),
    };
  };
  cut({left: 0, top: 0, right: window.innerWidth, bottom: window.innerHeight});
  for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
    if (clips(box)) cut(inner(box));
  }
  const some = seen.right > seen.left && seen.bottom > seen.top;
  // A link that wraps is drawn in pieces: aim at the middle of the largest piece in view.
  let x = (seen.left + seen.right) / 2;
  let y = (seen.top + seen.bottom) / 2;
  let area = 0;
  for (const piece of el.getClientRects()) {
    const w = Math.min(piece.right, seen.right) - Math.max(piece.left, seen.left);
    const h = Math.min(piece.bottom, seen.bottom) - Math.max(piece.top, seen.top);
    if (w > 0 && h > 0 && w * h > area) {
      area = w * h;
      x = Math.max(piece.left, seen.left) + w / 2;
      y = Math.max(piece.top, seen.top) + h / 2;
    }
  }
  const hit = some ? document.elementFromPoint(x, y) : null;
  const round = (v) => Math.round(v * 10) / 10;
  return {
    box: [r.left, r.top, r.width, r.height].map(round),
    visible: some ? [seen.left, seen.top, seen.right - seen.left, seen.bottom - seen.top].map(round)
      : null,
    whole: some && seen.left <= r.left + 0.5 && seen.top <= r.top + 0.5 &&
      seen.right >= r.right - 0.5 && seen.bottom >= r.bottom - 0.5,
    centre: [x, y],
    hit: !!hit && (hit === el || el.contains(hit)),
    hitWhat: hit ? hit.tagName.toLowerCase() + "." + hit.className : null,
    pageScrolled: window.scrollX !== before[0] || window.scrollY !== before[1],
  };
}"""

# Where a layer sits, and whether any part of it overflows or scrolls.
LAYER = """(el) => {
  const r = el.getBoundingClientRect();
  const scrollers = [el, ...el.querySelectorAll("*")].filter((node) => {
    const style = getComputedStyle(node);
    return style.display !== "none" && (style.overflowY === "auto" || style.overflowY === "scroll");
  });
  const doc = document.documentElement;
  // The room the widget keeps after the page's content while the banner shows (so that the
  // page's last elements can scroll clear of it, WCAG 2.4.11) is meant to be scrolled to.
  const room = document.querySelector("body > .cookieconsent-room");
  return {
    box: [r.left, r.top, r.right, r.bottom],
    viewport: [window.innerWidth, window.innerHeight],
    ownOverflow: [el.scrollWidth - el.clientWidth, el.scrollHeight - el.clientHeight],
    scrolling: scrollers.filter((node) => node.scrollHeight > node.clientHeight + 1)
      .map((node) => node.className),
    sideways: scrollers.filter((node) => node.scrollWidth > node.clientWidth + 1)
      .map((node) => [node.className, node.scrollWidth, node.clientWidth]),
    page: [doc.scrollWidth, doc.scrollHeight - (room ? room.offsetHeight : 0), window.scrollX,
      window.scrollY],
  };
}"""

# Computed styles and boxes of a layer and everything in it, in document order.
STYLE_PROPERTIES = [
    "display",
    "position",
    "visibility",
    "opacity",
    "transform",
    "box-sizing",
    "width",
    "height",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "line-height",
    "letter-spacing",
    "word-spacing",
    "text-transform",
    "text-align",
    "text-decoration-line",
    "direction",
    "color",
    "background-color",
    "background-image",
    "list-style-type",
    "appearance",
    "cursor",
    *[f"padding-{side}" for side in ("top", "right", "bottom", "left")],
    *[f"margin-{side}" for side in ("top", "right", "bottom", "left")],
    *[f"border-{side}-width" for side in ("top", "right", "bottom", "left")],
    *[f"border-{side}-style" for side in ("top", "right", "bottom", "left")],
    *[f"border-{side}-color" for side in ("top", "right", "bottom", "left")],
    "border-top-left-radius",
    "outline-style",
]
SNAPSHOT = """([selector, properties]) => {
  const layer = document.querySelector(selector);
  const round = (v) => Math.round(v * 100) / 100;
  const name = (node, index) => index + ":" + node.tagName.toLowerCase() +
    (node.getAttribute("class") ? "." + node.getAttribute("class").split(" ").join(".") : "") +
    (node.getAttribute("data-role") ? "[" + node.getAttribute("data-role") + "]" : "");
  const out = {};
  [layer, ...layer.querySelectorAll("*")].forEach((node, index) => {
    const key = name(node, index);
    const r = node.getBoundingClientRect();
    out[key + " box"] = [r.left, r.top, r.width, r.height].map(round).join(" ");
    const style = getComputedStyle(node);
    for (const property of properties) out[key + " " + property] = style.getPropertyValue(property);
    if (node.matches("input")) {
      const knob = getComputedStyle(node, "::after");
      for (const property of ["left", "right", "top", "width", "height", "transform",
        "background-color"]) out[key + " ::after " + property] = knob.getPropertyValue(property);
    }
  });
  return out;
}"""

# Where the text of the banner is drawn, line by line: a right-to-left run shows here.
TEXT_LINES = """() => {
  const banner = document.querySelector('#cookieconsent [data-role="banner"]');
  const body = banner.querySelector(".cookieconsent-body");
  const style = getComputedStyle(body);
  const contentLeft = body.getBoundingClientRect().left + body.clientLeft +
    parseFloat(style.paddingLeft);
  const lineStarts = (textNode) => {
    const range = document.createRange();
    range.selectNodeContents(textNode);
    const starts = {};
    for (const rect of range.getClientRects()) {
      const top = Math.round(rect.top);
      starts[top] = Math.min(starts[top] === undefined ? Infinity : starts[top], rect.left);
    }
    return Object.values(starts);
  };
  const charBox = (textNode, index) => {
    const range = document.createRange();
    range.setStart(textNode, index);
    range.setEnd(textNode, index + 1);
    const rect = range.getBoundingClientRect();
    return {left: rect.left, right: rect.right, top: Math.round(rect.top)};
  };
  const title = banner.querySelector(".cookieconsent-title");
  const desc = banner.querySelector("#cookieconsent-desc");
  const words = desc.firstChild;
  const last = words.data.trimEnd().length - 1;
  const direction = (node) => getComputedStyle(node).direction;
  const align = (node) => getComputedStyle(node).textAlign;
  const role = (r) => banner.querySelector('[data-role="' + r + '"]').getBoundingClientRect().left;
  return {
    root: [document.getElementById("cookieconsent").getAttribute("dir"),
      document.getElementById("cookieconsent").getAttribute("lang")],
    directions: [banner, body, title, desc, desc.querySelector("a"),
      ...banner.querySelectorAll("button")].map(direction),
    aligns: [title, desc].map(align),
    contentLeft,
    titleStarts: lineStarts(title.firstChild),
    descStarts: lineStarts(words),
    finalStop: [words.data[last], charBox(words, last - 1), charBox(words, last)],
    buttonsLeft: ["accept-all", "reject-all", "preferences"].map(role),
  };
}"""

# Where the switches of the preferences dialog sit in their rows.
SWITCH_ROWS = """() => Array.from(
  document.querySelectorAll("#cookieconsent .cookieconsent-prefs .cookieconsent-cat-head"))
  .map((row) => {
    const box = row.getBoundingClientRect();
    const input = row.querySelector("input").getBoundingClientRect();
    const label = row.querySelector("label").getBoundingClientRect();
    return {
      name: row.querySelector("input").id,
      row: [box.left, box.right],
      switchRight: input.right,
      labelLeft: label.left,
      labelBeforeSwitch: label.right <= input.left,
      direction: getComputedStyle(row).direction,
    };
  })"""

# Every ID and class inside the widget, and anything that is not the widget's own.
NAMES = """() => {
  const root = document.getElementById("cookieconsent");
  const foreign = [];
  for (const node of root.querySelectorAll("*")) {
    if (node.id && !node.id.startsWith("cookieconsent-")) foreign.push("#" + node.id);
    for (const name of node.classList) {
      if (!name.startsWith("cookieconsent-")) foreign.push("." + name);
    }
  }
  return {
    rootId: root.id, rootParent: root.parentNode === document.body,
    rootClasses: Array.from(root.classList), elements: root.querySelectorAll("*").length, foreign,
  };
}"""


# Boxes inside a layer that stick out of it sideways, and row titles squeezed by their neighbours.
STICKING_OUT = """(layer) => {
  const outer = layer.getBoundingClientRect();
  const out = [];
  for (const node of layer.querySelectorAll("*")) {
    const r = node.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.left < outer.left - 0.5 || r.right > outer.right + 0.5) {
      out.push(node.tagName.toLowerCase() + "." + node.className + " spans x " +
        Math.round(r.left) + ".." + Math.round(r.right) + " in " + Math.round(outer.left) + ".." +
        Math.round(outer.right));
    }
  }
  for (const row of layer.querySelectorAll(".cookieconsent-cat-head")) {
    const label = row.querySelector("label").getBoundingClientRect().width;
    const width = row.getBoundingClientRect().width;
    if (label < width / 3) {
      out.push("a row title gets " + Math.round(label) + " px of its " + Math.round(width) +
        " px row");
    }
  }
  return out;
}"""


def settle(page: Page) -> None:
    """Wait until entrance animations and transitions have finished."""
    page.wait_for_function(SETTLED)


def shoot(page: Page, name: str) -> Path:
    """Save what the visitor sees now under tests/browser/screenshots/."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.mouse.move(0, 0)  # no button drawn hovered
    page.screenshot(path=str(path), animations="disabled")
    return path


def layer_problems(page: Page, selector: str, what: str) -> list[str]:
    """What keeps a layer from lying wholly inside the viewport without moving the page."""
    seen = page.locator(selector).evaluate(LAYER)
    left, top, right, bottom = seen["box"]
    width, height = seen["viewport"]
    problems = []
    if left < -0.5 or top < -0.5 or right > width + 0.5 or bottom > height + 0.5:
        problems.append(
            f"{what} box (left {left:.1f}, top {top:.1f}, right {right:.1f}, "
            f"bottom {bottom:.1f}) leaves the {width}x{height} viewport"
        )
    if seen["ownOverflow"][0] > 1 or seen["ownOverflow"][1] > 1:
        problems.append(
            f"{what} content overflows its box by {seen['ownOverflow']} px (width, height)"
        )
    if seen["sideways"]:
        problems.append(
            f"{what} scrolls sideways (class, scrollWidth, clientWidth): {seen['sideways']}"
        )
    page_width, page_height, scroll_x, scroll_y = seen["page"]
    if page_width > width or page_height > height or scroll_x or scroll_y:
        problems.append(
            f"the page behind scrolls: {page_width}x{page_height}, at {scroll_x},{scroll_y}"
        )
    return problems


def reach_problem(target: Locator, what: str) -> tuple[str | None, dict[str, Any]]:
    """Scroll ``target`` into view inside its layer; say what is wrong with what shows."""
    seen = target.evaluate(REACH)
    if seen["visible"] is None:
        return f"{what} cannot be brought into view at all (box {seen['box']})", seen
    if not seen["whole"]:
        return (
            f"{what} cannot be scrolled wholly into view: box {seen['box']} "
            f"(x, y, w, h), visible part {seen['visible']}",
            seen,
        )
    if not seen["hit"]:
        return f"{what} is covered at its centre {seen['centre']} by {seen['hitWhat']}", seen
    if seen["pageScrolled"]:
        return f"reaching {what} scrolled the page behind", seen
    return None, seen


def reach_all(page: Page, layer: str, targets: dict[str, str]) -> list[str]:
    problems = []
    for what, selector in targets.items():
        locator = page.locator(f"{layer} {selector}")
        count = locator.count()
        assert count, f"no {what} ({selector}) in {layer}"
        for index in range(count):
            label = what if count == 1 else f"{what} #{index + 1}"
            problem, _ = reach_problem(locator.nth(index), label)
            if problem:
                problems.append(problem)
    return problems


def click_where_seen(page: Page, target: Locator, what: str) -> None:
    """Bring ``target`` into view inside its layer and click the middle of it, as a finger does."""
    problem, seen = reach_problem(target, what)
    assert problem is None, problem
    page.mouse.click(*seen["centre"])


def differences(before: dict[str, str], after: dict[str, str], limit: int = 25) -> list[str]:
    assert before.keys() == after.keys(), "the widget's DOM differs between the two pages"
    changed = [
        f"{key}: {before[key]!r} -> {after[key]!r}" for key in before if before[key] != after[key]
    ]
    return changed[:limit] + (
        [f"... and {len(changed) - limit} more"] if len(changed) > limit else []
    )


def snapshot(page: Page, selector: str) -> dict[str, str]:
    page.mouse.move(0, 0)
    settle(page)
    return page.evaluate(SNAPSHOT, [selector, STYLE_PROPERTIES])  # type: ignore[no-any-return]


def open_preferences(page: Page) -> Locator:
    page.locator(f'{BANNER} [data-role="preferences"]').click()
    dialog = page.locator(PREFS)
    expect(dialog).to_be_visible()
    settle(page)
    return dialog


# --- texts as long as the configuration accepts ----------------------------------------------

PROSE = (
    "We and our partners store and read cookies, local storage and similar identifiers on your "
    "device to keep this shop working, to remember your basket and language, to measure how "
    "visitors use each page and to show advertising that matches your interests. "
)


def at_length(length: int, start: str = "") -> str:
    """Readable text of exactly ``length`` characters, ending with a full stop."""
    text = start
    while len(text) < length:
        text += PROSE
    text = text[: length - 1].rstrip()
    return text + "." * (length - len(text))


def unbroken(length: int, word: str = "Datenschutzeinstellungsverwaltungsoberfläche") -> str:
    """One word of exactly ``length`` characters: nowhere for a line to break."""
    return (word * (length // len(word) + 1))[:length]


def longest_texts(make: Callable[[int, str], str] = at_length) -> dict[str, Any]:
    """A configuration with every English text at its limit: 60 for a label, 200 for a title,
    2,000 for prose; three categories and two services with titles and descriptions as long."""
    texts = {
        key: make(text_limit(key), key.replace("_", " ").capitalize() + ": ")
        for key in BANNER_TEXT_KEYS
    }

    def pair(name: str) -> dict[str, dict[str, str]]:
        return {
            "en": {
                "title": make(TITLE_LIMIT, f"{name.capitalize()}: "),
                "description": make(PROSE_LIMIT, f"{name.capitalize()} cookies: "),
            }
        }

    return {
        "languages": ["en"],
        "default_language": "en",
        "texts": {"en": texts},
        "categories": [
            {"name": name, "texts": pair(name)} for name in ("essential", "analytics", "marketing")
        ],
        "services": [
            {
                "name": f"{category}_partner",
                "category": category,
                "label": make(TITLE_LIMIT, f"{category.capitalize()} partner: "),
                "texts": {"en": {"description": make(PROSE_LIMIT, "What it does: ")}},
            }
            for category in ("analytics", "marketing")
        ],
    }


def test_the_longest_texts_are_the_configuration_limits(
    consent_service: ConsentService, configured_site: Callable[..., str]
) -> None:
    """The texts used below are as long as the configuration accepts, not one character less."""
    assert (LABEL_LIMIT, TITLE_LIMIT, PROSE_LIMIT) == (60, 200, 2000)
    limits = {
        key: text_limit(key)
        for key in (
            "title",
            "description",
            "accept_all",
            "reject_all",
            "preferences",
            "save",
            "close",
            "policy_link",
        )
    }
    assert limits == {
        "title": 200,
        "description": 2000,
        "accept_all": 60,
        "reject_all": 60,
        "preferences": 60,
        "save": 60,
        "close": 60,
        "policy_link": 60,
    }
    config = longest_texts()
    texts = config["texts"]["en"]
    assert all(len(value) == text_limit(key) for key, value in texts.items())
    configured_site(config)
    too_long = {**config, "texts": {"en": {**texts, "accept_all": texts["accept_all"] + "!"}}}
    with pytest.raises(
        AssertionError, match=r"\"texts\.en\.accept_all\": \[\"At most 60 characters"
    ):
        configured_site(too_long)


# --- 18. the banner and the dialog fit every viewport ----------------------------------------


@pytest.mark.parametrize("viewport", LAYOUT_SIZES)
def test_banner_with_the_longest_texts_fits_and_every_control_is_reachable(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    configured_site: Callable[..., str],
    consent_service: ConsentService,
    viewport: dict[str, int],
) -> None:
    key = configured_site(longest_texts())
    page = new_context(viewport=viewport).new_page()
    page.goto(host_page(key=key))
    banner = page.locator(BANNER)
    expect(banner).to_be_visible()
    expect(banner.locator(".cookieconsent-title")).to_have_text(
        longest_texts()["texts"]["en"]["title"]
    )
    settle(page)
    size = f"{viewport['width']}x{viewport['height']}"
    if size in {"320x480", "1280x720"}:
        shoot(page, f"banner-longest-texts-{size}")

    problems = layer_problems(page, BANNER, "the banner")
    problems += banner.evaluate(STICKING_OUT)
    seen = banner.evaluate(LAYER)
    if viewport["height"] <= 640 and not seen["scrolling"]:
        problems.append("2,000 characters of description fit without the banner scrolling?")
    problems += reach_all(
        page,
        BANNER,
        {
            "the title": ".cookieconsent-title",
            "the privacy policy link (end of the description)": ".cookieconsent-link",
            **{
                f"the {role} button": f'[data-role="{role}"]'
                for role in FIRST_LAYER_CONTROLS["opt-in"]
            },
        },
    )
    problems += layer_problems(page, BANNER, "the banner, after scrolling it")
    assert not problems, f"at {size}:\n" + "\n".join(problems)
    if size == "320x480":
        shoot(page, f"banner-longest-texts-{size}-scrolled-to-the-buttons")

    click_where_seen(page, banner.locator('[data-role="reject-all"]'), "Reject all")
    wait_until_decided(page)
    expect(banner).to_be_hidden()
    assert [event["action"] for event in recorded_events(consent_service, key)] == ["reject_all"]


@pytest.mark.parametrize("viewport", LAYOUT_SIZES)
def test_preferences_with_the_longest_texts_fit_and_every_control_is_reachable(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    configured_site: Callable[..., str],
    consent_service: ConsentService,
    viewport: dict[str, int],
) -> None:
    key = configured_site(longest_texts())
    page = new_context(viewport=viewport).new_page()
    page.goto(host_page(key=key))
    expect(page.locator(BANNER)).to_be_visible()
    settle(page)
    click_where_seen(page, page.locator(f'{BANNER} [data-role="preferences"]'), "Preferences")
    dialog = page.locator(PREFS)
    expect(dialog).to_be_visible()
    settle(page)
    size = f"{viewport['width']}x{viewport['height']}"
    if size in {"320x480", "1280x720"}:
        shoot(page, f"preferences-longest-texts-{size}")

    problems = layer_problems(page, PREFS, "the preferences dialog")
    problems += dialog.evaluate(STICKING_OUT)
    problems += reach_all(
        page,
        PREFS,
        {
            "the dialog title": ".cookieconsent-prefs-head .cookieconsent-title",
            "the Close button": '[data-role="close"]',
            "a category switch": "[data-category-switch]",
            "a service switch": "[data-service-switch]",
            "the Reject all button": '.cookieconsent-foot [data-role="reject-all"]',
            "the Save button": '[data-role="save"]',
            "the Accept all button": '.cookieconsent-foot [data-role="accept-all"]',
        },
    )
    problems += layer_problems(page, PREFS, "the preferences dialog, after scrolling it")
    assert not problems, f"at {size}:\n" + "\n".join(problems)

    analytics = dialog.locator('[data-category-switch="analytics"]')
    click_where_seen(page, analytics, "the Analytics switch")
    expect(analytics).to_be_checked()
    click_where_seen(page, dialog.locator('[data-role="save"]'), "Save")
    state = wait_until_decided(page)
    expect(dialog).to_be_hidden()
    assert state["categories"] == {"essential": True, "analytics": True, "marketing": False}
    assert [event["action"] for event in recorded_events(consent_service, key)] == ["save"]


def test_unbroken_words_never_push_the_layers_or_their_controls_sideways(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    configured_site: Callable[..., str],
) -> None:
    """German compounds, long e-mail addresses and URLs have no place to break a line; at the
    limits and on the narrowest phone nothing may stick out of the banner or the dialog, and no
    row title is squeezed out by its switch."""
    key = configured_site(longest_texts(lambda length, _start: unbroken(length)))
    page = new_context(viewport={"width": 320, "height": 480}).new_page()
    page.goto(host_page(key=key))
    expect(page.locator(BANNER)).to_be_visible()
    settle(page)
    problems = layer_problems(page, BANNER, "the banner")
    problems += page.locator(BANNER).evaluate(STICKING_OUT)
    problems += reach_all(
        page,
        BANNER,
        {
            "the title": ".cookieconsent-title",
            "the privacy policy link": ".cookieconsent-link",
            **{
                f"the {role} button": f'[data-role="{role}"]'
                for role in FIRST_LAYER_CONTROLS["opt-in"]
            },
        },
    )
    click_where_seen(page, page.locator(f'{BANNER} [data-role="preferences"]'), "Preferences")
    expect(page.locator(PREFS)).to_be_visible()
    settle(page)
    shoot(page, "preferences-unbroken-words-320x480")
    problems += layer_problems(page, PREFS, "the preferences dialog")
    problems += page.locator(PREFS).evaluate(STICKING_OUT)
    problems += reach_all(
        page,
        PREFS,
        {
            "the dialog title": ".cookieconsent-prefs-head .cookieconsent-title",
            "the Close button": '[data-role="close"]',
            "a category switch": "[data-category-switch]",
            "a service switch": "[data-service-switch]",
            "the Save button": '[data-role="save"]',
        },
    )
    assert not problems, "at 320x480:\n" + "\n".join(problems)


# --- 19. a phone in every language and regime ------------------------------------------------

# Where opt-in-specific applies (Vietnam, by default) the site names its controller.
CONTROLLER = {"controller": {"name": "Công ty TNHH Omi Việt Nam", "email": "privacy@omishop.vn"}}
REGIMES = {
    # regime: (visitor address, site configuration)
    "opt-in-specific": (VIETNAM_IP, CONTROLLER),
    "opt-in": (GERMANY_IP, CONTROLLER),
    "opt-in-stats-exempt": (
        GERMANY_IP,
        {
            **CONTROLLER,
            "jurisdiction_rules": {"DE": "opt-in-stats-exempt"},
            "jurisdiction_acknowledgements": {"DE": {"reason": "Layout test of the regime."}},
        },
    ),
    "opt-out": (CALIFORNIA_IP, CONTROLLER),
    "notice": (
        TEXAS_IP,
        {
            **CONTROLLER,
            "jurisdiction_rules": {"US-TX": "notice"},
            "jurisdiction_acknowledgements": {"US-TX": {"reason": "Layout test of the regime."}},
        },
    ),
}


def first_layers(
    context: Any,
    service: RegionalConsentService,
    host_server: HostSite,
    regional_site: Callable[..., tuple[str, str]],
    regime: str,
) -> Iterator[tuple[str, Page, Locator]]:
    """The first layer of a site in each built-in language (the site offers only that one, on a
    page in that language), as a visitor in ``regime`` sees it once the region is known.

    The pages load side by side; each is closed once the caller is done with it.
    """
    _, config = REGIMES[regime]
    pages = {}
    for language in SUPPORTED_LANGUAGES:
        key, _ = regional_site(config, default_language=language, languages=[language])
        page = context.new_page()
        page.goto(
            host_server.add_page(
                build_page(
                    script_src=service.widget_url(key),
                    host_origin=host_server.origin,
                    lang=language,
                )
            ),
            wait_until="commit",
        )
        pages[language] = page
    for language, page in pages.items():
        banner = page.locator(f'{BANNER}[data-mode="{regime}"]')
        expect(banner).to_be_visible()
        page.wait_for_function(
            "(mode) => (({mode: now, region}) => now === mode && region)(cookieConsent.get())",
            arg=regime,
        )
        expect(page.locator(ROOT)).to_have_attribute("lang", language)
        settle(page)
        yield language, page, banner
        page.close()


def phone_share(banner: Locator, viewport: dict[str, int]) -> tuple[float, float]:
    """How much of the screen the first layer covers: by its height (it spans the width), and
    by its area."""
    box = banner.bounding_box()
    assert box is not None
    return (
        100 * box["height"] / viewport["height"],
        100 * box["height"] * box["width"] / (viewport["width"] * viewport["height"]),
    )


@pytest.mark.parametrize("regime", list(REGIMES))
def test_first_layer_covers_at_most_40_percent_of_a_phone_in_every_language(
    new_context: Callable[..., Any],
    regional_service: RegionalConsentService,
    regional_site: Callable[..., tuple[str, str]],
    host_server: HostSite,
    regime: str,
) -> None:
    address, _ = REGIMES[regime]
    context = visitor_from(new_context, regional_service, address, viewport=PHONE)
    shares: dict[str, tuple[float, float]] = {}
    pictures: dict[str, bytes] = {}
    for language, page, banner in first_layers(
        context, regional_service, host_server, regional_site, regime
    ):
        shares[language] = phone_share(banner, PHONE)
        # Pictures of Vietnamese and of whichever language has needed the most room so far.
        if language == "vi" or shares[language][0] > max(shares.values())[0] - 0.01:
            pictures[language] = page.screenshot(animations="disabled")

    by_height = {language: round(height, 1) for language, (height, _) in shares.items()}
    longest = max(shares, key=lambda language: shares[language][0])
    SCREENSHOTS.mkdir(exist_ok=True)
    for language in {"vi", longest}:
        (SCREENSHOTS / f"phone-390x844-{regime}-{language}.png").write_bytes(pictures[language])
    summary = (
        f"{regime} on a 390x844 phone, share of the screen by height (% per language): "
        f"{by_height}; largest {by_height[longest]}% ({longest}, "
        f"{by_height[longest] * PHONE['height'] / 100:.1f} px of at most 337.6 px; by area "
        f"{shares[longest][1]:.1f}%)"
    )
    print(summary)
    assert shares[longest][0] <= 40.0, summary


@pytest.mark.parametrize("regime", list(REGIMES))
def test_first_layer_stays_usable_on_smaller_phones_in_every_language(
    new_context: Callable[..., Any],
    regional_service: RegionalConsentService,
    regional_site: Callable[..., tuple[str, str]],
    host_server: HostSite,
    regime: str,
) -> None:
    address, _ = REGIMES[regime]
    context = visitor_from(new_context, regional_service, address, viewport=SMALL_PHONES[0])
    problems: list[str] = []
    shares: dict[str, dict[str, float]] = {}
    for language, page, banner in first_layers(
        context, regional_service, host_server, regional_site, regime
    ):
        for viewport in SMALL_PHONES:
            size = f"{viewport['width']}x{viewport['height']}"
            page.set_viewport_size(viewport)
            share = round(phone_share(banner, viewport)[0], 1)
            if size == "320x568" and share > max(shares.get(size, {"": 0}).values()):
                shoot(page, f"phone-{size}-{regime}-largest")
            shares.setdefault(size, {})[language] = share
            found = layer_problems(page, BANNER, "the banner")
            found += reach_all(
                page,
                BANNER,
                {
                    "the title": ".cookieconsent-title",
                    "the privacy policy link": ".cookieconsent-link",
                    **{
                        f"the {role} control": f'[data-role="{role}"]'
                        for role in FIRST_LAYER_CONTROLS[regime]
                    },
                },
            )
            problems += [f"{language} at {size}: {problem}" for problem in found]
    summary = "; ".join(
        f"{size}: largest {max(values.values())}% ({max(values, key=values.__getitem__)}), "
        f"all {values}"
        for size, values in shares.items()
    )
    print(f"{regime}, share of the screen by height: {summary}")
    assert not problems, "\n".join(problems) + f"\n(shares: {summary})"


# --- 20. right-to-left pages -----------------------------------------------------------------


def rtl_page(service: ConsentService, host_server: HostSite, key: str, html: str) -> str:
    """A page of a right-to-left site, as in the reported case (widget first in <head>)."""
    return host_server.add_page(
        f"""<!doctype html><html {html}><head><meta charset="utf-8">
<script src="{service.widget_url(key)}"></script><title>متجر</title></head>
<body><h1>مرحبا بكم في متجرنا</h1><p>نص المقالة، وصف المنتجات والأسعار.</p></body></html>"""
    )


def assert_laid_out_left_to_right(page: Page, language: str) -> None:
    lines = page.evaluate(TEXT_LINES)
    assert lines["root"] == ["ltr", language]
    assert set(lines["directions"]) == {"ltr"}, lines["directions"]
    assert all(align in {"start", "left"} for align in lines["aligns"]), lines["aligns"]
    left = lines["contentLeft"]
    assert all(abs(start - left) <= 1 for start in lines["titleStarts"]), (
        f"the title's lines start at {lines['titleStarts']}, the banner's padding ends at {left}"
    )
    assert all(abs(start - left) <= 1 for start in lines["descStarts"]), (
        f"the description's lines start at {lines['descStarts']}, not at {left}"
    )
    stop, before, after = lines["finalStop"]
    assert stop == "."
    assert after["top"] == before["top"] and after["left"] >= before["right"] - 0.5, (
        f"the final full stop ({after}) is not drawn after the word it ends ({before})"
    )
    accept, reject, preferences = lines["buttonsLeft"]
    assert accept < reject < preferences, f"buttons mirrored: {lines['buttonsLeft']}"


def assert_switches_at_the_end_of_their_rows(page: Page) -> None:
    rows = page.evaluate(SWITCH_ROWS)
    assert rows
    for row in rows:
        assert row["direction"] == "ltr", row
        assert abs(row["switchRight"] - row["row"][1]) <= 1, f"switch not at the row's end: {row}"
        assert abs(row["labelLeft"] - row["row"][0]) <= 1, f"title not at the row's start: {row}"
        assert row["labelBeforeSwitch"], row


@pytest.mark.parametrize(
    ("html", "languages", "language"),
    [
        pytest.param('lang="ar" dir="rtl"', None, "en", id="arabic-page-english-banner"),
        pytest.param('lang="fr" dir="rtl"', ["fr", "en"], "fr", id="rtl-page-french-banner"),
    ],
)
def test_rtl_page_keeps_the_left_to_right_banner_and_dialog(
    page: Page,
    consent_service: ConsentService,
    host_server: HostSite,
    configured_site: Callable[..., str],
    html: str,
    languages: list[str] | None,
    language: str,
) -> None:
    # No Arabic on offer: the site's default languages (vi, en); the en-US browser picks English.
    key = configured_site(
        {"languages": languages, "default_language": language} if languages else None
    )
    ltr = rtl_page(consent_service, host_server, key, f'lang="{language}"')
    page.goto(ltr)
    expect(page.locator(BANNER)).to_be_visible()
    banner_ltr = snapshot(page, BANNER)
    open_preferences(page)
    dialog_ltr = snapshot(page, PREFS)

    page.goto(rtl_page(consent_service, host_server, key, html))
    expect(page.locator(BANNER)).to_be_visible()
    settle(page)
    expect(page.locator(ROOT)).to_have_attribute("dir", "ltr")
    expect(page.locator(ROOT)).to_have_attribute("lang", language)
    shoot(page, f"rtl-page-{language}-banner")
    assert_laid_out_left_to_right(page, language)
    changed = differences(banner_ltr, snapshot(page, BANNER))
    assert not changed, "the banner differs from the same banner on an LTR page:\n" + "\n".join(
        changed
    )

    open_preferences(page)
    shoot(page, f"rtl-page-{language}-preferences")
    assert_switches_at_the_end_of_their_rows(page)
    changed = differences(dialog_ltr, snapshot(page, PREFS))
    assert not changed, "the dialog differs from the same dialog on an LTR page:\n" + "\n".join(
        changed
    )


@pytest.mark.parametrize(
    "css",
    [
        pytest.param("div, p { direction: rtl; text-align: right }", id="div-p"),
        pytest.param(
            "html body div, body p, h2, button, label, li, span, a "
            "{ direction: rtl; text-align: right; unicode-bidi: bidi-override }",
            id="everything-bidi-override",
        ),
    ],
)
def test_host_rtl_rules_do_not_flip_the_banner(
    page: Page, host_page: Callable[..., str], css: str
) -> None:
    page.goto(host_page())
    expect(page.locator(BANNER)).to_be_visible()
    banner_plain = snapshot(page, BANNER)
    open_preferences(page)
    dialog_plain = snapshot(page, PREFS)

    page.goto(host_page(head_extra=f"<style>{css}</style>"))
    expect(page.locator(BANNER)).to_be_visible()
    settle(page)
    assert page.evaluate("getComputedStyle(document.querySelector('main p')).direction") == "rtl"
    assert_laid_out_left_to_right(page, "en")
    changed = differences(banner_plain, snapshot(page, BANNER))
    assert not changed, f"host rule {css!r} changed the banner:\n" + "\n".join(changed)
    open_preferences(page)
    assert_switches_at_the_end_of_their_rows(page)
    changed = differences(dialog_plain, snapshot(page, PREFS))
    assert not changed, f"host rule {css!r} changed the dialog:\n" + "\n".join(changed)


# --- 21. host styles do not reach the widget -------------------------------------------------

HOST_STYLES = """
p { font-size: 30px }
button { text-transform: uppercase; letter-spacing: 3px }
main p, .x p, body p { color: red; margin: 30px; font-size: 22px }
.x button, body button { background: yellow; color: black; border-radius: 0; padding: 30px }
div { padding: 40px; margin: 20px; border: 5px solid red }
* { box-sizing: content-box; font-family: serif; line-height: 3 }
h2, h3 { color: red; font-size: 50px; text-align: center; text-decoration: underline }
a { color: lime; font-weight: 900 }
a:hover, a:visited { color: orange }
input { width: 200px; height: 30px; margin: 10px }
input[type="checkbox"] { appearance: auto; accent-color: red }
button:hover { background: red }
ul, li, ol { list-style: square; padding: 25px; margin: 25px }
label, span { display: block; font-size: 40px; font-style: italic }
[role="dialog"] { background: black; color: white }
.x div { word-spacing: 12px; text-transform: lowercase }
"""
AGGRESSIVE_STYLES = {
    "layout": """
* { all: unset }
div, p, h2, button, a, label, input, ul, li { display: inline; position: static; float: left }
div { overflow: hidden; max-height: 20px; max-width: 50px; transform: scale(0.5) }
.x div, body > div { visibility: hidden; opacity: 0.2; z-index: -1 }
[hidden] { display: block }
[role="dialog"] { display: none }
button:focus { outline: none }
""",
    "custom-properties": """
* { --cc-bg: #000000; --cc-text: #ff0000; --cc-muted: #ff0000; --cc-btn-bg: #ffff00;
    --cc-btn-text: #000000; --cc-link: #00ff00; --cc-radius: 0; --cc-font: serif }
""",
}


def styled_page(service: ConsentService, host_server: HostSite, key: str, css: str) -> str:
    """A host page with its own headings, paragraphs, links, forms and lists, and ``css``."""
    style = f"<style>{css}</style>" if css else ""
    return host_server.add_page(
        f"""<!doctype html>
<html lang="en" class="x"><head><meta charset="utf-8">
<script src="{service.widget_url(key)}"></script>
<title>Host shop</title>{style}</head>
<body class="x"><main>
<h1>Shop</h1><h2>News</h2><p>An article with <a href="#news">a link</a>.</p>
<form><label>Search <input type="search"></label><input type="checkbox"><button>Go</button></form>
<ul><li>One</li><li>Two</li></ul><ol><li>First</li></ol>
<div style="height: 3000px"><span>A long page.</span></div>
</main></body></html>"""
    )


def hovered(page: Page, selector: str) -> list[str]:
    target = page.locator(selector).first
    target.hover()
    return target.evaluate(  # type: ignore[no-any-return]
        "(el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]"
    )


def compare_widget(
    page: Page,
    consent_service: ConsentService,
    host_server: HostSite,
    key: str,
    css: str,
    name: str | None = None,
) -> list[str]:
    """Differences in the banner, a hovered button and the dialog between a plain page and the
    same page with the host's ``css``."""
    found = {}
    for label, sheet in (("plain", ""), ("styled", css)):
        page.goto(styled_page(consent_service, host_server, key, sheet))
        expect(page.locator(BANNER)).to_be_visible()
        banner = snapshot(page, BANNER)
        if name and label == "styled":
            shoot(page, f"{name}-banner")
        hover_banner = hovered(page, f'{BANNER} [data-role="accept-all"]')
        open_preferences(page)
        dialog = snapshot(page, PREFS)
        if name and label == "styled":
            shoot(page, f"{name}-preferences")
        hover_dialog = hovered(page, f'{PREFS} [data-role="close"]')
        found[label] = (banner, hover_banner, dialog, hover_dialog)
    (banner, hover_banner, dialog, hover_dialog), styled = found["plain"], found["styled"]
    problems = differences(banner, styled[0]) + differences(dialog, styled[2])
    if hover_banner != styled[1]:
        problems.append(f"hovered Accept all: {hover_banner} -> {styled[1]}")
    if hover_dialog != styled[3]:
        problems.append(f"hovered Close: {hover_dialog} -> {styled[3]}")
    return problems


def test_host_styles_do_not_change_the_banner_or_the_dialog(
    page: Page, consent_service: ConsentService, host_server: HostSite, site_key: str
) -> None:
    problems = compare_widget(
        page, consent_service, host_server, site_key, HOST_STYLES, name="host-styled"
    )
    # The host's rules do apply to the host's own page.
    assert page.evaluate("getComputedStyle(document.querySelector('main p')).fontSize") == "22px"
    assert not problems, "host CSS changed the widget:\n" + "\n".join(problems)


@pytest.mark.parametrize("kind", list(AGGRESSIVE_STYLES))
def test_aggressive_host_rules_do_not_change_the_widget(
    page: Page, consent_service: ConsentService, host_server: HostSite, site_key: str, kind: str
) -> None:
    css = AGGRESSIVE_STYLES[kind]
    problems = compare_widget(page, consent_service, host_server, site_key, css)
    assert not problems, f"host CSS ({kind}) changed the widget:\n" + "\n".join(problems)


@pytest.mark.parametrize("state", ["opt-in-with-preferences", "policy-updated", "opt-out-gpc"])
def test_widget_names_are_prefixed_and_every_hook_is_reachable_without_shadow_dom(
    new_context: Callable[..., Any],
    host_page: Callable[..., str],
    consent_service: ConsentService,
    site_key: str,
    regional_service: RegionalConsentService,
    regional_site: Callable[..., tuple[str, str]],
    host_server: HostSite,
    state: str,
) -> None:
    expected = {
        "opt-in-with-preferences": {
            "banner",
            "accept-all",
            "reject-all",
            "preferences",
            "reopen",
            "save",
            "close",
            "withdraw",
            "your-data",
            "history",
            "export",
            "receipt",
            "erase",
        },
        "policy-updated": {"banner", "policy-updated", "reopen"},
        "opt-out-gpc": {"banner", "dismiss", "do-not-sell", "gpc-notice", "preferences"},
    }
    assert set().union(*expected.values()) == ALL_HOOKS
    if state == "opt-in-with-preferences":
        page = new_context().new_page()
        page.goto(host_page())
        open_preferences(page)
    elif state == "policy-updated":
        context = new_context()
        page = context.new_page()
        page.goto(host_page())
        page.locator(f'{BANNER} [data-role="reject-all"]').click()
        wait_until_decided(page)
        consent_service.publish_policy_version(site_key, "2.0")
        page = new_context(storage_state=context.storage_state()).new_page()
        page.goto(host_page())
    else:
        key, _ = regional_site()
        context = visitor_from(new_context, regional_service, CALIFORNIA_IP)
        context.add_init_script(GPC_IN_PAGE)
        page = context.new_page()
        page.goto(
            host_server.add_page(
                build_page(
                    script_src=regional_service.widget_url(key), host_origin=host_server.origin
                )
            )
        )
        expect(page.locator(f'{BANNER}[data-mode="opt-out"]')).to_be_visible()
    if state == "policy-updated":
        expect(page.locator(f'{BANNER} [data-role="policy-updated"]')).to_be_visible()
    elif state == "opt-out-gpc":
        expect(page.locator(f'{BANNER} [data-role="gpc-notice"]')).to_be_visible()

    found = page.evaluate(
        """(roles) => Object.fromEntries(roles.map((role) => {
          const node = document.querySelector('[data-role="' + role + '"]');
          return [role, !!node && !!node.closest("#cookieconsent")];
        }))""",
        sorted(expected[state]),
    )
    assert found == dict.fromkeys(sorted(expected[state]), True)

    names = page.evaluate(NAMES)
    assert names["rootId"] == "cookieconsent"
    assert names["rootParent"] is True
    assert all(name.startswith("cookieconsent-") for name in names["rootClasses"])
    assert names["elements"] > 5
    assert names["foreign"] == [], f"IDs/classes without the prefix: {names['foreign']}"

    # No shadow root anywhere in the page, open or closed (DevTools sees closed ones too);
    # the browser's own (user-agent) shadow roots of form controls do not count.
    cdp = page.context.new_cdp_session(page)
    tree = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})
    shadows: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        for shadow in node.get("shadowRoots", []):
            if shadow.get("shadowRootType") != "user-agent":
                shadows.append(f"{node.get('nodeName')} {node.get('attributes')}")
        for child in node.get("children", []) + node.get("shadowRoots", []):
            walk(child)

    walk(tree["root"])
    assert shadows == []

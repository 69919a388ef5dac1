"""The banner's design: layout, position and colours, checked for contrast (WCAG 2.x).

A site's ``design`` is ``{layout, position, colors: {accent, background, text}, dark: {…}}``;
every key is optional and an empty design is the built-in look (a box at the bottom, blue on
white, and the built-in dark palette where the visitor's system asks for dark).

- **Layouts and positions.** ``bar`` spans the page's width, at the ``top`` or the ``bottom``;
  ``box`` is a card at the ``top``, ``bottom``, ``bottom-left``, ``bottom-right`` or ``center``;
  ``dialog`` is a card in the ``center`` over a dimmed page (it blocks nothing: the page stays
  usable, and the banner is not modal). A position the layout cannot take is refused with the
  positions it can; a layout without a position takes its first one.
- **Colours.** ``accent`` colours both Accept all and Reject all alike (equal prominence, as
  the CNIL and the EDPB require), ``background`` and ``text`` the banner. Colours not given
  keep the built-in ones of their palette. ``dark`` is the palette for visitors whose system
  is dark; without it, a design with ``colors`` shows them in dark mode too (a brand palette
  stays), and a design without colours keeps the built-in dark palette.
- **The button text** on the accent is whichever of the palette's background and text
  contrasts more with the accent (:func:`button_text`); the widget uses exactly that colour.
- **Checked pairs**, in each palette: text on background and button text on accent at 4.5:1,
  accent against background at 3:1 (a non-text contrast). A failing pair is refused with a
  message naming it and its measured ratio, under ``design.colors.<key>`` or ``design.dark.<key>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypedDict

LAYOUTS: dict[str, tuple[str, ...]] = {
    "box": ("bottom", "top", "bottom-left", "bottom-right", "center"),
    "bar": ("bottom", "top"),
    "dialog": ("center",),
}
POSITIONS = ("top", "bottom", "bottom-left", "bottom-right", "center")
COLOR_KEYS = ("accent", "background", "text")
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
COLOR_MESSAGE = "A colour is written #rrggbb, for example #1d4ed8."

# The built-in palettes (widget.css holds the same values as its defaults).
LIGHT: dict[str, str] = {"accent": "#1d4ed8", "background": "#ffffff", "text": "#1f2328"}
DARK: dict[str, str] = {"accent": "#93c5fd", "background": "#16191d", "text": "#f1f3f5"}

TEXT_CONTRAST = 4.5
NON_TEXT_CONTRAST = 3.0


class Palette(TypedDict):
    """A palette with every colour the widget needs, derived from the three a site chooses."""

    accent: str
    background: str
    text: str
    button_text: str
    link: str


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(color: str) -> float:
    """Relative luminance of ``#rrggbb`` (WCAG 2.x)."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast(first: str, second: str) -> float:
    """The WCAG 2.x contrast ratio of two ``#rrggbb`` colours, from 1 to 21."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def button_text(accent: str, background: str, text: str) -> str:
    """The colour of the words on an accent button: the palette's own colour that stands out more.

    Of the background and the text colours, the one with the higher contrast against the
    accent (the background on a tie), so that the buttons keep to the site's palette.
    """
    return background if contrast(background, accent) >= contrast(text, accent) else text


def _ratio(value: float) -> str:
    # Rounded down, so that 4.49 never reads as a passing 4.5.
    return f"{int(value * 10) / 10:g}"


def _palette(colors: Mapping[str, Any] | None, base: Mapping[str, str]) -> dict[str, str]:
    return {key: str((colors or {}).get(key) or base[key]).lower() for key in COLOR_KEYS}


def palettes(design: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The light and dark palettes a design shows (see the module's docstring)."""
    light = _palette(design.get("colors"), LIGHT)
    if design.get("dark"):
        dark = _palette(design.get("dark"), DARK)
    elif design.get("colors"):
        dark = dict(light)
    else:
        dark = dict(DARK)
    return light, dark


def _check_palette(where: str, colors: Mapping[str, str], errors: dict[str, list[str]]) -> None:
    accent, background, text = colors["accent"], colors["background"], colors["text"]
    on_accent = button_text(accent, background, text)
    checks = (
        ("text", "Text on background", contrast(text, background), TEXT_CONTRAST),
        ("accent", "Button text on accent", contrast(on_accent, accent), TEXT_CONTRAST),
        (
            "background",
            "Accent against background",
            contrast(accent, background),
            NON_TEXT_CONTRAST,
        ),
    )
    for key, pair, ratio, needed in checks:
        if ratio < needed:
            errors.setdefault(f"{where}.{key}", []).append(
                f"{pair} has a contrast of {_ratio(ratio)}:1; at least {needed:g}:1 is needed."
            )


def design_errors(design: Mapping[str, Any]) -> dict[str, list[str]]:
    """What is wrong with a design, by field (``design.colors.text``); empty when it is fine."""
    errors: dict[str, list[str]] = {}
    if not isinstance(design, Mapping):
        return {"design": ["Must be an object."]}
    for key in design:
        if key not in {"layout", "position", "colors", "dark"}:
            errors[f"design.{key}"] = ["Unknown field. Fields: layout, position, colors, dark."]
    layout = design.get("layout") or "box"
    position = design.get("position")
    if layout not in LAYOUTS:
        errors["design.layout"] = [f"Must be one of: {', '.join(LAYOUTS)}."]
    elif position is not None and position not in LAYOUTS[layout]:
        if position not in POSITIONS:
            errors["design.position"] = [f"Must be one of: {', '.join(POSITIONS)}."]
        else:
            errors["design.position"] = [
                f"A {layout} cannot be placed {position!r}; "
                f"its positions: {', '.join(LAYOUTS[layout])}."
            ]
    bad_colors = False
    for group in ("colors", "dark"):
        colors = design.get(group)
        if colors is None:
            continue
        if not isinstance(colors, Mapping):
            errors[f"design.{group}"] = ["Must be an object with accent, background and text."]
            bad_colors = True
            continue
        for key, value in colors.items():
            if key not in COLOR_KEYS:
                errors[f"design.{group}.{key}"] = [
                    f"Unknown colour. Colours: {', '.join(COLOR_KEYS)}."
                ]
                bad_colors = True
            elif value is not None and not (isinstance(value, str) and COLOR.match(value)):
                errors[f"design.{group}.{key}"] = [COLOR_MESSAGE]
                bad_colors = True
    if not bad_colors:
        light, dark = palettes(design)
        _check_palette("design.colors", light, errors)
        if design.get("dark"):
            _check_palette("design.dark", dark, errors)
    return errors


def normalized_design(design: Mapping[str, Any]) -> dict[str, Any]:
    """A checked design as stored: lowercase colours, unset colours and empty groups left out."""
    out: dict[str, Any] = {}
    if design.get("layout"):
        out["layout"] = design["layout"]
    if design.get("position"):
        out["position"] = design["position"]
    for group in ("colors", "dark"):
        colors = {key: value.lower() for key, value in (design.get(group) or {}).items() if value}
        if colors:
            out[group] = colors
    return out


def _derived(colors: Mapping[str, str]) -> Palette:
    accent, background, text = colors["accent"], colors["background"], colors["text"]
    return {
        "accent": accent,
        "background": background,
        "text": text,
        "button_text": button_text(accent, background, text),
        # A link is text: in the accent only where the accent reads as text.
        "link": accent if contrast(accent, background) >= TEXT_CONTRAST else text,
    }


def mix(first: str, second: str, share: float) -> str:
    """``share`` of ``first`` laid over ``second``, as ``#rrggbb``."""
    channels = (
        round(int(first[i : i + 2], 16) * share + int(second[i : i + 2], 16) * (1 - share))
        for i in (1, 3, 5)
    )
    return "#" + "".join(f"{channel:02x}" for channel in channels)


def _declarations(palette: Palette) -> str:
    # The muted text and the hover share the colours checked above, so every pair still passes;
    # the border is decoration (a quarter of the text over the background).
    return (
        f"--cc-bg:{palette['background']};--cc-text:{palette['text']};"
        f"--cc-border:{mix(palette['text'], palette['background'], 0.25)};"
        f"--cc-muted:{palette['text']};--cc-btn-bg:{palette['accent']};"
        f"--cc-btn-hover:{palette['accent']};--cc-btn-text:{palette['button_text']};"
        f"--cc-link:{palette['link']}"
    )


def widget_design(design: Mapping[str, Any]) -> dict[str, str]:
    """What the widget carries: ``l`` layout, ``p`` position, ``c``/``d`` light/dark CSS.

    Keys the built-in look already has are left out, so an empty design adds nothing to the
    script: ``c`` and ``d`` are custom-property declarations for the light and the dark palette.
    """
    layout = design.get("layout") or "box"
    position = design.get("position") or LAYOUTS.get(layout, ("bottom",))[0]
    out: dict[str, str] = {}
    if layout != "box":
        out["l"] = layout
    if position != "bottom":
        out["p"] = position
    light, dark = palettes(design)
    if design.get("colors"):
        out["c"] = _declarations(_derived(light))
    if design.get("colors") or design.get("dark"):
        out["d"] = _declarations(_derived(dark))
    return out


def widget_palettes(design: Mapping[str, Any]) -> tuple[Palette, Palette]:
    """The light and dark palettes with the colours derived from them, as the widget shows them."""
    light, dark = palettes(design)
    return _derived(light), _derived(dark)

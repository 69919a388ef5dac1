"""Which consent regime applies where: opt-in, opt-out or notice, by region."""

from __future__ import annotations

import re
from collections.abc import Mapping

from .geo import Region

MODES = ("opt-in", "opt-out", "notice")
UNKNOWN = "unknown"
REST_OF_WORLD = "*"

EU = frozenset(
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
        "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    }
)  # fmt: skip
GROUPS: dict[str, frozenset[str]] = {
    "EU": EU,
    "EEA": EU | {"IS", "LI", "NO"},
}

# US states with a comprehensive privacy law that gives an opt-out of sale, sharing or targeted
# advertising, and honours Global Privacy Control or similar signals.
US_OPT_OUT_STATES = (
    "CA", "CO", "CT", "VA", "UT", "TX", "OR", "MT", "IA", "DE", "NE", "NH", "NJ", "TN", "MN",
    "MD", "IN", "KY", "RI",
)  # fmt: skip

DEFAULT_RULES: dict[str, str] = {
    "EEA": "opt-in",
    "EU": "opt-in",
    "GB": "opt-in",
    "VN": "opt-in",
    "BR": "opt-in",
    "IN": "opt-in",
    **{f"US-{state}": "opt-out" for state in US_OPT_OUT_STATES},
    "US": "notice",
    UNKNOWN: "opt-in",
    REST_OF_WORLD: "opt-in",
}

_REGION_KEY = re.compile(r"^(?:[A-Z]{2}(?:-[A-Z0-9]{1,3})?|EU|EEA|\*|unknown)$")


def valid_region_key(key: str) -> bool:
    """``VN``, ``US-CA``, ``EU``, ``EEA``, ``*`` (rest of the world) or ``unknown``."""
    return bool(_REGION_KEY.match(key))


def effective_rules(site_rules: Mapping[str, str] | None) -> dict[str, str]:
    """The built-in rules with the site's own laid over them."""
    return {**DEFAULT_RULES, **(site_rules or {})}


def resolve_mode(rules: Mapping[str, str], region: Region | None) -> tuple[str, str]:
    """The mode for ``region`` and the rule that decided it, most specific first.

    Subdivision (``US-CA``), then country (``US``), then groups (``EEA``, ``EU``), then ``*``.
    An unknown region takes the ``unknown`` rule.
    """
    if region is None:
        return rules.get(UNKNOWN, "opt-in"), UNKNOWN
    candidates = [region.code, region.country] if region.subdivision else [region.country]
    candidates += [name for name, members in GROUPS.items() if region.country in members]
    candidates.append(REST_OF_WORLD)
    for key in candidates:
        if key in rules:
            return rules[key], key
    return "opt-in", REST_OF_WORLD

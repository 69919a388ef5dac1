"""Which consent regime applies where, by region, and which rules need an acknowledgement.

Regimes, strictest first:

- ``opt-in-specific``: nothing but essential runs before a specific choice per purpose; the
  first layer has a switch per purpose and names the controller. Vietnam's default: Decree
  356/2025/ND-CP classes data on a person's online behaviour as sensitive personal data, which
  needs its own specific consent (Law 91/2025/QH15, Art. 9 and 11).
- ``opt-in``: nothing but essential runs before consent (GDPR Art. 6(1)(a) with ePrivacy
  Art. 5(3); LGPD; DPDP Act s. 6).
- ``opt-in-stats-exempt``: purposes marked ``statistics_only`` run after clear information,
  with a one-click objection; everything else waits for consent (UK PECR reg. 6 as amended by the
  Data (Use and Access) Act 2025, in force since 5 February 2026).
- ``opt-out``: tracking runs until the visitor opts out of sale or sharing (US state laws;
  Global Privacy Control).
- ``notice``: tracking runs after a notice, with a way to refuse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .geo import Region

MODES = ("opt-in-specific", "opt-in", "opt-in-stats-exempt", "opt-out", "notice")
# Higher is stricter; a rule may lower a region's regime only with an acknowledgement.
STRICTNESS: dict[str, int] = {mode: len(MODES) - rank for rank, mode in enumerate(MODES)}
# Regimes that ask before any non-essential purpose runs (beyond those exempt by law).
CONSENT_FIRST_MODES = frozenset({"opt-in-specific", "opt-in", "opt-in-stats-exempt"})
# Lower regimes a region may take without an acknowledgement, because its law provides them.
LAWFUL_WITHOUT_ACKNOWLEDGEMENT: dict[str, frozenset[str]] = {
    # The Data (Use and Access) Act 2025 exempts statistics cookies from consent in the UK.
    "GB": frozenset({"opt-in-stats-exempt"}),
}
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
    "VN": "opt-in-specific",
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


def builtin_mode(key: str) -> str:
    """The regime the built-in rules give the rule key ``key`` (a region, group, ``*``).

    A key without its own built-in rule takes what it would resolve to: ``FR`` is ``opt-in``
    through ``EU``, ``US-WA`` is ``notice`` through ``US``, ``JP`` is ``opt-in`` through ``*``.
    """
    if key in DEFAULT_RULES:
        return DEFAULT_RULES[key]
    country, _, subdivision = key.partition("-")
    return resolve_mode(DEFAULT_RULES, Region(country=country, subdivision=subdivision or None))[0]


def needs_acknowledgement(key: str, mode: str) -> bool:
    """Whether giving ``key`` the regime ``mode`` lowers it below its built-in default.

    ``opt-in-stats-exempt`` for ``GB`` is lawful there and needs none.
    """
    if mode not in STRICTNESS:
        return False
    if mode in LAWFUL_WITHOUT_ACKNOWLEDGEMENT.get(key, frozenset()):
        return False
    return STRICTNESS[mode] < STRICTNESS[builtin_mode(key)]


def unacknowledged_rules(
    site_rules: Mapping[str, str], acknowledgements: Mapping[str, object]
) -> dict[str, str]:
    """The site's rules that lower a region's regime without an acknowledgement, by key."""
    return {
        key: mode
        for key, mode in site_rules.items()
        if needs_acknowledgement(key, mode) and key not in acknowledgements
    }


def uses_mode(site_rules: Mapping[str, str] | None, mode: str) -> bool:
    """Whether the effective rules (built-in ones under the site's) give any region ``mode``."""
    return mode in effective_rules(site_rules).values()


def lifetime_for(
    lifetimes: Mapping[str, Mapping[str, int]], region: Region | None
) -> Mapping[str, int] | None:
    """The per-region lifetimes that apply in ``region``, most specific key first, if any.

    Same order as :func:`resolve_mode`: ``US-CA``, then ``US``, then ``EEA``/``EU``, then ``*``;
    ``unknown`` for a region that could not be told.
    """
    if region is None:
        return lifetimes.get(UNKNOWN)
    candidates = [region.code, region.country] if region.subdivision else [region.country]
    candidates += [name for name, members in GROUPS.items() if region.country in members]
    candidates.append(REST_OF_WORLD)
    for key in candidates:
        if key in lifetimes:
            return lifetimes[key]
    return None

"""Well-known trackers, so a tracker is never declared as essential by mistake."""

from __future__ import annotations

import re

# Cookie names (or prefixes, ending in "*") that only analytics or advertising tools set.
TRACKER_COOKIES = (
    "_ga", "_ga_*", "_gid", "_gat*", "__utm*", "_gcl_*", "_fbp", "_fbc", "fr", "_hj*",
    "_tt_*", "_ttp", "tt_*", "IDE", "test_cookie", "DSID", "_uet*", "MUID", "_clck", "_clsk",
    "li_*", "bcookie", "lidc", "_pin_unauth", "_pinterest_*", "_scid*", "_rdt_uuid", "__hs*",
    "hubspotutk", "_mkto_trk", "ajs_*", "mp_*", "amplitude_*", "_zitok", "__zi", "_cc_*",
)  # fmt: skip

# Words in a service's name or label that mark an analytics or advertising tool.
# Letters and digits bound a word; "_" and "-" do not, so "ga4_server" still names GA4.
TRACKER_NAMES = re.compile(
    r"(?<![a-z0-9])(?:google.?analytics|ga4|gtag|googletag|doubleclick|google.?ads|adwords|"
    r"facebook|meta.?pixel|pixel|hotjar|tiktok|clarity|linkedin|pinterest|snapchat|twitter|"
    r"hubspot|mixpanel|amplitude|segment|matomo|piwik|yandex|criteo|taboola|outbrain|zalo)"
    r"(?![a-z0-9])",
    re.IGNORECASE,
)


def _stem(pattern: str) -> str:
    return pattern[:-1] if pattern.endswith("*") else pattern


def tracker_cookie(name: str, match: str = "exact") -> str | None:
    """The known tracker pattern that a declared cookie (exact, prefix or regex) covers, if any."""
    for pattern in TRACKER_COOKIES:
        stem = _stem(pattern)
        if match == "regex":
            if re.fullmatch(name, stem) or re.fullmatch(name, stem + "x"):
                return pattern
        elif match == "prefix":
            if stem.startswith(name) or (pattern.endswith("*") and name.startswith(stem)):
                return pattern
        elif name == pattern or (pattern.endswith("*") and name.startswith(stem)):
            return pattern
    return None


def tracker_name(*texts: str) -> str | None:
    """The tracker word found in a service's name or label, if any."""
    for text in texts:
        found = TRACKER_NAMES.search(text or "")
        if found:
            return found.group(0)
    return None

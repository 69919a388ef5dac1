"""Known cookies, from the Open Cookie Database, so that a tracker is never declared essential.

The database (https://github.com/jkwakman/Open-Cookie-Database, Apache-2.0) travels inside the
package as ``cookieconsent/data/open-cookie-database.csv`` (source, commit and licence in
``cookieconsent/data/NOTICE.md``); it is never fetched at run time. It is read once, on first
use, and indexed by exact name and by the prefix of its wildcard entries (``AMCV_`` covers
``AMCV_1234@AdobeOrg``).

How the database's categories become the site's (the database's README defines Functional as
"also known as technical, essential or strictly necessary" and Personalization as "also known
as preferences"):

================  ====================
Database          Suggested category
================  ====================
Functional        ``essential``
Necessary         ``essential``
Security          ``essential``
Personalization   ``preferences``
Analytics         ``analytics``
Marketing         ``marketing``
================  ====================

Two rules of this project sit on top of the data:

- **Third-party bundles.** A cookie that a platform sets from its own domain (the database
  marks it "(3rd party)") comes with that platform's other cookies from there: a site that
  embeds a YouTube video gets ``YSC`` (Functional in the database, "a unique ID to keep
  statistics") together with ``VISITOR_INFO1_LIVE`` (Marketing). Such a cookie is therefore
  suggested under the strictest category among its platform's third-party cookies.
- **Generic names.** A name the database lists for several platforms (``token``), an everyday
  word a site may well use for its own cookie (``sessionid``, ``lang``, ``id``: see
  :data:`GENERIC_WORDS`), or a wildcard prefix of three characters or fewer (``_s``, ``cap``,
  ``mp_``) says nothing on its own. Such an entry applies only when the cookie is declared
  with a domain whose registrable domain is one of the entry's domains (``sessionid`` on
  ``.instagram.com`` is Instagram's marketing cookie; ``sessionid`` alone is nobody's). Every
  other name the database lists is judged on its name alone, whatever domain is declared.

A cookie counts as a tracker when its suggested category is ``analytics`` or ``marketing``:
under the ePrivacy Directive (2002/58/EC, Art. 5(3)) and Decree 356/2025/ND-CP only what is
strictly necessary for the service the visitor asked for may be set without consent.
"""

from __future__ import annotations

import csv
import io
import re
import time
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal, TypedDict
from urllib.parse import unquote

import regex

from .network import registrable_domain

SOURCE = "open-cookie-database"
DATABASE_FILE = "open-cookie-database.csv"

# The database's category → the category this project suggests (see the module's docstring).
SUGGESTED_CATEGORIES: dict[str, str] = {
    "Functional": "essential",
    "Necessary": "essential",
    "Security": "essential",
    "Personalization": "preferences",
    "Analytics": "analytics",
    "Marketing": "marketing",
}
# Least to most intrusive: where several entries apply, the later one wins.
STRICTNESS = ("essential", "preferences", "analytics", "marketing")
NOT_ESSENTIAL = frozenset({"analytics", "marketing"})

# Everyday words that sites use for cookies of their own (compared lower-cased, without
# punctuation: "session_id", "session-id" and "SessionID" are all "sessionid").
GENERIC_WORDS = frozenset(
    {
        "auth", "basket", "callback", "cart", "cid", "consent", "cookie", "cookieconsent",
        "cookies", "country", "csrf", "csrftoken", "currency", "data", "device", "deviceid",
        "did", "dnt", "fid", "frontend", "gdpr", "guid", "hash", "id", "lang", "language",
        "locale", "localization", "login", "mid", "oid", "optout", "partner", "pid", "pref",
        "preferences", "prefs", "presence", "recs", "ref", "referrer", "region", "sess",
        "session", "sessid", "sessionid", "settings", "sharing", "sid", "source", "ssid",
        "state", "status", "store", "sync", "test", "theme", "tid", "timezone", "token", "tz",
        "uid", "uids", "user", "userid", "username", "usersync", "uuid", "version", "viewer",
        "visitor", "visitorid", "welcome", "xsrf", "xsrftoken",
    }
)  # fmt: skip
# A wildcard prefix shorter than this ("_s", "cap", "mp_") would cover a site's own cookies by
# chance; "_ga_" and "_gat" are long enough.
SHORTEST_DISTINCT_PREFIX = 4
# A declared regular expression gets this long (in seconds) to be tried against every name.
REGEX_BUDGET_SECONDS = 0.25

# Words in a service's name or label that mark an analytics or advertising tool. Letters and
# digits bound a word; "_" and "-" do not, so "ga4_server" still names GA4.
TRACKER_NAMES = re.compile(
    r"(?<![a-z0-9])(?:google.?analytics|ga4|gtag|googletag|doubleclick|google.?ads|adwords|"
    r"facebook|meta.?pixel|pixel|hotjar|tiktok|clarity|linkedin|pinterest|snapchat|twitter|"
    r"hubspot|mixpanel|amplitude|segment|matomo|piwik|yandex|criteo|taboola|outbrain|zalo|"
    r"youtube|adobe.?analytics)"
    r"(?![a-z0-9])",
    re.IGNORECASE,
)

Match = Literal["exact", "prefix", "regex"]


_PUNCTUATION = re.compile(r"[\W_]+")


def _core(name: str) -> str:
    """``name`` lower-cased, letters and digits only: how generic words are compared."""
    return _PUNCTUATION.sub("", name.lower())


@dataclass(frozen=True)
class KnownCookie:
    """One entry of the database, with what this project makes of it."""

    name: str  # the database's name; a prefix when ``wildcard``
    wildcard: bool
    platform: str
    category: str  # the database's own: Functional, Analytics, Marketing, …
    suggested_category: str  # after the mapping and the third-party bundle rule
    domains: frozenset[str]  # registrable domains of the database's domain column
    third_party: bool
    generic: bool  # needs a matching declared domain to apply
    description: str


class SuggestionDict(TypedDict):
    """A suggestion as the admin API answers it."""

    name: str
    domain: str | None
    match: str
    found: bool
    platform: str | None
    category: str | None
    suggested_category: str | None
    matched: str | None
    wildcard: bool | None
    description: str | None
    source: str


@dataclass(frozen=True)
class Suggestion:
    """What the database says about a declared cookie: the entry that applies to it."""

    name: str  # as declared
    match: str  # how it was declared: exact, prefix or regex
    entry: KnownCookie

    @property
    def platform(self) -> str:
        """The platform the database names, such as ``Matomo``."""
        return self.entry.platform

    @property
    def suggested_category(self) -> str:
        """``essential``, ``preferences``, ``analytics`` or ``marketing``."""
        return self.entry.suggested_category

    @property
    def is_tracker(self) -> bool:
        """Whether the cookie must not be declared essential."""
        return self.entry.suggested_category in NOT_ESSENTIAL

    def refusal(self) -> str:
        """Why the cookie cannot be essential, in one English sentence naming the platform."""
        entry = self.entry
        article = "an" if entry.platform[:1].lower() in "aeiou" else "a"
        own = entry.category.lower()
        if entry.suggested_category == own:
            what = f"{article} {entry.platform} {own} cookie (Open Cookie Database)"
        else:
            domain = min(entry.domains) if entry.domains else "its own domain"
            what = (
                f"{article} {entry.platform} cookie set from {domain} together with its "
                f"{entry.suggested_category} cookies (Open Cookie Database: {own})"
            )
        if self.match != "exact":
            shown = entry.name + ("…" if entry.wildcard else "")
            return f"{self.name!r} ({self.match}) covers {shown!r}, {what}; it cannot be essential."
        return f"{self.name!r} is {what}; it cannot be essential."

    def as_dict(self, domain: str | None = None) -> SuggestionDict:
        """The suggestion as the admin API answers it (see :func:`no_suggestion`)."""
        return {
            "name": self.name,
            "domain": domain,
            "match": self.match,
            "found": True,
            "platform": self.entry.platform,
            "category": self.entry.category,
            "suggested_category": self.entry.suggested_category,
            "matched": self.entry.name,
            "wildcard": self.entry.wildcard,
            "description": self.entry.description or None,
            "source": SOURCE,
        }


def no_suggestion(name: str, domain: str | None = None, match: str = "exact") -> SuggestionDict:
    """The admin API's answer when the database knows nothing that applies to the cookie."""
    return {
        "name": name,
        "domain": domain,
        "match": match,
        "found": False,
        "platform": None,
        "category": None,
        "suggested_category": None,
        "matched": None,
        "wildcard": None,
        "description": None,
        "source": SOURCE,
    }


@cache  # the same few hundred columns come back again and again
def _domains(column: str) -> tuple[frozenset[str], bool]:
    """The registrable domains a domain column names, and whether it says "(3rd party)".

    The column is free text: ``youtube.com (3rd party)``, ``.bing.com (3rd party) or
    .microsoft.com (3rd party)``, `` or 207.net (3rd party)``, or empty (a first-party cookie).
    """
    third_party = "3rd party" in column.lower()
    found = set()
    for part in re.split(r"\s+or\s+|,", column.replace("(3rd party)", " ")):
        host = part.strip().lstrip(".").lower()
        if "." in host and (domain := registrable_domain(host)):
            found.add(domain)
    return frozenset(found), third_party


class CookieDatabase:
    """The database, indexed: entries by exact name, and wildcard entries by their prefix."""

    def __init__(self, rows: Iterable[dict[str, str]]) -> None:
        """Index ``rows`` (dicts with the CSV's column names)."""
        raw = []
        platforms_by_name: dict[str, set[str]] = defaultdict(set)
        bundles: dict[str, str] = {}
        for row in rows:
            category = row["Category"].strip()
            suggested = SUGGESTED_CATEGORIES.get(category)
            name = row["Cookie / Data Key name"].strip()
            if suggested is None or not name:
                continue
            platform = row["Platform"].strip()
            domains, third_party = _domains(row["Domain"])
            wildcard = row["Wildcard match"].strip() == "1"
            raw.append((row, name, platform, category, suggested, domains, third_party, wildcard))
            platforms_by_name[name].add(platform)
            if third_party:
                bundles[platform] = max(
                    bundles.get(platform, suggested), suggested, key=STRICTNESS.index
                )
        self.exact: dict[str, list[KnownCookie]] = defaultdict(list)
        self.prefixes: dict[str, list[KnownCookie]] = defaultdict(list)
        self.entries: list[KnownCookie] = []
        for row, name, platform, category, suggested, domains, third_party, wildcard in raw:
            core = _core(name)
            generic = (
                len(platforms_by_name[name]) > 1
                or core in GENERIC_WORDS
                or (wildcard and len(name) < SHORTEST_DISTINCT_PREFIX)
            )
            entry = KnownCookie(
                name=name,
                wildcard=wildcard,
                platform=platform,
                category=category,
                suggested_category=bundles[platform] if third_party else suggested,
                domains=domains,
                third_party=third_party,
                generic=generic,
                description=row["Description"].strip(),
            )
            self.entries.append(entry)
            (self.prefixes if wildcard else self.exact)[name].append(entry)
        self.longest_prefix = max((len(prefix) for prefix in self.prefixes), default=0)
        # Names and prefixes by their case-folded form, spelled as the database spells them.
        self.spellings: dict[str, str] = {}
        for known in self.exact:
            self.spellings.setdefault(known.casefold(), known)
        self.prefix_spellings: dict[str, str] = {}
        for known in self.prefixes:
            self.prefix_spellings.setdefault(known.casefold(), known)

    def named(self, name: str) -> Iterator[KnownCookie]:
        """Entries whose cookie is ``name``: its exact entries, then wildcards, longest first."""
        yield from self.exact.get(name, ())
        for length in range(min(len(name), self.longest_prefix), 0, -1):
            yield from self.prefixes.get(name[:length], ())

    def starting_with(self, prefix: str) -> Iterator[KnownCookie]:
        """Entries whose cookies all or partly start with ``prefix``."""
        for entry in self.entries:
            if entry.name.startswith(prefix) or (entry.wildcard and prefix.startswith(entry.name)):
                yield entry

    def matching(self, pattern: str) -> Iterator[KnownCookie]:
        """Entries whose cookie a declared regular expression matches (within a time budget).

        A wildcard entry counts when the expression matches its prefix alone or followed by
        ``x`` or ``1`` (``_ga_.*`` covers ``_ga_…``). An expression that cannot be compiled,
        or that takes longer than :data:`REGEX_BUDGET_SECONDS` in all (catastrophic
        backtracking), matches what it matched so far.
        """
        try:
            compiled = regex.compile(pattern)
        except (regex.error, ValueError, OverflowError):
            return
        deadline = time.monotonic() + REGEX_BUDGET_SECONDS
        for entry in self.entries:
            names = (
                (entry.name, entry.name + "x", entry.name + "1")
                if entry.wildcard
                else (entry.name,)
            )
            for candidate in names:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                try:
                    found = compiled.fullmatch(candidate, timeout=remaining)
                except TimeoutError:
                    return
                if found:
                    yield entry
                    break


@cache
def cookie_database() -> CookieDatabase:
    """The packaged database, read and indexed once per process (about 2,300 entries).

    :data:`SUPPLEMENT` adds the few current cookie families the database's rows miss.
    """
    text = resources.files("cookieconsent").joinpath("data", DATABASE_FILE).read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    # First, so that they speak for a name the database files under another category.
    return CookieDatabase([*SUPPLEMENT, *rows])


def _supplement(platform: str, category: str, name: str, domain: str, note: str) -> dict[str, str]:
    return {
        "Platform": platform,
        "Category": category,
        "Cookie / Data Key name": name,
        "Domain": domain,
        "Description": note,
        "Wildcard match": "1",
    }


# Corrections to the vendored database, kept apart from its file: Hotjar's session cookies exist
# only to analyse behaviour, whatever the database files them under (Functional).
SUPPLEMENT = (
    _supplement(
        "Hotjar", "Analytics", "_hjSessionUser_", "hotjar.com",
        "Hotjar's user ID for the site: analyses behaviour across visits.",
    ),
    _supplement(
        "Hotjar", "Analytics", "_hjSession_", "hotjar.com",
        "Hotjar's current session for the site: analyses behaviour within a visit.",
    ),
)  # fmt: skip


def _applies(entry: KnownCookie, domain: str | None, name: str = "") -> bool:
    """Whether ``entry`` speaks for a cookie declared as ``name`` with ``domain``.

    A generic entry needs the platform's domain; a short wildcard prefix (``mp_``) also applies
    when the declared name carries the platform's name (``mp_<token>_mixpanel``).
    """
    if not entry.generic:
        return True
    platform = _core(entry.platform)
    if entry.wildcard and len(platform) >= SHORTEST_DISTINCT_PREFIX and platform in _core(name):
        return True
    if not domain:
        return False
    declared = registrable_domain(domain.strip().lstrip(".").lower())
    return declared is not None and declared in entry.domains


def suggest_category(
    name: str, domain: str | None = None, match: str = "exact"
) -> Suggestion | None:
    """What the Open Cookie Database says about a declared cookie, or ``None``.

    ``name`` is matched as declared: ``exact`` (the database's exact names and wildcard
    prefixes; the most specific entry wins), ``prefix`` or ``regex`` (every entry the
    declaration covers; the most intrusive wins, since a declaration covers all of them).
    ``domain`` is the cookie's declared domain (``.instagram.com``), needed for generic names
    (see the module's docstring). The answer's ``suggested_category`` is ``essential``,
    ``preferences``, ``analytics`` or ``marketing``.
    """
    database = cookie_database()
    if match == "prefix":
        candidates: Iterable[KnownCookie] = database.starting_with(name)
    elif match == "regex":
        candidates = database.matching(name)
    else:
        candidates = database.named(name)
    found = [entry for entry in candidates if _applies(entry, domain, name)]
    if not found:
        return None
    if match == "exact":
        chosen = found[0]
    else:
        # Most intrusive first; then the entry named exactly as declared, then the shortest.
        chosen = min(
            found,
            key=lambda entry: (
                -STRICTNESS.index(entry.suggested_category),
                entry.name != name,
                len(entry.name),
            ),
        )
    return Suggestion(name=name, match=match, entry=chosen)


# RFC 6265bis cookie prefixes: they change how a browser guards a cookie, not what it is.
COOKIE_PREFIXES = ("__Host-", "__Secure-")


def name_variants(name: str) -> list[str]:
    """``name`` as declared, then as a browser would store the same tracker under another guise.

    NFKC (full-width letters), surrounding spaces and invisible characters dropped, the
    ``__Host-``/``__Secure-`` prefix taken off, percent-escapes decoded (``%5Fga``), and each of
    those in its database spelling if only the case differs (``_GA`` is ``_ga``).
    """
    text = unicodedata.normalize("NFKC", name)
    text = "".join(char for char in text if unicodedata.category(char) not in ("Cf", "Cc"))
    text = unquote(text.strip())
    for prefix in COOKIE_PREFIXES:
        if text.lower().startswith(prefix.lower()):
            text = text[len(prefix) :]
    variants = [name, text]
    database = cookie_database()
    folded = text.casefold()
    if spelled := database.spellings.get(folded):
        variants.append(spelled)
    for length in range(min(len(text), database.longest_prefix), 0, -1):
        if spelled := database.prefix_spellings.get(folded[:length]):
            variants.append(spelled + text[length:])
            break
    return list(dict.fromkeys(variant for variant in variants if variant))


def tracker_cookie(name: str, match: str = "exact", domain: str | None = None) -> Suggestion | None:
    """The database's entry that makes a declared cookie a tracker (never essential), if any.

    See :func:`suggest_category` for ``name``, ``match`` and ``domain``; the answer's
    :meth:`Suggestion.refusal` says why, naming the platform and the database's category.
    Exact and prefix names are also tried in the guises of :func:`name_variants`, so that
    ``_GA``, ``__Host-_ga`` or ``%5Fga`` do not pass for essential.
    """
    variants = name_variants(name) if match in ("exact", "prefix") else [name]
    for variant in variants:
        suggestion = suggest_category(variant, domain, match)
        if suggestion is not None and suggestion.is_tracker:
            return Suggestion(name=name, match=match, entry=suggestion.entry)
    return None


def tracker_name(*texts: str) -> str | None:
    """The tracker word (:data:`TRACKER_NAMES`) found in a service's name or label, if any."""
    for text in texts:
        found = TRACKER_NAMES.search(text or "")
        if found:
            return found.group(0)
    return None

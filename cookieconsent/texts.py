"""Built-in texts, one JSON catalog per language. Site owners override any of them per language.

Each ``cookieconsent/catalogs/<code>.json`` (package data, read with :mod:`importlib.resources`
once per process) holds::

    {"language": {"code": "pt-BR", "name": "Português (Brasil)", "dir": "ltr"},
     "texts": {key: text},
     "categories": {"essential": {"title": …, "description": …}, …}}

English (``en.json``) is the reference: every catalog carries every one of its keys with the same
``{placeholders}`` (``tests/test_texts.py`` checks). A key a catalog still lacks is shown in
English rather than failing.

Language codes are BCP 47 tags with their region where the texts are regional (``pt-BR``,
``zh-TW``). ``pt`` is an alias of ``pt-PT`` and ``zh`` of ``zh-CN``: both are accepted wherever a
code is read and stored under the full code (:func:`canonical_language`). A visitor's language
that no site offers falls back to the nearest one (:func:`resolve_language`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from typing import TypedDict

from babel.core import Locale, UnknownLocaleError, get_global


class Language(TypedDict):
    """A catalog's ``language`` object: its code, its name in itself, its writing direction."""

    code: str
    name: str
    dir: str


class Catalog(TypedDict):
    """One language's built-in texts."""

    language: Language
    texts: dict[str, str]
    categories: dict[str, dict[str, str]]


REFERENCE_LANGUAGE = "en"


@cache
def load_catalogs() -> dict[str, Catalog]:
    """Every catalog shipped in the package, by code: ``vi`` and ``en`` first, then by code.

    Read once per process. A catalog whose ``language.code`` is not its file's name raises
    ``ValueError`` (the file name is how it is found).
    """
    found: dict[str, Catalog] = {}
    folder = resources.files(__package__ or "cookieconsent").joinpath("catalogs")
    for entry in folder.iterdir():
        if not entry.name.endswith(".json"):
            continue
        catalog: Catalog = json.loads(entry.read_text(encoding="utf-8"))
        code = entry.name.removesuffix(".json")
        if catalog["language"]["code"] != code:
            raise ValueError(f"{entry.name} says it is {catalog['language']['code']!r}")
        found[code] = catalog
    first = [code for code in ("vi", REFERENCE_LANGUAGE) if code in found]
    return {code: found[code] for code in [*first, *sorted(set(found) - set(first))]}


BANNER_TEXT_KEYS = (
    "title",
    "description",
    "policy_link",
    "accept_all",
    "reject_all",
    "preferences",
    "preferences_title",
    "preferences_description",
    "save",
    "close",
    "always_on",
    "reopen",
    "withdraw",
    "gpc_honored",
    "error",
    "queued",
    "opt_out_description",
    "do_not_sell",
    "notice_description",
    "dismiss",
    "policy_updated",
    "your_data",
    "history",
    "export",
    "erase",
    "erase_confirm",
    "erased",
    "receipt",
    # The specific-consent first layer (Decree 356/2025/ND-CP: behaviour data is sensitive).
    "specific_description",
    "controller_line",
    "tracks_behaviour",
    "sensitive_notice",
    # "About your data": what is processed, why, the visitor's rights and whom to ask.
    "more",
    "more_title",
    "data_types_title",
    "data_types",
    "purposes_title",
    "rights_title",
    "rights",
    "contact_title",
    "dpo_contact",
    # Statistics that run unless the visitor objects (opt-in-stats-exempt).
    "stats_exempt_description",
    "object_statistics",
    "statistics_exempt",
    # The data subject request form (in the dialog, and the public requests page).
    "requests",
    "request_title",
    "request_intro",
    "request_kind",
    "request_kind_access",
    "request_kind_correction",
    "request_kind_deletion",
    "request_kind_withdrawal",
    "request_kind_restriction",
    "request_kind_objection",
    "request_email",
    "request_details",
    "request_submit",
    "request_sent",
    "request_error",
)

# How long a site's own text may be, in characters: a button label must fit its button, a title
# its heading; the rest is prose. The schema, the configuration and `sites texts` all ask here.
LABEL_LIMIT = 60
TITLE_LIMIT = 200
PROSE_LIMIT = 2000
LABEL_TEXT_KEYS = frozenset(
    {
        "always_on",
        "accept_all",
        "reject_all",
        "preferences",
        "save",
        "close",
        "reopen",
        "withdraw",
        "do_not_sell",
        "dismiss",
        "history",
        "export",
        "erase",
        "receipt",
        "policy_link",
        "more",
        "object_statistics",
        "statistics_exempt",
        "requests",
        "request_submit",
        "request_kind_access",
        "request_kind_correction",
        "request_kind_deletion",
        "request_kind_withdrawal",
        "request_kind_restriction",
        "request_kind_objection",
        "print_history",
        "action_accept_all",
        "action_reject_all",
        "action_save",
        "action_withdraw",
        "action_opt_out",
    }
)
# A category's ``title`` is limited as the banner's is.
TITLE_TEXT_KEYS = frozenset(
    {
        "title",
        "preferences_title",
        "your_data",
        "more_title",
        "data_types_title",
        "purposes_title",
        "rights_title",
        "contact_title",
        "request_title",
        "request_kind",
        "request_email",
        "request_details",
        "history_title",
        "tracks_behaviour",
        "controller_line",
    }
)
TEXT_LIMITS: dict[str, int] = {
    **dict.fromkeys(LABEL_TEXT_KEYS, LABEL_LIMIT),
    **dict.fromkeys(TITLE_TEXT_KEYS, TITLE_LIMIT),
}


def text_limit(key: str) -> int:
    """The most characters a site's text under ``key`` may have (a label, a title or prose)."""
    return TEXT_LIMITS.get(key, PROSE_LIMIT)


def text_length_error(key: str, value: str) -> str | None:
    """The message for a text too long for ``key``, or ``None`` when it fits."""
    limit = text_limit(key)
    return f"At most {limit} characters." if len(value) > limit else None


# Texts of the printable consent receipt and of the printable history (server-rendered pages).
RECEIPT_TEXT_KEYS = (
    "receipt_title",
    "receipt_intro",
    "receipt_site",
    "receipt_visitor",
    "receipt_action",
    "receipt_time",
    "receipt_policy",
    "receipt_region",
    "receipt_purposes",
    "receipt_allowed",
    "receipt_refused",
    "receipt_expires",
    "receipt_withdrawal",
    "receipt_print",
    # The printable receipt's error pages: a link that is not valid, a choice not recorded, the
    # database not answering.
    "receipt_invalid",
    "receipt_not_found",
    "receipt_unavailable",
    # Each action as the receipt and the history name it.
    "action_accept_all",
    "action_reject_all",
    "action_save",
    "action_withdraw",
    "action_opt_out",
    # The printable history of every choice.
    "print_history",
    "history_title",
    "history_empty",
)

# Texts of the public cookie declaration and of the widget's data-role="declaration" (never in
# the script: the page and the declaration's JSON carry them). ``{date}`` and ``{n}`` are filled in.
DECLARATION_TEXT_KEYS = (
    "declaration_title",
    "declaration_intro",
    "declaration_updated",
    "declaration_cookie",
    "declaration_service",
    "declaration_domain",
    "declaration_purpose",
    "declaration_lifetime",
    "declaration_day",
    "declaration_days",
    "declaration_session",
    # The consent service's own cookies, declared under the essential category.
    "declaration_consent_service",
    "declaration_consent_cookie",
    "declaration_consent_session",
    "declaration_no_cookies",
    "declaration_not_found",
)


def _banner_texts(catalogs: dict[str, Catalog]) -> dict[str, dict[str, str]]:
    reference = catalogs[REFERENCE_LANGUAGE]["texts"]
    return {code: {**reference, **catalog["texts"]} for code, catalog in catalogs.items()}


def _category_texts(catalogs: dict[str, Catalog]) -> dict[str, dict[str, dict[str, str]]]:
    reference = catalogs[REFERENCE_LANGUAGE]["categories"]
    return {
        name: {
            code: {**english, **catalog["categories"].get(name, {})}
            for code, catalog in catalogs.items()
        }
        for name, english in reference.items()
    }


# Every text by language, then key: the receipt's, the declaration's and the widget's.
BANNER_TEXTS: dict[str, dict[str, str]] = _banner_texts(load_catalogs())
# Each built-in category's title and description, by category, then language.
CATEGORY_TEXTS: dict[str, dict[str, dict[str, str]]] = _category_texts(load_catalogs())
DECLARATION_TEXTS: dict[str, dict[str, str]] = {
    code: {key: texts[key] for key in DECLARATION_TEXT_KEYS} for code, texts in BANNER_TEXTS.items()
}

# Every built-in language carries every key; sites choose which ones their widget carries.
SUPPORTED_LANGUAGES = tuple(load_catalogs())
# Each language's name in itself (Tiếng Việt, 日本語), for language pickers.
LANGUAGE_NAMES: dict[str, str] = {
    code: catalog["language"]["name"] for code, catalog in load_catalogs().items()
}
# Languages written right to left: their pages and the widget's root carry dir="rtl".
RTL_LANGUAGES = frozenset(
    code for code, catalog in load_catalogs().items() if catalog["language"]["dir"] == "rtl"
)
DEFAULT_LANGUAGES = ("vi", "en")
DEFAULT_CATEGORIES = ("essential", "analytics", "marketing")


def text_direction(language: str) -> str:
    """``rtl`` or ``ltr``: how ``language`` (a built-in code, or a regional variant) is written."""
    code = canonical_language(language)
    base = code.split("-")[0]
    return "rtl" if code in RTL_LANGUAGES or base in RTL_LANGUAGES else "ltr"


# Language codes ---------------------------------------------------------------------------------

# Short codes that stand for one regional catalog: stored and served under the full code.
LANGUAGE_ALIASES = {"pt": "pt-PT", "zh": "zh-CN"}
# Chinese is read in one of two scripts; a region is served the catalog written in its script
# (CLDR's likely subtags: zh-HK and zh-MO are Traditional, zh-SG Simplified).
SCRIPT_LANGUAGES = {("zh", "Hant"): "zh-TW", ("zh", "Hans"): "zh-CN"}
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")


def canonical_language(tag: str) -> str:
    """``tag`` as stored: BCP 47 casing (RFC 5646 §2.1.1) and aliases resolved.

    ``"PT"`` → ``"pt-PT"``, ``"pt_br"`` → ``"pt-BR"``, ``"zh-hant-tw"`` → ``"zh-Hant-TW"``,
    ``"zh"`` → ``"zh-CN"``. Anything that is not a language tag comes back trimmed, unchanged,
    for the caller's check to refuse.
    """
    tag = tag.strip()
    if not _TAG.match(tag):
        return tag
    parts = re.split("[-_]", tag)
    cased = [parts[0].lower()]
    private = False
    for part in parts[1:]:
        if len(part) == 1:
            private = True  # an extension or private use: lowercase from here on
        if private:
            cased.append(part.lower())
        elif len(part) == 2 or (len(part) == 3 and part.isdigit()):
            cased.append(part.upper())
        elif len(part) == 4 and part.isalpha():
            cased.append(part.title())
        else:
            cased.append(part.lower())
    code = "-".join(cased)
    return LANGUAGE_ALIASES.get(code, code)


def _script(language: str, region: str | None, script: str | None) -> str | None:
    """The script ``language`` is written in (``Hant``), from the tag or CLDR's likely subtags."""
    if script:
        return script
    likely = get_global("likely_subtags")
    found = (region and likely.get(f"{language}_{region}")) or likely.get(language) or ""
    parts = found.split("_")
    return parts[1] if len(parts) > 2 else None


def language_candidates(tag: str) -> list[str]:
    """The codes to try for ``tag``, best first (canonical casing, aliases resolved).

    The tag itself; the catalog of its script (``zh-HK`` → ``zh-TW``); the tag without its
    region, as alias (``pt-BR`` → ``pt`` → ``pt-PT``); the base language itself.
    """
    code = canonical_language(tag)
    if not _TAG.match(code):
        return []
    parts = code.split("-")
    base = parts[0]
    script = next((p for p in parts[1:] if len(p) == 4 and p.isalpha()), None)
    region = next((p for p in parts[1:] if len(p) == 2 or (len(p) == 3 and p.isdigit())), None)
    found = [code]
    by_script = SCRIPT_LANGUAGES.get((base, _script(base, region, script) or ""))
    if by_script:
        found.append(by_script)
    found += [LANGUAGE_ALIASES.get(base, base), base]
    return list(dict.fromkeys(found))


def resolve_language(tag: str | None, offered: Iterable[str]) -> str | None:
    """The one of ``offered`` to serve someone who reads ``tag``, or ``None``.

    Tried in turn: the tag (``pt-BR``), its script's catalog (``zh-HK`` → ``zh-TW``), its base
    language through its alias (``pt-BR`` → ``pt-PT``), then any regional variant of the same
    language that is offered (``pt-PT`` → ``pt-BR`` when only that is). Case does not matter.
    A caller falls back to the site's default on ``None``.
    """
    choices = {code.lower(): code for code in offered}
    if not tag:
        return None
    candidates = language_candidates(tag)
    for candidate in candidates:
        if candidate.lower() in choices:
            return choices[candidate.lower()]
    if not candidates:
        return None
    base = candidates[-1]
    return next((code for key, code in choices.items() if key.split("-")[0] == base), None)


def negotiate_language(tags: Sequence[str | None], offered: Sequence[str], default: str) -> str:
    """The first of ``tags`` (in order of preference) that resolves among ``offered``, else
    ``default``; see :func:`resolve_language`."""
    for tag in tags:
        if (found := resolve_language(tag, offered)) is not None:
            return found
    return default


def recorded_codes(language: str) -> list[str]:
    """Every code a consent event may carry for ``language``: its own, and the alias it was
    recorded under before codes carried their region (``pt-PT``: ``pt-PT`` and ``pt``).

    Consent events are proof and keep the code they were recorded with; readers that filter or
    count by language ask here, or read each code through :func:`canonical_language`.
    """
    code = canonical_language(language)
    return [code, *(alias for alias, full in LANGUAGE_ALIASES.items() if full == code)]


def babel_locale(language: str) -> Locale:
    """Babel's locale for a code (``pt-BR`` → ``pt_BR``), to write dates and numbers as the
    language does; its base language, then English, when Babel has no data for it."""
    for code in (canonical_language(language), language.split("-")[0], REFERENCE_LANGUAGE):
        try:
            return Locale.parse(code, sep="-")
        except (ValueError, UnknownLocaleError):
            continue
    return Locale(REFERENCE_LANGUAGE)

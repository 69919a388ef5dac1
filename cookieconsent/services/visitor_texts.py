"""Texts of the pages a visitor reads (printable receipt, printable history, the export).

The built-in texts come from the JSON catalogs (``cookieconsent/catalogs/{code}.json``, codes in
BCP 47: ``vi``, ``pt-BR``, ``zh-TW``). Every text handed out here knows the language it is
written in (:class:`LocalText`), so that a page can mark with ``lang`` each element whose text
fell back to another language (WCAG 2.2, 3.1.2 Language of Parts).

Times are shown in UTC, named as such in the page's language (Babel's long format: "20:15:03 UTC
7 tháng 12, 2026"). The visitor's time zone is unknown to the service, and the language says
nothing about where its reader is; a printed record is evidence, compared with the ISO times of
the API and the site's own logs, so it states one unambiguous zone.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime

from ..texts import (
    LANGUAGE_ALIASES,
    REFERENCE_LANGUAGE,
    SUPPORTED_LANGUAGES,
    load_catalogs,
    resolve_language,
)

# Longer than any tag a browser sends (RFC 5646 advises room for 35): never parsed.
MAX_TAG_LENGTH = 35


class LocalText(str):
    """A text and the BCP 47 code of the language it is written in (``lang``)."""

    lang: str

    def __new__(cls, text: str, lang: str) -> LocalText:
        """``LocalText("Analytics", "en")``."""
        made = super().__new__(cls, text)
        made.lang = lang
        return made


def built_in_language(tag: str | None) -> str | None:
    """The built-in catalog's code for ``tag`` (``pt`` → ``pt-PT``), or ``None``."""
    if tag is None or len(tag) > MAX_TAG_LENGTH:
        return None
    return resolve_language(tag, SUPPORTED_LANGUAGES)


def fallback_languages(language: str, site_default: str | None = None) -> list[str]:
    """Where a text missing in ``language`` is looked for, in order, ``language`` first.

    A regional variant falls back to its language (``pt-BR`` to ``pt-PT``), then to the site's
    default language, then to English, the reference catalog that carries every key.
    """
    chain = [language]
    base = built_in_language(language.split("-")[0])
    for code in (base, built_in_language(site_default), REFERENCE_LANGUAGE):
        if code is not None and code not in chain:
            chain.append(code)
    return chain


def _site_keys(code: str) -> list[str]:
    # Site texts saved before codes carried a region are keyed by the alias (pt, zh).
    return [code, *(alias for alias, target in LANGUAGE_ALIASES.items() if target == code)]


def page_texts(
    language: str,
    site_texts: Mapping[str, Mapping[str, str]] | None = None,
    site_default: str | None = None,
) -> dict[str, LocalText]:
    """Every built-in text for a page in ``language``, the site's own ones over them.

    A key missing in ``language`` comes from the next language of :func:`fallback_languages`;
    each text says which language it is in.
    """
    texts: dict[str, LocalText] = {}
    for code in reversed(fallback_languages(language, site_default)):
        for key, text in load_catalogs()[code]["texts"].items():
            texts[key] = LocalText(text, code)
        for stored in _site_keys(code):
            for key, text in (site_texts or {}).get(stored, {}).items():
                if text:
                    texts[key] = LocalText(text, code)
    return texts


def category_title(
    name: str,
    own: Mapping[str, Mapping[str, str]] | None,
    language: str,
    site_default: str | None = None,
) -> LocalText:
    """A category's title for a page in ``language``: the site's own, else the built-in one.

    ``own`` is the category's texts (``{"vi": {"title": …}, "en": {…}}``). In each language of
    :func:`fallback_languages`, the site's title comes before the built-in one; then the site's
    title in any language; then the category's name, capitalised (``loyalty`` → ``Loyalty``).
    """
    own = own or {}
    for code in fallback_languages(language, site_default):
        for stored in _site_keys(code):
            if title := own.get(stored, {}).get("title"):
                return LocalText(title, code)
        if title := load_catalogs()[code]["categories"].get(name, {}).get("title"):
            return LocalText(title, code)
    for tag, texts in own.items():
        if texts.get("title"):
            return LocalText(texts["title"], built_in_language(tag) or tag)
    return LocalText(name.replace("_", " ").capitalize(), language)


def action_label(action: str, language: str) -> LocalText:
    """The name of a recorded action (``reject_all``) as the catalog's ``action_reject_all``."""
    return _built_in_texts(language).get(f"action_{action}") or LocalText(
        action, REFERENCE_LANGUAGE
    )


@functools.cache
def _built_in_texts(language: str) -> dict[str, LocalText]:
    return page_texts(language)


@functools.cache
def _babel_locale(language: str) -> Locale:
    for tag in (language, language.split("-")[0], REFERENCE_LANGUAGE):
        try:
            return Locale.parse(tag, sep="-")
        except (UnknownLocaleError, ValueError):
            continue
    raise AssertionError("Babel always knows English")  # pragma: no cover


def local_time(moment: datetime, language: str) -> str:
    """A UTC time as ``language`` writes it, the zone named: ``7 December 2026, 8:15:03 PM UTC``.

    A naive ``moment`` is taken as UTC (the database's SQLite columns lose the zone).
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment, "long", tzinfo=UTC, locale=_babel_locale(language))

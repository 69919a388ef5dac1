"""A site's cookie declaration: each category with its services and cookies, in one language.

The public page (``/c/<key>/declaration``) and the widget's ``data-role="declaration"`` hook
(``/c/<key>/declaration.json``) show the same content. Headings come from the built-in text
catalogs (``declaration_*`` in :mod:`cookieconsent.texts`); categories and services speak the
site's own texts in that language. The date of the last change is the latest published
configuration version's, or the site's own last change when it has no versions yet.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from babel.dates import format_date
from flask import Request
from sqlalchemy import func, select

from ..extensions import db
from ..models import ConfigVersion, Site
from ..texts import BANNER_TEXTS, DECLARATION_TEXT_KEYS, babel_locale, negotiate_language
from .sites import widget_config, widget_languages


class DeclaredCookie(TypedDict):
    """One row of the declaration."""

    name: str
    service: str
    domain: str
    description: str
    lifetime: str


class DeclaredCategory(TypedDict):
    """A category with its cookies."""

    name: str
    title: str
    description: str
    services: list[str]
    cookies: list[DeclaredCookie]


def declaration_language(site: Site, request: Request) -> str:
    """``?lang=`` when the site offers it or its nearest language (``pt`` → ``pt-PT``, ``pt-BR``
    → ``pt-PT`` when the site has no ``pt-BR``; see :func:`~cookieconsent.texts.resolve_language`),
    else the site's default."""
    wanted = request.args.get("lang")
    return negotiate_language([wanted], widget_languages(site), site.default_language)


def declaration_texts(language: str) -> dict[str, str]:
    """The declaration's headings in ``language``."""
    built_in = BANNER_TEXTS.get(language) or BANNER_TEXTS["en"]
    return {key: built_in[key] for key in DECLARATION_TEXT_KEYS}


def lifetime_in_words(days: int, texts: dict[str, str]) -> str:
    """``182 days`` in the declaration's language; 0 is a session cookie."""
    if days <= 0:
        return texts["declaration_session"]
    if days == 1:
        return texts["declaration_day"]
    return texts["declaration_days"].replace("{n}", str(days))


def last_changed(site: Site) -> datetime:
    """When the configuration last changed: its latest published version, else the site's row."""
    latest = db.session.execute(
        select(func.max(ConfigVersion.created_at)).where(ConfigVersion.site_id == site.id)
    ).scalar_one_or_none()
    if isinstance(latest, datetime):
        return latest
    return site.updated_at


def consent_cookies(site: Site, domain: str, texts: dict[str, str]) -> list[DeclaredCookie]:
    """The cookies the widget itself sets, declared under the essential category.

    ``cookieconsent_<site_key>`` keeps the choice for as long as the longer of the site's two
    lifetimes (a choice, a refusal); ``cookieconsent_<site_key>_s`` marks the browser session in
    which the choice was confirmed with the service. Both are first-party cookies of the page.
    """
    name = f"cookieconsent_{site.site_key}"
    service = texts["declaration_consent_service"]
    days = max(site.consent_lifetime_days or 0, site.refusal_lifetime_days or 0)
    return [
        {
            "name": name,
            "service": service,
            "domain": domain,
            "description": texts["declaration_consent_cookie"],
            "lifetime": lifetime_in_words(days, texts),
        },
        {
            "name": f"{name}_s",
            "service": service,
            "domain": domain,
            "description": texts["declaration_consent_session"],
            "lifetime": texts["declaration_session"],
        },
    ]


def build_declaration(site: Site, language: str) -> dict[str, Any]:
    """The declaration in ``language``: texts, categories with their cookies, the last change."""
    texts = declaration_texts(language)
    shown = widget_config(site)["texts"][language]
    fallback_domain = site.cookie_domain or next(
        (domain.split(":")[0] for domain in site.domains if not domain.startswith("*.")),
        site.domains[0].removeprefix("*.").split(":")[0] if site.domains else "",
    )
    categories: list[DeclaredCategory] = []
    for category in site.categories:
        category_texts = shown["categories"][category.name]
        entry: DeclaredCategory = {
            "name": category.name,
            "title": category_texts["title"],
            "description": category_texts["description"],
            "services": [],
            "cookies": [],
        }
        for service in site.services:
            if service.category != category.name:
                continue
            service_texts = shown["services"][service.name]
            entry["services"].append(service_texts["title"])
            for cookie in service.cookies:
                entry["cookies"].append(
                    {
                        "name": cookie["name"] + ("…" if cookie.get("match") == "prefix" else ""),
                        "service": service_texts["title"],
                        "domain": cookie.get("domain") or fallback_domain,
                        "description": cookie.get("description")
                        or service_texts["description"]
                        or category_texts["title"],
                        "lifetime": lifetime_in_words(int(cookie.get("lifetime_days", 0)), texts),
                    }
                )
        if category.locked:
            entry["cookies"].extend(consent_cookies(site, fallback_domain, texts))
        categories.append(entry)
    changed = last_changed(site)
    return {
        "language": language,
        "site": site.name,
        "texts": texts,
        "updated": changed.date().isoformat(),
        # The date as people of that language write it (29 tháng 11, 2026; November 29, 2026).
        "updated_text": texts["declaration_updated"].replace(
            "{date}", format_date(changed.date(), format="long", locale=babel_locale(language))
        ),
        "categories": categories,
    }

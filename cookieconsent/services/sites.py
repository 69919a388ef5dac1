"""Registering sites and describing them to the widget."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from ..extensions import db
from ..models import Category, PolicyVersion, Service, Site, WebhookEndpoint
from ..texts import (
    BANNER_TEXT_KEYS,
    BANNER_TEXTS,
    CATEGORY_TEXTS,
    DEFAULT_CATEGORIES,
    DEFAULT_LANGUAGES,
    canonical_language,
)
from .chain import start_site_chain
from .design import widget_design
from .geo import Region
from .jurisdictions import effective_rules, lifetime_for
from .network import normalize_domain
from .policy import current_version, in_force
from .snapshots import snapshot_digest
from .validation import (
    InvalidInput,
    category_text_error,
    http_url_error,
    language_error,
    merge_texts,
    policy_version_error,
    refuse,
    site_name_error,
    site_text_error,
)

CATEGORY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
SITE_KEY = re.compile(r"^[A-Za-z0-9_-]{8,32}$")


def hash_api_token(token: str) -> str:
    """Hash an API token for storage; tokens are random, so a plain SHA-256 suffices."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_api_token(site: Site | SiteProfile, token: str) -> bool:
    """Compare a presented token to the stored hash in constant time."""
    return hmac.compare_digest(site.api_token_hash, hash_api_token(token))


def new_site_key() -> str:
    """A random public key starting with a letter, so no command line takes it for an option."""
    return secrets.choice(
        "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
    ) + secrets.token_urlsafe(12)


def create_site(
    name: str,
    domains: Iterable[str],
    *,
    categories: Sequence[str] = DEFAULT_CATEGORIES,
    policy_url: str | None = None,
    policy_version: str = "1.0",
    default_language: str = "vi",
    site_key: str | None = None,
    languages: Sequence[str] | None = None,
) -> tuple[Site, str]:
    """Create a site with its categories and first policy version; return it and its API token.

    The token is returned once and only its hash is stored. A refused value raises
    ``ValueError`` (:class:`~.validation.InvalidInput` naming the field, for the checks the
    configuration API shares).
    """
    refuse("name", site_name_error(name))
    name = name.strip()
    normalized = sorted({normalize_domain(domain) for domain in domains})
    if not normalized:
        raise ValueError("the site needs at least one domain")
    refuse("default_language", language_error(default_language))
    for index, language in enumerate(languages or []):
        refuse(f"languages.{index}", language_error(language))
    # Stored under their full codes: "pt" is "pt-PT".
    default_language = canonical_language(default_language)
    languages = [canonical_language(language) for language in languages or []]
    if policy_url is not None:
        refuse("policy_url", http_url_error(policy_url))
    refuse("policy_version", policy_version_error(policy_version))
    names = ["essential", *[c for c in categories if c != "essential"]]
    for category in names:
        if not CATEGORY_NAME.match(category):
            raise ValueError(f"category {category!r} must be a lowercase identifier")
    if len(set(names)) != len(names):
        raise ValueError("category names must be unique")
    if site_key is not None and not SITE_KEY.match(site_key):
        raise ValueError("a site key is 8 to 32 letters, digits, '-' or '_'")

    api_token = secrets.token_urlsafe(32)
    site = Site(
        site_key=site_key or new_site_key(),
        name=name,
        domains=normalized,
        api_token_hash=hash_api_token(api_token),
        default_language=default_language,
        policy_url=policy_url,
        policy_version=policy_version,
        texts={},
    )
    site.categories = [
        Category(name=category, position=index, locked=category == "essential", texts={})
        for index, category in enumerate(names)
    ]
    site.policy_versions = [PolicyVersion(version=policy_version)]
    site.languages = list(dict.fromkeys([*(languages or DEFAULT_LANGUAGES), default_language]))
    db.session.add(site)
    db.session.flush()
    start_site_chain(site.id)
    db.session.commit()
    return site, api_token


@dataclass(frozen=True)
class SiteProfile:
    """What a request needs to know about a site, read once and shared between requests."""

    id: int
    site_key: str
    domains: tuple[str, ...]
    api_token_hash: str
    policy_version: str
    # Versions in force, which a visitor may have been shown.
    published_versions: frozenset[str]
    consent_lifetime_days: int
    refusal_lifetime_days: int
    jurisdiction_rules: Mapping[str, str]
    category_names: tuple[str, ...]
    # (service, its category), in display order.
    services: tuple[tuple[str, str], ...]
    webhook_endpoint_ids: tuple[int, ...]
    widget_config: Mapping[str, Any]
    snapshot_digest: str
    # Categories that run without consent, with an objection, under opt-in-stats-exempt.
    statistics_only: frozenset[str] = frozenset()
    # {"FR": {"consent_days": 182, "refusal_days": 182}}: lifetimes where the choice is made.
    region_lifetimes: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    # Processors act on the data: Decree 356's 20 days instead of 15.
    processors_involved: bool = False
    # Snapshot IDs by digest; filled on use.
    snapshot_ids: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    # Built widgets, by (API base, GPC); filled on first use.
    bundles: dict[tuple[str, bool], Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, site: Site) -> SiteProfile:
        """Snapshot a site with its categories and policy versions."""
        config = widget_config(site)
        return cls(
            id=site.id,
            site_key=site.site_key,
            domains=tuple(site.domains),
            api_token_hash=site.api_token_hash,
            policy_version=config["policyVersion"],
            published_versions=frozenset(entry.version for entry in in_force(site))
            | {site.policy_version},
            consent_lifetime_days=site.consent_lifetime_days,
            refusal_lifetime_days=site.refusal_lifetime_days,
            jurisdiction_rules=effective_rules(site.jurisdiction_rules),
            category_names=tuple(category.name for category in site.categories),
            services=tuple((service.name, service.category) for service in site.services),
            webhook_endpoint_ids=tuple(hook.id for hook in site.webhooks if hook.active),
            widget_config=config,
            snapshot_digest=config["digest"],
            statistics_only=frozenset(config["statsOnly"]),
            region_lifetimes={
                region: dict(entry) for region, entry in (site.region_lifetimes or {}).items()
            },
            processors_involved=bool(site.processors_involved),
        )

    def lifetimes_in(self, region: Region | None) -> tuple[int, int]:
        """(consent days, refusal days) for a choice made in ``region``: its entry or defaults."""
        entry = lifetime_for(self.region_lifetimes, region) or {}
        return (
            entry.get("consent_days", self.consent_lifetime_days),
            entry.get("refusal_days", self.refusal_lifetime_days),
        )

    @property
    def snapshot_content(self) -> dict[str, Any]:
        """What a visitor is shown: the widget's configuration and the regional rules."""
        return snapshot_content(self.widget_config, self.jurisdiction_rules)


class SiteCache:
    """Site profiles by key, kept for ``ttl`` seconds.

    A commit that touches a site, its categories or policy versions empties every cache in this
    process at once; other processes see the change within ``ttl``.
    """

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, SiteProfile | None]] = {}
        self._lock = threading.Lock()
        _caches.add(self)

    def get(self, site_key: str) -> SiteProfile | None:
        """The profile for ``site_key``, or ``None`` when no such site exists."""
        now = time.monotonic()
        entry = self._entries.get(site_key)
        if entry is not None and now - entry[0] < self.ttl:
            return entry[1]
        site = db.session.execute(
            select(Site)
            .where(Site.site_key == site_key, Site.deleted_at.is_(None))
            .options(
                selectinload(Site.categories),
                selectinload(Site.policy_versions),
                selectinload(Site.services),
                selectinload(Site.webhooks),
            )
        ).scalar_one_or_none()
        profile = SiteProfile.of(site) if site is not None else None
        if self.ttl > 0:
            with self._lock:
                if len(self._entries) > 10_000:
                    self._entries.clear()
                self._entries[site_key] = (now, profile)
        return profile

    def clear(self) -> None:
        """Forget every profile."""
        with self._lock:
            self._entries.clear()


_caches: weakref.WeakSet[SiteCache] = weakref.WeakSet()
_SITE_MODELS = (Site, Category, PolicyVersion, Service, WebhookEndpoint)


@event.listens_for(Session, "after_flush")
def _note_site_changes(session: Session, flush_context: Any) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(instance, _SITE_MODELS) for instance in changed):
        session.info["cookieconsent.sites_changed"] = True


@event.listens_for(Session, "after_commit")
def _forget_changed_sites(session: Session) -> None:
    if session.info.pop("cookieconsent.sites_changed", False):
        for cache in list(_caches):
            cache.clear()


def check_text_language(site: Site, language: str) -> str:
    """Refuse a language without built-in texts, or one the site does not offer; return its
    code as stored (``pt`` → ``pt-PT``)."""
    refuse(f"texts.{language}", language_error(language, widget_languages(site)))
    return canonical_language(language)


def set_texts(site: Site, language: str, values: Mapping[str, str]) -> None:
    """Override banner or category texts in one language; an empty value restores the default.

    Keys are banner text keys (``title``, ``accept_all``, …) or ``category.NAME.title`` and
    ``category.NAME.description``. The language must be one the site offers. Nothing is changed
    unless every key is valid; a refusal (:class:`~.validation.InvalidInput`) names the text as
    ``texts.LANGUAGE.KEY``, with the configuration API's message. Other texts stay as they are.
    """
    language = check_text_language(site, language)
    categories = {category.name: category for category in site.categories}
    banner: dict[str, str | None] = {}
    by_category: dict[str, dict[str, str | None]] = {}
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        field = f"texts.{language}.{key}"
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "category":
            _, name, text_key = parts
            if name not in categories:
                errors[field] = [f"The site has no category {name!r}."]
            elif problem := category_text_error(text_key, value):
                errors[field] = [problem]
            else:
                by_category.setdefault(name, {})[text_key] = value
        elif problem := site_text_error(key, value):
            errors[field] = [problem]
        else:
            banner[key] = value
    if errors:
        raise InvalidInput(errors)
    # JSON columns are replaced, not mutated, so SQLAlchemy sees the change.
    site.texts = merge_texts(site.texts, {language: banner})
    for name, changes in by_category.items():
        categories[name].texts = merge_texts(categories[name].texts, {language: changes})
    db.session.commit()


def load_site(site_key: str) -> Site | None:
    """The site itself, for changing it; requests read :func:`find_site` instead.

    A deleted site is not found: it serves nothing, though its records stay for retention.
    """
    return db.session.execute(
        select(Site).where(Site.site_key == site_key, Site.deleted_at.is_(None))
    ).scalar_one_or_none()


def find_site(site_key: str) -> SiteProfile | None:
    """The site with this public key, or ``None``; served from the app's site cache."""
    if not SITE_KEY.match(site_key):
        return None
    cache: SiteCache = current_app.extensions["cookieconsent.site_cache"]
    return cache.get(site_key)


def _category_texts(category: Category, language: str) -> dict[str, str]:
    built_in = CATEGORY_TEXTS.get(category.name, {})
    texts = dict(built_in.get(language) or built_in.get("en") or {})
    texts.setdefault("title", category.name.replace("_", " ").capitalize())
    texts.setdefault("description", "")
    texts.update(category.texts.get(language, {}))
    return texts


def widget_languages(site: Site) -> list[str]:
    """Languages the widget speaks: the site's choice, its default always among them."""
    languages = list(site.languages or DEFAULT_LANGUAGES)
    if site.default_language not in languages:
        languages.append(site.default_language)
    return languages


# The script itself carries this many languages, the default first; the rest load on demand.
BUNDLED_LANGUAGES = 2
# Texts of the plain opt-in first layer. Other regimes, a new policy version's notice, the GPC
# notice and the preferences dialog load the language's full texts
# (``/c/<key>/texts/<lang>.json``) with the widget's layers module when they need them.
FIRST_LAYER_TEXT_KEYS = (
    "title",
    "description",
    "policy_link",
    "accept_all",
    "reject_all",
    "preferences",
    "reopen",
    "error",
    "queued",
)


def bundled_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration as the script carries it: compact, with first-layer texts only.

    Defaults are left out (an exact cookie match, no domain, no storage keys, options off) and
    categories are plain names (``essential`` is the locked one), so that the script stays
    within its size budget. The proof snapshot keeps the full :func:`widget_config`.
    """
    default = config["defaultLanguage"]
    order = [default, *(language for language in config["languages"] if language != default)]
    compact = {
        key: value
        for key, value in config.items()
        if key not in {"categories", "services", "consentMode", "texts"} and value is not None
    }
    # The widget's own default (core.js).
    if compact.get("lifetimeDays") == 182:
        del compact["lifetimeDays"]
    compact["categories"] = [category["name"] for category in config["categories"]]
    compact["services"] = [
        {
            "name": service["name"],
            "category": service["category"],
            "cookies": [
                {key: value for key, value in cookie.items() if value not in (None, "exact")}
                for cookie in service["cookies"]
            ],
            **({"storage": service["storage"]} if service["storage"] else {}),
        }
        for service in config["services"]
    ]
    compact["consentMode"] = {key: True for key, on in config["consentMode"].items() if on}
    compact["texts"] = {
        language: {
            key: config["texts"][language][key]
            for key in FIRST_LAYER_TEXT_KEYS
            if key in config["texts"][language]
        }
        for language in order[:BUNDLED_LANGUAGES]
    }
    return compact


def widget_config(site: Site) -> dict[str, Any]:
    """Everything the widget needs about this site, with the texts merged per language."""
    texts: dict[str, dict[str, Any]] = {}
    for language in widget_languages(site):
        built_in = BANNER_TEXTS.get(language) or BANNER_TEXTS["en"]
        # The receipt's texts are rendered by the server; the widget carries only its own.
        banner: dict[str, Any] = {key: built_in[key] for key in BANNER_TEXT_KEYS}
        banner.update(
            (key, value) for key, value in site.texts.get(language, {}).items() if key in banner
        )
        banner["categories"] = {
            category.name: _category_texts(category, language) for category in site.categories
        }
        banner["services"] = {
            service.name: {
                "title": service.label,
                "description": (service.texts.get(language) or service.texts.get("en") or {}).get(
                    "description", ""
                ),
            }
            for service in site.services
        }
        texts[language] = banner
    current = current_version(site)
    controller = dict(site.controller or {})
    config: dict[str, Any] = {
        "siteKey": site.site_key,
        "policyVersion": current.version if current else site.policy_version,
        "policySummary": policy_summaries(site, current) or None,
        # The banner names the controller (Law 91/2025/QH15, Art. 9); until the owner gives its
        # legal name, the site's name stands in.
        "controller": {
            "name": controller.get("name") or site.name,
            **({"address": controller["address"]} if controller.get("address") else {}),
            **({"email": controller["email"]} if controller.get("email") else {}),
            **({"dpoEmail": controller["dpo_email"]} if controller.get("dpo_email") else {}),
        },
        "behaviour": [
            category.name
            for category in site.categories
            if tracks_behaviour(category.name, category.tracks_behaviour)
        ],
        "statsOnly": [category.name for category in site.categories if category.statistics_only],
        "policyUrl": site.policy_url,
        "defaultLanguage": site.default_language,
        "languages": widget_languages(site),
        "lifetimeDays": site.consent_lifetime_days,
        "categories": [
            {"name": category.name, "locked": category.locked} for category in site.categories
        ],
        "services": [
            {
                "name": service.name,
                "category": service.category,
                "cookies": [
                    {"name": c["name"], "match": c.get("match", "exact"), "domain": c.get("domain")}
                    for c in service.cookies
                ],
                "storage": list(service.local_storage),
            }
            for service in site.services
        ],
        "consentMode": {
            "adsDataRedaction": site.ads_data_redaction,
            "urlPassthrough": site.url_passthrough,
        },
        "cookieDomain": site.cookie_domain,
        "scriptTimeoutMs": site.script_timeout_ms,
        "texts": texts,
    }
    # Only a design that differs from the built-in look goes in (see services/design.py).
    if design := widget_design(site.design or {}):
        config["design"] = design
    config["digest"] = snapshot_digest(
        snapshot_content(config, effective_rules(site.jurisdiction_rules))
    )
    return config


# Purposes that record a person's online behaviour unless the site says otherwise: sensitive
# personal data under Decree 356/2025/ND-CP, which needs specific consent.
BEHAVIOUR_TRACKING_CATEGORIES = frozenset({"analytics", "marketing"})


def tracks_behaviour(name: str, flag: bool | None) -> bool:
    """Whether the category ``name`` records online behaviour: its flag, else the default."""
    return name in BEHAVIOUR_TRACKING_CATEGORIES if flag is None else bool(flag)


def policy_summaries(site: Site, version: PolicyVersion | None) -> dict[str, str]:
    """What changed in ``version``, by language; a summary without a language is the default's."""
    if version is None:
        return {}
    summaries = dict(version.summaries or {})
    if version.summary and site.default_language not in summaries:
        summaries[site.default_language] = version.summary
    return summaries


def snapshot_content(config: Mapping[str, Any], rules: Mapping[str, str]) -> dict[str, Any]:
    """The content of a proof snapshot: everything shown, minus per-request details."""
    shown = {key: value for key, value in config.items() if key not in {"digest", "apiBase", "gpc"}}
    return {"widget": shown, "jurisdiction_rules": dict(rules)}

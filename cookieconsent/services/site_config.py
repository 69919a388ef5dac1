"""A site's configuration as one document: read it, and change it all or nothing.

Changes merge into what is stored: top-level keys not sent stay; ``texts`` (the site's, and a
category's) merge by language and key, where ``""`` or ``null`` restores the built-in text; lists
(``domains``, ``languages``, ``categories``, ``services``) replace the stored list. A language
taken out of ``languages`` takes its text overrides with it. ``design`` merges by key: each of
``layout``, ``position``, ``colors`` and ``dark`` that is sent replaces the stored one (a palette
is checked whole, so it is replaced whole), ``null`` restores its default, and ``design: {}`` or
``null`` changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from ..extensions import db
from ..models import Category, Service, Site, utcnow
from ..texts import DEFAULT_LANGUAGES
from .design import design_errors, normalized_design
from .jurisdictions import builtin_mode, effective_rules, unacknowledged_rules
from .network import normalize_domain, registrable_domains
from .sites import tracks_behaviour, widget_languages
from .trackers import tracker_cookie, tracker_name
from .validation import (
    InvalidInput,
    category_text_error,
    http_url_error,
    language_error,
    merge_texts,
    site_name_error,
    site_text_error,
)


class SiteConfigError(InvalidInput):
    """The configuration is refused; ``errors`` names the fields."""


def export_site_config(site: Site) -> dict[str, Any]:
    """The site's configuration in the shape :func:`apply_site_config` accepts."""
    return {
        "site_key": site.site_key,
        "name": site.name,
        "domains": list(site.domains),
        "policy_url": site.policy_url,
        "policy_version": site.policy_version,
        "default_language": site.default_language,
        "consent_lifetime_days": site.consent_lifetime_days,
        "refusal_lifetime_days": site.refusal_lifetime_days,
        "retention_days": site.retention_days,
        "cookie_domain": site.cookie_domain,
        "script_timeout_ms": site.script_timeout_ms,
        "languages": list(site.languages),
        "jurisdiction_rules": dict(site.jurisdiction_rules),
        "jurisdiction_acknowledgements": {
            region: dict(entry)
            for region, entry in (site.jurisdiction_acknowledgements or {}).items()
        },
        "lifetimes": {
            region: dict(entry) for region, entry in (site.region_lifetimes or {}).items()
        },
        "controller": dict(site.controller) if site.controller else None,
        "processors_involved": bool(site.processors_involved),
        "categories": [
            {
                "name": c.name,
                "texts": c.texts,
                "tracks_behaviour": tracks_behaviour(c.name, c.tracks_behaviour),
                "statistics_only": bool(c.statistics_only),
            }
            for c in site.categories
        ],
        "services": [
            {
                "name": s.name,
                "category": s.category,
                "label": s.label,
                "texts": s.texts,
                "cookies": s.cookies,
                "local_storage": s.local_storage,
            }
            for s in site.services
        ],
        "consent_mode": {
            "ads_data_redaction": site.ads_data_redaction,
            "url_passthrough": site.url_passthrough,
        },
        "texts": site.texts,
        "design": dict(site.design or {}),
    }


def _check_controller(
    site: Site, config: Mapping[str, Any], rules: Mapping[str, str], errors: dict[str, list[str]]
) -> dict[str, str] | None:
    """The controller to keep; ``name`` and ``email`` are required where opt-in-specific applies.

    Law 91/2025/QH15, Art. 9 and 11: the person asked for consent is told who the controller is
    and how to reach it. Checked when the controller or the rules change; a stored configuration
    keeps working until then (the banner names the site meanwhile).
    """
    sent = config.get("controller", site.controller)
    controller = {
        key: value.strip() for key, value in (sent or {}).items() if value and value.strip()
    }
    changed = controller != dict(site.controller or {}) or dict(rules) != dict(
        site.jurisdiction_rules or {}
    )
    if changed and "opt-in-specific" in effective_rules(rules).values():
        for key in ("name", "email"):
            if not controller.get(key):
                errors[f"controller.{key}"] = [
                    "Required where a region's regime is opt-in-specific (Vietnam by default): "
                    "the banner names the controller and how to reach it."
                ]
    return controller or None


def _merged_acknowledgements(
    site: Site, sent: Mapping[str, Any] | None, actor: str | None, rules: Mapping[str, str]
) -> dict[str, dict[str, str]]:
    """The stored acknowledgements with the sent ones laid over them, each stamped by and at.

    An acknowledgement holds for the regime it was given for (``mode``): one whose rule is gone,
    or now names another regime, lapses, so that a later, weaker rule needs a reason of its own.
    An entry sent as ``null`` is withdrawn; one sent again with the same reason for the same
    regime keeps its stamp.
    """
    merged = {
        region: dict(entry) for region, entry in (site.jurisdiction_acknowledgements or {}).items()
    }
    for region, entry in (sent or {}).items():
        if entry is None:
            merged.pop(region, None)
            continue
        reason = entry["reason"].strip()
        stored = merged.get(region, {})
        if stored.get("reason") == reason and stored.get("mode", rules.get(region)) == rules.get(
            region
        ):
            continue
        merged[region] = {
            "reason": reason,
            "mode": rules.get(region, ""),
            "by": actor or "system",
            "at": utcnow().isoformat(timespec="seconds"),
        }
    # Stored before acknowledgements named their regime: they hold for the rule as it stands.
    return {
        region: entry
        for region, entry in merged.items()
        if region in rules and entry.get("mode", rules[region]) == rules[region]
    }


def _check_rules(
    rules: Mapping[str, str],
    acknowledgements: Mapping[str, Any],
    errors: dict[str, list[str]],
) -> None:
    """Refuse a rule that lowers a region below its built-in regime without an acknowledgement."""
    for region, mode in unacknowledged_rules(rules, acknowledgements).items():
        errors[f"jurisdiction_rules.{region}"] = [
            f"{mode!r} is less strict than the built-in {builtin_mode(region)!r} for {region}. "
            f"If the law allows it there, say why in jurisdiction_acknowledgements.{region}.reason."
        ]


def _check_category_flags(
    where: str, entry: Mapping[str, Any], errors: dict[str, list[str]]
) -> None:
    """Essential never tracks behaviour nor needs an objection; marketing is never statistics."""
    if entry["name"] == "essential":
        if entry.get("tracks_behaviour"):
            errors[f"{where}.tracks_behaviour"] = [
                "Essential cookies cannot track online behaviour: such a purpose needs consent."
            ]
        if entry.get("statistics_only"):
            errors[f"{where}.statistics_only"] = ["Essential is always on; it has no objection."]
    elif entry["name"] == "marketing" and entry.get("statistics_only"):
        errors[f"{where}.statistics_only"] = [
            "Marketing is not statistics: it stays opt-in under every regime."
        ]


def _check_services(
    services: list[dict[str, Any]],
    categories: list[str],
    languages: list[str],
    errors: dict[str, list[str]],
) -> None:
    seen: set[str] = set()
    for index, service in enumerate(services):
        where = f"services.{index}"
        _check_own_texts(where, service.get("texts", {}), languages, errors)
        if service["name"] in seen:
            errors[f"{where}.name"] = ["Service names must be unique."]
        seen.add(service["name"])
        if service["name"] in categories:
            errors[f"{where}.name"] = ["A service may not share its name with a category."]
        if service["category"] not in categories:
            errors[f"{where}.category"] = [
                f"No such category. Categories: {', '.join(categories)}."
            ]
        essential = service["category"] == "essential"
        found = tracker_name(service["name"], service["label"])
        if essential and found:
            errors[f"{where}.category"] = [
                f"{service['label']!r} looks like a tracker ({found}); it cannot be essential."
            ]
        for cookie_index, cookie in enumerate(service.get("cookies", [])):
            cookie_where = f"{where}.cookies.{cookie_index}"
            if cookie["match"] != "regex" and _unprintable(cookie["name"]):
                # A browser never stores such a name (RFC 6265): it would only hide a tracker.
                errors[f"{cookie_where}.name"] = [
                    "Not a cookie name: it holds a space or an invisible character."
                ]
                continue
            if cookie["match"] == "regex":
                try:
                    re.compile(cookie["name"])
                except re.error as error:
                    errors[f"{cookie_where}.name"] = [f"Not a valid regular expression: {error}."]
                    continue
            domain_valid = True
            if cookie.get("domain"):
                try:
                    normalize_domain(cookie["domain"].lstrip("."))
                except ValueError:
                    domain_valid = False
                    errors[f"{cookie_where}.domain"] = ["Not a cookie domain such as .shop.vn."]
            # Known trackers from the Open Cookie Database (see services/trackers.py).
            if essential and (
                tracker := tracker_cookie(
                    cookie["name"], cookie["match"], cookie.get("domain") if domain_valid else None
                )
            ):
                errors[f"{cookie_where}.name"] = [tracker.refusal()]
        # Local storage keys that trackers write are refused under essential as their cookies are.
        for key_index, key in enumerate(service.get("local_storage", [])):
            match = "prefix" if key.endswith("*") else "exact"
            if essential and (tracker := tracker_cookie(key.rstrip("*"), match)):
                errors[f"{where}.local_storage.{key_index}"] = [tracker.refusal()]


def _unprintable(name: str) -> bool:
    """Whether ``name`` holds a space, a control or an invisible (format) character."""
    return any(char.isspace() or unicodedata.category(char) in ("Cc", "Cf") for char in name)


def _check_texts(
    texts: Mapping[str, Mapping[str, str | None] | None],
    languages: list[str],
    errors: dict[str, list[str]],
) -> None:
    for language, values in texts.items():
        if problem := language_error(language, languages):
            errors[f"texts.{language}"] = [problem]
            continue
        for key, value in (values or {}).items():
            if problem := site_text_error(key, value):
                errors[f"texts.{language}.{key}"] = [problem]


def _check_own_texts(
    where: str,
    texts: Mapping[str, Mapping[str, str | None] | None],
    languages: list[str],
    errors: dict[str, list[str]],
) -> None:
    """A category's or service's own texts: in the site's languages, by the limits of their keys."""
    for language, values in texts.items():
        if problem := language_error(language, languages):
            errors[f"{where}.texts.{language}"] = [problem]
            continue
        for key, value in (values or {}).items():
            if problem := category_text_error(key, value):
                errors[f"{where}.texts.{language}.{key}"] = [problem]


def _check_cookie_domain(
    site: Site, config: Mapping[str, Any], domains: list[str], errors: dict[str, list[str]]
) -> str | None:
    """The cookie domain to keep: the registrable domain of one of the site's (new) domains."""
    cookie_domain: str | None
    if "cookie_domain" in config:
        sent = config["cookie_domain"]
        cookie_domain = sent.strip().lower().lstrip(".") if sent is not None else None
    else:
        cookie_domain = site.cookie_domain
    if cookie_domain is None or ("cookie_domain" not in config and "domains" not in config):
        return cookie_domain
    allowed = registrable_domains(domains if "domains" in config else site.domains)
    if cookie_domain in allowed:
        return cookie_domain
    whose = "the new domains" if "domains" in config else "the site's domains"
    if allowed:
        choices = " or ".join(repr(domain) for domain in allowed)
        message = (
            f"{cookie_domain!r} is not the registrable domain of one of {whose}; "
            f"use {choices}, or null for each host's own cookie."
        )
    else:
        message = (
            f"{cookie_domain!r} cannot be used: none of {whose} has a registrable domain "
            "(addresses and names such as localhost have none); use null."
        )
    if "cookie_domain" not in config:
        message = f"The stored cookie domain no longer fits: {message}"
    errors["cookie_domain"] = [message]
    return None


def apply_site_config(
    site: Site, config: Mapping[str, Any], *, commit: bool = True, actor: str | None = None
) -> Site:
    """Change what ``config`` names, after checking it whole; raise :class:`SiteConfigError`.

    See the module's docstring for how a change merges into what is stored. With
    ``commit=False`` the caller owns the transaction (a version is recorded in the same one).
    ``actor`` (an email, ``api``, ``cli``) stamps new jurisdiction acknowledgements.

    Guardrails: a rule that gives a region a regime less strict than its built-in one is refused
    without ``jurisdiction_acknowledgements.{REGION}.reason``; ``controller.name`` and
    ``controller.email`` are required where ``opt-in-specific`` applies. Both are checked when
    the rules, acknowledgements or controller change, so stored configurations keep working.
    """
    errors: dict[str, list[str]] = {}
    rules = config.get("jurisdiction_rules", site.jurisdiction_rules) or {}
    acknowledgements = _merged_acknowledgements(
        site, config.get("jurisdiction_acknowledgements"), actor, rules
    )
    # Checked when the rules or their acknowledgements change, not when a whole document (a
    # draft, a restored version) carries them unchanged: stored rules keep working until edited.
    if dict(rules) != dict(site.jurisdiction_rules or {}) or acknowledgements != dict(
        site.jurisdiction_acknowledgements or {}
    ):
        _check_rules(rules, acknowledgements, errors)
    controller = _check_controller(site, config, rules, errors)
    if "name" in config and (problem := site_name_error(config["name"])):
        errors["name"] = [problem]
    if config.get("policy_url") is not None and (problem := http_url_error(config["policy_url"])):
        errors["policy_url"] = [problem]
    domains: list[str] = []
    for index, domain in enumerate(config.get("domains", [])):
        try:
            domains.append(normalize_domain(domain))
        except ValueError as error:
            errors[f"domains.{index}"] = [str(error)]
    cookie_domain = _check_cookie_domain(site, config, domains, errors)
    if "default_language" in config and (problem := language_error(config["default_language"])):
        errors["default_language"] = [problem]
    for index, language in enumerate(config.get("languages", [])):
        if problem := language_error(language):
            errors[f"languages.{index}"] = [problem]
    # Texts may name the languages the site offers once this change is made.
    offered = list(
        dict.fromkeys(
            [
                *(config.get("languages") or site.languages or DEFAULT_LANGUAGES),
                config.get("default_language", site.default_language),
            ]
        )
    )

    category_entries = config.get("categories")
    if category_entries is not None:
        for index, entry in enumerate(category_entries):
            _check_own_texts(f"categories.{index}", entry.get("texts") or {}, offered, errors)
            _check_category_flags(f"categories.{index}", entry, errors)
        names = [entry["name"] for entry in category_entries]
        if len(set(names)) != len(names):
            errors["categories"] = ["Category names must be unique."]
        if "essential" not in names:
            category_entries = [{"name": "essential"}, *category_entries]
    category_names = (
        [entry["name"] for entry in category_entries]
        if category_entries is not None
        else [category.name for category in site.categories]
    )
    services = config.get("services")
    if services is None and category_entries is not None:
        orphans = [s.name for s in site.services if s.category not in category_names]
        if orphans:
            errors["categories"] = [f"Services still use removed categories: {', '.join(orphans)}."]
    if services is not None:
        _check_services(services, category_names, offered, errors)
    if "texts" in config:
        _check_texts(config["texts"], offered, errors)
    design = _merged_design(site, config.get("design"))
    if design is not None:
        errors.update(design_errors(design))
    if errors:
        raise SiteConfigError(errors)

    language = config.get("default_language", site.default_language)
    languages = config.get("languages", site.languages)
    if language not in languages:
        errors["languages"] = [f"Must include the default language {language!r}."]
    if errors:
        raise SiteConfigError(errors)

    for key in (
        "policy_url",
        "default_language",
        "consent_lifetime_days",
        "refusal_lifetime_days",
        "retention_days",
        "script_timeout_ms",
        "jurisdiction_rules",
        "processors_involved",
    ):
        if key in config:
            setattr(site, key, config[key])
    if "jurisdiction_acknowledgements" in config:
        site.jurisdiction_acknowledgements = acknowledgements
    if "controller" in config:
        site.controller = controller
    if "lifetimes" in config:
        site.region_lifetimes = {
            region: dict(entry) for region, entry in (config["lifetimes"] or {}).items()
        }
    if "name" in config:
        site.name = config["name"].strip()
    if "texts" in config:
        site.texts = merge_texts(site.texts, config["texts"])
    if "domains" in config:
        site.domains = sorted(set(domains))
    if "cookie_domain" in config:
        site.cookie_domain = cookie_domain
    if "languages" in config:
        site.languages = list(dict.fromkeys(config["languages"]))
    if design is not None:
        site.design = normalized_design(design)
    if "consent_mode" in config:
        for key, value in config["consent_mode"].items():
            setattr(site, key, value)
    if category_entries is not None:
        existing = {category.name: category for category in site.categories}
        site.categories = [
            _category(existing.get(entry["name"]), entry, position)
            for position, entry in enumerate(category_entries)
        ]
    if services is not None:
        existing_services = {service.name: service for service in site.services}
        site.services = [
            _service(existing_services.get(entry["name"]), entry, position)
            for position, entry in enumerate(services)
        ]
    _drop_texts_of_removed_languages(site)
    if commit:
        db.session.commit()
    return site


def _merged_design(site: Site, sent: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The stored design with the keys sent laid over it; ``None`` when nothing was sent."""
    if not sent:
        return None
    merged = {**(site.design or {}), **sent}
    return {key: value for key, value in merged.items() if value is not None}


def _drop_texts_of_removed_languages(site: Site) -> None:
    """Forget the text overrides of languages the site no longer offers.

    They would never be shown, could not be edited (texts are accepted only in offered
    languages), and would come back unseen if the language were added again later.
    """
    offered = set(widget_languages(site))

    def kept(texts: Mapping[str, Any]) -> dict[str, Any] | None:
        if set(texts) <= offered:
            return None
        return {language: values for language, values in texts.items() if language in offered}

    if (texts := kept(site.texts)) is not None:
        site.texts = texts
    owners: list[Category | Service] = [*site.categories, *site.services]
    for owner in owners:
        if (texts := kept(owner.texts or {})) is not None:
            owner.texts = texts


def _category(current: Category | None, entry: Mapping[str, Any], position: int) -> Category:
    category = current or Category(name=entry["name"], texts={})
    category.position = position
    category.locked = entry["name"] == "essential"
    if "tracks_behaviour" in entry:
        category.tracks_behaviour = entry["tracks_behaviour"]
    if "statistics_only" in entry:
        category.statistics_only = bool(entry["statistics_only"]) and not category.locked
    if "texts" in entry:
        category.texts = merge_texts(category.texts, entry["texts"])
    return category


def _service(current: Service | None, entry: Mapping[str, Any], position: int) -> Service:
    service = current or Service(name=entry["name"])
    service.category = entry["category"]
    service.label = entry["label"]
    service.position = position
    service.texts = entry.get("texts", {})
    service.cookies = entry.get("cookies", [])
    service.local_storage = entry.get("local_storage", [])
    return service

"""A visitor's rights over their consent data: see it, export it, withdraw, erase; receipts.

The signed visitor ID is the visitor's only credential.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import URLSafeSerializer
from sqlalchemy import delete, select, update

from ..extensions import db
from ..models import (
    ConfigSnapshot,
    ConsentEvent,
    ConsentState,
    Site,
    iso_utc,
    utcnow,
)
from ..texts import BANNER_TEXTS, REFERENCE_LANGUAGE
from .cache import state_cache
from .chain import ERASED_PREFIX
from .visitor_texts import action_label, built_in_language, category_title, local_time
from .webhooks import queue_erasure

RECEIPT_SALT = "cookieconsent.receipt"
RECEIPT_SCHEMA = "ISO/IEC TS 27560:2023 consent record information structure (subset)"


def visitor_events(site_id: int, raw_id: str) -> list[ConsentEvent]:
    """The visitor's events, oldest first."""
    return list(
        db.session.execute(
            select(ConsentEvent)
            .where(ConsentEvent.site_id == site_id, ConsentEvent.visitor_id == raw_id)
            .order_by(ConsentEvent.id)
        ).scalars()
    )


def event_view(
    event: ConsentEvent, *, personal: bool, language: str | None = None
) -> dict[str, Any]:
    """One event as the visitor sees it; ``personal`` adds what was stored about them.

    With a built-in ``language`` (``vi``, ``pt-BR``) it also says it for people:
    ``action_label`` (``"Từ chối tất cả"`` for ``reject_all``) and ``recorded_at_local``
    (``recorded_at`` in UTC as that language writes it, the zone named). The machine-readable
    fields stay as they are: action codes and ISO 8601 times in UTC.
    """
    view: dict[str, Any] = {
        "sequence": event.sequence,
        "action": event.action,
        "source": event.source,
        "decided": event.decided,
        "categories": event.categories,
        "services": event.services,
        "policy_version": event.policy_version,
        "language": event.language,
        "region": event.region,
        "mode": event.mode,
        "gpc": event.gpc,
        "recorded_at": iso_utc(event.created_at),
        "chosen_at": iso_utc(event.chosen_at),
    }
    if language is not None:
        view |= {
            "action_label": str(action_label(event.action, language)),
            "recorded_at_local": local_time(event.created_at, language),
        }
    if personal:
        view |= {"url": event.url, "user_agent": event.user_agent, "ip_prefix": event.ip_prefix}
    return view


def export_visitor(
    site: Site, raw_id: str, signed_id: str, language: str = REFERENCE_LANGUAGE
) -> dict[str, Any]:
    """Everything stored about the visitor, for download.

    Machine-readable (action codes, ISO 8601 times in UTC) with, in ``language`` (a built-in
    code), what a person reads: each event's ``action_label`` and ``recorded_at_local``, the
    current decision's ``decided_at_local`` and ``expires_at_local``, and ``category_titles``
    (each category named in the visitor's events, as the site titles it).
    """
    language = built_in_language(language) or REFERENCE_LANGUAGE
    state = db.session.get(ConsentState, (site.id, raw_id))
    events = visitor_events(site.id, raw_id)
    titles = {category.name: category.texts for category in site.categories}
    names = dict.fromkeys(name for event in events for name in event.categories)
    return {
        "site": {"name": site.name, "site_key": site.site_key, "policy_url": site.policy_url},
        "visitor_id": signed_id,
        "exported_at": iso_utc(utcnow()),
        "language": language,
        "current": None
        if state is None
        else {
            "decided": state.decided,
            "categories": state.categories,
            "services": state.services,
            "policy_version": state.policy_version,
            "decided_at": iso_utc(state.decided_at),
            "expires_at": iso_utc(state.expires_at),
            "decided_at_local": _local(state.decided_at, language),
            "expires_at_local": _local(state.expires_at, language),
        },
        "category_titles": {
            name: str(category_title(name, titles.get(name), language, site.default_language))
            for name in names
        },
        "events": [event_view(event, personal=True, language=language) for event in events],
        "notes": (
            "IP addresses are kept truncated (/24 or /48); page addresses without their query. "
            "The visitor ID is random and links to nothing else. Times are in UTC."
        ),
    }


def _local(moment: datetime | None, language: str) -> str | None:
    return local_time(moment, language) if moment is not None else None


def erase_visitor(site: Site, raw_id: str, signed_id: str) -> int:
    """Remove the personal fields of the visitor's events and unlink them; return how many.

    Each event keeps its action, categories and time, so the anonymous tally stays, and its
    MAC, so the chain still verifies: personal fields enter the MAC through a digest. The
    site's webhooks hear of it (``consent.erased``) after the visitor's deliveries still due.
    """
    events = visitor_events(site.id, raw_id)
    if not events:
        return 0
    ids = [event.id for event in events]
    now = utcnow()
    # A fresh random token keeps the erased events of one visitor together, and no more.
    anonymous = ERASED_PREFIX + secrets.token_urlsafe(12)
    db.session.execute(
        delete(ConsentState).where(
            ConsentState.site_id == site.id, ConsentState.visitor_id == raw_id
        )
    )
    queue_erasure(site, signed_id, ids, now)
    db.session.execute(
        update(ConsentEvent)
        .where(ConsentEvent.id.in_(ids))
        .values(visitor_id=anonymous, url=None, user_agent=None, ip_prefix=None, erased_at=now)
    )
    db.session.commit()
    cache = state_cache()
    if cache:
        cache.forget(site.id, raw_id)
    return len(ids)


def decision_end(site: Site, event: ConsentEvent) -> datetime | None:
    """When an event's decision ends: as stored while current, else its lifetime from then."""
    if not event.decided:
        return None
    state = db.session.get(ConsentState, (site.id, event.visitor_id))
    if state is not None and state.last_event_id == event.id and state.expires_at is not None:
        # An opt-out keeps the end of the decision it narrowed.
        return state.expires_at
    refused = not any(allowed for name, allowed in event.categories.items() if name != "essential")
    days = site.refusal_lifetime_days if refused else site.consent_lifetime_days
    return event.created_at + timedelta(days=days)


def _purposes(site: Site, event: ConsentEvent, language: str) -> list[dict[str, Any]]:
    texts = {category.name: category.texts for category in site.categories}
    code = built_in_language(language) or REFERENCE_LANGUAGE
    purposes = []
    for name, allowed in event.categories.items():
        # A LocalText: the printable receipt marks a title in another language with its lang.
        title = category_title(name, texts.get(name), code, site.default_language)
        if event.action == "withdraw" and name != "essential":
            status = "withdrawn"
        else:
            status = "given" if allowed else "refused"
        purposes.append(
            {
                "purpose": name,
                "title": title,
                "status": status,
                "lawful_basis": "legitimate interest (strictly necessary)"
                if name == "essential"
                else "consent",
                "services": sorted(
                    service for service, on in event.services.items() if on and allowed
                ),
            }
        )
    return purposes


def build_receipt(
    site: Site, event: ConsentEvent, signed_id: str, language: str, expires_at: datetime | None
) -> dict[str, Any]:
    """A consent record after ISO/IEC TS 27560's fields, where they apply."""
    stored = db.session.get(ConfigSnapshot, event.snapshot_id) if event.snapshot_id else None
    # The texts shown are long; the receipt names the snapshot and its categories.
    shown = None
    if stored is not None:
        widget = stored.content.get("widget", {})
        shown = {"categories": widget.get("categories"), "services": widget.get("services")}
    return {
        "schema": RECEIPT_SCHEMA,
        "record_id": f"{site.site_key}:{event.sequence or event.id}",
        "language": language,
        "pii_principal_id": signed_id,
        # ISO/IEC TS 27560's PII controller: the legal name and contacts the owner gave (Law
        # 91/2025/QH15, Art. 9), the site's name until then.
        "pii_controller": {
            "name": (site.controller or {}).get("name") or site.name,
            "domains": list(site.domains),
            **{
                key: value
                for key, value in (site.controller or {}).items()
                if key in ("address", "email", "dpo_email") and value
            },
        },
        "notice": {
            "policy_url": site.policy_url,
            "policy_version": event.policy_version,
            "language": event.language,
            "shown_configuration_digest": stored.digest if stored else None,
            "shown_configuration": shown,
        },
        "event": {
            "type": event.action,
            "time": iso_utc(event.created_at),
            "source": event.source,
            "jurisdiction": event.region,
            "regime": event.mode,
            "global_privacy_control": event.gpc,
        },
        "purposes": _purposes(site, event, language),
        "valid_until": iso_utc(expires_at) if event.decided else None,
        "withdrawal": {
            "how": "Cookie settings on the site, or the withdraw call of the API",
            "explanation": (BANNER_TEXTS.get(language) or BANNER_TEXTS["en"])["receipt_withdrawal"]
            if event.action == "withdraw"
            else None,
        },
        "integrity": {"chain_sequence": event.sequence, "mac": event.mac},
    }


def sign_receipt(secret_keys: Sequence[str], receipt: dict[str, Any]) -> str:
    """The receipt as a signed token anyone holding the service's keys can check."""
    return URLSafeSerializer(list(secret_keys), salt=RECEIPT_SALT).dumps(receipt)


def open_receipt(secret_keys: Sequence[str], token: str) -> dict[str, Any]:
    """The receipt inside a signed token; raises ``itsdangerous.BadSignature`` if forged."""
    return URLSafeSerializer(list(secret_keys), salt=RECEIPT_SALT).loads(token)  # type: ignore[no-any-return]

"""Recording choices in the append-only history and answering what a visitor allowed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select

from ..extensions import db
from ..models import ConsentEvent, ConsentState, StateView, utcnow
from .cache import state_cache
from .chain import reserve_position, seal
from .geo import Region
from .idempotency import IdempotentWrite, remember
from .policy import major
from .signing import InvalidVisitorId, mint_visitor_id, sign_visitor_id, verify_visitor_id
from .sites import SiteProfile
from .snapshots import ensure_snapshot, find_snapshot
from .state_reader import STATE_QUERY, state_reader
from .validation import policy_version_error, policy_version_order
from .webhooks import active_endpoint_ids, enqueue, event_payload

ACTIONS = ("accept_all", "reject_all", "save", "withdraw", "opt_out")
# consent_manager: a consent manager registered under India's DPDP Act, s. 6(7) to 6(9), relayed
# the choice; it comes with the site's API token and the manager's artifact.
SOURCES = ("banner", "api", "gpc", "consent_manager")
# What an opt-out of "sale or sharing" (Global Privacy Control, a Do Not Sell link) refuses.
OPT_OUT_CATEGORIES = frozenset({"marketing"})
# Regimes where tracking is allowed until the visitor opts out.
OPT_OUT_MODES = frozenset({"opt-out", "notice"})

# Google Consent Mode v2 signals and the category that grants each.
GOOGLE_CONSENT_SIGNALS: dict[str, str] = {
    "ad_storage": "marketing",
    "ad_user_data": "marketing",
    "ad_personalization": "marketing",
    "analytics_storage": "analytics",
    "functionality_storage": "essential",
    "personalization_storage": "preferences",
    "security_storage": "essential",
}


class ConsentInputError(ValueError):
    """The request is well-formed JSON but contradicts the site's configuration."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Decision:
    """A visitor's decision as the API reports it."""

    visitor_id: str
    decided: bool
    categories: dict[str, bool]
    policy_version: str
    decided_at: datetime | None
    expires_at: datetime | None
    gpc: bool
    services: dict[str, bool]
    recorded_at: datetime | None = None
    region: str | None = None
    mode: str | None = None

    @property
    def google_consent_mode(self) -> dict[str, str]:
        """The decision as Google Consent Mode v2 signals."""
        return google_consent_mode(self.categories)

    @property
    def segment(self) -> dict[str, dict[str, bool]]:
        """Segment's consent object."""
        return {"categoryPreferences": dict(self.categories)}

    @property
    def tealium(self) -> dict[str, list[str]]:
        """Tealium's consent categories: the allowed ones."""
        return {"consent_categories": [name for name, on in self.categories.items() if on]}

    def allowed(self, category: str) -> bool:
        """Whether this decision allows ``category`` now."""
        return self.categories.get(category, False)


def google_consent_mode(categories: Mapping[str, bool]) -> dict[str, str]:
    """Map categories to the seven Consent Mode v2 signals."""
    return {
        signal: "granted" if category == "essential" or categories.get(category) else "denied"
        for signal, category in GOOGLE_CONSENT_SIGNALS.items()
    }


def resolve_categories(
    names: Sequence[str], action: str, submitted: Mapping[str, Any] | None
) -> dict[str, bool]:
    """Work out every category's value for ``action``, refusing contradictions field by field."""
    submitted = submitted or {}
    errors: dict[str, list[str]] = {}
    for name, value in submitted.items():
        field = f"categories.{name}"
        if name not in names:
            errors[field] = [f"Unknown category. This site has: {', '.join(names)}."]
        elif not isinstance(value, bool):
            errors[field] = ["Must be true or false."]
        elif name == "essential" and value is not True:
            errors[field] = ["Essential cookies are always on and cannot be refused."]
    if errors:
        raise ConsentInputError(errors)

    optional = [name for name in names if name != "essential"]
    if action == "save":
        missing = [name for name in optional if name not in submitted]
        for name in missing:
            errors[f"categories.{name}"] = ["Missing: 'save' needs a value for every category."]
        if errors:
            raise ConsentInputError(errors)
        values = {name: bool(submitted[name]) for name in optional}
    else:
        implied = action == "accept_all"
        for name, value in submitted.items():
            if name != "essential" and value is not implied:
                errors[f"categories.{name}"] = [
                    f"Contradicts '{action}', which sets every category to "
                    f"{'true' if implied else 'false'}."
                ]
        if errors:
            raise ConsentInputError(errors)
        values = dict.fromkeys(optional, implied)
    return {"essential": True, **values}


def resolve_services(
    services: Sequence[tuple[str, str]],
    action: str,
    categories: Mapping[str, bool],
    submitted: Mapping[str, Any] | None,
) -> dict[str, bool]:
    """Every service's value: its category's, unless the visitor refused it one by one."""
    submitted = submitted or {}
    category_of = dict(services)
    errors: dict[str, list[str]] = {}
    for name, value in submitted.items():
        field = f"services.{name}"
        if name not in category_of:
            known = ", ".join(category_of) or "none"
            errors[field] = [f"Unknown service. This site has: {known}."]
        elif not isinstance(value, bool):
            errors[field] = ["Must be true or false."]
        elif value and not categories[category_of[name]]:
            errors[field] = [
                f"Cannot be allowed while its category {category_of[name]!r} is refused."
            ]
        elif not value and action == "accept_all":
            errors[field] = ["Contradicts 'accept_all', which allows every service."]
    if errors:
        raise ConsentInputError(errors)
    return {
        name: bool(categories[category]) and submitted.get(name, True) is not False
        for name, category in services
    }


def clean_page_url(url: str | None) -> str | None:
    """Keep scheme, host and path of the page; query and fragment may carry personal data."""
    if not url:
        return None
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))[:2048]


def _current_values(
    names: Sequence[str], stored: Mapping[str, bool], effective: bool, always: str | None = None
) -> dict[str, bool]:
    # Names added after the decision were never agreed to, so they read as false.
    return {name: name == always or (effective and bool(stored.get(name, False))) for name in names}


def _decision_from_state(
    site: SiteProfile, signed_id: str, state: ConsentState | StateView | None, now: datetime
) -> Decision:
    service_names = [name for name, _ in site.services]
    if state is None:
        return Decision(
            visitor_id=signed_id,
            decided=False,
            categories=_current_values(site.category_names, {}, False, "essential"),
            policy_version=site.policy_version,
            decided_at=None,
            expires_at=None,
            gpc=False,
            services=_current_values(service_names, {}, False),
        )
    # A decision expires, and one made under an older major policy version no longer counts.
    decided = (
        state.decided
        and (state.expires_at is None or state.expires_at > now)
        and major(state.policy_version) >= major(site.policy_version)
    )
    # An opt-out where tracking needs no prior consent leaves the rest allowed: the lookup says
    # what may fire, and `mode` says why.
    effective = decided or (not state.decided and state.mode in OPT_OUT_MODES)
    # Under opt-in-stats-exempt the widget runs statistics-only purposes before any choice; the
    # lookup, which cannot tell where an undecided visitor is, and a withdrawal, which objects to
    # them too, keep them refused.
    categories = _current_values(site.category_names, state.categories, effective, "essential")
    return Decision(
        visitor_id=signed_id,
        decided=decided,
        categories=categories,
        policy_version=state.policy_version,
        decided_at=state.decided_at if decided else None,
        expires_at=state.expires_at if decided else None,
        gpc=state.gpc,
        services=_current_values(service_names, state.services, effective),
        recorded_at=state.updated_at,
        region=state.region,
        mode=state.mode,
    )


def _opt_out(
    site: SiteProfile, state: ConsentState | None, now: datetime, mode: str | None
) -> tuple[bool, dict[str, bool], dict[str, bool], datetime | None, datetime | None]:
    """An opt-out keeps whatever was decided and refuses sale and sharing on top.

    Without a decision, what stays allowed depends on the regime: nothing where consent comes
    first, everything but sale and sharing where tracking is allowed until an opt-out.
    """
    if state is None or not state.decided or (state.expires_at and state.expires_at <= now):
        allowed = mode in OPT_OUT_MODES
        categories = {
            name: name == "essential" or (allowed and name not in OPT_OUT_CATEGORIES)
            for name in site.category_names
        }
        services = {name: categories[category] for name, category in site.services}
        return False, categories, services, None, None
    categories = {
        name: value and name not in OPT_OUT_CATEGORIES
        for name, value in _current_values(
            site.category_names, state.categories, True, "essential"
        ).items()
    }
    # A service added after the decision was never agreed to; an opt-out must not grant it.
    services = {
        name: bool(state.services.get(name, False)) and categories[category]
        for name, category in site.services
    }
    return True, categories, services, state.decided_at, state.expires_at


@dataclass(frozen=True, kw_only=True)
class ConsentInput:
    """One choice to record, as the visitor (or the site's server) made it.

    ``action`` is one of :data:`ACTIONS`. ``categories`` and ``services`` map names to booleans
    (``save`` only; others imply them). ``visitor_id`` is the signed ID a previous choice
    returned; without it a new visitor ID is minted. ``policy_version`` defaults to the site's
    current one. ``url`` is cleaned of its query and fragment, ``user_agent`` cut at 512
    characters; ``ip_prefix`` is already truncated (:func:`~.network.truncate_ip`). ``region``
    (``VN``, ``US-CA``) and ``mode`` are where the choice was made and the regime there.
    ``config_digest`` names the configuration snapshot the widget showed; ``chosen_at`` is the
    click's time as the browser saw it. ``source`` is one of :data:`SOURCES`;
    ``consent_manager`` (``{id, artifact_id}``) goes with source ``consent_manager`` only (India's
    DPDP Act, s. 6(7)-(9)).
    """

    action: str
    categories: Mapping[str, Any] | None = None
    services: Mapping[str, Any] | None = None
    visitor_id: str | None = None
    policy_version: str | None = None
    language: str | None = None
    url: str | None = None
    user_agent: str | None = None
    ip_prefix: str | None = None
    gpc: bool = False
    source: str = "banner"
    region: str | None = None
    mode: str | None = None
    config_digest: str | None = None
    chosen_at: datetime | None = None
    consent_manager: Mapping[str, str] | None = None


def record_consent(
    site: SiteProfile,
    choice: ConsentInput,
    *,
    secret_keys: Sequence[str],
    now: datetime | None = None,
    idempotency: IdempotentWrite[Decision] | None = None,
) -> Decision:
    """Append an event for this choice and update the visitor's current state in one transaction.

    Raises :class:`~.signing.InvalidVisitorId` for a bad ``choice.visitor_id`` and
    :class:`ConsentInputError` for values the site does not accept; nothing is written then.
    With ``idempotency``, the answer is stored under its key in the same transaction; if a
    concurrent write stored the key first, the commit raises ``sqlalchemy.exc.IntegrityError``
    and the caller rolls back and answers from the stored key.
    """
    action, categories, services = choice.action, choice.categories, choice.services
    visitor_id, policy_version, source = choice.visitor_id, choice.policy_version, choice.source
    consent_manager, mode, region, gpc = (
        choice.consent_manager,
        choice.mode,
        choice.region,
        choice.gpc,
    )
    if action not in ACTIONS:
        raise ConsentInputError({"action": [f"Must be one of: {', '.join(ACTIONS)}."]})
    if visitor_id:
        raw_id = verify_visitor_id(secret_keys, site.site_key, visitor_id)
        signed_id = sign_visitor_id(secret_keys, site.site_key, raw_id)
    else:
        raw_id, signed_id = mint_visitor_id(secret_keys, site.site_key)

    version = policy_version or site.policy_version
    if version not in site.published_versions:
        # A version the site published before the format was enforced still counts above.
        if problem := policy_version_error(version):
            raise ConsentInputError({"policy_version": [problem]})
        published = ", ".join(sorted(site.published_versions, key=policy_version_order))
        raise ConsentInputError({"policy_version": [f"Unknown version. Published: {published}."]})
    if source not in SOURCES:
        raise ConsentInputError({"source": [f"Must be one of: {', '.join(SOURCES)}."]})
    if source == "consent_manager" and not consent_manager:
        raise ConsentInputError(
            {"consent_manager": ["Required with source 'consent_manager': its id and artifact_id."]}
        )
    if consent_manager and source != "consent_manager":
        raise ConsentInputError(
            {"source": ["A consent_manager object needs source 'consent_manager'."]}
        )
    if source == "gpc" and action != "opt_out":
        # Global Privacy Control is an opt-out signal; it never grants anything (CCPA regs
        # § 7025), so a record saying GPC accepted would contradict itself.
        raise ConsentInputError({"source": ["Source 'gpc' only records an 'opt_out'."]})
    if action == "opt_out":
        sent = {"categories": categories, "services": services}
        if any(sent.values()):
            raise ConsentInputError(
                {
                    field: [f"'opt_out' refuses sale and sharing; it takes no {field}."]
                    for field, value in sent.items()
                    if value
                }
            )
    else:
        values = resolve_categories(site.category_names, action, categories)
        service_values = resolve_services(site.services, action, values, services)
    now = now or utcnow()
    # Stored to the millisecond, as the API writes it, so the record and the answer agree.
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)

    snapshot_id = _snapshot_for(site, choice.config_digest)
    # Taking the chain position first serialises this site's writes, on SQLite too.
    sequence, previous_mac = reserve_position(site.id)
    state = db.session.get(ConsentState, (site.id, raw_id), with_for_update=True)
    if action == "opt_out":
        decided, values, service_values, decided_at, expires_at = _opt_out(site, state, now, mode)
        gpc = gpc or source == "gpc"
        if decided and state is not None:
            # The decision it keeps was made under its own policy version.
            version = state.policy_version
    else:
        decided = action != "withdraw"
        decided_at = now if decided else None
        # A refusal is remembered too, for its own lifetime.
        refused = not any(value for name, value in values.items() if name != "essential")
        consent_days, refusal_days = site.lifetimes_in(region_of(region))
        lifetime = refusal_days if refused else consent_days
        expires_at = now + timedelta(days=lifetime) if decided else None

    event = ConsentEvent(
        site_id=site.id,
        visitor_id=raw_id,
        action=action,
        decided=decided,
        categories=values,
        services=service_values,
        policy_version=version,
        language=choice.language,
        url=clean_page_url(choice.url),
        user_agent=(choice.user_agent or None) and choice.user_agent[:512],
        ip_prefix=choice.ip_prefix,
        gpc=gpc,
        source=source,
        created_at=now,
        chosen_at=choice.chosen_at,
        consent_manager_id=(consent_manager or {}).get("id"),
        consent_manager_artifact_id=(consent_manager or {}).get("artifact_id"),
        snapshot_id=snapshot_id,
        region=region,
        mode=mode,
        sequence=sequence,
    )
    seal(event, previous_mac, secret_keys)
    db.session.add(event)
    db.session.flush()
    if state is None:
        state = ConsentState(site_id=site.id, visitor_id=raw_id)
        db.session.add(state)
    state.decided = decided
    state.categories = values
    state.services = service_values
    state.policy_version = version
    state.decided_at = decided_at
    state.expires_at = expires_at
    state.gpc = gpc
    state.region = region
    state.mode = mode
    state.last_event_id = event.id
    state.updated_at = now
    # The outbox row commits with the event, so no decision is ever lost to a crash.
    if site.webhook_endpoint_ids:
        # The profile may come from another worker's cache, older than an endpoint's removal.
        enqueue(
            active_endpoint_ids(site.id, among=site.webhook_endpoint_ids),
            event_payload(
                site.site_key,
                signed_id,
                event,
                processors_involved=bool(getattr(site, "processors_involved", False)),
            ),
            due=now,
            event_id=event.id,
        )
    decision = _decision_from_state(site, signed_id, state, now)
    if idempotency is not None:
        remember(site.id, idempotency, decision, now=now)
    db.session.commit()
    cache = state_cache()
    if cache:
        cache.forget(site.id, raw_id)
    return decision


def region_of(code: str | None) -> Region | None:
    """``US-CA`` as a :class:`~.geo.Region`; ``None`` for an unknown region."""
    if not code:
        return None
    country, _, subdivision = code.partition("-")
    return Region(country=country, subdivision=subdivision or None)


def _snapshot_for(site: SiteProfile, digest: str | None) -> int:
    """The snapshot the visitor was shown: the one the widget names, else the current one."""
    if digest and digest in site.snapshot_ids:
        return site.snapshot_ids[digest]
    if digest and digest != site.snapshot_digest:
        found = find_snapshot(site.id, digest)
        if found is not None:
            site.snapshot_ids[digest] = found
            return found
    if site.snapshot_digest not in site.snapshot_ids:
        site.snapshot_ids[site.snapshot_digest] = ensure_snapshot(
            site.id, site.snapshot_content, site.snapshot_digest
        )
    return site.snapshot_ids[site.snapshot_digest]


def read_state(site_id: int, raw_id: str) -> StateView | None:
    """The visitor's stored decision, or ``None``: one primary-key read.

    Through the lookup's own read path (:mod:`.state_reader`: autocommit, on the driver's
    cursor), or the app's engine on an in-memory database.
    """
    reader = state_reader()
    if reader is not None:
        return reader.read(site_id, raw_id)
    with db.engine.connect() as connection:
        row = connection.execute(STATE_QUERY, {"site_id": site_id, "visitor_id": raw_id}).first()
    return None if row is None else StateView(*row)


def lookup_consent(
    site: SiteProfile, *, secret_keys: Sequence[str], visitor_id: str, now: datetime | None = None
) -> Decision:
    """The visitor's decision now; raises :class:`~.signing.InvalidVisitorId` for a bad ID.

    Redis first when configured (:mod:`.cache`), else :func:`read_state`.
    """
    raw_id = verify_visitor_id(secret_keys, site.site_key, visitor_id)
    cache = state_cache()
    found, state = cache.get(site.id, raw_id) if cache else (False, None)
    if not found:
        state = read_state(site.id, raw_id)
        if cache:
            cache.put(site.id, raw_id, state)
    return _decision_from_state(site, visitor_id, state, now or utcnow())


def lookup_many(
    site: SiteProfile, *, secret_keys: Sequence[str], visitor_ids: Sequence[str]
) -> list[Decision | tuple[str, str]]:
    """Look up many visitors in one query; a bad ID yields ``(visitor_id, error)`` in its place."""
    now = utcnow()
    verified: dict[int, str] = {}
    results: list[Decision | tuple[str, str]] = []
    for index, visitor_id in enumerate(visitor_ids):
        try:
            verified[index] = verify_visitor_id(secret_keys, site.site_key, visitor_id)
        except InvalidVisitorId as error:
            verified.pop(index, None)
            results.append((visitor_id, str(error)))
            continue
        results.append((visitor_id, ""))
    states: dict[str, ConsentState] = {}
    raw_ids = sorted(set(verified.values()))
    for chunk_start in range(0, len(raw_ids), 500):
        chunk = raw_ids[chunk_start : chunk_start + 500]
        rows = db.session.execute(
            select(ConsentState).where(
                ConsentState.site_id == site.id, ConsentState.visitor_id.in_(chunk)
            )
        ).scalars()
        states.update({row.visitor_id: row for row in rows})
    for index, raw_id in verified.items():
        results[index] = _decision_from_state(site, visitor_ids[index], states.get(raw_id), now)
    return results

"""The public JSON API: recording choices and answering lookups (``/api/v1``).

The site's own servers use the token-guarded views of :mod:`cookieconsent.site_api`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from flask import Response, current_app, g, request
from flask.views import MethodView
from itsdangerous import BadSignature
from sqlalchemy.exc import IntegrityError

from .api_base import (
    ApiBlueprint,
    current_site,
    editable_site,
    lookup_response,
    require_site_token,
    secret_keys,
)
from .errors import fail
from .extensions import db, limiter
from .models import ConsentEvent, IdempotencyKey
from .schemas import (
    AllowedSchema,
    ConsentWriteSchema,
    ErasedSchema,
    ExportSchema,
    HistorySchema,
    LookupSchema,
    ReceiptCheckSchema,
    ReceiptSchema,
    ReceiptTokenSchema,
    RecordedConsentSchema,
    RegionSchema,
)
from .services.beacon import note_last_seen
from .services.consent import (
    ConsentInput,
    ConsentInputError,
    Decision,
    lookup_consent,
    record_consent,
)
from .services.geo import Region
from .services.geo import resolver as geo_resolver
from .services.idempotency import HEADER as IDEMPOTENCY_HEADER
from .services.idempotency import (
    IdempotencyKeyReused,
    IdempotentWrite,
    body_digest,
    check_key,
    stored_answer,
)
from .services.jurisdictions import resolve_mode
from .services.network import truncate_ip
from .services.rights import (
    build_receipt,
    decision_end,
    erase_visitor,
    event_view,
    export_visitor,
    open_receipt,
    sign_receipt,
    visitor_events,
)
from .services.signing import InvalidVisitorId, verify_visitor_id
from .services.sites import SiteProfile
from .texts import SUPPORTED_LANGUAGES, resolve_language

blp = ApiBlueprint(
    "api",
    __name__,
    description="Record visitors' choices and ask what they allowed.",
)


def _verified_lookup(visitor_id: str) -> Decision:
    try:
        return lookup_consent(current_site(), secret_keys=secret_keys(), visitor_id=visitor_id)
    except InvalidVisitorId as error:
        fail(400, "The visitor ID is not valid.", errors={"visitor_id": [str(error)]})


@dataclass(frozen=True)
class Jurisdiction:
    """Where the request comes from and the regime the site applies there."""

    region: Region | None
    mode: str
    rule: str


def visitor_jurisdiction(site: SiteProfile) -> Jurisdiction:
    """Region from the client address (as far as trusted proxies allow) and the site's rule."""
    region = geo_resolver().lookup(request.remote_addr)
    mode, rule = resolve_mode(site.jurisdiction_rules, region)
    return Jurisdiction(region, mode, rule)


@blp.route("/sites/<site_key>/region")
@blp.response(200, RegionSchema)
@blp.alt_response(404, description="Unknown site")
def get_region(site_key: str) -> dict[str, Any]:
    """The visitor's region and the regime this site applies there (opt-in, opt-out, notice).

    The widget asks this separately, so its own script stays one cacheable response for all.
    From one of the site's own pages, it also notes where the widget was last seen.
    """
    site = current_site()
    where = visitor_jurisdiction(site)
    if origin := g.get("cors_origin"):
        note_last_seen(site.id, origin)
        db.session.commit()
    consent_days, refusal_days = site.lifetimes_in(where.region)
    return {
        "region": where.region.code if where.region else None,
        "country": where.region.country if where.region else None,
        "mode": where.mode,
        "rule": where.rule,
        "consent_days": consent_days,
        "refusal_days": refusal_days,
    }


def _write_limit() -> str:
    return current_app.config["RATELIMIT_CONSENT_WRITES"]  # type: ignore[no-any-return]


IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": IDEMPOTENCY_HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    "description": (
        "Makes a retry safe: kept per site for 7 days, the same key with the same body gets the "
        "original answer (with Idempotent-Replayed: true) and records nothing more; the same "
        "key with another body gets 422. 1 to 255 visible ASCII characters."
    ),
}


def _idempotent_write() -> IdempotentWrite[Decision] | None:
    """The request's Idempotency-Key and body digest, or ``None`` without the header."""
    value = request.headers.get(IDEMPOTENCY_HEADER)
    if value is None:
        return None
    try:
        key = check_key(value)
    except ValueError as error:
        fail(400, "The Idempotency-Key header is not valid.", {IDEMPOTENCY_HEADER: [str(error)]})
    return IdempotentWrite(
        key=key,
        digest=body_digest(request.get_json()),
        status_code=201,
        respond=RecordedConsentSchema().dump,
    )


def _stored_answer(write: IdempotentWrite[Decision]) -> IdempotencyKey | None:
    try:
        return stored_answer(current_site().id, write.key, write.digest)
    except IdempotencyKeyReused as error:
        db.session.rollback()
        fail(422, None, {IDEMPOTENCY_HEADER: [str(error)]})


def _replay(stored: IdempotencyKey) -> Response:
    response = current_app.response_class(
        json.dumps(stored.response), status=stored.status_code, mimetype="application/json"
    )
    response.headers["Idempotent-Replayed"] = "true"
    return response


@blp.route("/sites/<site_key>/consents")
class Consents(MethodView):
    """A visitor's choices."""

    decorators: ClassVar[list[Any]] = [limiter.limit(_write_limit, methods=["POST"])]

    @blp.arguments(ConsentWriteSchema)
    @blp.response(201, RecordedConsentSchema)
    @blp.alt_response(400, description="Malformed JSON, a bad visitor ID or Idempotency-Key")
    @blp.alt_response(403, description="Origin is not one of the site's domains")
    @blp.alt_response(404, description="Unknown site")
    @blp.alt_response(413, description="Body too large")
    @blp.doc(parameters=[IDEMPOTENCY_KEY_PARAMETER])
    def post(self, payload: dict[str, Any], site_key: str) -> Decision | Response:
        """Record a choice: accept_all, reject_all, save or withdraw.

        With an Idempotency-Key, a repeat of the same body within 7 days gets the original
        answer (and the header Idempotent-Replayed: true) and records nothing more.
        """
        write = _idempotent_write()
        if write is not None:
            stored = _stored_answer(write)
            if stored is not None:
                return _replay(stored)
        if payload["source"] == "consent_manager":
            # A consent manager acts for the site's own servers (DPDP Act, s. 6(7) to 6(9)).
            require_site_token()
        gpc = bool(payload["gpc"]) or request.headers.get("Sec-GPC") == "1"
        where = visitor_jurisdiction(current_site())
        try:
            return record_consent(
                current_site(),
                ConsentInput(
                    action=payload["action"],
                    categories=payload["categories"],
                    services=payload["services"],
                    visitor_id=payload["visitor_id"],
                    policy_version=payload["policy_version"],
                    language=payload["language"],
                    url=payload["url"],
                    user_agent=request.user_agent.string,
                    ip_prefix=truncate_ip(request.remote_addr),
                    region=where.region.code if where.region else None,
                    mode=where.mode,
                    config_digest=payload["config_digest"],
                    chosen_at=payload["chosen_at"],
                    consent_manager=payload["consent_manager"],
                    gpc=gpc,
                    source=payload["source"]
                    or ("banner" if request.headers.get("Origin") else "api"),
                ),
                secret_keys=secret_keys(),
                idempotency=write,
            )
        except InvalidVisitorId as error:
            db.session.rollback()
            fail(400, "The visitor ID is not valid.", errors={"visitor_id": [str(error)]})
        except ConsentInputError as error:
            db.session.rollback()
            fail(422, None, error.errors)
        except IntegrityError:
            # A concurrent request with the same key committed first: answer as it was answered.
            db.session.rollback()
            stored = _stored_answer(write) if write is not None else None
            if stored is None:
                raise
            return _replay(stored)


@blp.route("/sites/<site_key>/consents/<visitor_id:visitor_id>")
@blp.response(200, LookupSchema)
@blp.alt_response(400, description="Malformed, tampered or other site's visitor ID")
@blp.alt_response(404, description="Unknown site")
def get_consent(site_key: str, visitor_id: str) -> Response:
    """The visitor's current decision, for tag managers."""
    return lookup_response(_verified_lookup(visitor_id))


@blp.route("/sites/<site_key>/consents/<visitor_id:visitor_id>/allowed/<category>")
@blp.response(200, AllowedSchema)
@blp.alt_response(400, description="Malformed, tampered or other site's visitor ID")
@blp.alt_response(404, description="Unknown site or category")
def get_allowed(site_key: str, visitor_id: str, category: str) -> dict[str, bool]:
    """Whether one category may fire for this visitor now."""
    decision = _verified_lookup(visitor_id)
    if category not in decision.categories:
        fail(
            404,
            f"This site has no category {category!r}.",
            errors={
                "category": [f"Unknown category. This site has: {', '.join(decision.categories)}."]
            },
        )
    return {"allowed": decision.allowed(category)}


# Visitor rights: the signed visitor ID is the credential ------------------------------------


def _visitor(visitor_id: str) -> str:
    try:
        return verify_visitor_id(secret_keys(), current_site().site_key, visitor_id)
    except InvalidVisitorId as error:
        fail(400, "The visitor ID is not valid.", errors={"visitor_id": [str(error)]})


def _language() -> str:
    site = editable_site()
    wanted = request.args.get("lang") or ""
    if found := resolve_language(wanted, SUPPORTED_LANGUAGES):
        return found
    if wanted:
        fail(422, None, {"lang": [f"Not a built-in language: {', '.join(SUPPORTED_LANGUAGES)}."]})
    return site.default_language


@blp.route("/sites/<site_key>/consents/<visitor_id:visitor_id>/history")
@blp.response(200, HistorySchema)
@blp.alt_response(400, description="Malformed, tampered or other site's visitor ID")
def get_history(site_key: str, visitor_id: str) -> dict[str, Any]:
    """Every choice the visitor made on this site, oldest first.

    Each event also says what it was and when for people, in ``?lang=`` (a built-in language,
    else the site's default): ``action_label`` and ``recorded_at_local``.
    """
    raw_id = _visitor(visitor_id)
    language = _language()
    events = visitor_events(current_site().id, raw_id)
    return {
        "visitor_id": visitor_id,
        "events": [event_view(e, personal=False, language=language) for e in events],
    }


@blp.route("/sites/<site_key>/consents/<visitor_id:visitor_id>/export")
@blp.response(200, ExportSchema)
@blp.alt_response(400, description="Malformed, tampered or other site's visitor ID")
def export_consents(site_key: str, visitor_id: str) -> Response:
    """Everything stored about the visitor, as a JSON download.

    Machine-readable fields (action codes, ISO 8601 times in UTC) with labels for people in
    ``?lang=`` (a built-in language, else the site's default): ``action_label``,
    ``recorded_at_local``, ``category_titles``; an unknown language gets 422.
    """
    raw_id = _visitor(visitor_id)
    body = export_visitor(editable_site(), raw_id, visitor_id, _language())
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/json"
    )
    response.headers["Content-Disposition"] = 'attachment; filename="consent-data.json"'
    return response


@blp.route("/sites/<site_key>/consents/<visitor_id:visitor_id>", methods=["DELETE"])
@blp.response(200, ErasedSchema)
@blp.alt_response(400, description="Malformed, tampered or other site's visitor ID")
def erase_consents(site_key: str, visitor_id: str) -> dict[str, Any]:
    """Erase: personal fields removed, events unlinked from the ID, the anonymous tally kept."""
    raw_id = _visitor(visitor_id)
    erased = erase_visitor(editable_site(), raw_id, visitor_id)
    return {"visitor_id": visitor_id, "erased_events": erased}


@blp.route("/sites/<site_key>/consents/<visitor_id:visitor_id>/receipt")
@blp.response(200, ReceiptSchema)
@blp.alt_response(404, description="No such event for this visitor")
def get_receipt(site_key: str, visitor_id: str) -> dict[str, Any]:
    """A signed receipt of the visitor's latest decision, or of ``?event=<sequence>``."""
    raw_id = _visitor(visitor_id)
    language = _language()
    event, expires_at = _receipt_event(raw_id)
    receipt = build_receipt(editable_site(), event, visitor_id, language, expires_at)
    return {"receipt": receipt, "token": sign_receipt(secret_keys(), receipt)}


def _receipt_event(raw_id: str) -> tuple[ConsentEvent, datetime | None]:
    events = visitor_events(current_site().id, raw_id)
    wanted = request.args.get("event")
    if wanted is not None:
        chosen = [event for event in events if str(event.sequence) == wanted]
        if not chosen:
            fail(404, "No such event for this visitor.", {"event": ["Unknown event."]})
        event = chosen[0]
    elif events:
        event = events[-1]
    else:
        fail(404, "This visitor has made no choice yet.", {"visitor_id": ["No events."]})
    return event, decision_end(editable_site(), event)


@blp.route("/sites/<site_key>/receipts/verify", methods=["POST"])
@blp.arguments(ReceiptTokenSchema)
@blp.response(200, ReceiptCheckSchema)
def verify_receipt(payload: dict[str, Any], site_key: str) -> dict[str, Any]:
    """Check a receipt token: issued by this service for this site, and unaltered."""
    try:
        receipt = open_receipt(secret_keys(), payload["token"])
    except BadSignature:
        return {"valid": False, "receipt": None}
    valid = str(receipt.get("record_id", "")).startswith(f"{current_site().site_key}:")
    return {"valid": valid, "receipt": receipt if valid else None}

"""The public JSON API: recording choices and answering lookups (``/api/v1``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from flask import Response, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from itsdangerous import BadSignature
from sqlalchemy.exc import IntegrityError

from .errors import fail
from .extensions import db, limiter
from .models import ConsentEvent, IdempotencyKey, PolicyVersion, Site, WebhookEndpoint
from .schemas import (
    AllowedSchema,
    BatchLookupRequestSchema,
    BatchLookupResponseSchema,
    ConsentWriteSchema,
    ErasedSchema,
    ExportSchema,
    HistorySchema,
    LookupErrorSchema,
    LookupSchema,
    PolicyVersionCreateSchema,
    PolicyVersionSchema,
    ReceiptCheckSchema,
    ReceiptSchema,
    ReceiptTokenSchema,
    RecordedConsentSchema,
    RegionSchema,
    SiteConfigSchema,
    WebhookCreatedSchema,
    WebhookCreateSchema,
    WebhookSchema,
)
from .services.consent import (
    ConsentInputError,
    Decision,
    lookup_consent,
    lookup_many,
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
from .services.network import origin_allowed, truncate_ip
from .services.policy import PolicyVersionError, publish_policy_version
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
from .services.site_config import SiteConfigError, apply_site_config, export_site_config
from .services.sites import SiteProfile, check_api_token, find_site, load_site
from .services.webhooks import WebhookError, add_endpoint, remove_endpoint
from .texts import SUPPORTED_LANGUAGES

blp = Blueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    description="Record visitors' choices and ask what they allowed.",
)

CORS_MAX_AGE = "7200"
WRITE_METHODS = frozenset({"POST", "PATCH", "DELETE"})


def _secret_keys() -> list[str]:
    return current_app.config["COOKIECONSENT_SECRET_KEYS"]  # type: ignore[no-any-return]


def _site() -> SiteProfile:
    return g.site  # type: ignore[no-any-return]


@blp.before_request
def resolve_site() -> None:
    """Resolve the site first, so an unknown key is 404 whatever else is wrong."""
    site_key = (request.view_args or {}).get("site_key")
    if site_key is None:
        return
    site = find_site(site_key)
    if site is None:
        fail(404, f"No site with key {site_key!r}.", errors={"site_key": ["Unknown site."]})
    g.site = site
    origin = request.headers.get("Origin")
    allowed = origin is not None and origin_allowed(origin, site.domains)
    if origin == "null":
        # A sandboxed frame (or a file) has an opaque origin: it proves no domain, like a server
        # sending no Origin at all, and is answered as one. It can only create a new visitor or
        # act for a signed visitor ID it already holds, so it gains nothing over a server.
        allowed = True
    g.cors_origin = origin if allowed else None
    if request.method in WRITE_METHODS and origin is not None and not allowed:
        fail(
            403,
            "This origin is not one of the site's domains.",
            errors={"origin": [f"{origin!r} is not allowed for this site."]},
        )
    if request.method == "POST":
        limit = current_app.config[
            "COOKIECONSENT_MAX_BATCH_BYTES"
            if request.endpoint == "api.batch_lookup"
            else "COOKIECONSENT_MAX_WRITE_BYTES"
        ]
        request.max_content_length = limit
        if request.content_length is not None and request.content_length > limit:
            fail(
                413,
                f"The body is larger than {limit} bytes.",
                errors={"body": [f"At most {limit} bytes."]},
            )
    # A body that is not JSON would otherwise read as an empty object: a PATCH that did nothing.
    if request.method in {"POST", "PATCH"} and not request.is_json:
        fail(
            415,
            "Send the body as JSON.",
            errors={"content_type": ["Must be application/json."]},
        )


@blp.after_request
def add_cors_and_caching(response: Response) -> Response:
    """Open CORS to the site's own domains only; make lookups conditional."""
    response.vary.add("Origin")
    origin = g.get("cors_origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = (
                f"Content-Type, Authorization, {IDEMPOTENCY_HEADER}"
            )
            response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
    if request.endpoint == "api.get_region":
        # Private to the visitor's address; an hour spares repeat lookups on every page.
        response.headers["Cache-Control"] = "private, max-age=3600"
    elif request.method == "GET" and response.status_code == 200:
        response.headers["Cache-Control"] = "private, no-cache"
        response.add_etag()
        response.make_conditional(request)
    elif request.method == "POST":
        response.headers["Cache-Control"] = "no-store"
    return response


def _verified_lookup(visitor_id: str) -> Decision:
    try:
        return lookup_consent(_site(), secret_keys=_secret_keys(), visitor_id=visitor_id)
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
    """
    where = visitor_jurisdiction(_site())
    return {
        "region": where.region.code if where.region else None,
        "country": where.region.country if where.region else None,
        "mode": where.mode,
        "rule": where.rule,
    }


def _lookup_view(decision: Decision) -> dict[str, Any]:
    return {
        "visitor_id": decision.visitor_id,
        "decided": decision.decided,
        "categories": decision.categories,
        "policy_version": decision.policy_version,
        "decided_at": decision.decided_at,
        "expires_at": decision.expires_at,
        "gpc": decision.gpc,
        "services": decision.services,
        "google_consent_mode": decision.google_consent_mode,
        "segment": decision.segment,
        "tealium": decision.tealium,
        "region": decision.region,
        "mode": decision.mode,
        "recorded_at": decision.recorded_at,
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
        return stored_answer(_site().id, write.key, write.digest)
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
        gpc = bool(payload["gpc"]) or request.headers.get("Sec-GPC") == "1"
        where = visitor_jurisdiction(_site())
        try:
            return record_consent(
                _site(),
                secret_keys=_secret_keys(),
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
                gpc=gpc,
                source=payload["source"] or ("banner" if request.headers.get("Origin") else "api"),
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


@blp.route("/sites/<site_key>/consents/<visitor_id>")
@blp.response(200, LookupSchema)
@blp.alt_response(400, description="Malformed, tampered or other site's visitor ID")
@blp.alt_response(404, description="Unknown site")
def get_consent(site_key: str, visitor_id: str) -> dict[str, Any]:
    """The visitor's current decision, for tag managers."""
    return _lookup_view(_verified_lookup(visitor_id))


@blp.route("/sites/<site_key>/consents/<visitor_id>/allowed/<category>")
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


@blp.route("/sites/<site_key>/consents/lookup", methods=["POST"])
@blp.arguments(BatchLookupRequestSchema)
@blp.response(200, BatchLookupResponseSchema)
@blp.alt_response(401, description="Missing or wrong API token")
@blp.doc(security=[{"bearerAuth": []}])
def batch_lookup(payload: dict[str, Any], site_key: str) -> dict[str, Any]:
    """Look up to 1000 visitors at once, for server-side pipelines."""
    results = []
    for entry in lookup_many(
        _site(), secret_keys=_secret_keys(), visitor_ids=payload["visitor_ids"]
    ):
        if isinstance(entry, Decision):
            results.append(LookupSchema().dump(_lookup_view(entry)))
        else:
            results.append(LookupErrorSchema().dump({"visitor_id": entry[0], "error": entry[1]}))
    return {"results": results}


TOKEN_ENDPOINTS = frozenset(
    {
        "api.batch_lookup",
        "api.SiteConfig",
        "api.Webhooks",
        "api.delete_webhook",
        "api.PolicyVersions",
    }
)


@blp.before_request
def require_token() -> None:
    """Batch lookups and site settings are for the site's own servers: they need the API token."""
    if request.endpoint not in TOKEN_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if (
        scheme.lower() != "bearer"
        or not token.strip()
        or not check_api_token(_site(), token.strip())
    ):
        fail(
            401,
            "Send the site's API token as 'Authorization: Bearer <token>'.",
            errors={"authorization": ["Missing or wrong API token."]},
            headers={"WWW-Authenticate": 'Bearer realm="cookieconsent"'},
        )


def _editable_site() -> Site:
    site = load_site(_site().site_key)
    if site is None:  # deleted between the two reads
        fail(404, "No such site.", errors={"site_key": ["Unknown site."]})
    return site


@blp.route("/sites/<site_key>/config")
class SiteConfig(MethodView):
    """The site's banner configuration: categories, services, texts, Consent Mode options."""

    @blp.response(200, SiteConfigSchema)
    @blp.alt_response(401, description="Missing or wrong API token")
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, site_key: str) -> dict[str, Any]:
        """The whole configuration."""
        return export_site_config(_editable_site())

    @blp.arguments(SiteConfigSchema)
    @blp.response(200, SiteConfigSchema)
    @blp.alt_response(401, description="Missing or wrong API token")
    @blp.doc(security=[{"bearerAuth": []}])
    def patch(self, payload: dict[str, Any], site_key: str) -> dict[str, Any]:
        """Change the top-level keys sent; all of it is checked before anything changes."""
        site = _editable_site()
        try:
            apply_site_config(site, payload)
        except SiteConfigError as error:
            db.session.rollback()
            fail(422, None, error.errors)
        return export_site_config(site)


@blp.route("/sites/<site_key>/webhooks")
class Webhooks(MethodView):
    """URLs that receive every decision change, signed."""

    @blp.response(200, WebhookSchema(many=True))
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, site_key: str) -> list[WebhookEndpoint]:
        """The registered webhooks."""
        return list(_editable_site().webhooks)

    @blp.arguments(WebhookCreateSchema)
    @blp.response(201, WebhookCreatedSchema)
    @blp.doc(security=[{"bearerAuth": []}])
    def post(self, payload: dict[str, Any], site_key: str) -> WebhookEndpoint:
        """Register a URL; the answer holds its signing secret, shown this once."""
        try:
            return add_endpoint(_editable_site(), payload["url"])
        except WebhookError as error:
            fail(422, None, {"url": [str(error)]})


@blp.route("/sites/<site_key>/webhooks/<int:webhook_id>", methods=["DELETE"])
@blp.response(204)
@blp.doc(security=[{"bearerAuth": []}])
def delete_webhook(site_key: str, webhook_id: int) -> None:
    """Stop sending to a webhook; its pending deliveries are dropped."""
    if not remove_endpoint(_editable_site(), webhook_id):
        fail(404, "No such webhook.", errors={"webhook_id": ["Unknown webhook for this site."]})


@blp.route("/sites/<site_key>/policy-versions")
class PolicyVersions(MethodView):
    """The privacy policy's published versions; a new major one asks every visitor again."""

    @blp.response(200, PolicyVersionSchema(many=True))
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, site_key: str) -> list[PolicyVersion]:
        """Every published version, oldest first."""
        return list(_editable_site().policy_versions)

    @blp.arguments(PolicyVersionCreateSchema)
    @blp.response(201, PolicyVersionSchema)
    @blp.alt_response(409, description="The version does not come after the latest one")
    @blp.doc(security=[{"bearerAuth": []}])
    def post(self, payload: dict[str, Any], site_key: str) -> PolicyVersion:
        """Publish a version with a summary of what changed and when it takes effect."""
        try:
            return publish_policy_version(
                _editable_site(),
                payload["version"],
                summary=payload["summary"],
                effective_at=payload["effective_at"],
            )
        except PolicyVersionError as error:
            db.session.rollback()
            status = 409 if error.kind == "backwards" else 422
            fail(status, str(error), {"version": [str(error)]})


# Visitor rights: the signed visitor ID is the credential ------------------------------------


def _visitor(visitor_id: str) -> str:
    try:
        return verify_visitor_id(_secret_keys(), _site().site_key, visitor_id)
    except InvalidVisitorId as error:
        fail(400, "The visitor ID is not valid.", errors={"visitor_id": [str(error)]})


def _language() -> str:
    site = _editable_site()
    wanted = (request.args.get("lang") or "").lower()
    for candidate in (wanted, wanted.split("-")[0]):
        if candidate in SUPPORTED_LANGUAGES:
            return candidate
    if wanted:
        fail(422, None, {"lang": [f"Not a built-in language: {', '.join(SUPPORTED_LANGUAGES)}."]})
    return site.default_language


@blp.route("/sites/<site_key>/consents/<visitor_id>/history")
@blp.response(200, HistorySchema)
@blp.alt_response(400, description="Malformed, tampered or other site's visitor ID")
def get_history(site_key: str, visitor_id: str) -> dict[str, Any]:
    """Every choice the visitor made on this site, oldest first."""
    raw_id = _visitor(visitor_id)
    events = visitor_events(_site().id, raw_id)
    return {"visitor_id": visitor_id, "events": [event_view(e, personal=False) for e in events]}


@blp.route("/sites/<site_key>/consents/<visitor_id>/export")
@blp.response(200, ExportSchema)
@blp.alt_response(400, description="Malformed, tampered or other site's visitor ID")
def export_consents(site_key: str, visitor_id: str) -> Response:
    """Everything stored about the visitor, as a JSON download."""
    raw_id = _visitor(visitor_id)
    body = export_visitor(_editable_site(), raw_id, visitor_id)
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/json"
    )
    response.headers["Content-Disposition"] = 'attachment; filename="consent-data.json"'
    return response


@blp.route("/sites/<site_key>/consents/<visitor_id>", methods=["DELETE"])
@blp.response(200, ErasedSchema)
@blp.alt_response(400, description="Malformed, tampered or other site's visitor ID")
def erase_consents(site_key: str, visitor_id: str) -> dict[str, Any]:
    """Erase: personal fields removed, events unlinked from the ID, the anonymous tally kept."""
    raw_id = _visitor(visitor_id)
    erased = erase_visitor(_editable_site(), raw_id)
    return {"visitor_id": visitor_id, "erased_events": erased}


@blp.route("/sites/<site_key>/consents/<visitor_id>/receipt")
@blp.response(200, ReceiptSchema)
@blp.alt_response(404, description="No such event for this visitor")
def get_receipt(site_key: str, visitor_id: str) -> dict[str, Any]:
    """A signed receipt of the visitor's latest decision, or of ``?event=<sequence>``."""
    raw_id = _visitor(visitor_id)
    language = _language()
    event, expires_at = _receipt_event(raw_id)
    receipt = build_receipt(_editable_site(), event, visitor_id, language, expires_at)
    return {"receipt": receipt, "token": sign_receipt(_secret_keys(), receipt)}


def _receipt_event(raw_id: str) -> tuple[ConsentEvent, datetime | None]:
    events = visitor_events(_site().id, raw_id)
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
    return event, decision_end(_editable_site(), event)


@blp.route("/sites/<site_key>/receipts/verify", methods=["POST"])
@blp.arguments(ReceiptTokenSchema)
@blp.response(200, ReceiptCheckSchema)
def verify_receipt(payload: dict[str, Any], site_key: str) -> dict[str, Any]:
    """Check a receipt token: issued by this service for this site, and unaltered."""
    try:
        receipt = open_receipt(_secret_keys(), payload["token"])
    except BadSignature:
        return {"valid": False, "receipt": None}
    valid = str(receipt.get("record_id", "")).startswith(f"{_site().site_key}:")
    return {"valid": valid, "receipt": receipt if valid else None}

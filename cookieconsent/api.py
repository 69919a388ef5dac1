"""The public JSON API: recording choices and answering lookups (``/api/v1``)."""

from __future__ import annotations

from typing import Any, ClassVar

from flask import Response, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from .errors import fail
from .extensions import db, limiter
from .models import Site, WebhookEndpoint
from .schemas import (
    AllowedSchema,
    BatchLookupRequestSchema,
    BatchLookupResponseSchema,
    ConsentWriteSchema,
    LookupErrorSchema,
    LookupSchema,
    RecordedConsentSchema,
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
from .services.network import origin_allowed, truncate_ip
from .services.signing import InvalidVisitorId
from .services.site_config import SiteConfigError, apply_site_config, export_site_config
from .services.sites import SiteProfile, check_api_token, find_site, load_site
from .services.webhooks import WebhookError, add_endpoint, remove_endpoint

blp = Blueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    description="Record visitors' choices and ask what they allowed.",
)

CORS_MAX_AGE = "7200"


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
    g.cors_origin = origin if allowed else None
    if request.method == "POST" and origin is not None and not allowed:
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
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization"
            response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
    if request.method == "GET" and response.status_code == 200:
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
    }


def _write_limit() -> str:
    return current_app.config["RATELIMIT_CONSENT_WRITES"]  # type: ignore[no-any-return]


@blp.route("/sites/<site_key>/consents")
class Consents(MethodView):
    """A visitor's choices."""

    decorators: ClassVar[list[Any]] = [limiter.limit(_write_limit, methods=["POST"])]

    @blp.arguments(ConsentWriteSchema)
    @blp.response(201, RecordedConsentSchema)
    @blp.alt_response(400, description="Malformed JSON, or a bad visitor ID")
    @blp.alt_response(403, description="Origin is not one of the site's domains")
    @blp.alt_response(404, description="Unknown site")
    @blp.alt_response(413, description="Body too large")
    def post(self, payload: dict[str, Any], site_key: str) -> Decision:
        """Record a choice: accept_all, reject_all, save or withdraw."""
        gpc = bool(payload["gpc"]) or request.headers.get("Sec-GPC") == "1"
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
                gpc=gpc,
                source=payload["source"] or ("banner" if request.headers.get("Origin") else "api"),
            )
        except InvalidVisitorId as error:
            fail(400, "The visitor ID is not valid.", errors={"visitor_id": [str(error)]})
        except ConsentInputError as error:
            fail(422, None, error.errors)


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
    {"api.batch_lookup", "api.SiteConfig", "api.Webhooks", "api.delete_webhook"}
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

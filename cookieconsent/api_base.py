"""What the two API blueprints share: the site from the path, request checks, CORS, caching.

``/api/v1`` is served by two blueprints. The public one (``api``) answers browsers and tag
managers; the site's own servers use the other (``site_api``), on which every request needs the
site's API token before anything else about it is read. Each is an :class:`ApiBlueprint` that
installs its hooks when it is created, so a view added to it is checked like the others.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_smorest import Api, Blueprint
from werkzeug.routing import BaseConverter

from .apidoc import ProblemDocPlugin, string_constraints
from .errors import fail
from .inputs import (
    BoundedIntegerConverter,
    BoundedJSONParser,
    BoundedJSONRequest,
    check_request_values,
    integer_converter_schema,
)
from .models import Site, iso_utc
from .schemas import GoogleConsentModeSchema, LookupErrorSchema
from .services.consent import Decision
from .services.idempotency import HEADER as IDEMPOTENCY_HEADER
from .services.network import origin_allowed
from .services.sites import SiteProfile, check_api_token, find_site, load_site

CORS_MAX_AGE = "7200"
# The Consent Mode signals in the order the schema writes them.
GOOGLE_SIGNAL_ORDER = tuple(GoogleConsentModeSchema().fields)
# What signing produces: URL-safe base64 of the random ID, a dot, URL-safe base64 of the MAC.
VISITOR_ID_PATTERN = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
WRITE_METHODS = frozenset({"POST", "PATCH", "DELETE"})
# Views whose POST body may be as large as a batch of visitor IDs; others take a few fields.
LARGE_BODY = "cookieconsent_large_body"


class VisitorIdConverter(BaseConverter):
    """A signed visitor ID in a path; never ``lookup``, which names the batch lookup.

    Without it ``GET …/consents/lookup`` would read "lookup" as a visitor ID (a 400) instead of
    answering 405, and OPTIONS would offer GET and DELETE where only POST is served.
    """

    regex = r"(?!lookup\Z)[^/]+"


def visitor_id_schema(converter: VisitorIdConverter) -> dict[str, Any]:
    """How a visitor ID path parameter appears in OpenAPI."""
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": 128,
        "pattern": VISITOR_ID_PATTERN,
        "description": "A signed visitor ID, as a consent write answered it.",
    }


class ApiBlueprint(Blueprint):  # type: ignore[misc]
    """A flask-smorest blueprint under ``/api/v1`` whose hooks every view passes through.

    ``token=True`` puts every view behind the site's API token, by construction: the check is
    the blueprint's own request hook, run right after the site is found.
    """

    ARGUMENTS_PARSER = BoundedJSONParser()

    def __init__(self, name: str, import_name: str, *, token: bool = False, **kwargs: Any):
        super().__init__(name, import_name, url_prefix="/api/v1", **kwargs)
        self.requires_token = token
        self.before_request(resolve_site)
        if token:
            self.before_request(require_site_token)
        self.before_request(check_request)
        self.after_request(add_cors_and_caching)


def large_body(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let a POST view take bodies up to ``COOKIECONSENT_MAX_BATCH_BYTES``."""
    setattr(view, LARGE_BODY, True)
    return view


def current_site() -> SiteProfile:
    """The site named in the path (resolved before the view runs)."""
    return g.site  # type: ignore[no-any-return]


def secret_keys() -> list[str]:
    """The signing keys, oldest first."""
    return current_app.config["COOKIECONSENT_SECRET_KEYS"]  # type: ignore[no-any-return]


def editable_site() -> Site:
    """The site named in the path, as a database row to read fully or change."""
    site = load_site(current_site().site_key)
    if site is None:  # deleted between the two reads
        fail(404, "No such site.", errors={"site_key": ["Unknown site."]})
    return site


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


def require_site_token() -> None:
    """Batch lookups and site settings are for the site's own servers: they need the API token."""
    if request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    site = g.get("site")
    if (
        site is None
        or scheme.lower() != "bearer"
        or not token.strip()
        or not check_api_token(site, token.strip())
    ):
        fail(
            401,
            "Send the site's API token as 'Authorization: Bearer <token>'.",
            errors={"authorization": ["Missing or wrong API token."]},
            headers={"WWW-Authenticate": 'Bearer realm="cookieconsent"'},
        )


def check_request() -> None:
    """Refuse a write from a foreign origin, a body too large, or a body that is not JSON."""
    if g.get("site") is None:
        return
    origin = request.headers.get("Origin")
    if request.method in WRITE_METHODS and origin is not None and g.get("cors_origin") is None:
        fail(
            403,
            "This origin is not one of the site's domains.",
            errors={"origin": [f"{origin!r} is not allowed for this site."]},
        )
    if request.method == "POST":
        view = current_app.view_functions.get(request.endpoint or "")
        limit = current_app.config[
            "COOKIECONSENT_MAX_BATCH_BYTES"
            if getattr(view, LARGE_BODY, False)
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


def add_cors_and_caching(response: Response) -> Response:
    """Open CORS to the site's own domains only; make lookups conditional."""
    if "Vary" in response.headers:
        response.vary.add("Origin")
    else:
        response.headers["Vary"] = "Origin"
    origin = g.get("cors_origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = (
                f"Content-Type, Authorization, {IDEMPOTENCY_HEADER}"
            )
            response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
    if request.endpoint == "api.get_region" and response.status_code == 200:
        # Private to the visitor's address; an hour spares repeat lookups on every page. An
        # error (a 503 during an outage, a 404) is never kept: the next page asks again.
        response.headers["Cache-Control"] = "private, max-age=3600"
    elif request.endpoint == "api.get_region":
        response.headers["Cache-Control"] = "no-store"
    elif request.method == "GET" and response.status_code == 200 and "ETag" not in response.headers:
        # The lookup is conditional on its own (lookup_response); the other reads here.
        response.headers["Cache-Control"] = "private, no-cache"
        response.add_etag()
        response.make_conditional(request)
    elif request.method == "POST":
        response.headers["Cache-Control"] = "no-store"
    return response


def lookup_view(decision: Decision) -> dict[str, Any]:
    """A decision as the lookup endpoints answer it."""
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


def lookup_document(decision: Decision) -> dict[str, Any]:
    """:func:`lookup_view` as :class:`~.schemas.LookupSchema` dumps it, built directly.

    The lookup is on the critical path of every page view of every site: this skips
    marshmallow's per-field work (tests/test_lookup_path.py holds the two equal, key order
    included). Times are ISO 8601 UTC with a ``Z``, to the millisecond (:func:`~.models.iso_utc`).
    """
    categories = decision.categories
    google = decision.google_consent_mode
    return {
        "visitor_id": decision.visitor_id,
        "decided": decision.decided,
        "categories": dict(categories),
        "services": dict(decision.services),
        "policy_version": decision.policy_version,
        "decided_at": iso_utc(decision.decided_at),
        "expires_at": iso_utc(decision.expires_at),
        "gpc": decision.gpc,
        "google_consent_mode": {signal: google[signal] for signal in GOOGLE_SIGNAL_ORDER},
        "segment": {"categoryPreferences": dict(categories)},
        "region": decision.region,
        "mode": decision.mode,
        "tealium": {"consent_categories": [name for name, on in categories.items() if on]},
        "recorded_at": iso_utc(decision.recorded_at),
    }


def lookup_response(decision: Decision) -> Response:
    """The lookup's answer, conditional on its own: 200 with JSON and a strong ETag (the body's
    SHA-1, as werkzeug makes them), or 304 when ``If-None-Match`` names it.

    Headers are set directly, not parsed and rebuilt: this is the hottest path of the service
    (:func:`add_cors_and_caching` leaves a response with an ETag as it is).
    """
    # As jsonify writes it outside debug mode: compact, one trailing newline.
    body = (
        json.dumps(lookup_document(decision), separators=(",", ":"), ensure_ascii=True) + "\n"
    ).encode()
    etag = hashlib.sha1(body, usedforsecurity=False).hexdigest()
    # Weak comparison (RFC 9110, 13.1.2): a proxy that gzips the answer makes the ETag weak.
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = Response(body, mimetype="application/json")
    response.headers["ETag"] = f'"{etag}"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def init_api(app: Flask) -> Api:
    """Attach the JSON API: its blueprints, bounded input parsing and the OpenAPI description."""
    from .api import blp as public_blueprint
    from .errors import ProblemApi
    from .meta import blp as meta_blueprint
    from .requests_api import blp as requests_blueprint
    from .site_api import blp as site_blueprint

    app.request_class = BoundedJSONRequest
    # Every <int:…> in a path is an ID in a 64-bit column: a longer one is refused, not
    # overflowed into the database driver.
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.url_map.converters["visitor_id"] = VisitorIdConverter
    app.url_value_preprocessor(check_request_values)
    api = ProblemApi(
        app,
        spec_kwargs={
            "info": {"description": "Consent records and lookups for cookieconsent sites."},
            "extra_plugins": [ProblemDocPlugin()],
        },
    )
    api.register_converter(BoundedIntegerConverter, integer_converter_schema)
    api.register_converter(VisitorIdConverter, visitor_id_schema)
    api.ma_plugin.converter.add_attribute_function(string_constraints)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    # Named in the batch lookup's oneOf, which a marshmallow field cannot reference itself.
    api.spec.components.schema("LookupError", schema=LookupErrorSchema)
    app.extensions["cookieconsent.api"] = api
    api.register_blueprint(public_blueprint)
    api.register_blueprint(requests_blueprint)
    api.register_blueprint(site_blueprint)
    api.register_blueprint(meta_blueprint)
    from .admin_api import blp as admin_blueprint

    api.register_blueprint(admin_blueprint)
    return api

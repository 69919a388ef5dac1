"""The public API for data subject requests: ``POST /api/v1/sites/{site_key}/requests``.

A visitor (through the widget, the public page ``/c/{site_key}/requests``, or the site's own
form) files a request and gets its reference and deadlines. Same rules as the consent write:
CORS and Origin limited to the site's domains, bodies as JSON, rate-limited; a signed visitor
ID, when sent, must verify (tampered: 400).
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from .api import visitor_jurisdiction
from .api_base import VISITOR_ID_PATTERN, ApiBlueprint, current_site, editable_site, secret_keys
from .errors import fail
from .extensions import db, limiter
from .schemas import LANGUAGE_TAG, UTCTimestamp
from .services.deadlines import LAWS
from .services.signing import InvalidVisitorId, verify_visitor_id
from .services.subject_requests import (
    DETAILS_LIMIT,
    KINDS,
    Filing,
    effective_due,
    file_request,
)
from .services.validation import InvalidInput
from .texts import SUPPORTED_LANGUAGES, resolve_language

blp = ApiBlueprint(
    "requests_api",
    __name__,
    description="Data subject requests: access, correction, deletion, withdrawal, restriction, "
    "objection, with their legal deadlines.",
)


class RequestCreateSchema(Schema):
    """A visitor's request about their data."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    visitor_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=[
            validate.Length(max=128),
            validate.Regexp(VISITOR_ID_PATTERN, error="Not a signed visitor ID."),
        ],
        metadata={"description": "The visitor's signed ID, if they have one: it identifies them."},
    )
    email = fields.Email(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=254),
        metadata={"description": "Where the answer goes; kept with the request only."},
    )
    details = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=DETAILS_LIMIT)
    )
    language = fields.String(
        load_default=None,
        allow_none=True,
        validate=[
            validate.Regexp(LANGUAGE_TAG, error="Not a language tag such as 'vi' or 'en-US'."),
            validate.Length(max=35),
        ],
        metadata={"description": "The visitor's language; the site's default when omitted."},
    )


class RequestReceiptSchema(Schema):
    """The request as filed: its reference and deadlines."""

    reference = fields.String(metadata={"description": "DSR- and 16 base32 characters."})
    kind = fields.String(metadata={"description": ", ".join(KINDS)})
    status = fields.String(metadata={"description": "received"})
    received_at = UTCTimestamp()
    acknowledge_by = UTCTimestamp(
        metadata={"description": "End of the 2nd Vietnamese working day after receipt."}
    )
    due_by = UTCTimestamp(metadata={"description": "When it must be completed."})
    law = fields.String(metadata={"description": f"Whose deadlines: {', '.join(LAWS)}."})


def request_language(wanted: str | None, default: str) -> str:
    """A built-in language for the request: ``wanted`` or its nearest catalog, else
    ``default`` (see :func:`cookieconsent.texts.resolve_language`)."""
    return resolve_language(wanted, SUPPORTED_LANGUAGES) or default


def _limit() -> str:
    """Requests a client address may file (``COOKIECONSENT_RATELIMIT_REQUESTS``)."""
    return current_app.config["RATELIMIT_REQUESTS"]  # type: ignore[no-any-return]


def receipt_view(request: Any) -> dict[str, Any]:
    """A request as :class:`RequestReceiptSchema` shows it."""
    return {
        "reference": request.reference,
        "kind": request.kind,
        "status": request.status,
        "received_at": request.received_at,
        "acknowledge_by": request.acknowledge_by,
        "due_by": effective_due(request),
        "law": request.law,
    }


@blp.route("/sites/<site_key>/requests")
class Requests(MethodView):
    """A visitor's requests about their data."""

    decorators: ClassVar[list[Any]] = [limiter.limit(_limit, methods=["POST"])]

    @blp.arguments(RequestCreateSchema)
    @blp.response(201, RequestReceiptSchema)
    @blp.alt_response(400, description="Malformed JSON or a tampered visitor ID")
    @blp.alt_response(403, description="Origin is not one of the site's domains")
    @blp.alt_response(404, description="Unknown site")
    @blp.alt_response(413, description="Body too large")
    def post(self, payload: dict[str, Any], site_key: str) -> dict[str, Any]:
        """File a request; the answer holds its reference and its deadlines.

        Acknowledged by the end of the 2nd Vietnamese working day; completed within 15 days
        (20 with processors) under Decree 356/2025/ND-CP, one month under the GDPR, 45 days in
        the US: the law of the region the request comes from, Vietnam's when it is unknown.
        """
        raw_id = None
        if payload["visitor_id"]:
            try:
                raw_id = verify_visitor_id(
                    secret_keys(), current_site().site_key, payload["visitor_id"]
                )
            except InvalidVisitorId as error:
                fail(400, "The visitor ID is not valid.", errors={"visitor_id": [str(error)]})
        where = visitor_jurisdiction(current_site())
        site = editable_site()
        filing = Filing(
            kind=payload["kind"],
            language=request_language(payload["language"], site.default_language),
            visitor_id=raw_id,
            email=payload["email"],
            details=payload["details"],
            region=where.region.code if where.region else None,
        )
        try:
            filed = file_request(site, filing)
        except InvalidInput as error:
            db.session.rollback()
            fail(422, None, error.errors)
        db.session.commit()
        return receipt_view(filed)

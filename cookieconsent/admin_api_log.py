"""The console's API for the consent log: search it page by page, export it, open a visitor.

Every operation here sits on :data:`cookieconsent.admin_api.blp` and declares its permission
with :func:`~cookieconsent.admin_api.requires` (``search_log`` to read, ``export_log`` to
export); the blueprint's hook answers 404 to a non-member and 403 to a role without it. A bad
filter answers 422 naming the field; a cursor or visitor ID this service did not issue for the
site answers 400 naming ``cursor`` or ``visitor_id``.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Response, request, stream_with_context
from marshmallow import Schema, fields, validate

from .admin_api import BEARER, admin_site, admin_user, blp, requires
from .errors import fail
from .models import utcnow
from .schemas import UTCTimestamp
from .services.consent import ACTIONS, SOURCES
from .services.consent_log import (
    CATEGORY_PATTERN,
    DEFAULT_LIMIT,
    EXPORT_FORMATS,
    LANGUAGE_PATTERN,
    MAX_LIMIT,
    MOMENT_PATTERN,
    REGION_PATTERN,
    LogSearchError,
    entry_view,
    export_filename,
    export_log,
    parse_filters,
    search_log,
    visitor_detail,
)

EXPORT_MIMETYPES = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}

# Schemas ---------------------------------------------------------------------------------------


class LogFilterSchema(Schema):
    """What a log search looks for; the filters combine (AND)."""

    visitor_id = fields.String(
        validate=validate.Length(min=1, max=128),
        metadata={"description": "A visitor ID as the visitor or a receipt shows it, or raw."},
    )
    from_ = fields.String(
        data_key="from",
        validate=[
            validate.Length(min=1, max=40),
            validate.Regexp(
                MOMENT_PATTERN,
                error="Not a date (2026-01-31) or a time (2026-01-31T08:00:00Z) in UTC.",
            ),
        ],
        metadata={"description": "From this UTC date (2026-01-31) or time, inclusive."},
    )
    to = fields.String(
        validate=[
            validate.Length(min=1, max=40),
            validate.Regexp(
                MOMENT_PATTERN,
                error="Not a date (2026-01-31) or a time (2026-01-31T08:00:00Z) in UTC.",
            ),
        ],
        metadata={"description": "Up to this UTC date (the whole day) or time, inclusive."},
    )
    action = fields.String(validate=validate.OneOf(ACTIONS))
    category = fields.List(
        fields.String(
            validate=[
                validate.Length(min=1, max=60),
                validate.Regexp(
                    CATEGORY_PATTERN, error="Write a category and a value, such as analytics=true."
                ),
            ]
        ),
        validate=validate.Length(max=20),
        metadata={"description": "A category's value, such as analytics=true; repeatable."},
    )
    region = fields.String(
        validate=[
            validate.Length(min=1, max=16),
            validate.Regexp(REGION_PATTERN, error="Not a region code such as VN, DE or US-CA."),
        ],
        metadata={"description": "VN, DE, US-CA …"},
    )
    language = fields.String(
        validate=[
            validate.Length(min=1, max=35),
            validate.Regexp(LANGUAGE_PATTERN, error="Not a language tag such as 'vi' or 'en-US'."),
        ]
    )
    source = fields.String(validate=validate.OneOf(SOURCES))


class LogQuerySchema(LogFilterSchema):
    """A page of a search: the filters, the cursor of the page and its size."""

    cursor = fields.String(
        validate=validate.Length(min=1, max=512),
        metadata={"description": "next_cursor of the page before; absent for the newest."},
    )
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT)
    )


class LogExportQuerySchema(LogFilterSchema):
    """An export of a search: the filters and the format."""

    format = fields.String(required=True, validate=validate.OneOf(EXPORT_FORMATS))


class LogEntrySchema(Schema):
    """One recorded choice."""

    sequence = fields.Integer(
        allow_none=True, metadata={"description": "Its position in the site's sealed chain."}
    )
    recorded_at = fields.String(
        metadata={"description": "ISO 8601 in UTC, to the millisecond", "format": "date-time"}
    )
    visitor_id = fields.String(
        allow_none=True, metadata={"description": "The signed visitor ID; null once erased."}
    )
    action = fields.String()
    decided = fields.Boolean()
    categories = fields.Dict(keys=fields.String(), values=fields.Boolean())
    services = fields.Dict(keys=fields.String(), values=fields.Boolean())
    policy_version = fields.String()
    region = fields.String(allow_none=True)
    mode = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    source = fields.String(metadata={"description": "banner, api or gpc"})
    gpc = fields.Boolean()
    url = fields.String(allow_none=True, metadata={"description": "The page, without its query."})
    receipt_url = fields.String(
        allow_none=True, metadata={"description": "The printable receipt of this choice."}
    )


class LogPageSchema(Schema):
    """A page of the log, newest first."""

    items = fields.List(fields.Nested(LogEntrySchema))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "Pass as ?cursor= for older ones; null at end."}
    )


class VisitorSchema(Schema):
    """A visitor: their current decision and every choice, oldest first."""

    visitor_id = fields.String()
    decided = fields.Boolean()
    categories = fields.Dict(keys=fields.String(), values=fields.Boolean())
    policy_version = fields.String(allow_none=True)
    decided_at = UTCTimestamp(allow_none=True)
    expires_at = UTCTimestamp(allow_none=True)
    receipt_url = fields.String(allow_none=True)
    events = fields.List(fields.Nested(LogEntrySchema))


# Views -----------------------------------------------------------------------------------------


def refused(error: LogSearchError) -> NoReturn:
    """A search the log cannot run, as 400 or 422 naming the field."""
    fail(error.status, None, error.errors)


def exported_by() -> str:
    """Who is exporting, for the audit line."""
    user = admin_user()
    return f"user {user.id} <{user.email}> with a personal API token"


@blp.route("/sites/<site_key>/log")
@requires("search_log")
@blp.arguments(LogQuerySchema, location="query")
@blp.response(200, LogPageSchema)
@blp.alt_response(400, description="A cursor or visitor ID not issued for this site")
@blp.doc(security=BEARER)
def search_site_log(query: dict[str, Any], site_key: str) -> dict[str, Any]:
    """A page of the consent log, newest first; follow ``next_cursor`` for older ones."""
    site, _role = admin_site(site_key, "search_log")
    try:
        page = search_log(site, parse_filters(request.args), query.get("cursor"), query["limit"])
    except LogSearchError as error:
        refused(error)
    return {
        "items": [entry_view(entry, request.host_url) for entry in page.items],
        "next_cursor": page.next_cursor,
    }


@blp.route("/sites/<site_key>/log/export")
@requires("export_log")
@blp.arguments(LogExportQuerySchema, location="query")
@blp.response(200, description="The search as CSV (with a BOM) or NDJSON, streamed")
@blp.alt_response(400, description="A visitor ID not issued for this site")
@blp.doc(
    security=BEARER,
    responses={
        "200": {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            }
        }
    },
)
def export_site_log(query: dict[str, Any], site_key: str) -> Response:
    """Every event of the search, newest first, as a download; the export is audited."""
    site, _role = admin_site(site_key, "export_log")
    export_format = query["format"]
    try:
        chunks = export_log(
            site,
            parse_filters(request.args),
            export_format,
            exported_by=exported_by(),
            base_url=request.host_url,
        )
    except LogSearchError as error:
        refused(error)
    response = Response(stream_with_context(chunks), mimetype=EXPORT_MIMETYPES[export_format])
    filename = export_filename(site, export_format, utcnow())
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/sites/<site_key>/visitors/<visitor_id>")
@requires("search_log")
@blp.response(200, VisitorSchema)
@blp.alt_response(400, description="A visitor ID not issued for this site")
@blp.doc(security=BEARER)
def site_visitor(site_key: str, visitor_id: str) -> dict[str, Any]:
    """A visitor's current decision and whole history, with the receipt of each choice."""
    site, _role = admin_site(site_key, "search_log")
    try:
        detail = visitor_detail(site, visitor_id)
    except LogSearchError as error:
        refused(error)
    if detail is None:
        fail(404, "This visitor has no choice on record.", {"visitor_id": ["No events."]})
    base = request.host_url.rstrip("/")
    return {
        "visitor_id": detail.visitor_id,
        "decided": detail.decided,
        "categories": detail.categories,
        "policy_version": detail.policy_version,
        "decided_at": detail.decided_at,
        "expires_at": detail.expires_at,
        "receipt_url": base + detail.receipt_path if detail.receipt_path else None,
        "events": [entry_view(entry, request.host_url) for entry in detail.events],
    }

"""The console's API for data subject requests: the inbox, one request with its steps, actions.

Every operation sits on :data:`cookieconsent.admin_api.blp` and needs the ``requests``
permission (owners and editors); answers are never cached (the blueprint's ``no-store``). A
reference of another site's request answers 404 as an unknown one does.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from .admin_api import BEARER, admin_site, admin_user, blp, invalid, requires
from .errors import fail
from .extensions import db
from .models import DataSubjectRequest
from .schemas import UTCTimestamp
from .services.subject_requests import (
    ACTIONS,
    FLAGS,
    KINDS,
    NOTE_LIMIT,
    STATUSES,
    Actor,
    Step,
    effective_due,
    find_request,
    inbox,
    live_flag,
    take_step,
)
from .services.validation import InvalidInput


class RequestQuerySchema(Schema):
    """Filters of the inbox."""

    status = fields.String(validate=validate.OneOf(STATUSES))
    flag = fields.String(
        validate=validate.OneOf((*FLAGS, "none")),
        metadata={"description": "due_soon, overdue, or none (neither)."},
    )


class RequestStepSchema(Schema):
    """One logged step: when, who, what, and the note or reason."""

    at = UTCTimestamp()
    actor = fields.String(metadata={"description": "visitor, system, or the user's email."})
    actor_user_id = fields.Integer(allow_none=True)
    action = fields.String()
    note = fields.String(allow_none=True)


class AdminRequestSchema(Schema):
    """A request as its site's owners and editors see it."""

    reference = fields.String()
    kind = fields.String(metadata={"description": ", ".join(KINDS)})
    status = fields.String(metadata={"description": ", ".join(STATUSES)})
    law = fields.String(metadata={"description": "vn, gdpr or us"})
    region = fields.String(allow_none=True)
    language = fields.String()
    email = fields.String(allow_none=True)
    details = fields.String(allow_none=True)
    processors_involved = fields.Boolean()
    received_at = UTCTimestamp()
    acknowledge_by = UTCTimestamp()
    acknowledged_at = UTCTimestamp(allow_none=True)
    due_by = UTCTimestamp(metadata={"description": "The deadline in force (extended or not)."})
    first_due_by = UTCTimestamp()
    extended_to = UTCTimestamp(allow_none=True)
    extension_reason = fields.String(allow_none=True)
    closed_at = UTCTimestamp(allow_none=True)
    resolution = fields.String(allow_none=True)
    flag = fields.String(allow_none=True, metadata={"description": "due_soon, overdue or null."})


class AdminRequestDetailSchema(AdminRequestSchema):
    """A request with its logged steps, oldest first."""

    steps = fields.List(fields.Nested(RequestStepSchema))


class RequestActionSchema(Schema):
    """An action on a request."""

    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    note = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=NOTE_LIMIT),
        metadata={"description": "Required to extend (the reason), complete and refuse."},
    )
    days = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=92),
        metadata={"description": "For extend: 1 to 15 (vn), 45 (us), about two months (gdpr)."},
    )


def request_view(request: DataSubjectRequest) -> dict[str, Any]:
    """A request as :class:`AdminRequestSchema` shows it."""
    return {
        "reference": request.reference,
        "kind": request.kind,
        "status": request.status,
        "law": request.law,
        "region": request.region,
        "language": request.language,
        "email": request.email,
        "details": request.details,
        "processors_involved": request.processors_involved,
        "received_at": request.received_at,
        "acknowledge_by": request.acknowledge_by,
        "acknowledged_at": request.acknowledged_at,
        "due_by": effective_due(request),
        "first_due_by": request.due_by,
        "extended_to": request.extended_to,
        "extension_reason": request.extension_reason,
        "closed_at": request.closed_at,
        "resolution": request.resolution,
        "flag": live_flag(request),
    }


def detail_view(request: DataSubjectRequest) -> dict[str, Any]:
    """A request with its steps, as :class:`AdminRequestDetailSchema` shows it."""
    return {**request_view(request), "steps": list(request.steps)}


@blp.route("/sites/<site_key>/requests")
@requires("requests")
@blp.arguments(RequestQuerySchema, location="query")
@blp.response(200, AdminRequestSchema(many=True))
@blp.doc(security=BEARER)
def list_requests(query: dict[str, Any], site_key: str) -> list[dict[str, Any]]:
    """The site's requests, newest first (at most 200), by status and deadline flag."""
    site, _role = admin_site(site_key, "requests")
    rows = inbox(site, status=query.get("status"), flag=query.get("flag"))
    return [request_view(row.request) for row in rows]


def _own(site_key: str, reference: str) -> tuple[Any, DataSubjectRequest]:
    site, _role = admin_site(site_key, "requests")
    found = find_request(site, reference)
    if found is None:
        fail(404, "No such request on this site.", {"reference": ["Unknown reference."]})
    return site, found


@blp.route("/sites/<site_key>/requests/<reference>")
@requires("requests")
@blp.response(200, AdminRequestDetailSchema)
@blp.alt_response(404, description="No such request on this site")
@blp.doc(security=BEARER)
def get_request(site_key: str, reference: str) -> dict[str, Any]:
    """One request, with every step logged: who, what, when."""
    _site, found = _own(site_key, reference)
    return detail_view(found)


@blp.route("/sites/<site_key>/requests/<reference>/actions", methods=["POST"])
@requires("requests")
@blp.arguments(RequestActionSchema)
@blp.response(200, AdminRequestDetailSchema)
@blp.alt_response(404, description="No such request on this site")
@blp.doc(security=BEARER)
def act_on_request(payload: dict[str, Any], site_key: str, reference: str) -> dict[str, Any]:
    """Acknowledge, start, mark processors involved, extend once, complete or refuse.

    Logged with the token's user and the time; a step the request's state does not allow
    answers 422 naming the field (``action``, ``note``, ``days``).
    """
    site, found = _own(site_key, reference)
    user = admin_user()
    step = Step(action=payload["action"], note=payload["note"], days=payload["days"])
    try:
        take_step(site, found, step, Actor(user.email, user.id))
    except InvalidInput as error:
        invalid(error)
    db.session.commit()
    return detail_view(found)

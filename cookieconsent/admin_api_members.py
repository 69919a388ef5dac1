"""The console's API for a site's people and endpoints: members, invitations, the site's API
token, and webhooks with their deliveries.

Every operation here sits on :data:`cookieconsent.admin_api.blp` and declares its permission
with :func:`~cookieconsent.admin_api.requires`; the blueprint's request hook answers 404 to a
non-member and 403 to a role without it before the view runs. An id of another site's member,
invitation or webhook answers 404 as an unknown one does.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from .admin_api import BEARER, admin_site, admin_user, blp, invalid, requires
from .errors import fail
from .models import ROLES, Invitation, WebhookDelivery, WebhookEndpoint
from .schemas import UTCTimestamp, WebhookCreatedSchema, WebhookCreateSchema, WebhookSchema
from .services.accounts import invite
from .services.members import (
    DELIVERIES_PER_PAGE,
    EndpointHealth,
    Member,
    change_role,
    deliveries_of,
    endpoint_failing,
    endpoints_of,
    members_of,
    open_invitations,
    remove_member,
    revoke_invitation,
    rotate_api_token,
    site_endpoint,
)
from .services.validation import InvalidInput
from .services.webhooks import (
    WebhookError,
    add_endpoint,
    past_act_by,
    remove_endpoint,
    rotate_secret,
)

ROLE = validate.OneOf(ROLES)
# Delivery ids are 64-bit.
MAX_DELIVERY_ID = 2**63 - 1

# Schemas ---------------------------------------------------------------------------------------


class MemberSchema(Schema):
    """A member of the site and their role."""

    user_id = fields.Integer()
    email = fields.String()
    role = fields.String(metadata={"description": "owner, editor or viewer"})
    since = UTCTimestamp()


class MemberUpdateSchema(Schema):
    """A member's new role."""

    role = fields.String(required=True, validate=ROLE)


class InvitationSchema(Schema):
    """An open invitation (its link is shown only when it is created)."""

    id = fields.Integer()
    role = fields.String()
    created_at = UTCTimestamp()
    expires_at = UTCTimestamp()


class InvitationCreateSchema(Schema):
    """The role the invitation gives."""

    role = fields.String(load_default="editor", validate=ROLE)


class InvitationCreatedSchema(InvitationSchema):
    """An invitation just made, with its one-time link."""

    link = fields.String(
        metadata={"description": "Shown once: whoever opens it signed in becomes a member."}
    )


class ApiTokenRotateSchema(Schema):
    """Nothing to choose: send an empty JSON object."""


class ApiTokenSchema(Schema):
    """The site's new API token, shown once; the previous one no longer works."""

    api_token = fields.String()


class AdminWebhookSchema(WebhookSchema):
    """A webhook with its health."""

    failing = fields.Boolean(
        metadata={
            "description": "The last 3 attempted deliveries all failed, or one was given up "
            "after the last successful delivery."
        }
    )
    pending_deliveries = fields.Integer()
    last_delivered_at = UTCTimestamp(allow_none=True)


class DeliverySchema(Schema):
    """One delivery to a webhook."""

    id = fields.Integer()
    event_type = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "pending, delivered or failed (given up)"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    next_attempt_at = UTCTimestamp(
        allow_none=True, metadata={"description": "When it is tried next; null once done."}
    )
    created_at = UTCTimestamp()
    delivered_at = UTCTimestamp(allow_none=True)
    act_by = fields.String(
        allow_none=True,
        metadata={"description": "A withdrawal's: when processors must have stopped (UTC)."},
    )
    past_act_by = fields.Boolean(
        metadata={"description": "Not delivered yet, and its act_by has passed."}
    )


class DeliveryPageSchema(Schema):
    """Deliveries newest first, and the cursor of the next page."""

    deliveries = fields.List(fields.Nested(DeliverySchema))
    next_before = fields.Integer(
        allow_none=True, metadata={"description": "Pass as ?before= for older ones; null at end."}
    )
    failing = fields.Boolean(metadata={"description": "Whether the webhook is failing."})


class DeliveryQuerySchema(Schema):
    """Keyset pagination: deliveries older than ``before``."""

    before = fields.Integer(validate=validate.Range(min=1, max=MAX_DELIVERY_ID))
    limit = fields.Integer(
        load_default=DELIVERIES_PER_PAGE, validate=validate.Range(min=1, max=100)
    )


# What the schemas show -------------------------------------------------------------------------


def member_view(member: Member) -> dict[str, Any]:
    """A member as :class:`MemberSchema` shows them."""
    return {
        "user_id": member.user.id,
        "email": member.user.email,
        "role": member.role,
        "since": member.since,
    }


def webhook_view(health: EndpointHealth) -> dict[str, Any]:
    """An endpoint as :class:`AdminWebhookSchema` shows it."""
    endpoint = health.endpoint
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "active": endpoint.active,
        "created_at": endpoint.created_at,
        "previous_secret_expires_at": endpoint.previous_secret_expires_at,
        "failing": health.failing,
        "pending_deliveries": health.pending,
        "last_delivered_at": health.last_delivered_at,
    }


def delivery_view(delivery: WebhookDelivery) -> dict[str, Any]:
    """A delivery as :class:`DeliverySchema` shows it."""
    kind = delivery.payload.get("type") if isinstance(delivery.payload, dict) else None
    return {
        "id": delivery.id,
        "event_type": kind,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "next_attempt_at": delivery.next_attempt_at if delivery.status == "pending" else None,
        "created_at": delivery.created_at,
        "delivered_at": delivery.delivered_at,
        "act_by": delivery.payload.get("act_by") if isinstance(delivery.payload, dict) else None,
        "past_act_by": past_act_by(delivery),
    }


def no_such(name: str) -> NoReturn:
    """404 for an id that is not the site's (another site's is not told apart)."""
    fail(404, "Nothing with this id on this site.", {name: ["Unknown id for this site."]})


# Members ---------------------------------------------------------------------------------------


@blp.route("/sites/<site_key>/members")
@requires("manage")
@blp.response(200, MemberSchema(many=True))
@blp.doc(security=BEARER)
def list_members(site_key: str) -> list[dict[str, Any]]:
    """The site's members and their roles (owners)."""
    site, _role = admin_site(site_key, "manage")
    return [member_view(member) for member in members_of(site)]


@blp.route("/sites/<site_key>/members/<int:user_id>")
class MemberResource(MethodView):
    """One member of the site."""

    @requires("manage")
    @blp.arguments(MemberUpdateSchema)
    @blp.response(200, MemberSchema)
    @blp.alt_response(409, description="The site's last owner cannot be demoted")
    @blp.doc(security=BEARER)
    def patch(self, payload: dict[str, Any], site_key: str, user_id: int) -> dict[str, Any]:
        """Change a member's role; the last owner stays an owner."""
        site, _role = admin_site(site_key, "manage")
        try:
            membership = change_role(site, user_id, payload["role"])
        except InvalidInput as error:
            fail(409, error.errors["role"][0], error.errors)
        if membership is None:
            no_such("user_id")
        member = next(m for m in members_of(site) if m.user.id == user_id)
        return member_view(member)

    @requires("manage")
    @blp.response(204)
    @blp.alt_response(409, description="The site's last owner cannot be removed")
    @blp.doc(security=BEARER)
    def delete(self, site_key: str, user_id: int) -> None:
        """Take a member off the site; they lose access at once (console and tokens)."""
        site, _role = admin_site(site_key, "manage")
        try:
            removed = remove_member(site, user_id)
        except InvalidInput as error:
            fail(409, error.errors["user_id"][0], error.errors)
        if not removed:
            no_such("user_id")


# Invitations -----------------------------------------------------------------------------------


def invitation_view(invitation: Invitation) -> dict[str, Any]:
    """An invitation as :class:`InvitationSchema` shows it."""
    return {
        "id": invitation.id,
        "role": invitation.role,
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
    }


@blp.route("/sites/<site_key>/invitations")
class Invitations(MethodView):
    """One-time links that make their taker a member."""

    @requires("manage")
    @blp.response(200, InvitationSchema(many=True))
    @blp.doc(security=BEARER)
    def get(self, site_key: str) -> list[dict[str, Any]]:
        """Invitations not used and not expired, newest first."""
        site, _role = admin_site(site_key, "manage")
        return [invitation_view(invitation) for invitation in open_invitations(site)]

    @requires("manage")
    @blp.arguments(InvitationCreateSchema)
    @blp.response(201, InvitationCreatedSchema)
    @blp.doc(security=BEARER)
    def post(self, payload: dict[str, Any], site_key: str) -> dict[str, Any]:
        """A link valid for 7 days, for one use; it is in this answer only."""
        site, _role = admin_site(site_key, "manage")
        try:
            issued = invite(site, payload["role"], admin_user())
        except InvalidInput as error:
            invalid(error)
        link = url_for("admin.invitation", token=issued.token, _external=True)
        return {**invitation_view(issued.invitation), "link": link}


@blp.route("/sites/<site_key>/invitations/<int:invitation_id>", methods=["DELETE"])
@requires("manage")
@blp.response(204)
@blp.doc(security=BEARER)
def delete_invitation(site_key: str, invitation_id: int) -> None:
    """Withdraw an unused invitation: its link stops working."""
    site, _role = admin_site(site_key, "manage")
    if not revoke_invitation(site, invitation_id):
        no_such("invitation_id")


# The site's API token --------------------------------------------------------------------------


@blp.route("/sites/<site_key>/api-token", methods=["POST"])
@requires("manage")
@blp.arguments(ApiTokenRotateSchema)
@blp.response(200, ApiTokenSchema)
@blp.doc(security=BEARER)
def rotate_site_api_token(payload: dict[str, Any], site_key: str) -> dict[str, str]:
    """Replace the site's API token: the new one is in this answer only; the old one stops
    working at once."""
    site, _role = admin_site(site_key, "manage")
    return {"api_token": rotate_api_token(site)}


# Webhooks --------------------------------------------------------------------------------------


@blp.route("/sites/<site_key>/webhooks")
class AdminWebhooks(MethodView):
    """URLs that receive every decision change, signed."""

    @requires("webhooks")
    @blp.response(200, AdminWebhookSchema(many=True))
    @blp.doc(security=BEARER)
    def get(self, site_key: str) -> list[dict[str, Any]]:
        """The site's webhooks, with which are failing."""
        site, _role = admin_site(site_key, "webhooks")
        return [webhook_view(health) for health in endpoints_of(site)]

    @requires("webhooks")
    @blp.arguments(WebhookCreateSchema)
    @blp.response(201, WebhookCreatedSchema)
    @blp.doc(security=BEARER)
    def post(self, payload: dict[str, Any], site_key: str) -> WebhookEndpoint:
        """Register a URL (public addresses only); its signing secret is in this answer only."""
        site, _role = admin_site(site_key, "webhooks")
        try:
            return add_endpoint(site, payload["url"])
        except WebhookError as error:
            fail(422, None, {"url": [str(error)]})


@blp.route("/sites/<site_key>/webhooks/<int:webhook_id>", methods=["DELETE"])
@requires("webhooks")
@blp.response(204)
@blp.doc(security=BEARER)
def delete_admin_webhook(site_key: str, webhook_id: int) -> None:
    """Stop sending to a webhook; its pending deliveries are dropped."""
    site, _role = admin_site(site_key, "webhooks")
    if not remove_endpoint(site, webhook_id):
        no_such("webhook_id")


@blp.route("/sites/<site_key>/webhooks/<int:webhook_id>/rotate", methods=["POST"])
@requires("webhooks")
@blp.arguments(ApiTokenRotateSchema)
@blp.response(200, WebhookCreatedSchema)
@blp.doc(security=BEARER)
def rotate_admin_webhook(payload: dict[str, Any], site_key: str, webhook_id: int) -> Any:
    """A new signing secret, in this answer only; for 24 h the old one signs deliveries too."""
    site, _role = admin_site(site_key, "webhooks")
    endpoint = rotate_secret(site, webhook_id)
    if endpoint is None:
        no_such("webhook_id")
    return endpoint


@blp.route("/sites/<site_key>/webhooks/<int:webhook_id>/deliveries", methods=["GET"])
@requires("webhooks")
@blp.arguments(DeliveryQuerySchema, location="query")
@blp.response(200, DeliveryPageSchema)
@blp.doc(security=BEARER)
def webhook_deliveries(query: dict[str, Any], site_key: str, webhook_id: int) -> dict[str, Any]:
    """The webhook's deliveries, newest first, by keyset (``before``)."""
    site, _role = admin_site(site_key, "webhooks")
    endpoint = site_endpoint(site, webhook_id)
    if endpoint is None:
        no_such("webhook_id")
    page = deliveries_of(endpoint, before=query.get("before"), limit=query["limit"])
    return {
        "deliveries": [delivery_view(delivery) for delivery in page.deliveries],
        "next_before": page.next_before,
        "failing": endpoint_failing(endpoint.id),
    }

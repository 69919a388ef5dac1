"""A site's members, open invitations, API token, and its webhooks' health, for the console.

Roles, invitations and personal tokens themselves live in :mod:`.accounts`; endpoints and
deliveries in :mod:`.webhooks`. This module adds what managing them needs: the last owner is
protected, an invitation can be revoked, the site's API token can be replaced, and deliveries
are read page by page.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ..extensions import db
from ..models import (
    ROLES,
    Invitation,
    Membership,
    Site,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from .accounts import owners
from .sites import hash_api_token
from .validation import InvalidInput

# Ids are 32-bit integer columns: a larger number names nothing (and would overflow the query).
MAX_ID = 2**31 - 1
LAST_OWNER = "A site keeps at least one owner: make someone else an owner first."
# An endpoint is flagged as failing when its last FAILING_STREAK attempted deliveries all
# failed, or when a delivery was given up (status "failed") after its last successful one.
FAILING_STREAK = 3
DELIVERIES_PER_PAGE = 25


# Members ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """A member of a site: the account and its role."""

    user: User
    role: str
    since: datetime


def members_of(site: Site) -> list[Member]:
    """The site's members, owners first, then by email."""
    rank = {role: index for index, role in enumerate(ROLES)}
    rows = db.session.execute(
        select(User, Membership)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.site_id == site.id)
        .order_by(User.email)
    ).all()
    members = [Member(user, membership.role, membership.created_at) for user, membership in rows]
    return sorted(members, key=lambda member: rank.get(member.role, len(rank)))


def _membership(site: Site, user_id: int) -> Membership | None:
    if not 0 < user_id <= MAX_ID:
        return None
    return db.session.get(Membership, (user_id, site.id), with_for_update=True)


def change_role(site: Site, user_id: int, role: str) -> Membership | None:
    """Give a member another role; ``None`` when they are not a member. Commits.

    Refuses (:class:`InvalidInput` on ``role``) an unknown role, or demoting the last owner.
    """
    if role not in ROLES:
        raise InvalidInput({"role": [f"One of: {', '.join(ROLES)}."]})
    membership = _membership(site, user_id)
    if membership is None:
        db.session.rollback()
        return None
    if membership.role == "owner" and role != "owner" and owners(site) <= 1:
        db.session.rollback()
        raise InvalidInput({"role": [LAST_OWNER]})
    membership.role = role
    db.session.commit()
    return membership


def remove_member(site: Site, user_id: int) -> bool:
    """Take a member off the site, at once; ``False`` when they are not a member. Commits.

    Refuses (:class:`InvalidInput` on ``user_id``) removing the last owner.
    """
    membership = _membership(site, user_id)
    if membership is None:
        db.session.rollback()
        return False
    if membership.role == "owner" and owners(site) <= 1:
        db.session.rollback()
        raise InvalidInput({"user_id": [LAST_OWNER]})
    db.session.delete(membership)
    db.session.commit()
    return True


# Invitations -----------------------------------------------------------------------------------


def open_invitations(site: Site, now: datetime | None = None) -> list[Invitation]:
    """The site's invitations not yet used nor expired, newest first."""
    return list(
        db.session.execute(
            select(Invitation)
            .where(
                Invitation.site_id == site.id,
                Invitation.accepted_at.is_(None),
                Invitation.expires_at > (now or utcnow()),
            )
            .order_by(Invitation.id.desc())
        ).scalars()
    )


def revoke_invitation(site: Site, invitation_id: int) -> bool:
    """Withdraw an unused invitation (its link stops working); ``False`` when there is none."""
    if not 0 < invitation_id <= MAX_ID:
        return False
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.site_id != site.id or invitation.accepted_at is not None:
        return False
    db.session.delete(invitation)
    db.session.commit()
    return True


# The site's API token --------------------------------------------------------------------------


def rotate_api_token(site: Site) -> str:
    """A new API token for the site, returned once; the old one stops working at once. Commits."""
    token = secrets.token_urlsafe(32)
    site.api_token_hash = hash_api_token(token)
    db.session.commit()
    return token


# Webhooks --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EndpointHealth:
    """An endpoint with what the console shows about it."""

    endpoint: WebhookEndpoint
    failing: bool
    pending: int
    last_delivered_at: datetime | None


def endpoint_failing(endpoint_id: int) -> bool:
    """Whether the endpoint is failing (see :data:`FAILING_STREAK`)."""
    attempted = list(
        db.session.execute(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.attempts > 0)
            .order_by(WebhookDelivery.id.desc())
            .limit(FAILING_STREAK)
        ).scalars()
    )
    if len(attempted) == FAILING_STREAK and all(
        delivery.status != "delivered" and delivery.last_error for delivery in attempted
    ):
        return True
    last_success = db.session.execute(
        select(WebhookDelivery.id)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "delivered")
        .order_by(WebhookDelivery.id.desc())
        .limit(1)
    ).scalar()
    given_up = select(WebhookDelivery.id).where(
        WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "failed"
    )
    if last_success is not None:
        given_up = given_up.where(WebhookDelivery.id > last_success)
    return db.session.execute(given_up.limit(1)).scalar() is not None


def endpoints_of(site: Site) -> list[EndpointHealth]:
    """The site's endpoints, oldest first, each with its health."""
    endpoints = db.session.execute(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.site_id == site.id)
        .order_by(WebhookEndpoint.id)
    ).scalars()
    found = []
    for endpoint in endpoints:
        pending = db.session.execute(
            select(func.count()).where(
                WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "pending"
            )
        ).scalar_one()
        delivered = db.session.execute(
            select(func.max(WebhookDelivery.delivered_at)).where(
                WebhookDelivery.endpoint_id == endpoint.id
            )
        ).scalar()
        found.append(EndpointHealth(endpoint, endpoint_failing(endpoint.id), pending, delivered))
    return found


def site_endpoint(site: Site, endpoint_id: int) -> WebhookEndpoint | None:
    """The site's endpoint with this id, or ``None`` (another site's is not found either)."""
    if not 0 < endpoint_id <= MAX_ID:
        return None
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.site_id != site.id:
        return None
    return endpoint


@dataclass(frozen=True)
class DeliveryPage:
    """Deliveries newest first, and the cursor of the next (older) page, if any."""

    deliveries: list[WebhookDelivery]
    next_before: int | None


def deliveries_of(
    endpoint: WebhookEndpoint, *, before: int | None = None, limit: int = DELIVERIES_PER_PAGE
) -> DeliveryPage:
    """The endpoint's deliveries, newest first, by keyset: those with an id below ``before``."""
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    rows = list(
        db.session.execute(query.order_by(WebhookDelivery.id.desc()).limit(limit + 1)).scalars()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return DeliveryPage(rows, rows[-1].id if more and rows else None)

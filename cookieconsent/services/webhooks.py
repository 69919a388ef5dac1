"""Webhooks: a durable outbox of decision changes, delivered signed, retried with backoff."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select

from ..extensions import db
from ..models import WebhookDelivery, WebhookEndpoint, iso_utc, utcnow

if TYPE_CHECKING:
    from ..models import ConsentEvent, Site

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "CookieConsent-Signature"
DELIVERY_HEADER = "CookieConsent-Delivery"
EVENT_TYPE = "consent.recorded"
MAX_ATTEMPTS = 12
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 6 * 3600
# A claimed delivery that was not finished (the worker died) is retried after this long; a
# batch gets at least as long as its slowest possible run.
LEASE_SECONDS = 120
TIMEOUT_SECONDS = 10


class WebhookError(ValueError):
    """A webhook registration was refused."""


def event_payload(site_key: str, signed_visitor_id: str, event: ConsentEvent) -> dict[str, Any]:
    """The JSON body announcing one recorded event."""
    return {
        "type": EVENT_TYPE,
        "event_id": event.id,
        "site_key": site_key,
        "visitor_id": signed_visitor_id,
        "action": event.action,
        "source": event.source,
        "decided": event.decided,
        "categories": event.categories,
        "services": event.services,
        "policy_version": event.policy_version,
        "gpc": event.gpc,
        "occurred_at": iso_utc(event.created_at),
    }


def sign_payload(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value: ``t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">``."""
    message = str(timestamp).encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(secret: str, header: str, body: bytes, *, tolerance: int = 300) -> bool:
    """What a receiver does: check the HMAC and refuse a replay older than ``tolerance`` seconds."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = sign_payload(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))


def validate_url(url: str) -> str:
    """Refuse anything but an absolute http(s) URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname or len(url) > 2048:
        raise WebhookError("the URL must be an absolute http:// or https:// address")
    if parts.username or parts.password:
        raise WebhookError("put no credentials in the URL; verify the signature instead")
    return url.strip()


def add_endpoint(site: Site, url: str) -> WebhookEndpoint:
    """Register a URL for the site's decision changes; its secret is readable only now."""
    endpoint = WebhookEndpoint(
        site_id=site.id, url=validate_url(url), secret=secrets.token_urlsafe(32), active=True
    )
    db.session.add(endpoint)
    db.session.commit()
    return endpoint


def remove_endpoint(site: Site, endpoint_id: int) -> bool:
    """Delete an endpoint and its pending deliveries; ``False`` when the site has no such one."""
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.site_id != site.id:
        return False
    # Explicitly, because SQLite does not enforce the foreign key's ON DELETE CASCADE.
    db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id))
    db.session.delete(endpoint)
    db.session.commit()
    return True


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … doubling up to 6 h."""
    return timedelta(
        seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)
    )


def _address_allowed(host: str, allow_private: bool) -> bool:
    if allow_private:
        return True
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return True  # let the request fail with the resolver's own error
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address.is_private or address.is_loopback or address.is_link_local:
            return False
    return True


@dataclass(frozen=True)
class Claimed:
    """A delivery taken by this worker, with what it needs to send it."""

    delivery_id: int
    url: str
    secret: str
    body: bytes
    attempt: int


def lease_for(batch: int) -> timedelta:
    """How long a claim lasts: long enough for every request of the batch to time out."""
    return timedelta(seconds=max(LEASE_SECONDS, TIMEOUT_SECONDS * batch + 60))


def _claim(batch: int, now: datetime) -> list[Claimed]:
    lease = lease_for(batch)
    query = (
        select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(batch)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    )
    claimed = []
    for delivery, endpoint in db.session.execute(query).all():
        delivery.attempts += 1
        delivery.next_attempt_at = now + lease
        body = json.dumps(
            {**delivery.payload, "delivery_id": delivery.id}, separators=(",", ":")
        ).encode("utf-8")
        claimed.append(Claimed(delivery.id, endpoint.url, endpoint.secret, body, delivery.attempts))
    db.session.commit()
    return claimed


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed delivery: following it would resend to an unchecked address."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_RefuseRedirects)


def _send(job: Claimed, allow_private: bool) -> str | None:
    """POST one delivery; ``None`` on a 2xx answer, else why it failed."""
    host = urlsplit(job.url).hostname or ""
    if not _address_allowed(host, allow_private):
        return f"{host} resolves to a private address, which webhooks may not reach"
    request = urllib.request.Request(
        job.url,
        data=job.body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "cookieconsent-webhooks/1",
            SIGNATURE_HEADER: sign_payload(job.secret, int(time.time()), job.body),
            DELIVERY_HEADER: str(job.delivery_id),
        },
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            response.read(1024)
            return None
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        return f"{type(error).__name__}: {getattr(error, 'reason', error)}"


def deliver_due(
    *, batch: int = 50, allow_private: bool = False, now: datetime | None = None
) -> int:
    """Send every delivery that is due; return how many were attempted."""
    now = now or utcnow()
    jobs = _claim(batch, now)
    for job in jobs:
        error = _send(job, allow_private)
        delivery = db.session.get(WebhookDelivery, job.delivery_id, with_for_update=True)
        # Gone (endpoint removed), or claimed again by another worker after our lease ran out.
        if delivery is None or delivery.attempts != job.attempt or delivery.status != "pending":
            db.session.rollback()
            continue
        if error is None:
            delivery.status = "delivered"
            delivery.delivered_at = utcnow()
            delivery.last_error = None
        elif job.attempt >= MAX_ATTEMPTS:
            delivery.status = "failed"
            delivery.last_error = error[:500]
            log.warning("webhook delivery %s failed for good: %s", job.delivery_id, error)
        else:
            delivery.next_attempt_at = now + retry_delay(job.attempt)
            delivery.last_error = error[:500]
        db.session.commit()
    return len(jobs)

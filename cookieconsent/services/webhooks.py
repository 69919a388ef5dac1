"""Webhooks: a durable outbox of decision changes, delivered signed, retried with backoff.

Deliveries follow Standard Webhooks (https://www.standardwebhooks.com/): the headers
``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``, signed with ``whsec_`` secrets.
A delivery goes only to an address checked beforehand: the host is resolved once, every address
it resolves to must be public, and the connection is made to one of those very addresses.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import json
import logging
import random
import secrets
import socket
import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import delete, select
from standardwebhooks import Webhook

from ..extensions import db
from ..models import ConsentEvent, WebhookDelivery, WebhookEndpoint, iso_utc, utcnow
from .deadlines import withdrawal_act_by

if TYPE_CHECKING:
    from ..models import Site

log = logging.getLogger(__name__)

EVENT_RECORDED = "consent.recorded"
EVENT_ERASED = "consent.erased"
# Data subject requests (services/subject_requests.py): filed, and flagged by `requests check`.
EVENT_REQUEST_RECEIVED = "request.received"
EVENT_REQUEST_DUE_SOON = "request.due_soon"
EVENT_REQUEST_OVERDUE = "request.overdue"
EVENT_TYPES = (
    EVENT_RECORDED,
    EVENT_ERASED,
    EVENT_REQUEST_RECEIVED,
    EVENT_REQUEST_DUE_SOON,
    EVENT_REQUEST_OVERDUE,
)
# Actions whose announcement tells processors when they must have stopped (``act_by``).
WITHDRAWAL_ACTIONS = frozenset({"withdraw"})
SECRET_PREFIX = "whsec_"
# After a rotation the old secret signs beside the new one for this long, so that receivers can
# switch without losing a delivery.
ROTATION_OVERLAP = timedelta(hours=24)
MAX_ATTEMPTS = 12
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 6 * 3600
# A claimed delivery that was not finished (the worker died) is retried after this long; a
# batch gets at least as long as its slowest possible run.
LEASE_SECONDS = 120
TIMEOUT_SECONDS = 10
# Webhook ids are a 32-bit integer column; a larger number names no webhook (and asking the
# database for it would overflow).
MAX_ID = 2**31 - 1
USER_AGENT = "cookieconsent-webhooks/2"

Resolver = Callable[[str, int], Sequence[str]]


class WebhookError(ValueError):
    """A webhook registration was refused."""


# Payloads -----------------------------------------------------------------------------------


def event_payload(
    site_key: str,
    signed_visitor_id: str,
    event: ConsentEvent,
    *,
    processors_involved: bool = False,
) -> dict[str, Any]:
    """The JSON body announcing one recorded event.

    It holds nothing that erasing the visitor removes from the event (page address, browser,
    address prefix), so a delivery still due when the visitor is erased goes out unchanged. A
    withdrawal carries ``act_by``: when processors must have stopped, 15 days after it, 20 when
    processors are involved (Decree 356/2025/ND-CP; see :func:`.deadlines.withdrawal_act_by`).
    """
    body = {
        "type": EVENT_RECORDED,
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
    if event.action in WITHDRAWAL_ACTIONS:
        body["act_by"] = iso_utc(
            withdrawal_act_by(event.created_at, processors_involved=processors_involved)
        )
    return body


def past_act_by(delivery: WebhookDelivery, now: datetime | None = None) -> bool:
    """Whether a withdrawal's delivery is still not delivered after its ``act_by``."""
    act_by = delivery.payload.get("act_by") if isinstance(delivery.payload, dict) else None
    if delivery.status == "delivered" or not isinstance(act_by, str):
        return False
    try:
        deadline = datetime.fromisoformat(act_by.replace("Z", "+00:00"))
    except ValueError:
        return False
    return (now or utcnow()) > deadline


def erasure_payload(
    site_key: str, signed_visitor_id: str, erased_events: int, erased_at: datetime
) -> dict[str, Any]:
    """The JSON body announcing that a visitor's records were erased."""
    return {
        "type": EVENT_ERASED,
        "site_key": site_key,
        "visitor_id": signed_visitor_id,
        "erased_events": erased_events,
        "occurred_at": iso_utc(erased_at),
    }


# The outbox ---------------------------------------------------------------------------------


def active_endpoint_ids(site_id: int, among: Iterable[int] | None = None) -> list[int]:
    """The site's active endpoints, read now (a cached list may name a removed one)."""
    query = select(WebhookEndpoint.id).where(
        WebhookEndpoint.site_id == site_id, WebhookEndpoint.active
    )
    if among is not None:
        query = query.where(WebhookEndpoint.id.in_(list(among)))
    return list(db.session.execute(query.order_by(WebhookEndpoint.id)).scalars())


def enqueue(
    endpoint_ids: Iterable[int],
    payload: dict[str, Any],
    *,
    due: datetime | dict[int, datetime],
    event_id: int | None = None,
) -> None:
    """Add one delivery per endpoint to the caller's transaction; ``due`` may differ by endpoint."""
    for endpoint_id in endpoint_ids:
        when = due[endpoint_id] if isinstance(due, dict) else due
        db.session.add(
            WebhookDelivery(
                endpoint_id=endpoint_id, event_id=event_id, payload=payload, next_attempt_at=when
            )
        )


def queue_erasure(
    site: Site, signed_visitor_id: str, event_ids: Sequence[int], now: datetime
) -> None:
    """In the erasure's transaction: keep the visitor's due deliveries, announce the erasure.

    Deliveries already made (or given up) keep their status but lose the visitor ID. Those
    still due go out as they are, and the erasure is due no sooner than the last of them to the
    same endpoint, so a receiver that is up hears of the erasure after the choices it erases.
    """
    rows = db.session.execute(
        select(WebhookDelivery)
        .where(WebhookDelivery.event_id.in_(list(event_ids)))
        .order_by(WebhookDelivery.id)
        # A worker records an outcome under this row's lock: wait for it, so that a delivery
        # made meanwhile is seen as made (and stripped) rather than as still due.
        .with_for_update()
    ).scalars()
    due: dict[int, datetime] = {}
    for delivery in rows:
        if delivery.status == "pending":
            due[delivery.endpoint_id] = max(
                due.get(delivery.endpoint_id, now), delivery.next_attempt_at
            )
        else:
            _forget_visitor(delivery)
    endpoint_ids = active_endpoint_ids(site.id)
    payload = erasure_payload(site.site_key, signed_visitor_id, len(event_ids), now)
    enqueue(
        endpoint_ids, payload, due={endpoint: due.get(endpoint, now) for endpoint in endpoint_ids}
    )


def _forget_visitor(delivery: WebhookDelivery) -> None:
    if "visitor_id" in delivery.payload:
        delivery.payload = {
            key: value for key, value in delivery.payload.items() if key != "visitor_id"
        }


def _visitor_erased(delivery: WebhookDelivery) -> bool:
    if delivery.payload.get("type") == EVENT_ERASED:
        return True
    if delivery.event_id is None:
        return False
    event = db.session.get(ConsentEvent, delivery.event_id)
    return event is None or event.erased_at is not None


# Endpoints and secrets ----------------------------------------------------------------------


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 32 random bytes in base64 (Standard Webhooks)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def validate_url(url: str) -> str:
    """Refuse anything but an absolute http(s) URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname or len(url) > 2048:
        raise WebhookError("the URL must be an absolute http:// or https:// address")
    if parts.username or parts.password:
        raise WebhookError("put no credentials in the URL; verify the signature instead")
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        raise WebhookError("the URL's port must be a number from 1 to 65535") from None
    return url.strip()


# Host names that never lead to a public address (RFC 6761, RFC 6762, RFC 8375, ICANN's .internal).
_LOCAL_NAMES = ("localhost", "local", "internal", "home.arpa", "localdomain")


def private_destination(url: str) -> str | None:
    """Why ``url`` can be seen, without resolving it, to lead to a private address, or ``None``.

    An address literal that is not public (:func:`is_public_address`), or a name under a
    local-only domain. Names that resolve are checked again at every delivery, on the address
    actually connected to.
    """
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if any(host == name or host.endswith(f".{name}") for name in _LOCAL_NAMES):
            return f"{host} is a local name"
        return None
    return None if is_public_address(host) else f"{host} is not a public address"


def add_endpoint(site: Site, url: str, *, allow_private: bool | None = None) -> WebhookEndpoint:
    """Register a URL for the site's decision changes; its secret is readable only now.

    A URL that plainly leads to a private address (a loopback, private or link-local literal, or
    a local-only name) is refused here, as the delivery would be, unless ``allow_private``
    (default: ``COOKIECONSENT_WEBHOOK_ALLOW_PRIVATE``, on only in development).
    """
    url = validate_url(url)
    if allow_private is None:
        allow_private = bool(current_app.config["COOKIECONSENT_WEBHOOK_ALLOW_PRIVATE"])
    if not allow_private and (reason := private_destination(url)):
        raise WebhookError(
            f"deliveries go only to public addresses, and {reason} "
            "(COOKIECONSENT_WEBHOOK_ALLOW_PRIVATE=1 allows it, for development)"
        )
    endpoint = WebhookEndpoint(site_id=site.id, url=url, secret=new_secret(), active=True)
    db.session.add(endpoint)
    db.session.commit()
    return endpoint


def _own_endpoint(site: Site, endpoint_id: int, *, lock: bool = False) -> WebhookEndpoint | None:
    if not 0 < endpoint_id <= MAX_ID:
        return None
    endpoint = db.session.get(WebhookEndpoint, endpoint_id, with_for_update=lock)
    if endpoint is None or endpoint.site_id != site.id:
        return None
    return endpoint


def remove_endpoint(site: Site, endpoint_id: int) -> bool:
    """Delete an endpoint and its pending deliveries; ``False`` when the site has no such one."""
    endpoint = _own_endpoint(site, endpoint_id)
    if endpoint is None:
        return False
    # Explicitly, because SQLite does not enforce the foreign key's ON DELETE CASCADE.
    db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id))
    db.session.delete(endpoint)
    db.session.commit()
    return True


def rotate_secret(
    site: Site, endpoint_id: int, *, now: datetime | None = None
) -> WebhookEndpoint | None:
    """Give the endpoint a new secret, readable only now; ``None`` when the site has no such one.

    For :data:`ROTATION_OVERLAP` after, deliveries carry a signature by the new secret and one by
    the one it replaced; a second rotation within that time retires the oldest at once.
    """
    endpoint = _own_endpoint(site, endpoint_id, lock=True)
    if endpoint is None:
        db.session.rollback()
        return None
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = (now or utcnow()) + ROTATION_OVERLAP
    endpoint.secret = new_secret()
    db.session.commit()
    return endpoint


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> tuple[str, ...]:
    """The secrets that sign a delivery sent at ``now``: the current one, and the previous one
    while its overlap lasts."""
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and now < expires:
        return (endpoint.secret, endpoint.previous_secret)
    return (endpoint.secret,)


def signature_headers(
    signing: Sequence[str], webhook_id: str, timestamp: datetime, body: bytes
) -> dict[str, str]:
    """The Standard Webhooks headers of one delivery: one ``v1,…`` signature per secret."""
    sent_at = timestamp.replace(microsecond=0)
    text = body.decode("utf-8")
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": " ".join(
            Webhook(secret).sign(webhook_id, sent_at, text) for secret in signing
        ),
    }


# Retries ------------------------------------------------------------------------------------

_jitter = random.Random()


def retry_ceiling(attempts: int) -> timedelta:
    """The schedule after ``attempts`` failures: 30 s, 1 min, 2 min, … doubling up to 6 h."""
    return timedelta(
        seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)
    )


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """The wait before the next attempt: from half the schedule's to all of it, at random.

    Equal jitter: deliveries that failed together (a receiver down) do not come back together,
    and none waits longer than the schedule says.
    """
    ceiling = retry_ceiling(attempts).total_seconds()
    seconds = ceiling / 2 + (rng or _jitter).uniform(0, ceiling / 2)
    return timedelta(milliseconds=round(seconds * 1000))


# Which addresses a webhook may reach --------------------------------------------------------

_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated by RFC 4291
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052, the IPv4 in the last 32 bits
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215, a network's own translator
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")  # RFC 3056, the IPv4 in bits 16-47
# Special-purpose blocks not globally reachable (IANA registries) that the ``is_global`` of
# some Python versions still passes.
_NOT_GLOBAL: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = (
    ipaddress.IPv4Network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.IPv6Network("3fff::/20"),  # documentation (RFC 9637)
    ipaddress.IPv6Network("5f00::/16"),  # segment routing SIDs (RFC 9602)
)


def _public_ipv4(address: ipaddress.IPv4Address) -> bool:
    return address.is_global and not address.is_multicast and not _special(address)


def _special(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in network for network in _NOT_GLOBAL if network.version == address.version)


def is_public_address(address: str) -> bool:
    """Whether a webhook may reach ``address``: globally reachable, and so is the IPv4 inside.

    ``ipaddress``'s ``is_global`` alone passes ``::ffff:127.0.0.1``-style mapped addresses (on
    some Python versions), NAT64 and 6to4 addresses that lead to a private IPv4.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return _public_ipv4(ip)
    if ip.ipv4_mapped is not None:
        return _public_ipv4(ip.ipv4_mapped)
    if ip in _IPV4_COMPATIBLE or ip in _NAT64_LOCAL:
        return False
    if ip in _NAT64 and not _public_ipv4(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)):
        return False
    if ip.sixtofour is not None and not _public_ipv4(ip.sixtofour):
        return False
    return ip.is_global and not ip.is_multicast and not _special(ip)


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order, without repeats."""
    found: list[str] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = str(sockaddr[0])
        if address not in found:
            found.append(address)
    return found


def _open_socket(address: str, port: int, timeout: float | None) -> socket.socket:
    return socket.create_connection((address, port), timeout)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to addresses checked beforehand: the URL's host only names the ``Host`` header."""

    def __init__(self, host: str, port: int, addresses: Sequence[str], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.addresses = tuple(addresses)

    def connect(self) -> None:
        """Connect to the first checked address that answers; never resolve the host again."""
        failure: OSError | None = None
        for address in self.addresses:
            try:
                self.sock = _open_socket(address, self.port, self.timeout)
            except OSError as error:
                failure = error
                continue
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return
        raise failure or OSError("no address to connect to")


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """HTTPS to a checked address, with SNI and the certificate checked for the URL's host."""

    default_port = http.client.HTTPS_PORT

    def __init__(
        self,
        host: str,
        port: int,
        addresses: Sequence[str],
        timeout: float,
        context: ssl.SSLContext,
    ) -> None:
        super().__init__(host, port, addresses, timeout)
        self.tls = context

    def connect(self) -> None:
        """Connect, then speak TLS as to the URL's host."""
        super().connect()
        self.sock = self.tls.wrap_socket(self.sock, server_hostname=self.host)


# Delivery -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """A delivery taken by this worker, with what it needs to send it."""

    delivery_id: int
    url: str
    signing: tuple[str, ...]
    body: bytes
    attempt: int

    @property
    def webhook_id(self) -> str:
        """The Standard Webhooks message id: the delivery's, the same on every attempt."""
        return str(self.delivery_id)


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
        claimed.append(
            Claimed(
                delivery.id, endpoint.url, signing_secrets(endpoint, now), body, delivery.attempts
            )
        )
    db.session.commit()
    return claimed


class _Sender:
    """Sends claimed deliveries: resolve once, check every address, connect to a checked one."""

    def __init__(self, allow_private: bool, resolve: Resolver) -> None:
        self.allow_private = allow_private
        self.resolve = resolve
        self._tls: ssl.SSLContext | None = None

    def tls(self) -> ssl.SSLContext:
        """The system's trust store, certificates and host names checked (made once per run)."""
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    def send(self, job: Claimed) -> str | None:
        """POST one delivery; ``None`` on a 2xx answer, else why it failed."""
        parts = urlsplit(job.url)
        host = parts.hostname or ""
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return "the URL's port is out of range"
        try:
            addresses = list(self.resolve(host, port))
        except (OSError, UnicodeError) as error:
            return f"could not resolve {host} ({error}); nothing was sent"
        if not addresses:
            return f"{host} resolves to no address; nothing was sent"
        if not self.allow_private:
            for address in addresses:
                if not is_public_address(address):
                    return (
                        f"{host} resolves to {address}, which is not a public address; "
                        "webhooks reach public addresses only"
                    )
        connection: _PinnedHTTPConnection
        if parts.scheme == "https":
            connection = _PinnedHTTPSConnection(host, port, addresses, TIMEOUT_SECONDS, self.tls())
        else:
            connection = _PinnedHTTPConnection(host, port, addresses, TIMEOUT_SECONDS)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **signature_headers(job.signing, job.webhook_id, utcnow(), job.body),
        }
        try:
            connection.request("POST", target, body=job.body, headers=headers)
            response = connection.getresponse()
            # A redirect is a failure too: following it would send to an unchecked address.
            response.read(1024)
            if not 200 <= response.status < 300:
                return f"HTTP {response.status}"
            return None
        except (OSError, http.client.HTTPException) as error:
            return f"{type(error).__name__}: {error}"
        finally:
            connection.close()


def deliver_due(
    *,
    batch: int = 50,
    allow_private: bool = False,
    now: datetime | None = None,
    resolve: Resolver = resolve_host,
    rng: random.Random | None = None,
) -> int:
    """Send every delivery that is due; return how many were attempted.

    ``now`` is the worker's clock for what is due and which secrets sign (the signature's own
    timestamp is always the wall clock, which receivers compare with theirs); ``resolve`` and
    ``rng`` replace the system's resolver and the retry jitter's randomness.
    """
    now = now or utcnow()
    sender = _Sender(allow_private, resolve)
    jobs = _claim(batch, now)
    for job in jobs:
        error = sender.send(job)
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
            delivery.next_attempt_at = now + retry_delay(job.attempt, rng)
            delivery.last_error = error[:500]
        if delivery.status != "pending" and _visitor_erased(delivery):
            # Its visitor was erased meanwhile: once it is done, the outbox keeps no trace of them.
            _forget_visitor(delivery)
        db.session.commit()
    return len(jobs)

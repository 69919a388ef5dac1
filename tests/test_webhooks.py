"""Webhooks: registering endpoints, the outbox written with each consent, the delivery worker."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import re
import signal
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import trustme
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from standardwebhooks import Webhook, WebhookVerificationError

from cookieconsent.extensions import db
from cookieconsent.models import ConsentEvent, Site, WebhookDelivery, WebhookEndpoint, utcnow
from cookieconsent.services import webhooks
from cookieconsent.services.consent import ConsentInput, record_consent
from cookieconsent.services.sites import SiteProfile
from cookieconsent.services.webhooks import (
    MAX_ATTEMPTS,
    ROTATION_OVERLAP,
    deliver_due,
    is_public_address,
    lease_for,
    retry_ceiling,
    retry_delay,
    rotate_secret,
)

from .conftest import SECRET_KEYS, SiteFactory, table_counts

SHOP_ORIGIN = "https://shop.example"


# A real HTTP receiver -----------------------------------------------------------------------


@dataclass
class Received:
    """One request the receiver got."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A local HTTP server that records requests and answers with scripted statuses."""

    url: str = ""
    port: int = 0
    requests: list[Received] = field(default_factory=list)
    # Statuses for the next requests, in order; 200 once they run out.
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, received: Received) -> int:
        with self.lock:
            self.requests.append(received)
            return self.statuses.pop(0) if self.statuses else 200

    @property
    def posts(self) -> list[Received]:
        return [request for request in self.requests if request.method == "POST"]

    def url_for(self, host: str, scheme: str = "http") -> str:
        """The receiver's URL under another host name (that a resolver stub maps to it)."""
        return f"{scheme}://{host}:{self.port}/hooks/consent"


def serve(tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    """Run a receiver on 127.0.0.1 (over TLS with ``tls``) until the generator is closed."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status = state.answer(
                Received(
                    method=self.command,
                    path=self.path,
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=body,
                )
            )
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "/redirected")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        do_POST = _record
        do_GET = _record

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a refused TLS handshake is the expected outcome of some tests

    server = Server(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.port = server.server_address[1]
    state.url = state.url_for("127.0.0.1", "https" if tls else "http")
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1, stopped and closed after the test."""
    yield from serve()


class StubResolver:
    """A resolver that answers from a list, one answer per call, and counts the calls."""

    def __init__(self, *answers: Sequence[str] | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        answer = self.answers[min(len(self.calls), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return list(answer)


# Helpers ------------------------------------------------------------------------------------


def webhooks_url(site: Site) -> str:
    return f"/api/v1/sites/{site.site_key}/webhooks"


def bearer(make_site: SiteFactory, site: Site) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_site.tokens[site.site_key]}"}


def register(client: FlaskClient, make_site: SiteFactory, site: Site, url: str) -> dict[str, Any]:
    response = client.post(webhooks_url(site), json={"url": url}, headers=bearer(make_site, site))
    assert response.status_code == 201, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def post_choice(client: FlaskClient, site: Site, body: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/sites/{site.site_key}/consents", json=body, headers={"Origin": SHOP_ORIGIN}
    )


def deliveries() -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(
        db.session.execute(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars()
    )


def endpoints() -> list[WebhookEndpoint]:
    db.session.expire_all()
    return list(
        db.session.execute(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)).scalars()
    )


@pytest.fixture
def hooked(
    client: FlaskClient, make_site: SiteFactory, site: Site, receiver: Receiver
) -> dict[str, Any]:
    """The site with the receiver registered and one accept_all waiting in the outbox."""
    endpoint = register(client, make_site, site, receiver.url)
    response = post_choice(client, site, {"action": "accept_all"})
    assert response.status_code == 201
    [delivery] = deliveries()
    return {"endpoint": endpoint, "delivery_id": delivery.id, "consent": response.get_json()}


def only_delivery() -> WebhookDelivery:
    [delivery] = deliveries()
    return delivery


# Registering --------------------------------------------------------------------------------


def test_register_list_and_remove_through_the_api(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    created = register(client, make_site, site, "https://hooks.shop.example/consent")
    assert set(created) == {
        "id",
        "url",
        "secret",
        "active",
        "created_at",
        "previous_secret_expires_at",
    }
    assert created["url"] == "https://hooks.shop.example/consent"
    assert created["active"] is True
    assert created["previous_secret_expires_at"] is None
    # Standard Webhooks' form: whsec_ and 32 random bytes in base64.
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"), validate=True)) == 32
    [row] = endpoints()
    assert (row.id, row.site_id, row.secret) == (created["id"], site.id, created["secret"])

    listed = client.get(webhooks_url(site), headers=bearer(make_site, site))
    assert listed.status_code == 200
    assert listed.get_json() == [
        {
            key: created[key]
            for key in ("id", "url", "active", "created_at", "previous_secret_expires_at")
        }
    ]
    assert created["secret"] not in listed.get_data(as_text=True)

    url = f"{webhooks_url(site)}/{created['id']}"
    removed = client.delete(url, headers=bearer(make_site, site))
    assert removed.status_code == 204
    assert removed.data == b""
    assert endpoints() == []
    again = client.delete(url, headers=bearer(make_site, site))
    assert again.status_code == 404
    assert again.mimetype == "application/problem+json"
    assert "webhook_id" in again.get_json()["errors"]
    assert client.get(webhooks_url(site), headers=bearer(make_site, site)).get_json() == []


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic abc", "other-site"])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "ROTATE"])
def test_webhooks_need_the_sites_own_token(
    client: FlaskClient,
    make_site: SiteFactory,
    site: Site,
    method: str,
    authorization: str | None,
) -> None:
    existing = register(client, make_site, site, "https://hooks.shop.example/consent")
    headers: dict[str, str] = {}
    if authorization == "other-site":
        headers = bearer(make_site, make_site(name="Other", domains=("other.example",)))
    elif authorization:
        headers["Authorization"] = authorization
    path = webhooks_url(site)
    if method == "DELETE":
        path += f"/{existing['id']}"
    elif method == "ROTATE":
        method, path = "POST", f"{path}/{existing['id']}/rotate"
    before = table_counts()
    secrets_before = [row.secret for row in endpoints()]
    response = client.open(
        path, method=method, json={"url": "https://evil.example/"}, headers=headers
    )
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"] == {"authorization": ["Missing or wrong API token."]}
    assert existing["secret"] not in response.get_data(as_text=True)
    assert table_counts() == before
    assert [row.secret for row in endpoints()] == secrets_before


def test_a_site_cannot_remove_another_sites_webhook(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    other = make_site(name="Other", domains=("other.example",))
    theirs = register(client, make_site, other, "https://hooks.other.example/")
    response = client.delete(
        f"{webhooks_url(site)}/{theirs['id']}", headers=bearer(make_site, site)
    )
    assert response.status_code == 404
    assert [row.id for row in endpoints()] == [theirs["id"]]
    listed = client.get(webhooks_url(site), headers=bearer(make_site, site)).get_json()
    assert listed == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.shop.example/",
        "http://",
        "https:///path-only",
        "hooks.shop.example/consent",
        "https://user:secret@hooks.shop.example/",
        "javascript:alert(1)",
        "https://hooks.shop.example/" + "x" * 2100,
        "",
        None,
        42,
    ],
    ids=[
        "ftp",
        "no-host",
        "empty-host",
        "no-scheme",
        "credentials",
        "javascript",
        "too-long",
        "empty",
        "null",
        "number",
    ],
)
def test_bad_webhook_urls_are_refused(
    client: FlaskClient, make_site: SiteFactory, site: Site, url: Any
) -> None:
    before = table_counts()
    response = client.post(webhooks_url(site), json={"url": url}, headers=bearer(make_site, site))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert list(response.get_json()["errors"]) == ["url"]
    assert table_counts() == before


def test_webhook_registration_needs_json(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    missing = client.post(webhooks_url(site), json={}, headers=bearer(make_site, site))
    assert missing.status_code == 422
    assert "url" in missing.get_json()["errors"]
    form = client.post(
        webhooks_url(site),
        data={"url": "https://hooks.shop.example/"},
        headers=bearer(make_site, site),
    )
    assert form.status_code == 415
    assert endpoints() == []


def test_cli_add_list_and_remove(runner: FlaskCliRunner, site: Site) -> None:
    added = runner.invoke(
        args=["webhooks", "add", "--", site.site_key, "https://hooks.shop.example/c"]
    )
    assert added.exit_code == 0, added.output
    printed = json.loads(added.stdout)
    assert set(printed) == {"id", "url", "secret"}
    [row] = endpoints()
    assert (row.id, row.url, row.secret) == (
        printed["id"],
        "https://hooks.shop.example/c",
        printed["secret"],
    )

    listed = runner.invoke(args=["webhooks", "list", "--", site.site_key])
    assert listed.exit_code == 0
    assert [json.loads(line) for line in listed.stdout.splitlines()] == [
        {"id": printed["id"], "url": "https://hooks.shop.example/c", "deliveries": {}}
    ]
    assert printed["secret"] not in listed.output

    removed = runner.invoke(args=["webhooks", "remove", "--", site.site_key, str(printed["id"])])
    assert removed.exit_code == 0
    assert removed.stdout.strip() == f"removed webhook {printed['id']}"
    assert endpoints() == []
    gone = runner.invoke(args=["webhooks", "remove", "--", site.site_key, str(printed["id"])])
    assert gone.exit_code == 1
    assert runner.invoke(args=["webhooks", "list", "--", site.site_key]).stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ["webhooks", "add", "--", "{key}", "ftp://hooks.shop.example/"],
        ["webhooks", "add", "--", "{key}", "https://u:p@hooks.shop.example/"],
        ["webhooks", "add", "--", "nosuchsite1", "https://hooks.shop.example/"],
        ["webhooks", "list", "--", "nosuchsite1"],
        ["webhooks", "remove", "--", "{key}", "12345"],
    ],
    ids=["ftp", "credentials", "unknown-site", "list-unknown-site", "remove-unknown-id"],
)
def test_cli_refusals(runner: FlaskCliRunner, site: Site, args: list[str]) -> None:
    before = table_counts()
    result = runner.invoke(args=[arg.format(key=site.site_key) for arg in args])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert len(result.stderr.splitlines()) == 1
    assert table_counts() == before


def test_cli_list_counts_deliveries(
    client: FlaskClient,
    runner: FlaskCliRunner,
    site: Site,
    hooked: dict[str, Any],
    receiver: Receiver,
) -> None:
    deliver_due(allow_private=True)
    post_choice(client, site, {"action": "reject_all"})
    listed = runner.invoke(args=["webhooks", "list", "--", site.site_key])
    assert listed.exit_code == 0
    assert json.loads(listed.stdout) == {
        "id": hooked["endpoint"]["id"],
        "url": receiver.url,
        "deliveries": {"delivered": 1, "pending": 1},
    }


# The outbox ---------------------------------------------------------------------------------


def test_each_consent_queues_one_delivery_per_active_endpoint(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    first = register(client, make_site, site, "https://hooks.shop.example/a")
    second = register(client, make_site, site, "https://hooks.shop.example/b")
    paused = register(client, make_site, site, "https://hooks.shop.example/paused")
    db.session.get(WebhookEndpoint, paused["id"]).active = False  # type: ignore[union-attr]
    db.session.commit()
    bystander = make_site(name="Bystander", domains=("bystander.example",))
    register(client, make_site, bystander, "https://hooks.bystander.example/")

    response = post_choice(
        client,
        site,
        {
            "action": "save",
            "categories": {"analytics": True, "marketing": False},
            "url": "https://shop.example/cart?email=a@b.vn",
        },
    )
    assert response.status_code == 201
    recorded = response.get_json()
    [event] = db.session.execute(sa.select(ConsentEvent)).scalars()

    rows = deliveries()
    assert sorted(row.endpoint_id for row in rows) == [first["id"], second["id"]]
    expected = {
        "type": "consent.recorded",
        "event_id": event.id,
        "site_key": site.site_key,
        "visitor_id": recorded["visitor_id"],
        "action": "save",
        "source": "banner",
        "decided": True,
        "categories": {"essential": True, "analytics": True, "marketing": False},
        "services": {},
        "policy_version": "1.0",
        "gpc": False,
        "occurred_at": recorded["decided_at"],
    }
    for row in rows:
        assert row.payload == expected
        assert (row.status, row.attempts, row.last_error) == ("pending", 0, None)
        assert row.event_id == event.id
        assert row.next_attempt_at == event.created_at
        assert row.delivered_at is None


def test_payload_carries_services_and_gpc(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    patch = client.patch(
        f"/api/v1/sites/{site.site_key}/config",
        json={"services": [{"name": "meta_pixel", "category": "marketing", "label": "Meta Pixel"}]},
        headers=bearer(make_site, site),
    )
    assert patch.status_code == 200
    register(client, make_site, site, "https://hooks.shop.example/")
    accepted = post_choice(client, site, {"action": "accept_all"}).get_json()
    post_choice(
        client, site, {"action": "opt_out", "source": "gpc", "visitor_id": accepted["visitor_id"]}
    )

    first, second = (row.payload for row in deliveries())
    assert first["services"] == {"meta_pixel": True}
    assert (first["action"], first["gpc"]) == ("accept_all", False)
    assert second["visitor_id"] == accepted["visitor_id"]
    assert (second["action"], second["source"], second["gpc"]) == ("opt_out", "gpc", True)
    assert second["categories"]["marketing"] is False
    assert second["services"] == {"meta_pixel": False}


@pytest.mark.parametrize(
    "body",
    [
        {"action": "save", "categories": {"analytics": True}},
        {"action": "accept_all", "services": {"ga4": True}},
        {"action": "accept_all", "visitor_id": "garbage"},
    ],
    ids=["missing-category", "unknown-service", "bad-visitor-id"],
)
def test_a_refused_consent_queues_nothing(
    client: FlaskClient, make_site: SiteFactory, site: Site, body: dict[str, Any]
) -> None:
    register(client, make_site, site, "https://hooks.shop.example/")
    before = table_counts()
    response = post_choice(client, site, body)
    assert response.status_code in {400, 422}
    assert table_counts() == before
    assert deliveries() == []


def test_without_endpoints_nothing_is_queued(client: FlaskClient, site: Site) -> None:
    assert post_choice(client, site, {"action": "accept_all"}).status_code == 201
    assert deliveries() == []


def test_removing_an_endpoint_drops_its_pending_deliveries(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    kept = register(client, make_site, site, "https://hooks.shop.example/kept")
    dropped = register(client, make_site, site, "https://hooks.shop.example/dropped")
    post_choice(client, site, {"action": "accept_all"})
    assert len(deliveries()) == 2
    response = client.delete(
        f"{webhooks_url(site)}/{dropped['id']}", headers=bearer(make_site, site)
    )
    assert response.status_code == 204
    assert [row.endpoint_id for row in deliveries()] == [kept["id"]]
    post_choice(client, site, {"action": "reject_all"})
    assert [row.endpoint_id for row in deliveries()] == [kept["id"], kept["id"]]


def test_a_stale_site_profile_does_not_queue_for_a_removed_endpoint(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    # Another worker may hold the site's settings from before the endpoint was removed.
    endpoint = register(client, make_site, site, "https://hooks.shop.example/")
    stale = SiteProfile.of(site)
    assert stale.webhook_endpoint_ids == (endpoint["id"],)
    client.delete(f"{webhooks_url(site)}/{endpoint['id']}", headers=bearer(make_site, site))

    decision = record_consent(stale, ConsentInput(action="accept_all"), secret_keys=SECRET_KEYS)
    assert decision.decided is True
    assert deliveries() == []
    assert db.session.execute(sa.select(sa.func.count()).select_from(ConsentEvent)).scalar() == 1


# Delivery -----------------------------------------------------------------------------------


def verify(secret: str, received: Received) -> Any:
    """What a receiver does with the standardwebhooks library: the payload, or an exception."""
    return Webhook(secret).verify(received.body, received.headers)


def signatures(received: Received) -> list[str]:
    return received.headers["webhook-signature"].split(" ")


def test_delivery_is_a_signed_post(hooked: dict[str, Any], receiver: Receiver) -> None:
    queued = only_delivery()
    assert deliver_due(allow_private=True) == 1

    [received] = receiver.requests
    assert received.method == "POST"
    assert received.path == "/hooks/consent"
    assert received.headers["content-type"] == "application/json"
    assert received.headers["host"] == f"127.0.0.1:{receiver.port}"
    body = json.loads(received.body)
    assert body == {**queued.payload, "delivery_id": hooked["delivery_id"]}
    assert body["visitor_id"] == hooked["consent"]["visitor_id"]
    assert body["type"] == "consent.recorded"

    # Standard Webhooks: the delivery's id, the time it was sent, one v1 signature.
    assert received.headers["webhook-id"] == str(hooked["delivery_id"])
    timestamp = int(received.headers["webhook-timestamp"])
    assert abs(timestamp - time.time()) < 60
    [signature] = signatures(received)
    assert re.fullmatch(r"v1,[A-Za-z0-9+/]{43}=", signature), signature
    # The old scheme's headers are gone.
    assert "cookieconsent-signature" not in received.headers
    assert "cookieconsent-delivery" not in received.headers

    secret = hooked["endpoint"]["secret"]
    assert verify(secret, received) == body
    # What a receiver in any language computes: HMAC-SHA256, keyed with the secret's bytes, of
    # "<webhook-id>.<webhook-timestamp>.<raw body>", in base64.
    key = base64.b64decode(secret.removeprefix("whsec_"))
    message = f"{received.headers['webhook-id']}.{timestamp}.".encode() + received.body
    expected = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
    assert signature == f"v1,{expected}"

    with pytest.raises(WebhookVerificationError):
        verify(webhooks.new_secret(), received)
    tampered = Received(
        received.method,
        received.path,
        received.headers,
        received.body.replace(b"true", b"false", 1),
    )
    with pytest.raises(WebhookVerificationError):
        verify(secret, tampered)
    replayed_as_another = {**received.headers, "webhook-id": str(hooked["delivery_id"] + 1)}
    with pytest.raises(WebhookVerificationError):
        verify(secret, Received("POST", received.path, replayed_as_another, received.body))

    delivered = only_delivery()
    assert (delivered.status, delivered.attempts, delivered.last_error) == ("delivered", 1, None)
    assert delivered.delivered_at is not None
    # Delivered once is delivered: a later run sends nothing.
    assert deliver_due(allow_private=True, now=utcnow() + timedelta(days=1)) == 0
    assert len(receiver.requests) == 1


def test_failed_deliveries_back_off_then_succeed(
    hooked: dict[str, Any], receiver: Receiver
) -> None:
    receiver.statuses = [500, 500]
    start = utcnow()
    # The worker's randomness, and a twin that tells what it will draw.
    rng, twin = random.Random(8), random.Random(8)

    assert deliver_due(allow_private=True, now=start, rng=rng) == 1
    first = only_delivery()
    assert (first.status, first.attempts, first.last_error) == ("pending", 1, "HTTP 500")
    assert first.next_attempt_at == start + retry_delay(1, twin)
    assert start + timedelta(seconds=15) <= first.next_attempt_at <= start + timedelta(seconds=30)

    # Not yet due: nothing is attempted.
    not_yet = first.next_attempt_at - timedelta(milliseconds=1)
    assert deliver_due(allow_private=True, now=not_yet, rng=rng) == 0
    assert len(receiver.requests) == 1
    assert only_delivery().attempts == 1

    second_try = first.next_attempt_at
    assert deliver_due(allow_private=True, now=second_try, rng=rng) == 1
    second = only_delivery()
    assert (second.status, second.attempts, second.last_error) == ("pending", 2, "HTTP 500")
    assert second.next_attempt_at == second_try + retry_delay(2, twin)
    waited = second.next_attempt_at - second_try
    assert timedelta(seconds=30) <= waited <= timedelta(seconds=60)
    not_yet = second.next_attempt_at - timedelta(milliseconds=1)
    assert deliver_due(allow_private=True, now=not_yet, rng=rng) == 0

    assert deliver_due(allow_private=True, now=second.next_attempt_at, rng=rng) == 1
    third = only_delivery()
    assert (third.status, third.attempts, third.last_error) == ("delivered", 3, None)
    assert len(receiver.posts) == 3
    # Every attempt carries the same delivery, so the receiver can drop duplicates.
    assert {request.headers["webhook-id"] for request in receiver.posts} == {
        str(hooked["delivery_id"])
    }
    assert len({request.body for request in receiver.posts}) == 1
    for request in receiver.posts:
        verify(hooked["endpoint"]["secret"], request)


@pytest.mark.parametrize(
    ("attempts", "ceiling"),
    [(1, 30), (2, 60), (3, 120), (4, 240), (10, 15360), (11, 21600), (40, 21600)],
)
def test_the_schedule_doubles_up_to_six_hours(attempts: int, ceiling: int) -> None:
    assert retry_ceiling(attempts) == timedelta(seconds=ceiling)


@pytest.mark.parametrize("attempts", range(1, MAX_ATTEMPTS + 1))
def test_retry_jitter_is_spread_evenly_within_the_schedule(attempts: int) -> None:
    # Equal jitter: uniform between half the schedule's delay and all of it. Seeded, so the
    # statistics are the same on every run.
    rng = random.Random(20261201 + attempts)
    ceiling = retry_ceiling(attempts).total_seconds()
    draws = [retry_delay(attempts, rng).total_seconds() for _ in range(4000)]
    assert min(draws) >= ceiling / 2
    assert max(draws) <= ceiling
    # The whole range is used, evenly: each quarter holds about a quarter of the draws.
    quarters = [0, 0, 0, 0]
    for seconds in draws:
        quarters[min(int((seconds - ceiling / 2) / (ceiling / 8)), 3)] += 1
    assert all(850 <= count <= 1150 for count in quarters), quarters
    mean = sum(draws) / len(draws)
    assert abs(mean - 0.75 * ceiling) <= 0.01 * ceiling
    assert min(draws) < ceiling * 0.51 and max(draws) > ceiling * 0.99


def test_retry_jitter_without_a_seed_stays_within_the_schedule() -> None:
    for attempts in (1, 5, 12):
        ceiling = retry_ceiling(attempts)
        draws = {retry_delay(attempts) for _ in range(200)}
        assert all(ceiling / 2 <= draw <= ceiling for draw in draws)
        assert len(draws) > 150


def test_deliveries_failing_together_come_back_apart(
    client: FlaskClient, make_site: SiteFactory, site: Site, receiver: Receiver
) -> None:
    register(client, make_site, site, receiver.url)
    for _ in range(8):
        post_choice(client, site, {"action": "accept_all"})
    receiver.statuses = [503] * 8
    start = utcnow() + timedelta(seconds=1)
    assert deliver_due(allow_private=True, now=start, rng=random.Random(3)) == 8
    retries = [row.next_attempt_at - start for row in deliveries()]
    assert len(set(retries)) == 8
    assert all(timedelta(seconds=15) <= wait <= timedelta(seconds=30) for wait in retries)
    assert max(retries) - min(retries) >= timedelta(seconds=5)


def test_a_claimed_but_unfinished_delivery_is_retried_after_the_lease(
    hooked: dict[str, Any], receiver: Receiver
) -> None:
    start = utcnow()
    # A worker claims the delivery, then dies before sending it or recording the outcome.
    [claimed] = webhooks._claim(10, start)
    assert claimed.delivery_id == hooked["delivery_id"]
    db.session.remove()

    leased = only_delivery()
    assert (leased.status, leased.attempts) == ("pending", 1)
    assert leased.next_attempt_at == start + lease_for(10)
    # While the lease runs, no other worker takes it.
    assert deliver_due(allow_private=True, now=start + lease_for(10) - timedelta(seconds=1)) == 0
    assert receiver.requests == []

    assert deliver_due(allow_private=True, now=start + lease_for(10)) == 1
    delivered = only_delivery()
    assert (delivered.status, delivered.attempts) == ("delivered", 2)
    assert len(receiver.posts) == 1


def test_gives_up_after_max_attempts(hooked: dict[str, Any], receiver: Receiver) -> None:
    receiver.statuses = [503] * MAX_ATTEMPTS
    moment = utcnow()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert deliver_due(allow_private=True, now=moment) == 1
        delivery = only_delivery()
        assert delivery.attempts == attempt
        assert delivery.last_error == "HTTP 503"
        if attempt < MAX_ATTEMPTS:
            assert delivery.status == "pending"
            waited = delivery.next_attempt_at - moment
            assert retry_ceiling(attempt) / 2 <= waited <= retry_ceiling(attempt)
            moment = delivery.next_attempt_at
    assert delivery.status == "failed"
    assert delivery.delivered_at is None
    assert deliver_due(allow_private=True, now=moment + timedelta(days=30)) == 0
    assert len(receiver.requests) == MAX_ATTEMPTS


def test_redirects_are_not_followed(hooked: dict[str, Any], receiver: Receiver) -> None:
    receiver.statuses = [302]
    assert deliver_due(allow_private=True) == 1
    # A redirect would turn the POST into a bodiless GET to wherever it points.
    assert [(request.method, request.path) for request in receiver.requests] == [
        ("POST", "/hooks/consent")
    ]
    delivery = only_delivery()
    assert (delivery.status, delivery.last_error) == ("pending", "HTTP 302")


def test_an_unreachable_receiver_is_retried(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    # A port that was free a moment ago and that nothing listens on.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    register(client, make_site, site, f"http://127.0.0.1:{port}/")
    post_choice(client, site, {"action": "accept_all"})
    assert deliver_due(allow_private=True) == 1
    delivery = only_delivery()
    assert delivery.status == "pending"
    assert delivery.attempts == 1
    assert "refused" in (delivery.last_error or "").lower()


def test_deliveries_go_to_their_own_endpoint(
    client: FlaskClient, make_site: SiteFactory, site: Site, receiver: Receiver
) -> None:
    first = register(client, make_site, site, receiver.url + "?to=first")
    second = register(client, make_site, site, receiver.url + "?to=second")
    post_choice(client, site, {"action": "accept_all"})
    assert deliver_due(allow_private=True) == 2
    by_path = {request.path: request for request in receiver.posts}
    assert set(by_path) == {"/hooks/consent?to=first", "/hooks/consent?to=second"}
    for endpoint, other, path in (
        (first, second, "/hooks/consent?to=first"),
        (second, first, "/hooks/consent?to=second"),
    ):
        verify(endpoint["secret"], by_path[path])
        with pytest.raises(WebhookVerificationError):
            verify(other["secret"], by_path[path])
    assert {row.status for row in deliveries()} == {"delivered"}


def test_batch_limits_each_run(
    client: FlaskClient, make_site: SiteFactory, site: Site, receiver: Receiver
) -> None:
    register(client, make_site, site, receiver.url)
    for _ in range(3):
        post_choice(client, site, {"action": "accept_all"})
    later = utcnow() + timedelta(seconds=1)
    assert deliver_due(allow_private=True, batch=2, now=later) == 2
    assert deliver_due(allow_private=True, batch=2, now=later) == 1
    assert deliver_due(allow_private=True, batch=2, now=later) == 0
    # Oldest first.
    ids = [int(request.headers["webhook-id"]) for request in receiver.posts]
    assert ids == sorted(ids) == [row.id for row in deliveries()]


# Secret rotation ----------------------------------------------------------------------------


def rotate_url(site: Site, webhook_id: int | str) -> str:
    return f"{webhooks_url(site)}/{webhook_id}/rotate"


def test_rotating_through_the_api_returns_the_new_secret_once(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    created = register(client, make_site, site, "https://hooks.shop.example/")
    before = utcnow()
    response = client.post(
        rotate_url(site, created["id"]), json={}, headers=bearer(make_site, site)
    )
    assert response.status_code == 200, response.get_json()
    rotated = response.get_json()
    assert {key: rotated[key] for key in ("id", "url", "active", "created_at")} == {
        key: created[key] for key in ("id", "url", "active", "created_at")
    }
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
    ends = datetime.fromisoformat(rotated["previous_secret_expires_at"].replace("Z", "+00:00"))
    assert before + ROTATION_OVERLAP - timedelta(seconds=1) <= ends
    assert ends <= utcnow() + ROTATION_OVERLAP
    [row] = endpoints()
    assert (row.secret, row.previous_secret) == (rotated["secret"], created["secret"])

    listed = client.get(webhooks_url(site), headers=bearer(make_site, site))
    assert (
        listed.get_json()[0]["previous_secret_expires_at"] == rotated["previous_secret_expires_at"]
    )
    assert rotated["secret"] not in listed.get_data(as_text=True)
    assert created["secret"] not in listed.get_data(as_text=True)


@pytest.mark.parametrize("webhook_id", ["other-site", "12345", "257513283274767630250016768"])
def test_rotating_a_webhook_the_site_does_not_have_is_404(
    client: FlaskClient, make_site: SiteFactory, site: Site, webhook_id: str
) -> None:
    mine = register(client, make_site, site, "https://hooks.shop.example/")
    if webhook_id == "other-site":
        other = make_site(name="Other", domains=("other.example",))
        webhook_id = str(register(client, make_site, other, "https://hooks.other.example/")["id"])
    secrets_before = [row.secret for row in endpoints()]
    response = client.post(rotate_url(site, webhook_id), json={}, headers=bearer(make_site, site))
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert list(response.get_json()["errors"]) == ["webhook_id"]
    assert [row.secret for row in endpoints()] == secrets_before
    assert mine["secret"] in secrets_before


def test_cli_rotate_prints_the_new_secret(runner: FlaskCliRunner, site: Site) -> None:
    added = json.loads(
        runner.invoke(
            args=["webhooks", "add", "--", site.site_key, "https://hooks.shop.example/"]
        ).stdout
    )
    result = runner.invoke(args=["webhooks", "rotate", "--", site.site_key, str(added["id"])])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert set(printed) == {"id", "url", "secret", "previous_secret_expires_at"}
    assert (printed["id"], printed["url"]) == (added["id"], added["url"])
    assert printed["secret"].startswith("whsec_") and printed["secret"] != added["secret"]
    [row] = endpoints()
    assert (row.secret, row.previous_secret) == (printed["secret"], added["secret"])
    assert printed["previous_secret_expires_at"] == webhooks.iso_utc(row.previous_secret_expires_at)


@pytest.mark.parametrize(
    ("webhook_id", "status"),
    [("12345", 1), ("0", 1), ("-1", 1), ("257513283274767630250016768", 1), ("abc", 2)],
)
def test_cli_rotate_refusals(
    runner: FlaskCliRunner, site: Site, webhook_id: str, status: int
) -> None:
    runner.invoke(args=["webhooks", "add", "--", site.site_key, "https://hooks.shop.example/"])
    before = [(row.secret, row.previous_secret) for row in endpoints()]
    result = runner.invoke(args=["webhooks", "rotate", "--", site.site_key, webhook_id])
    assert result.exit_code == status
    assert "Traceback" not in result.output
    if status == 1:
        assert result.stderr == f"Error: site {site.site_key!r} has no webhook {webhook_id}\n"
    else:
        assert "Error: Invalid value for 'WEBHOOK_ID'" in result.stderr
    assert [(row.secret, row.previous_secret) for row in endpoints()] == before


def test_both_secrets_sign_for_24_hours_after_a_rotation(
    client: FlaskClient, make_site: SiteFactory, site: Site, receiver: Receiver
) -> None:
    created = register(client, make_site, site, receiver.url)
    old = created["secret"]
    rotated_at = utcnow()
    endpoint = rotate_secret(site, created["id"], now=rotated_at)
    assert endpoint is not None
    new = endpoint.secret

    post_choice(client, site, {"action": "accept_all"})
    # The worker's clock just inside the overlap: two signatures, the new one first.
    assert (
        deliver_due(allow_private=True, now=rotated_at + ROTATION_OVERLAP - timedelta(seconds=1))
        == 1
    )
    during = receiver.posts[-1]
    assert len(signatures(during)) == 2
    # A receiver holding either secret accepts it.
    assert verify(new, during)["action"] == "accept_all"
    assert verify(old, during)["action"] == "accept_all"
    with pytest.raises(WebhookVerificationError):
        verify(webhooks.new_secret(), during)

    post_choice(client, site, {"action": "reject_all"})
    # From the moment the overlap ends, only the new secret signs.
    assert deliver_due(allow_private=True, now=rotated_at + ROTATION_OVERLAP) == 1
    after = receiver.posts[-1]
    assert len(signatures(after)) == 1
    assert verify(new, after)["action"] == "reject_all"
    with pytest.raises(WebhookVerificationError):
        verify(old, after)


def test_a_second_rotation_retires_the_oldest_secret_at_once(
    client: FlaskClient, make_site: SiteFactory, site: Site, receiver: Receiver
) -> None:
    first = register(client, make_site, site, receiver.url)["secret"]
    webhook_id = endpoints()[0].id
    second, third = (
        client.post(rotate_url(site, webhook_id), json={}, headers=bearer(make_site, site))
        for _ in range(2)
    )
    second_secret, third_secret = (r.get_json()["secret"] for r in (second, third))
    post_choice(client, site, {"action": "accept_all"})
    assert deliver_due(allow_private=True) == 1
    [received] = receiver.posts
    assert len(signatures(received)) == 2
    verify(third_secret, received)
    verify(second_secret, received)
    with pytest.raises(WebhookVerificationError):
        verify(first, received)


def test_a_delivery_signs_with_the_secrets_of_when_it_is_sent(
    hooked: dict[str, Any], receiver: Receiver, site: Site
) -> None:
    # Queued before the rotation, sent after it: signed by both, as any delivery then.
    endpoint = rotate_secret(site, hooked["endpoint"]["id"])
    assert endpoint is not None
    assert deliver_due(allow_private=True) == 1
    [received] = receiver.posts
    verify(endpoint.secret, received)
    verify(hooked["endpoint"]["secret"], received)


# Erasure ------------------------------------------------------------------------------------


def erase(client: FlaskClient, site_key: str, visitor_id: str) -> dict[str, Any]:
    response = client.delete(
        f"/api/v1/sites/{site_key}/consents/{visitor_id}", headers={"Origin": SHOP_ORIGIN}
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def test_erasure_sends_consent_erased_after_the_deliveries_still_due(
    client: FlaskClient,
    runner: FlaskCliRunner,
    site: Site,
    hooked: dict[str, Any],
    receiver: Receiver,
) -> None:
    visitor_id = hooked["consent"]["visitor_id"]
    rejected = post_choice(client, site, {"action": "reject_all", "visitor_id": visitor_id})
    assert rejected.status_code == 201
    due = [(row.id, dict(row.payload)) for row in deliveries()]
    assert len(due) == 2

    assert erase(client, site.site_key, visitor_id)["erased_events"] == 2

    # The visitor's due deliveries are kept as they were; the erasure is queued after them.
    rows = deliveries()
    assert [(row.id, row.payload) for row in rows[:2]] == due
    erased = rows[2]
    assert (erased.status, erased.event_id, erased.endpoint_id) == (
        "pending",
        None,
        hooked["endpoint"]["id"],
    )
    assert erased.next_attempt_at >= max(row.next_attempt_at for row in rows[:2])
    assert set(erased.payload) == {"type", "site_key", "visitor_id", "erased_events", "occurred_at"}
    assert erased.payload["type"] == "consent.erased"
    assert erased.payload["visitor_id"] == visitor_id
    assert erased.payload["site_key"] == site.site_key
    assert erased.payload["erased_events"] == 2

    assert deliver_due(allow_private=True, now=utcnow() + timedelta(seconds=1)) == 3
    bodies = [verify(hooked["endpoint"]["secret"], request) for request in receiver.posts]
    assert [(body["type"], body.get("action")) for body in bodies] == [
        ("consent.recorded", "accept_all"),
        ("consent.recorded", "reject_all"),
        ("consent.erased", None),
    ]
    assert {body["visitor_id"] for body in bodies} == {visitor_id}
    assert bodies[2]["occurred_at"] >= bodies[1]["occurred_at"]
    # Once delivered, the outbox keeps no trace of the erased visitor.
    rows = deliveries()
    assert {row.status for row in rows} == {"delivered"}
    assert all("visitor_id" not in row.payload for row in rows)
    assert visitor_id not in json.dumps([row.payload for row in rows])
    listed = runner.invoke(args=["webhooks", "list", "--", site.site_key])
    assert json.loads(listed.stdout)["deliveries"] == {"delivered": 3}


def test_erasure_waits_behind_a_delivery_in_backoff(
    client: FlaskClient, site: Site, hooked: dict[str, Any], receiver: Receiver
) -> None:
    receiver.statuses = [503]
    start = utcnow()
    assert deliver_due(allow_private=True, now=start) == 1
    retry_at = only_delivery().next_attempt_at
    assert retry_at > start

    erase(client, site.site_key, hooked["consent"]["visitor_id"])
    _, erased = deliveries()
    assert erased.next_attempt_at == retry_at
    # Not before the choice it erases.
    assert deliver_due(allow_private=True, now=retry_at - timedelta(milliseconds=1)) == 0
    assert deliver_due(allow_private=True, now=retry_at) == 2
    assert [json.loads(request.body)["type"] for request in receiver.posts] == [
        "consent.recorded",
        "consent.recorded",
        "consent.erased",
    ]


def test_erasure_strips_the_visitor_from_deliveries_already_made(
    client: FlaskClient,
    make_site: SiteFactory,
    site: Site,
    hooked: dict[str, Any],
    receiver: Receiver,
) -> None:
    visitor_id = hooked["consent"]["visitor_id"]
    bystander = post_choice(client, site, {"action": "reject_all"}).get_json()["visitor_id"]
    assert deliver_due(allow_private=True) == 2
    failed = register(client, make_site, site, "https://hooks.shop.example/gone")
    post_choice(
        client,
        site,
        {
            "action": "save",
            "visitor_id": visitor_id,
            "categories": {"analytics": True, "marketing": False},
        },
    )
    for row in deliveries():
        if row.endpoint_id == failed["id"]:
            row.status = "failed"
    db.session.commit()

    erase(client, site.site_key, visitor_id)

    rows = deliveries()
    mine = [
        row
        for row in rows
        if row.payload.get("type") == "consent.recorded"
        and row.payload.get("visitor_id") != bystander
    ]
    # Made or given up: status kept, visitor ID gone. Still due: untouched.
    by_state = {(row.endpoint_id, row.status): row.payload for row in mine}
    assert "visitor_id" not in by_state[(hooked["endpoint"]["id"], "delivered")]
    assert "visitor_id" not in by_state[(failed["id"], "failed")]
    assert by_state[(hooked["endpoint"]["id"], "pending")]["visitor_id"] == visitor_id
    assert by_state[(hooked["endpoint"]["id"], "delivered")]["action"] == "accept_all"
    # Nobody else's deliveries change.
    [theirs] = [row for row in rows if row.payload.get("visitor_id") == bystander]
    assert theirs.status == "delivered"
    # Both active endpoints hear of the erasure.
    announced = [row for row in rows if row.payload["type"] == "consent.erased"]
    assert sorted(row.endpoint_id for row in announced) == sorted(
        [hooked["endpoint"]["id"], failed["id"]]
    )


def test_an_erasure_that_erases_nothing_sends_nothing(
    client: FlaskClient, site: Site, hooked: dict[str, Any], receiver: Receiver
) -> None:
    visitor_id = hooked["consent"]["visitor_id"]
    erase(client, site.site_key, visitor_id)
    assert len(deliveries()) == 2
    assert erase(client, site.site_key, visitor_id)["erased_events"] == 0
    assert len(deliveries()) == 2


def test_erasure_without_webhooks_queues_nothing(client: FlaskClient, site: Site) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"}).get_json()["visitor_id"]
    assert erase(client, site.site_key, visitor_id)["erased_events"] == 1
    assert deliveries() == []


def test_a_delivery_in_flight_during_the_erasure_is_stripped_when_done(
    client: FlaskClient, site: Site, hooked: dict[str, Any], receiver: Receiver
) -> None:
    # A worker holds the delivery (claimed, not yet sent) while the visitor is erased.
    start = utcnow()
    site_key = site.site_key
    [claimed] = webhooks._claim(10, start)
    db.session.remove()
    erase(client, site_key, hooked["consent"]["visitor_id"])
    recorded, erased = deliveries()
    assert recorded.payload["visitor_id"] == hooked["consent"]["visitor_id"]
    assert erased.payload["type"] == "consent.erased"
    # Its lease ends (the worker died): it is sent, and then forgotten like the others.
    assert deliver_due(allow_private=True, now=start + lease_for(10)) == 2
    assert [json.loads(request.body)["type"] for request in receiver.posts] == [
        "consent.recorded",
        "consent.erased",
    ]
    assert all("visitor_id" not in row.payload for row in deliveries())
    assert claimed.delivery_id == recorded.id


# Which addresses deliveries may reach -------------------------------------------------------


@pytest.fixture
def no_connection(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Record every connection attempt and refuse it: no packet leaves for a public address."""
    attempts: list[tuple[str, int]] = []

    def refuse(address: str, port: int, timeout: float | None) -> socket.socket:
        attempts.append((address, port))
        raise ConnectionRefusedError(f"test: not connecting to {address}")

    monkeypatch.setattr(webhooks, "_open_socket", refuse)
    return attempts


@pytest.fixture
def named_hook(
    client: FlaskClient, make_site: SiteFactory, site: Site, receiver: Receiver
) -> dict[str, Any]:
    """The receiver registered as http://hooks.test:PORT/…, one delivery waiting."""
    endpoint = register(client, make_site, site, receiver.url_for("hooks.test"))
    assert post_choice(client, site, {"action": "accept_all"}).status_code == 201
    return endpoint


NOT_PUBLIC = {
    "loopback": "127.0.0.1",
    "loopback-other": "127.8.9.10",
    "private-10": "10.0.0.1",
    "private-172": "172.16.5.4",
    "private-192": "192.168.1.1",
    "link-local": "169.254.169.254",
    "shared-cgnat": "100.64.0.1",
    "shared-cgnat-top": "100.127.255.254",
    "this-network": "0.0.0.0",
    "multicast": "224.0.0.1",
    "broadcast": "255.255.255.255",
    "reserved": "240.0.0.1",
    "documentation": "192.0.2.10",
    "benchmarking": "198.18.0.1",
    "ietf-protocol": "192.0.0.8",
    "ietf-protocol-first": "192.0.0.1",
    "ipv6-loopback": "::1",
    "ipv6-unspecified": "::",
    "ipv6-link-local": "fe80::1",
    "ipv6-unique-local": "fd12:3456::1",
    "ipv6-multicast": "ff02::1",
    "ipv6-documentation": "2001:db8::1",
    "ipv6-documentation-3fff": "3fff::1",
    "srv6-sid": "5f00::1",
    "teredo": "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "ipv4-mapped-loopback": "::ffff:127.0.0.1",
    "ipv4-mapped-private": "::ffff:10.1.2.3",
    "ipv4-mapped-metadata": "::ffff:169.254.169.254",
    "ipv4-mapped-cgnat": "::ffff:100.64.0.1",
    "ipv4-compatible": "::7f00:1",
    "nat64-loopback": "64:ff9b::127.0.0.1",
    "nat64-private": "64:ff9b::10.0.0.1",
    "nat64-metadata": "64:ff9b::169.254.169.254",
    "nat64-cgnat": "64:ff9b::100.64.0.1",
    "nat64-local-use": "64:ff9b:1::a00:1",
    "nat64-local-use-public": "64:ff9b:1::8.8.8.8",
    "6to4-loopback": "2002:7f00:1::1",
    "6to4-private": "2002:c0a8:101::1",
    "6to4-metadata": "2002:a9fe:a9fe::1",
    "6to4-cgnat": "2002:6440:1::1",
}

PUBLIC = {
    "ipv4": "93.184.215.14",
    "ipv6": "2606:4700:4700::1111",
    "ipv4-mapped-public": "::ffff:93.184.215.14",
    "nat64-public": "64:ff9b::93.184.215.14",
    "6to4-public": "2002:5db8:d70e::1",
}


@pytest.mark.parametrize("address", NOT_PUBLIC.values(), ids=NOT_PUBLIC.keys())
def test_addresses_that_are_not_public_are_refused(address: str) -> None:
    assert is_public_address(address) is False


@pytest.mark.parametrize("address", PUBLIC.values(), ids=PUBLIC.keys())
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(address) is True


@pytest.mark.parametrize("address", ["", "hooks.test", "1.2.3", "::g"])
def test_what_is_not_an_address_is_refused(address: str) -> None:
    assert is_public_address(address) is False


@pytest.mark.parametrize("address", NOT_PUBLIC.values(), ids=NOT_PUBLIC.keys())
def test_a_host_resolving_to_a_non_public_address_gets_nothing(
    named_hook: dict[str, Any],
    receiver: Receiver,
    no_connection: list[tuple[str, int]],
    address: str,
) -> None:
    resolver = StubResolver([address])
    start = utcnow()
    assert deliver_due(now=start, resolve=resolver) == 1
    assert resolver.calls == [("hooks.test", receiver.port)]
    assert no_connection == []
    assert receiver.requests == []
    refused = only_delivery()
    assert (refused.status, refused.attempts) == ("pending", 1)
    assert refused.last_error == (
        f"hooks.test resolves to {address}, which is not a public address; "
        "webhooks reach public addresses only"
    )
    # Refused is not given up: it is tried again on the schedule (the DNS may be fixed).
    assert start + timedelta(seconds=15) <= refused.next_attempt_at <= start + timedelta(seconds=30)


def test_every_resolved_address_must_be_public(
    named_hook: dict[str, Any], receiver: Receiver, no_connection: list[tuple[str, int]]
) -> None:
    resolver = StubResolver(["93.184.215.14", "2606:4700:4700::1111", "10.0.0.7"])
    assert deliver_due(resolve=resolver) == 1
    assert no_connection == []
    assert "10.0.0.7" in (only_delivery().last_error or "")


def test_a_public_answer_is_connected_to_as_checked(
    named_hook: dict[str, Any], receiver: Receiver, no_connection: list[tuple[str, int]]
) -> None:
    resolver = StubResolver(["93.184.215.14", "2606:4700:4700::1111"])
    assert deliver_due(resolve=resolver) == 1
    # Each checked address is tried in turn (the test refuses them: nothing leaves the machine).
    assert no_connection == [
        ("93.184.215.14", receiver.port),
        ("2606:4700:4700::1111", receiver.port),
    ]
    assert "ConnectionRefusedError" in (only_delivery().last_error or "")


def test_dns_rebinding_cannot_swap_the_address_after_the_check(
    named_hook: dict[str, Any], receiver: Receiver, no_connection: list[tuple[str, int]]
) -> None:
    # First answer public, every later one private: a second lookup would reach 127.0.0.1.
    resolver = StubResolver(["93.184.215.14"], ["127.0.0.1"])
    assert deliver_due(resolve=resolver) == 1
    assert resolver.calls == [("hooks.test", receiver.port)]
    assert no_connection == [("93.184.215.14", receiver.port)]
    assert receiver.requests == []


def test_the_connection_goes_to_the_resolved_address_with_the_urls_host(
    named_hook: dict[str, Any], receiver: Receiver
) -> None:
    # With private receivers allowed (development), the one lookup still decides: the first
    # answer is the receiver, a second lookup would give an address nothing listens on.
    resolver = StubResolver(["127.0.0.1"], ["127.0.0.2"])
    assert deliver_due(allow_private=True, resolve=resolver) == 1
    assert resolver.calls == [("hooks.test", receiver.port)]
    [received] = receiver.posts
    assert received.headers["host"] == f"hooks.test:{receiver.port}"
    assert received.path == "/hooks/consent"
    verify(named_hook["secret"], received)
    assert only_delivery().status == "delivered"


def test_a_real_receiver_on_loopback_is_refused_by_default(
    client: FlaskClient, make_site: SiteFactory, site: Site, receiver: Receiver
) -> None:
    # Through the system's resolver: localhost and the literal address alike.
    register(client, make_site, site, receiver.url_for("localhost"))
    register(client, make_site, site, receiver.url)
    post_choice(client, site, {"action": "accept_all"})
    assert deliver_due() == 2
    assert receiver.requests == []
    errors = sorted(row.last_error or "" for row in deliveries())
    assert errors[0].startswith("127.0.0.1 resolves to 127.0.0.1, which is not a public address")
    assert re.match(r"localhost resolves to (127\.0\.0\.1|::1), which is not", errors[1])


@pytest.mark.parametrize(
    "answer",
    [
        socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
        TimeoutError("timed out"),
        [],
    ],
    ids=["no-such-name", "timeout", "no-address"],
)
def test_resolution_failure_fails_closed(
    named_hook: dict[str, Any],
    receiver: Receiver,
    no_connection: list[tuple[str, int]],
    answer: Exception | list[str],
) -> None:
    start = utcnow()
    for attempt, allow_private in enumerate((False, True)):
        resolver = StubResolver(answer)
        later = start + timedelta(hours=attempt)
        assert deliver_due(allow_private=allow_private, now=later, resolve=resolver) == 1
        assert len(resolver.calls) == 1
    assert no_connection == []
    assert receiver.requests == []
    failed = only_delivery()
    assert (failed.status, failed.attempts) == ("pending", 2)
    assert failed.last_error is not None
    assert failed.last_error.startswith(
        "could not resolve hooks.test" if answer else "hooks.test resolves to no address"
    )
    assert failed.last_error.endswith("nothing was sent")


# TLS ----------------------------------------------------------------------------------------


@pytest.fixture
def authority(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> trustme.CA:
    """A certificate authority the system trusts for this test (as ``SSL_CERT_FILE`` makes it)."""
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    return ca


@pytest.fixture
def tls_receiver(authority: trustme.CA) -> Iterator[tuple[Receiver, list[str | None]]]:
    """An HTTPS receiver on 127.0.0.1 with a certificate for hooks.test; it records SNI names."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("hooks.test").configure_cert(context)
    names: list[str | None] = []
    context.sni_callback = lambda _socket, name, _context: names.append(name)
    for state in serve(context):
        yield state, names


def test_https_delivery_checks_the_certificate_for_the_urls_host(
    client: FlaskClient,
    make_site: SiteFactory,
    site: Site,
    tls_receiver: tuple[Receiver, list[str | None]],
) -> None:
    receiver, names = tls_receiver
    endpoint = register(client, make_site, site, receiver.url_for("hooks.test", "https"))
    post_choice(client, site, {"action": "accept_all"})
    resolver = StubResolver(["127.0.0.1"])
    assert deliver_due(allow_private=True, resolve=resolver) == 1
    assert only_delivery().status == "delivered", only_delivery().last_error
    [received] = receiver.posts
    # Connected to 127.0.0.1, yet SNI, Host and the certificate's name are the URL's host.
    assert names == ["hooks.test"]
    assert received.headers["host"] == f"hooks.test:{receiver.port}"
    verify(endpoint["secret"], received)


def test_https_delivery_refuses_a_certificate_for_another_name(
    client: FlaskClient,
    make_site: SiteFactory,
    site: Site,
    tls_receiver: tuple[Receiver, list[str | None]],
) -> None:
    receiver, names = tls_receiver
    register(client, make_site, site, receiver.url_for("other.test", "https"))
    post_choice(client, site, {"action": "accept_all"})
    assert deliver_due(allow_private=True, resolve=StubResolver(["127.0.0.1"])) == 1
    assert names == ["other.test"]
    assert receiver.requests == []
    failed = only_delivery()
    assert failed.status == "pending"
    assert "SSLCertVerificationError" in (failed.last_error or "")
    assert "other.test" in (failed.last_error or "")


def test_https_delivery_refuses_an_untrusted_certificate(
    client: FlaskClient,
    make_site: SiteFactory,
    site: Site,
    tls_receiver: tuple[Receiver, list[str | None]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    receiver, _ = tls_receiver
    # The system trusts another authority only.
    stranger = tmp_path / "stranger.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    monkeypatch.setenv("SSL_CERT_FILE", str(stranger))
    register(client, make_site, site, receiver.url_for("hooks.test", "https"))
    post_choice(client, site, {"action": "accept_all"})
    assert deliver_due(allow_private=True, resolve=StubResolver(["127.0.0.1"])) == 1
    assert receiver.requests == []
    assert "certificate verify failed" in (only_delivery().last_error or "")


# The worker command -------------------------------------------------------------------------


@pytest.fixture
def restore_sigterm() -> Iterator[None]:
    """``webhooks run`` installs a SIGTERM handler; give pytest its own back."""
    previous = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, previous)


def test_cli_run_once_delivers_what_is_due(
    app: Flask,
    runner: FlaskCliRunner,
    hooked: dict[str, Any],
    receiver: Receiver,
    restore_sigterm: None,
) -> None:
    app.config["COOKIECONSENT_WEBHOOK_ALLOW_PRIVATE"] = True
    result = runner.invoke(args=["webhooks", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "attempted 1 deliveries"
    assert len(receiver.posts) == 1
    assert json.loads(receiver.posts[0].body)["delivery_id"] == hooked["delivery_id"]
    assert only_delivery().status == "delivered"

    again = runner.invoke(args=["webhooks", "run", "--once"])
    assert again.stdout.strip() == "attempted 0 deliveries"
    assert len(receiver.posts) == 1


def test_cli_run_once_honours_the_private_address_setting(
    app: Flask,
    runner: FlaskCliRunner,
    hooked: dict[str, Any],
    receiver: Receiver,
    restore_sigterm: None,
) -> None:
    app.config["COOKIECONSENT_WEBHOOK_ALLOW_PRIVATE"] = False
    result = runner.invoke(args=["webhooks", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert receiver.requests == []
    assert "which is not a public address" in (only_delivery().last_error or "")


# The receiver's side, as the README shows it ------------------------------------------------


def readme_receiver_example() -> str:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Webhooks", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "the README's webhook section shows a Python receiver"
    return match.group(1)


def test_the_readme_receiver_verifies_real_deliveries(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    from werkzeug.serving import make_server

    applied: list[Any] = []
    handled: set[str] = set()

    def already_handled(webhook_id: str) -> bool:
        seen = webhook_id in handled
        handled.add(webhook_id)
        return seen

    endpoint_secret = webhooks.new_secret()
    code = readme_receiver_example().replace('"whsec_…"', repr(endpoint_secret))
    namespace: dict[str, Any] = {
        "__name__": "receiver_example",
        "already_handled": already_handled,
        "apply": applied.append,
    }
    exec(compile(code, "README.md", "exec"), namespace)
    server = make_server("127.0.0.1", 0, namespace["app"])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hooks/consent"
        endpoint = register(client, make_site, site, url)
        db.session.get(WebhookEndpoint, endpoint["id"]).secret = endpoint_secret  # type: ignore[union-attr]
        db.session.commit()
        visitor_id = post_choice(client, site, {"action": "accept_all"}).get_json()["visitor_id"]
        erase(client, site.site_key, visitor_id)
        later = utcnow() + timedelta(seconds=1)
        assert deliver_due(allow_private=True, now=later) == 2
        assert {row.status for row in deliveries()} == {"delivered"}
        assert [(event["type"], event["visitor_id"]) for event in applied] == [
            ("consent.recorded", visitor_id),
            ("consent.erased", visitor_id),
        ]

        # A delivery signed with another secret is refused, and not applied.
        rotate_secret(site, endpoint["id"], now=later - ROTATION_OVERLAP)
        post_choice(client, site, {"action": "reject_all"})
        assert deliver_due(allow_private=True, now=later) == 1
        refused = deliveries()[-1]
        assert (refused.status, refused.last_error) == ("pending", "HTTP 400")
        assert len(applied) == 2
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

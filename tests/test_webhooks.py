"""Webhooks: registering endpoints, the outbox written with each consent, the delivery worker."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import signal
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from cookieconsent.extensions import db
from cookieconsent.models import ConsentEvent, Site, WebhookDelivery, WebhookEndpoint, utcnow
from cookieconsent.services import webhooks
from cookieconsent.services.consent import record_consent
from cookieconsent.services.sites import SiteProfile
from cookieconsent.services.webhooks import (
    MAX_ATTEMPTS,
    deliver_due,
    lease_for,
    retry_delay,
    sign_payload,
    verify_signature,
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


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1, stopped and closed after the test."""
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

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/consent"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


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
    assert set(created) == {"id", "url", "secret", "active", "created_at"}
    assert created["url"] == "https://hooks.shop.example/consent"
    assert created["active"] is True
    assert len(created["secret"]) >= 32
    [row] = endpoints()
    assert (row.id, row.site_id, row.secret) == (created["id"], site.id, created["secret"])

    listed = client.get(webhooks_url(site), headers=bearer(make_site, site))
    assert listed.status_code == 200
    assert listed.get_json() == [
        {key: created[key] for key in ("id", "url", "active", "created_at")}
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
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
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
    path = webhooks_url(site) + (f"/{existing['id']}" if method == "DELETE" else "")
    before = table_counts()
    response = client.open(
        path, method=method, json={"url": "https://evil.example/"}, headers=headers
    )
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"] == {"authorization": ["Missing or wrong API token."]}
    assert existing["secret"] not in response.get_data(as_text=True)
    assert table_counts() == before


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

    decision = record_consent(stale, secret_keys=SECRET_KEYS, action="accept_all")
    assert decision.decided is True
    assert deliveries() == []
    assert db.session.execute(sa.select(sa.func.count()).select_from(ConsentEvent)).scalar() == 1


# Delivery -----------------------------------------------------------------------------------


def test_delivery_is_a_signed_post(hooked: dict[str, Any], receiver: Receiver) -> None:
    queued = only_delivery()
    assert deliver_due(allow_private=True) == 1

    [received] = receiver.requests
    assert received.method == "POST"
    assert received.path == "/hooks/consent"
    assert received.headers["content-type"] == "application/json"
    assert received.headers["cookieconsent-delivery"] == str(hooked["delivery_id"])
    body = json.loads(received.body)
    assert body == {**queued.payload, "delivery_id": hooked["delivery_id"]}
    assert body["visitor_id"] == hooked["consent"]["visitor_id"]
    assert body["type"] == "consent.recorded"

    secret = hooked["endpoint"]["secret"]
    signature = received.headers["cookieconsent-signature"]
    match = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", signature)
    assert match, signature
    timestamp, digest = int(match.group(1)), match.group(2)
    assert abs(timestamp - time.time()) < 60
    # What a receiver in any language computes: HMAC-SHA256 of "<t>.<raw body>".
    message = f"{timestamp}.".encode() + received.body
    assert digest == hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    assert verify_signature(secret, signature, received.body)
    assert not verify_signature("another-secret", signature, received.body)
    assert not verify_signature(secret, signature, received.body.replace(b"true", b"false", 1))
    assert not verify_signature(secret, signature.split(",")[1], received.body)

    delivered = only_delivery()
    assert (delivered.status, delivered.attempts, delivered.last_error) == ("delivered", 1, None)
    assert delivered.delivered_at is not None
    # Delivered once is delivered: a later run sends nothing.
    assert deliver_due(allow_private=True, now=utcnow() + timedelta(days=1)) == 0
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(
    ("age", "valid"),
    [(0, True), (299, True), (-299, True), (301, False), (-301, False), (3600, False)],
)
def test_signatures_expire_after_the_tolerance(age: int, valid: bool) -> None:
    body = b'{"type":"consent.recorded"}'
    header = sign_payload("s3cret", int(time.time()) - age, body)
    assert verify_signature("s3cret", header, body) is valid


@pytest.mark.parametrize("header", ["", "t=abc,v1=00", "v1=00", "t=1", "garbage"])
def test_malformed_signature_headers_do_not_verify(header: str) -> None:
    assert verify_signature("s3cret", header, b"{}") is False


def test_failed_deliveries_back_off_then_succeed(
    hooked: dict[str, Any], receiver: Receiver
) -> None:
    receiver.statuses = [500, 500]
    start = utcnow()

    assert deliver_due(allow_private=True, now=start) == 1
    first = only_delivery()
    assert (first.status, first.attempts, first.last_error) == ("pending", 1, "HTTP 500")
    assert first.next_attempt_at == start + timedelta(seconds=30)
    assert retry_delay(1) == timedelta(seconds=30)

    # Not yet due: nothing is attempted.
    assert deliver_due(allow_private=True, now=start + timedelta(seconds=29)) == 0
    assert len(receiver.requests) == 1
    assert only_delivery().attempts == 1

    second_try = start + timedelta(seconds=30)
    assert deliver_due(allow_private=True, now=second_try) == 1
    second = only_delivery()
    assert (second.status, second.attempts, second.last_error) == ("pending", 2, "HTTP 500")
    assert second.next_attempt_at == second_try + retry_delay(2)
    assert retry_delay(2) == timedelta(seconds=60)
    assert deliver_due(allow_private=True, now=second_try + timedelta(seconds=59)) == 0

    assert deliver_due(allow_private=True, now=second_try + timedelta(seconds=60)) == 1
    third = only_delivery()
    assert (third.status, third.attempts, third.last_error) == ("delivered", 3, None)
    assert len(receiver.posts) == 3
    # Every attempt carries the same delivery, so the receiver can drop duplicates.
    assert len({request.headers["cookieconsent-delivery"] for request in receiver.posts}) == 1
    assert len({request.body for request in receiver.posts}) == 1


@pytest.mark.parametrize(
    ("attempts", "delay"),
    [(1, 30), (2, 60), (3, 120), (4, 240), (10, 15360), (11, 21600), (40, 21600)],
)
def test_retry_delay_doubles_up_to_six_hours(attempts: int, delay: int) -> None:
    assert retry_delay(attempts) == timedelta(seconds=delay)


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
            assert delivery.next_attempt_at == moment + retry_delay(attempt)
            moment = delivery.next_attempt_at
    assert delivery.status == "failed"
    assert delivery.delivered_at is None
    assert deliver_due(allow_private=True, now=moment + timedelta(days=30)) == 0
    assert len(receiver.requests) == MAX_ATTEMPTS


def test_private_addresses_are_refused_unless_allowed(
    hooked: dict[str, Any], receiver: Receiver
) -> None:
    start = utcnow()
    assert deliver_due(allow_private=False, now=start) == 1
    refused = only_delivery()
    assert refused.status == "pending"
    assert refused.attempts == 1
    assert "127.0.0.1" in (refused.last_error or "")
    assert "private address" in (refused.last_error or "")
    assert refused.next_attempt_at == start + timedelta(seconds=30)
    assert receiver.requests == []


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
    for endpoint, path in (
        (first, "/hooks/consent?to=first"),
        (second, "/hooks/consent?to=second"),
    ):
        request = by_path[path]
        assert verify_signature(
            endpoint["secret"], request.headers["cookieconsent-signature"], request.body
        )
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
    ids = [int(request.headers["cookieconsent-delivery"]) for request in receiver.posts]
    assert ids == sorted(ids) == [row.id for row in deliveries()]


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
    assert "private address" in (only_delivery().last_error or "")

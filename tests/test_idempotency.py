"""Idempotency-Key on consent writes: a repeat is answered as before and records nothing more."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from cookieconsent import api
from cookieconsent.extensions import db
from cookieconsent.models import ConsentEvent, IdempotencyKey, Site, WebhookDelivery, utcnow
from cookieconsent.services.idempotency import body_digest
from cookieconsent.services.webhooks import add_endpoint

from .conftest import SiteFactory, table_counts

SHOP_ORIGIN = "https://shop.example"
SAVE = {"action": "save", "categories": {"analytics": True, "marketing": False}}


def consents_url(site: Site) -> str:
    return f"/api/v1/sites/{site.site_key}/consents"


def post_choice(client: FlaskClient, site: Site, body: Any, key: str | None = None) -> Any:
    headers = {"Origin": SHOP_ORIGIN}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(consents_url(site), json=body, headers=headers)


def stored_keys() -> list[IdempotencyKey]:
    return list(db.session.execute(sa.select(IdempotencyKey)).scalars())


def event_count() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(ConsentEvent)).scalar_one()


@pytest.fixture
def hooked_site(site: Site) -> Site:
    """The site with a webhook, so that every write would also queue a delivery."""
    add_endpoint(site, "https://hooks.example/consent")
    return site


def test_a_repeat_gets_the_original_answer_and_writes_nothing(
    client: FlaskClient, hooked_site: Site
) -> None:
    first = post_choice(client, hooked_site, SAVE, key="choice-1")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    [stored] = stored_keys()
    assert (stored.site_id, stored.key, stored.status_code) == (hooked_site.id, "choice-1", 201)
    assert stored.response == first.get_json()
    assert stored.request_digest == body_digest(SAVE)
    before = table_counts()
    assert before["consent_events"] == before["webhook_deliveries"] == 1

    # The same body with its keys in another order and other spacing is the same body.
    reordered = {"categories": {"marketing": False, "analytics": True}, "action": "save"}
    again = post_choice(client, hooked_site, reordered, key="choice-1")

    assert again.status_code == 201
    assert again.mimetype == "application/json"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert again.headers["Access-Control-Allow-Origin"] == SHOP_ORIGIN
    assert again.headers["Cache-Control"] == "no-store"
    assert table_counts() == before


def test_the_same_key_with_another_body_is_refused(client: FlaskClient, hooked_site: Site) -> None:
    first = post_choice(client, hooked_site, SAVE, key="choice-1")
    before = table_counts()
    stored_before = [(k.key, k.request_digest, k.response) for k in stored_keys()]

    response = post_choice(client, hooked_site, {"action": "reject_all"}, key="choice-1")

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 422
    assert list(problem["errors"]) == ["Idempotency-Key"]
    assert "used with another body" in problem["errors"]["Idempotency-Key"][0]
    assert table_counts() == before
    assert [(k.key, k.request_digest, k.response) for k in stored_keys()] == stored_before
    assert first.get_json()["categories"]["analytics"] is True


def test_keys_are_per_site(client: FlaskClient, site: Site, make_site: SiteFactory) -> None:
    other = make_site(name="Other", domains=("other.example",))
    assert post_choice(client, site, SAVE, key="k").status_code == 201
    response = client.post(consents_url(other), json=SAVE, headers={"Idempotency-Key": "k"})
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers
    assert event_count() == 2
    assert sorted(k.site_id for k in stored_keys()) == sorted([site.id, other.id])


def test_without_a_key_every_post_is_a_new_choice(client: FlaskClient, site: Site) -> None:
    post_choice(client, site, SAVE)
    post_choice(client, site, SAVE)
    assert event_count() == 2
    assert stored_keys() == []


def test_a_refused_write_stores_no_key(client: FlaskClient, site: Site) -> None:
    bad = {"action": "save", "categories": {"analytics": True}}
    refused = post_choice(client, site, bad, key="choice-1")
    assert refused.status_code == 422
    assert stored_keys() == []
    # The corrected choice under the same key is a first write, not "another body".
    fixed = post_choice(client, site, SAVE, key="choice-1")
    assert fixed.status_code == 201
    assert "Idempotent-Replayed" not in fixed.headers
    assert event_count() == 1


@pytest.mark.parametrize(
    "key",
    ["", "a b", "x" * 256, "clé", "tab\there"],
    ids=["empty", "space", "too-long", "not-ascii", "control"],
)
def test_a_malformed_key_is_400_and_writes_nothing(
    client: FlaskClient, site: Site, key: str
) -> None:
    before = table_counts()
    response = client.post(
        consents_url(site),
        json=SAVE,
        headers=[("Origin", SHOP_ORIGIN), ("Idempotency-Key", key)],
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 400
    assert list(problem["errors"]) == ["Idempotency-Key"]
    assert all(isinstance(message, str) for message in problem["errors"]["Idempotency-Key"])
    assert table_counts() == before


@pytest.mark.parametrize("key", ["x", "x" * 255, "!~#$%&'*+-.^_`|", "550e8400-e29b-41d4"])
def test_keys_of_visible_ascii_up_to_255_are_taken(
    client: FlaskClient, site: Site, key: str
) -> None:
    assert post_choice(client, site, SAVE, key=key).status_code == 201
    assert post_choice(client, site, SAVE, key=key).headers["Idempotent-Replayed"] == "true"
    assert [k.key for k in stored_keys()] == [key]
    assert event_count() == 1


def age_keys(days: float) -> None:
    db.session.execute(sa.update(IdempotencyKey).values(created_at=utcnow() - timedelta(days=days)))
    db.session.commit()


@pytest.mark.parametrize("body", [SAVE, {"action": "reject_all"}], ids=["same", "other"])
def test_a_key_older_than_7_days_is_new_again(
    client: FlaskClient, site: Site, body: dict[str, Any]
) -> None:
    first = post_choice(client, site, SAVE, key="old").get_json()
    age_keys(7.01)

    response = post_choice(client, site, body, key="old")

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers
    assert response.get_json()["visitor_id"] != first["visitor_id"]
    assert event_count() == 2
    [stored] = stored_keys()
    assert stored.response == response.get_json()
    assert stored.request_digest == body_digest(body)
    assert utcnow() - stored.created_at < timedelta(minutes=1)


def test_a_key_younger_than_7_days_still_replays(client: FlaskClient, site: Site) -> None:
    post_choice(client, site, SAVE, key="recent")
    age_keys(6.99)
    assert post_choice(client, site, SAVE, key="recent").headers["Idempotent-Replayed"] == "true"
    assert event_count() == 1


def test_purge_removes_expired_keys_and_says_how_many(
    client: FlaskClient, runner: FlaskCliRunner, site: Site
) -> None:
    for key in ("a", "b", "c"):
        post_choice(client, site, SAVE, key=key)
    age_keys(8)
    post_choice(client, site, SAVE, key="fresh")

    result = runner.invoke(args=["consents", "purge", "--batch", "2"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"{site.site_key}: 0 events purged, 0 removed, checkpoint at 0, "
        "3 expired idempotency keys removed"
    )
    assert [k.key for k in stored_keys()] == ["fresh"]
    assert event_count() == 4


def test_a_race_lost_at_commit_replays_the_winner(
    app: Flask, client: FlaskClient, hooked_site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests both saw no key; the second meets the first's row when it commits."""
    first = post_choice(client, hooked_site, SAVE, key="race")
    before = table_counts()
    real = api.stored_answer
    calls: list[str] = []

    def missed_once(site_id: int, key: str, digest: str, **kwargs: Any) -> Any:
        calls.append(key)
        return None if len(calls) == 1 else real(site_id, key, digest, **kwargs)

    def post_elsewhere(body: dict[str, Any]) -> Any:
        # Its own application context, so its own database session, as another request has.
        with app.app_context():
            return post_choice(client, hooked_site, body, key="race")

    monkeypatch.setattr(api, "stored_answer", missed_once)
    again = post_elsewhere(SAVE)

    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert table_counts() == before
    assert len(calls) == 2

    calls.clear()
    other = post_elsewhere({"action": "reject_all"})
    assert other.status_code == 422
    assert list(other.get_json()["errors"]) == ["Idempotency-Key"]
    assert table_counts() == before


def test_concurrent_repeats_write_one_event(app: Flask, hooked_site: Site) -> None:
    url, attempts = consents_url(hooked_site), 6
    start = threading.Barrier(attempts)
    answers: list[Any] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            client = app.test_client()
            start.wait(timeout=10)
            response = client.post(
                url, json=SAVE, headers={"Origin": SHOP_ORIGIN, "Idempotency-Key": "same"}
            )
            answers.append(response)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=send) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert [response.status_code for response in answers] == [201] * attempts
    assert all(response.get_json() == answers[0].get_json() for response in answers)
    replayed = [r for r in answers if r.headers.get("Idempotent-Replayed") == "true"]
    assert len(replayed) == attempts - 1
    db.session.expire_all()
    assert event_count() == 1
    assert len(stored_keys()) == 1
    deliveries = db.session.execute(
        sa.select(sa.func.count()).select_from(WebhookDelivery)
    ).scalar_one()
    assert deliveries == 1


def test_the_preflight_allows_the_header(client: FlaskClient, site: Site) -> None:
    response = client.options(
        consents_url(site),
        headers={
            "Origin": SHOP_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, idempotency-key",
        },
    )
    assert response.status_code == 200
    allowed = [h.strip() for h in response.headers["Access-Control-Allow-Headers"].split(",")]
    assert "Idempotency-Key" in allowed


def test_openapi_documents_the_header(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    post = spec["paths"]["/api/v1/sites/{site_key}/consents"]["post"]
    [parameter] = [p for p in post.get("parameters", []) if p["name"] == "Idempotency-Key"]
    assert parameter["in"] == "header"
    assert parameter["required"] is False
    assert parameter["schema"]["maxLength"] == 255
    assert "7 days" in parameter["description"]

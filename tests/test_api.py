"""The public JSON API: recording choices, lookups, CORS, caching and the batch endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from cookieconsent.extensions import db
from cookieconsent.models import Category, ConsentEvent, ConsentState, Site
from cookieconsent.services.consent import ConsentInput, record_consent
from cookieconsent.services.signing import mint_visitor_id, verify_visitor_id
from cookieconsent.services.sites import SiteProfile

from .conftest import SECRET_KEYS, SiteFactory

SHOP_ORIGIN = "https://shop.example"


def consents_url(site: Site) -> str:
    return f"/api/v1/sites/{site.site_key}/consents"


def post_choice(client: FlaskClient, site: Site, body: dict[str, Any], **headers: str) -> Any:
    headers.setdefault("Origin", SHOP_ORIGIN)
    return client.post(consents_url(site), json=body, headers=headers)


def events() -> list[ConsentEvent]:
    return list(db.session.execute(sa.select(ConsentEvent).order_by(ConsentEvent.id)).scalars())


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_new_visitor_gets_a_signed_id_and_one_event(client: FlaskClient, site: Site) -> None:
    response = post_choice(
        client,
        site,
        {
            "action": "save",
            "categories": {"analytics": True, "marketing": False},
            "language": "vi",
            "url": "https://shop.example/gio-hang?email=a@b.vn#top",
        },
        **{"User-Agent": "Mozilla/5.0 test", "X-Forwarded-For": "1.2.3.4"},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["categories"] == {"essential": True, "analytics": True, "marketing": False}
    assert body["decided"] is True
    assert body["policy_version"] == "1.0"
    decided_at = parse_time(body["decided_at"])
    assert body["decided_at"].endswith("Z")
    assert parse_time(body["expires_at"]) - decided_at == timedelta(days=182)
    raw_id = verify_visitor_id(SECRET_KEYS, site.site_key, body["visitor_id"])

    [event] = events()
    assert event.visitor_id == raw_id
    assert event.action == "save"
    assert event.categories == {"essential": True, "analytics": True, "marketing": False}
    assert event.language == "vi"
    # Query strings and fragments may carry personal data: only the page's path is kept.
    assert event.url == "https://shop.example/gio-hang"
    assert event.user_agent == "Mozilla/5.0 test"
    # No proxy is trusted by default, so X-Forwarded-For is ignored and the peer is truncated.
    assert event.ip_prefix == "127.0.0.0/24"
    assert event.source == "banner"
    assert event.created_at == decided_at
    state = db.session.get(ConsentState, (site.id, raw_id))
    assert state is not None and state.last_event_id == event.id


@pytest.mark.parametrize(
    ("action", "categories", "expected"),
    [
        ("accept_all", None, {"analytics": True, "marketing": True}),
        ("accept_all", {"analytics": True}, {"analytics": True, "marketing": True}),
        ("reject_all", None, {"analytics": False, "marketing": False}),
        (
            "reject_all",
            {"marketing": False, "essential": True},
            {"analytics": False, "marketing": False},
        ),
        ("save", {"analytics": False, "marketing": True}, {"analytics": False, "marketing": True}),
    ],
)
def test_actions_imply_categories(
    client: FlaskClient, site: Site, action: str, categories: Any, expected: dict[str, bool]
) -> None:
    body: dict[str, Any] = {"action": action}
    if categories is not None:
        body["categories"] = categories
    response = post_choice(client, site, body)
    assert response.status_code == 201
    assert response.get_json()["categories"] == {"essential": True, **expected}
    assert events()[0].categories == {"essential": True, **expected}


def test_history_is_append_only_and_lookup_follows_the_latest(
    client: FlaskClient, site: Site
) -> None:
    first = post_choice(client, site, {"action": "accept_all"}).get_json()
    visitor_id = first["visitor_id"]
    second = post_choice(client, site, {"action": "reject_all", "visitor_id": visitor_id})
    assert second.status_code == 201
    assert second.get_json()["visitor_id"] == visitor_id

    history = events()
    assert [event.action for event in history] == ["accept_all", "reject_all"]
    assert history[0].categories == {"essential": True, "analytics": True, "marketing": True}
    assert len({event.visitor_id for event in history}) == 1

    lookup = client.get(f"{consents_url(site)}/{visitor_id}").get_json()
    assert lookup["decided"] is True
    assert lookup["categories"] == {"essential": True, "analytics": False, "marketing": False}
    assert db.session.execute(sa.select(sa.func.count()).select_from(ConsentState)).scalar() == 1


def test_withdraw_makes_the_visitor_undecided(client: FlaskClient, site: Site) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"}).get_json()["visitor_id"]
    response = post_choice(client, site, {"action": "withdraw", "visitor_id": visitor_id})
    assert response.status_code == 201
    body = response.get_json()
    assert body["decided"] is False
    assert body["categories"] == {"essential": True, "analytics": False, "marketing": False}
    assert body["decided_at"] is None and body["expires_at"] is None

    lookup = client.get(f"{consents_url(site)}/{visitor_id}").get_json()
    assert lookup["decided"] is False
    assert lookup["categories"] == {"essential": True, "analytics": False, "marketing": False}
    # The accept stays in the history as proof of what was once agreed.
    assert [event.action for event in events()] == ["accept_all", "withdraw"]
    assert [event.decided for event in events()] == [True, False]


def test_lookup_of_an_undecided_visitor(client: FlaskClient, site: Site) -> None:
    _, visitor_id = mint_visitor_id(SECRET_KEYS, site.site_key)
    response = client.get(f"{consents_url(site)}/{visitor_id}")
    assert response.status_code == 200
    assert response.get_json() == {
        "visitor_id": visitor_id,
        "decided": False,
        "categories": {"essential": True, "analytics": False, "marketing": False},
        "policy_version": "1.0",
        "decided_at": None,
        "expires_at": None,
        "gpc": False,
        "services": {},
        "google_consent_mode": {
            "ad_storage": "denied",
            "ad_user_data": "denied",
            "ad_personalization": "denied",
            "analytics_storage": "denied",
            "functionality_storage": "granted",
            "personalization_storage": "denied",
            "security_storage": "granted",
        },
        "segment": {
            "categoryPreferences": {"essential": True, "analytics": False, "marketing": False}
        },
        "tealium": {"consent_categories": ["essential"]},
        "region": None,
        "mode": None,
        "recorded_at": None,
    }


def test_lookup_says_when_the_latest_event_was_recorded(client: FlaskClient, site: Site) -> None:
    recorded = post_choice(client, site, {"action": "accept_all"}).get_json()
    lookup = client.get(f"{consents_url(site)}/{recorded['visitor_id']}").get_json()
    assert lookup["recorded_at"] == recorded["recorded_at"]


def test_expired_decision_reads_as_undecided(client: FlaskClient, site: Site) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=400)
    decision = record_consent(
        SiteProfile.of(site),
        ConsentInput(action="accept_all"),
        secret_keys=SECRET_KEYS,
        now=long_ago,
    )
    lookup = client.get(f"{consents_url(site)}/{decision.visitor_id}").get_json()
    assert lookup["decided"] is False
    assert lookup["categories"] == {"essential": True, "analytics": False, "marketing": False}
    assert lookup["google_consent_mode"]["ad_storage"] == "denied"


def test_category_added_later_was_never_agreed_to(client: FlaskClient, site: Site) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"}).get_json()["visitor_id"]
    site.categories.append(Category(name="preferences", position=3, texts={}))
    db.session.commit()
    lookup = client.get(f"{consents_url(site)}/{visitor_id}").get_json()
    assert lookup["categories"] == {
        "essential": True,
        "analytics": True,
        "marketing": True,
        "preferences": False,
    }
    assert lookup["google_consent_mode"]["personalization_storage"] == "denied"


def test_google_consent_mode_mapping(client: FlaskClient, site: Site) -> None:
    body = {"action": "save", "categories": {"analytics": True, "marketing": False}}
    visitor_id = post_choice(client, site, body).get_json()["visitor_id"]
    mode = client.get(f"{consents_url(site)}/{visitor_id}").get_json()["google_consent_mode"]
    assert mode == {
        "ad_storage": "denied",
        "ad_user_data": "denied",
        "ad_personalization": "denied",
        "analytics_storage": "granted",
        "functionality_storage": "granted",
        "personalization_storage": "denied",
        "security_storage": "granted",
    }


@pytest.mark.parametrize(
    ("headers", "body_gpc", "expected"),
    [({}, False, False), ({"Sec-GPC": "1"}, False, True), ({}, True, True)],
    ids=["none", "header", "navigator"],
)
def test_gpc_is_recorded(
    client: FlaskClient, site: Site, headers: dict[str, str], body_gpc: bool, expected: bool
) -> None:
    response = post_choice(client, site, {"action": "reject_all", "gpc": body_gpc}, **headers)
    visitor_id = response.get_json()["visitor_id"]
    assert client.get(f"{consents_url(site)}/{visitor_id}").get_json()["gpc"] is expected
    assert events()[0].gpc is expected


def test_explicit_published_policy_version_is_recorded(client: FlaskClient, site: Site) -> None:
    response = post_choice(client, site, {"action": "accept_all", "policy_version": "1.0"})
    assert response.status_code == 201
    assert events()[0].policy_version == "1.0"


@pytest.mark.parametrize(
    ("category", "allowed"), [("essential", True), ("analytics", True), ("marketing", False)]
)
def test_allowed_endpoint(client: FlaskClient, site: Site, category: str, allowed: bool) -> None:
    body = {"action": "save", "categories": {"analytics": True, "marketing": False}}
    visitor_id = post_choice(client, site, body).get_json()["visitor_id"]
    response = client.get(f"{consents_url(site)}/{visitor_id}/allowed/{category}")
    assert response.status_code == 200
    assert response.get_json() == {"allowed": allowed}


def test_allowed_endpoint_unknown_category(client: FlaskClient, site: Site) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"}).get_json()["visitor_id"]
    response = client.get(f"{consents_url(site)}/{visitor_id}/allowed/ads")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "category" in response.get_json()["errors"]


def test_lookup_is_private_and_conditional(client: FlaskClient, site: Site) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"}).get_json()["visitor_id"]
    url = f"{consents_url(site)}/{visitor_id}"
    first = client.get(url)
    assert first.headers["Cache-Control"] == "private, no-cache"
    etag = first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    post_choice(client, site, {"action": "reject_all", "visitor_id": visitor_id})
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_cors_preflight_from_a_site_domain(client: FlaskClient, site: Site) -> None:
    response = client.options(
        consents_url(site),
        headers={
            "Origin": SHOP_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == SHOP_ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]
    assert "Origin" in response.headers["Vary"]


def test_cors_is_closed_to_other_origins(client: FlaskClient, site: Site) -> None:
    response = client.options(
        consents_url(site),
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in response.headers
    visitor_id = post_choice(client, site, {"action": "accept_all"}).get_json()["visitor_id"]
    lookup = client.get(
        f"{consents_url(site)}/{visitor_id}", headers={"Origin": "https://evil.example"}
    )
    assert "Access-Control-Allow-Origin" not in lookup.headers


def test_simple_response_carries_cors_for_site_origin(client: FlaskClient, site: Site) -> None:
    response = post_choice(client, site, {"action": "accept_all"})
    assert response.headers["Access-Control-Allow-Origin"] == SHOP_ORIGIN
    assert response.headers["Cache-Control"] == "no-store"


def test_server_to_server_write_without_origin(client: FlaskClient, site: Site) -> None:
    response = client.post(consents_url(site), json={"action": "reject_all"})
    assert response.status_code == 201
    assert events()[0].source == "api"


def test_a_sandboxed_frame_without_an_origin_is_answered_like_a_server(
    client: FlaskClient, site: Site
) -> None:
    """``Origin: null`` (a sandboxed frame) proves no domain: allowed, as a server would be."""
    preflight = client.options(
        consents_url(site),
        headers={
            "Origin": "null",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, idempotency-key",
        },
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "null"
    assert "Idempotency-Key" in preflight.headers["Access-Control-Allow-Headers"]
    response = post_choice(client, site, {"action": "accept_all"}, Origin="null")
    assert response.status_code == 201
    assert response.headers["Access-Control-Allow-Origin"] == "null"
    # Any real origin that is not the site's is still refused, and writes nothing.
    before = len(events())
    refused = post_choice(client, site, {"action": "accept_all"}, Origin="https://evil.example")
    assert refused.status_code == 403
    assert len(events()) == before


def test_wildcard_and_port_domains(client: FlaskClient, make_site: SiteFactory) -> None:
    site = make_site(domains=("*.shop.example", "127.0.0.1:8001"))
    ok = [
        post_choice(client, site, {"action": "accept_all"}, Origin=origin).status_code
        for origin in ("https://www.shop.example", "http://127.0.0.1:8001")
    ]
    refused = [
        post_choice(client, site, {"action": "accept_all"}, Origin=origin).status_code
        for origin in ("https://shop.example", "http://127.0.0.1:8002")
    ]
    assert ok == [201, 201]
    assert refused == [403, 403]


# Batch lookups ------------------------------------------------------------------------------


def test_batch_lookup_keeps_order_and_reports_bad_ids(
    client: FlaskClient, site: Site, make_site: SiteFactory
) -> None:
    accepted = post_choice(client, site, {"action": "accept_all"}).get_json()["visitor_id"]
    rejected = post_choice(client, site, {"action": "reject_all"}).get_json()["visitor_id"]
    _, undecided = mint_visitor_id(SECRET_KEYS, site.site_key)
    other_site = make_site(name="Other", domains=("other.example",))
    _, foreign = mint_visitor_id(SECRET_KEYS, other_site.site_key)
    ids = [rejected, "garbage", accepted, foreign, undecided]
    response = client.post(
        f"{consents_url(site)}/lookup",
        json={"visitor_ids": ids},
        headers={"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
    )
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [result["visitor_id"] for result in results] == ids
    assert results[0]["categories"]["analytics"] is False and results[0]["decided"] is True
    assert "error" in results[1] and "decided" not in results[1]
    assert results[2]["categories"]["marketing"] is True
    assert "another site" in results[3]["error"]
    assert results[4]["decided"] is False
    assert results[2]["google_consent_mode"]["ad_storage"] == "granted"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer wrong-token", "Basic abc", "other-site"],
)
def test_batch_lookup_needs_the_sites_token(
    client: FlaskClient, site: Site, make_site: SiteFactory, authorization: str | None
) -> None:
    headers = {}
    if authorization == "other-site":
        other = make_site(name="Other", domains=("other.example",))
        headers["Authorization"] = f"Bearer {make_site.tokens[other.site_key]}"
    elif authorization:
        headers["Authorization"] = authorization
    response = client.post(
        f"{consents_url(site)}/lookup", json={"visitor_ids": ["x"]}, headers=headers
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["errors"] == {"authorization": ["Missing or wrong API token."]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"visitor_ids": []}, "visitor_ids"),
        ({"visitor_ids": ["x"] * 1001}, "visitor_ids"),
        ({"visitor_ids": "abc"}, "visitor_ids"),
        ({"visitor_ids": ["ok", 5]}, "visitor_ids.1"),
        ({}, "visitor_ids"),
    ],
)
def test_batch_lookup_bad_bodies(
    client: FlaskClient, site: Site, make_site: SiteFactory, body: dict[str, Any], field: str
) -> None:
    response = client.post(
        f"{consents_url(site)}/lookup",
        json=body,
        headers={"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
    )
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_batch_lookup_of_1000_ids(client: FlaskClient, site: Site, make_site: SiteFactory) -> None:
    known = post_choice(client, site, {"action": "accept_all"}).get_json()["visitor_id"]
    ids = [mint_visitor_id(SECRET_KEYS, site.site_key)[1] for _ in range(999)] + [known]
    response = client.post(
        f"{consents_url(site)}/lookup",
        json={"visitor_ids": ids},
        headers={"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
    )
    results = response.get_json()["results"]
    assert len(results) == 1000
    assert sum(result["decided"] for result in results) == 1
    assert results[-1]["decided"] is True


# Operations ---------------------------------------------------------------------------------


def test_rate_limit_answers_429_problem(database_url: str) -> None:
    from cookieconsent import create_app

    from .conftest import _config

    app = create_app(
        _config(database_url, RATELIMIT_ENABLED=True, RATELIMIT_CONSENT_WRITES="2 per minute")
    )
    with app.app_context():
        from cookieconsent.services.sites import create_site

        site, _ = create_site("Limited", ["shop.example"])
        client = app.test_client()
        statuses = [
            post_choice(client, site, {"action": "reject_all"}).status_code for _ in range(3)
        ]
        response = post_choice(client, site, {"action": "reject_all"})
        assert statuses == [201, 201, 429]
        assert response.status_code == 429
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == 429
        assert "Retry-After" in response.headers
        assert len(events()) == 2
        # Lookups are not limited by the write limit.
        assert client.get(f"{consents_url(site)}/x").status_code == 400
        db.session.execute(sa.delete(ConsentState))
        db.session.execute(sa.delete(ConsentEvent))
        db.session.delete(site)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_without_database(tmp_path: Any) -> None:
    from cookieconsent import create_app

    from .conftest import _config

    app = create_app(_config(f"sqlite:///{tmp_path}/missing-dir/db.sqlite3"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"] == {"database": ["unreachable"]}
    with app.app_context():
        db.engine.dispose()


def test_openapi_describes_every_json_endpoint(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    assert set(paths) >= {
        "/api/v1/sites/{site_key}/consents",
        "/api/v1/sites/{site_key}/consents/{visitor_id}",
        "/api/v1/sites/{site_key}/consents/{visitor_id}/allowed/{category}",
        "/api/v1/sites/{site_key}/consents/lookup",
        "/healthz",
    }
    post = paths["/api/v1/sites/{site_key}/consents"]["post"]
    assert "201" in post["responses"]
    assert "requestBody" in post


def test_app_factory_uses_the_given_database(app: Flask, database_url: str) -> None:
    assert str(db.engine.url.render_as_string(hide_password=False)) == database_url

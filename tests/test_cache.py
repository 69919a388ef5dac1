"""The optional Redis cache of current decisions: read first, forgotten on every change."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from cookieconsent import create_app
from cookieconsent.extensions import db
from cookieconsent.models import ConsentState
from cookieconsent.services.cache import CHANGED_SECONDS, StateCache
from cookieconsent.services.signing import verify_visitor_id
from cookieconsent.services.sites import create_site

from .conftest import IN_CI, SECRET_KEYS, _config

REDIS_URL = os.environ.get("COOKIECONSENT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ORIGIN = {"Origin": "https://shop.example"}


@pytest.fixture
def redis_app(database_url: str) -> Iterator[Flask]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError as error:
        message = f"Redis is not reachable at {REDIS_URL}: {error}"
        if IN_CI:
            pytest.fail(message + " (CI=true: the cache tests may not be skipped)")
        pytest.skip(message)
    app = create_app(_config(database_url, COOKIECONSENT_REDIS_URL=REDIS_URL))
    with app.app_context():
        yield app
        for key in client.scan_iter("cookieconsent:state:*"):
            client.delete(key)
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        db.engine.dispose()
    client.close()


def cache_of(app: Flask) -> StateCache:
    cache = app.extensions["cookieconsent.state_cache"]
    assert isinstance(cache, StateCache)
    return cache


def test_lookup_is_served_from_the_cache_and_writes_forget_it(redis_app: Flask) -> None:
    site, _ = create_site("Shop", ["shop.example"])
    client: FlaskClient = redis_app.test_client()
    base = f"/api/v1/sites/{site.site_key}/consents"
    visitor_id = client.post(base, json={"action": "accept_all"}, headers=ORIGIN).get_json()[
        "visitor_id"
    ]
    raw_id = verify_visitor_id(SECRET_KEYS, site.site_key, visitor_id)
    cache = cache_of(redis_app)
    # The write left its "changed" marker: a miss, and no lookup fills it for a few seconds.
    assert cache.get(site.id, raw_id) == (False, None)
    client.get(f"{base}/{visitor_id}")
    assert cache.get(site.id, raw_id) == (False, None)
    cache.client.delete(cache.key(site.id, raw_id))  # as when the marker expires

    first = client.get(f"{base}/{visitor_id}").get_json()
    found, cached = cache.get(site.id, raw_id)
    assert found and cached is not None and cached.categories["marketing"] is True

    # The database changing behind the cache's back proves the next answer comes from Redis.
    db.session.get(ConsentState, (site.id, raw_id)).categories = {"marketing": False}  # type: ignore[union-attr]
    db.session.commit()
    assert client.get(f"{base}/{visitor_id}").get_json() == first

    client.post(base, json={"action": "reject_all", "visitor_id": visitor_id}, headers=ORIGIN)
    assert cache.get(site.id, raw_id) == (False, None)
    assert client.get(f"{base}/{visitor_id}").get_json()["categories"]["analytics"] is False


def test_erasure_forgets_the_cached_decision(redis_app: Flask) -> None:
    site, _ = create_site("Shop", ["shop.example"])
    client = redis_app.test_client()
    base = f"/api/v1/sites/{site.site_key}/consents"
    visitor_id = client.post(base, json={"action": "accept_all"}, headers=ORIGIN).get_json()[
        "visitor_id"
    ]
    assert client.get(f"{base}/{visitor_id}").get_json()["decided"] is True
    assert client.delete(f"{base}/{visitor_id}", headers=ORIGIN).status_code == 200
    assert client.get(f"{base}/{visitor_id}").get_json()["decided"] is False


def test_unknown_visitors_are_cached_too(redis_app: Flask) -> None:
    from cookieconsent.services.signing import mint_visitor_id

    site, _ = create_site("Shop", ["shop.example"])
    raw_id, visitor_id = mint_visitor_id(SECRET_KEYS, site.site_key)
    client = redis_app.test_client()
    assert client.get(f"/api/v1/sites/{site.site_key}/consents/{visitor_id}").status_code == 200
    assert cache_of(redis_app).get(site.id, raw_id) == (True, None)


def test_a_dead_cache_falls_back_to_the_database(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(_config(database_url, COOKIECONSENT_REDIS_URL="redis://127.0.0.1:1/0"))
    with app.app_context():
        try:
            site, _ = create_site("Shop", ["shop.example"])
            client = app.test_client()
            base = f"/api/v1/sites/{site.site_key}/consents"
            response = client.post(base, json={"action": "accept_all"}, headers=ORIGIN)
            assert response.status_code == 201
            lookup = client.get(f"{base}/{response.get_json()['visitor_id']}")
            assert lookup.status_code == 200
            assert lookup.get_json()["decided"] is True
            assert "lookup cache unavailable" in caplog.text
        finally:
            db.session.remove()
            with db.engine.begin() as connection:
                for table in reversed(db.metadata.sorted_tables):
                    connection.execute(table.delete())
            db.engine.dispose()


def test_a_lookup_that_read_before_a_change_cannot_cache_the_old_decision(
    redis_app: Flask,
) -> None:
    """The race a plain delete loses: a lookup reads the database, a withdrawal commits and
    clears the entry, then the lookup stores what it read. The withdrawal's marker refuses it."""
    from cookieconsent.services.consent import read_state

    site, _ = create_site("Shop", ["shop.example"])
    client: FlaskClient = redis_app.test_client()
    base = f"/api/v1/sites/{site.site_key}/consents"
    visitor_id = client.post(base, json={"action": "accept_all"}, headers=ORIGIN).get_json()[
        "visitor_id"
    ]
    raw_id = verify_visitor_id(SECRET_KEYS, site.site_key, visitor_id)
    cache = cache_of(redis_app)
    before = read_state(site.id, raw_id)  # the slow lookup's read
    assert before is not None and before.categories["analytics"] is True
    withdrawn = client.post(
        base, json={"action": "withdraw", "visitor_id": visitor_id}, headers=ORIGIN
    )
    assert withdrawn.status_code == 201
    cache.put(site.id, raw_id, before)  # ... and its late fill
    for _ in range(3):
        answer = client.get(f"{base}/{visitor_id}").get_json()
        assert answer["decided"] is False
        assert answer["categories"]["analytics"] is False
    assert cache.client.ttl(cache.key(site.id, raw_id)) <= CHANGED_SECONDS

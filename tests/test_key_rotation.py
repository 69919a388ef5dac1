"""The key-rotation runbook of docs/deployment.md, followed step by step through the HTTP API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from cookieconsent import create_app
from cookieconsent.extensions import db
from cookieconsent.services.chain import verify_chain
from cookieconsent.services.signing import InvalidVisitorId, verify_visitor_id
from cookieconsent.services.sites import create_site

from .conftest import _config

ORIGIN = "https://shop.example"


Service = Callable[[list[str]], Flask]


@pytest.fixture
def service(database_url: str) -> Iterator[Service]:
    """The service as it runs with ``COOKIECONSENT_SECRET_KEYS=",".join(keys)``, on one database."""
    apps: list[Flask] = []

    def start(keys: list[str]) -> Flask:
        apps.append(
            create_app(_config(database_url, COOKIECONSENT_SECRET_KEYS=keys, SECRET_KEY=keys[-1]))
        )
        return apps[-1]

    yield start
    with start(["cleanup"]).app_context(), db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def choose(app: Flask, site_key: str, **body: Any) -> Any:
    response = app.test_client().post(
        f"/api/v1/sites/{site_key}/consents",
        json={"action": "accept_all", **body},
        headers={"Origin": ORIGIN},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["visitor_id"]


def lookup(app: Flask, site_key: str, visitor_id: str) -> Any:
    return app.test_client().get(f"/api/v1/sites/{site_key}/consents/{visitor_id}")


def test_rotating_the_signing_key(service: Service) -> None:
    # 1. The service runs with one key, "old", which signs a visitor ID.
    old = service(["old"])
    with old.app_context():
        site, _ = create_site("Shop", ["shop.example"])
        site_key, site_id = site.site_key, site.id
    old_id = choose(old, site_key)
    assert lookup(old, site_key, old_id).status_code == 200

    # 2. A new key goes at the end: COOKIECONSENT_SECRET_KEYS=old,new, every process restarted.
    both = service(["old", "new"])
    answer = lookup(both, site_key, old_id)
    assert answer.status_code == 200
    assert answer.get_json()["decided"] is True
    new_id = choose(both, site_key)
    verify_visitor_id(["new"], site_key, new_id)
    with pytest.raises(InvalidVisitorId):
        verify_visitor_id(["old"], site_key, new_id)
    # A returning visitor's old ID still records choices.
    choose(both, site_key, visitor_id=old_id, action="reject_all")
    with both.app_context():
        assert verify_chain(site_id, ["old", "new"]).ok

    # 3. Once no browser holds an ID signed with "old" (the longest consent lifetime, at most
    #    13 months), "old" goes: COOKIECONSENT_SECRET_KEYS=new.
    new = service(["new"])
    refused = lookup(new, site_key, old_id)
    assert refused.status_code == 400
    assert refused.mimetype == "application/problem+json"
    assert lookup(new, site_key, new_id).status_code == 200
    # The chain of events sealed with "old" verifies only with "old" at hand: keep it, offline,
    # for `COOKIECONSENT_SECRET_KEYS=old,new cookieconsent consents verify`.
    with new.app_context():
        report = verify_chain(site_id, ["new"])
        # Not a break: those events cannot be checked until "old" is at hand again.
        assert report.ok and not report.complete
        assert sum(report.unverifiable.values()) >= 1
        assert verify_chain(site_id, ["old", "new"]).complete

"""Every operation /openapi.json marks bearerAuth refuses a missing, wrong or foreign token.

The list of operations comes from the description itself, so a view added to the token
blueprint is covered without touching this test, and a view documented as protected but left
open fails it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cookieconsent.models import Site

from .conftest import SiteFactory, table_counts

# A minimal body per operation that has one: valid, so that only the token decides.
MINIMAL_BODIES: dict[str, Any] = {
    "/api/v1/sites/{site_key}/consents/lookup": {"visitor_ids": ["abc.def"]},
    "/api/v1/sites/{site_key}/config": {"name": "Renamed"},
    "/api/v1/sites/{site_key}/webhooks": {"url": "https://hooks.example/cookieconsent"},
    "/api/v1/sites/{site_key}/policy-versions": {"version": "9.0"},
}


def _protected_operations(app: Flask) -> list[tuple[str, str, dict[str, Any]]]:
    spec = app.test_client().get("/openapi.json").get_json()
    operations = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            if {"bearerAuth": []} in operation.get("security", []):
                operations.append((method.upper(), path, operation))
    return operations


def _url(path: str, site_key: str) -> str:
    # Path parameters other than the site: the first ID of anything (the token comes first).
    url = path.replace("{site_key}", site_key)
    return re.sub(r"\{[a-z_]+\}", "1", url)


def _body(path: str, operation: dict[str, Any]) -> Any:
    if "requestBody" not in operation:
        return None
    return MINIMAL_BODIES.get(path, {})


@pytest.mark.parametrize("credential", ["missing", "wrong", "other-site", "wrong-scheme"])
def test_every_bearer_operation_answers_401_without_the_sites_token(
    app: Flask, client: FlaskClient, site: Site, make_site: SiteFactory, credential: str
) -> None:
    other = make_site(name="Other", domains=("other.example",))
    headers = {
        "missing": {},
        "wrong": {"Authorization": "Bearer not-the-token"},
        "other-site": {"Authorization": f"Bearer {make_site.tokens[other.site_key]}"},
        "wrong-scheme": {"Authorization": f"Basic {make_site.tokens[site.site_key]}"},
    }[credential]
    operations = _protected_operations(app)
    # The token endpoints: batch lookup, configuration, webhooks, policy versions.
    assert len(operations) >= 8
    paths = {path for _, path, _ in operations}
    assert {
        "/api/v1/sites/{site_key}/consents/lookup",
        "/api/v1/sites/{site_key}/config",
        "/api/v1/sites/{site_key}/webhooks",
        "/api/v1/sites/{site_key}/webhooks/{webhook_id}",
        "/api/v1/sites/{site_key}/policy-versions",
    } <= paths
    before = table_counts()
    for method, path, operation in operations:
        assert "401" in operation["responses"], (method, path)
        body = _body(path, operation)
        response = client.open(
            _url(path, site.site_key),
            method=method,
            json=body,
            headers=headers,
        )
        assert response.status_code == 401, (method, path, response.data[:200])
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["errors"] == {"authorization": ["Missing or wrong API token."]}
    assert table_counts() == before


def test_the_sites_own_token_gets_past_the_guard(
    app: Flask, client: FlaskClient, site: Site, make_site: SiteFactory
) -> None:
    headers = {"Authorization": f"Bearer {make_site.tokens[site.site_key]}"}
    for method, path, operation in _protected_operations(app):
        response = client.open(
            _url(path, site.site_key), method=method, json=_body(path, operation), headers=headers
        )
        assert response.status_code != 401, (method, path, response.data[:200])


def test_operations_without_bearer_auth_are_the_public_ones(app: Flask) -> None:
    spec = app.test_client().get("/openapi.json").get_json()
    public = {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "security" not in operation
    }
    assert ("POST", "/api/v1/sites/{site_key}/consents") in public
    assert ("GET", "/api/v1/sites/{site_key}/consents/{visitor_id}") in public
    assert not any("/config" in path or "/webhooks" in path for _, path in public)

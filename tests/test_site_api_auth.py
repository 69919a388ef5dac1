"""Every operation /openapi.json marks bearerAuth refuses a missing, wrong or foreign token.

Two families share the scheme: the site's own servers' API (the site's API token) and the
console's API under /api/v1/admin (a user's personal token). The list of operations comes from
the description itself, so a view added to either blueprint is covered without touching this
test, and a view documented as protected but left open fails it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cookieconsent.extensions import db
from cookieconsent.models import Site
from cookieconsent.services.accounts import create_user, issue_token, revoke_token, set_role

from .conftest import SiteFactory, table_counts

# A minimal body per operation that has one: valid, so that only the token decides.
MINIMAL_BODIES: dict[str, Any] = {
    "/api/v1/sites/{site_key}/consents/lookup": {"visitor_ids": ["abc.def"]},
    "/api/v1/sites/{site_key}/config": {"name": "Renamed"},
    "/api/v1/sites/{site_key}/webhooks": {"url": "https://hooks.example/cookieconsent"},
    "/api/v1/sites/{site_key}/policy-versions": {"version": "9.0"},
}


ADMIN = "/api/v1/admin/"


def _protected_operations(app: Flask, admin: bool = False) -> list[tuple[str, str, dict[str, Any]]]:
    spec = app.test_client().get("/openapi.json").get_json()
    operations = []
    for path, item in spec["paths"].items():
        if path.startswith(ADMIN) != admin:
            continue
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


@pytest.mark.parametrize(
    "credential", ["missing", "wrong", "revoked", "site-api-token", "wrong-scheme"]
)
def test_every_console_api_operation_answers_401_without_a_personal_token(
    app: Flask, client: FlaskClient, site: Site, make_site: SiteFactory, credential: str
) -> None:
    user = create_user("owner@shop.example", "a long enough password")
    set_role(user, site, "owner")
    db.session.commit()
    _row, revoked = issue_token(user, "old")
    revoke_token(user, _row.id)
    _row, token = issue_token(user, "current")
    headers = {
        "missing": {},
        "wrong": {"Authorization": "Bearer ccp_not-a-token"},
        "revoked": {"Authorization": f"Bearer {revoked}"},
        "site-api-token": {"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
        "wrong-scheme": {"Authorization": f"Basic {token}"},
    }[credential]
    operations = _protected_operations(app, admin=True)
    assert {path for _, path, _ in operations} >= {
        "/api/v1/admin/sites",
        "/api/v1/admin/sites/{site_key}",
        "/api/v1/admin/tokens",
    }
    before = table_counts()
    for method, path, operation in operations:
        assert "401" in operation["responses"], (method, path)
        response = client.open(
            _url(path, site.site_key),
            method=method,
            json={} if "requestBody" in operation else None,
            headers=headers,
        )
        assert response.status_code == 401, (method, path, response.data[:200])
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert table_counts() == before


def test_a_personal_token_gets_past_the_console_apis_guard(
    app: Flask, client: FlaskClient, site: Site
) -> None:
    user = create_user("owner@shop.example", "a long enough password")
    set_role(user, site, "owner")
    db.session.commit()
    _row, token = issue_token(user, "current")
    for method, path, operation in _protected_operations(app, admin=True):
        if method == "DELETE":
            continue  # would remove what the other operations read
        response = client.open(
            _url(path, site.site_key),
            method=method,
            json={} if "requestBody" in operation else None,
            headers={"Authorization": f"Bearer {token}"},
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

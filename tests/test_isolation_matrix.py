"""Tenant isolation: every console page and every admin API operation about a site, every role.

The routes are read from the application itself (``app.url_map`` for the console,
``/openapi.json`` for the API), so a page or an operation added later is covered without editing
this file. Each one declares the permission it needs (``site_view(permission)`` sets
``view.permission``; the API's ``@requires(permission)`` does the same), and the test compares
what each role gets with that declaration:

- a site the user is not a member of, or a deleted one: 404 (the console's HTML page, or
  problem+json on the API);
- a role without the permission on the user's own site: 403 (problem+json on the API);
- an id of another site's member, invitation, webhook or token, with a role that has the
  permission: 404;
- and after any of these, nothing in the database has changed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from cookieconsent.extensions import db
from cookieconsent.models import ROLES, Invitation, Site, User, WebhookDelivery, utcnow
from cookieconsent.services.accounts import (
    PERMISSIONS,
    create_user,
    invite,
    issue_token,
    may,
    revoke_token,
    set_role,
)
from cookieconsent.services.subject_requests import Filing, file_request
from cookieconsent.services.webhooks import add_endpoint

from .conftest import FreshContextClient, SiteFactory, table_counts

PASSWORD = "correct horse battery staple"
PROBLEM = "application/problem+json"
# The rows that must not move when a request is refused (besides every table's count).
WATCHED_TABLES = (
    "sites",
    "memberships",
    "invitations",
    "personal_tokens",
    "webhook_endpoints",
    "webhook_deliveries",
    "config_versions",
    "config_drafts",
    "policy_versions",
    "categories",
    "services",
)
# Written by reading requests on purpose: a token's last use (at most once a minute).
VOLATILE_COLUMNS = {("personal_tokens", "last_used_at")}
# Path arguments that name another site's object: a member with the permission gets 404.
FOREIGN_ARGUMENTS = ("user_id", "invitation_id", "webhook_id", "token_id", "reference")
SKIPPED_METHODS = {"HEAD", "OPTIONS"}


def database_state() -> tuple[dict[str, int], str]:
    """Every table's count, and a digest of the watched tables' rows."""
    db.session.rollback()  # a fresh snapshot: see what the requests committed
    digest = hashlib.sha256()
    for name in WATCHED_TABLES:
        table = db.metadata.tables.get(name)
        if table is None:
            continue
        columns = [c for c in table.columns if (name, c.name) not in VOLATILE_COLUMNS]
        keys = list(table.primary_key.columns)
        for row in db.session.execute(sa.select(*columns).order_by(*keys)).all():
            digest.update(repr((name, tuple(row))).encode())
    return table_counts(), digest.hexdigest()


# The world ---------------------------------------------------------------------------------


@dataclass
class World:
    """Site A with an owner, an editor and a viewer; site B, another owner's; site D, deleted,
    that A's owner owned; objects of B's that A's members must never reach."""

    own: Site
    other: Site
    deleted: Site
    users: dict[str, User]
    tokens: dict[str, str]
    consoles: dict[str, FlaskClient] = field(default_factory=dict)
    csrf: dict[str, str] = field(default_factory=dict)
    foreign: dict[str, int] = field(default_factory=dict)


def sign_in(client: FlaskClient, email: str) -> str:
    """Sign the client in; return a CSRF token valid for its session."""

    def token(path: str) -> str:
        page = client.get(path).get_data(as_text=True)
        found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
        assert found, path
        return found.group(1)

    response = client.post(
        "/admin/sign-in",
        data={"csrf_token": token("/admin/sign-in"), "email": email, "password": PASSWORD},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return token("/admin/account")


@pytest.fixture
def world(app: Flask, make_site: SiteFactory) -> Iterator[World]:
    """Three sites and their people, signed in, each with a personal token."""
    own = make_site(name="Own", domains=("own.example",))
    other = make_site(name="Other", domains=("other.example",))
    deleted = make_site(name="Gone", domains=("gone.example",))
    users = {role: create_user(f"{role}@own.example", PASSWORD) for role in ROLES}
    for role, user in users.items():
        set_role(user, own, role)
        set_role(user, deleted, role)
    stranger = create_user("owner@other.example", PASSWORD)
    set_role(stranger, other, "owner")
    deleted.deleted_at = utcnow()
    db.session.commit()
    tokens = {role: issue_token(user, "matrix")[1] for role, user in users.items()}
    # Objects of site B's, whose ids are sent to A's routes.
    invitation = invite(other, "editor", stranger).invitation
    endpoint = add_endpoint(other, "https://hooks.other.example/in", allow_private=False)
    db.session.add(WebhookDelivery(endpoint_id=endpoint.id, payload={"type": "consent.recorded"}))
    stranger_token, _ = issue_token(stranger, "theirs")
    their_request = file_request(other, Filing(kind="access", language="vi"))
    db.session.commit()
    found = World(own, other, deleted, users, tokens)
    found.foreign = {
        "user_id": stranger.id,
        "invitation_id": invitation.id,
        "webhook_id": endpoint.id,
        "token_id": stranger_token.id,
        "reference": their_request.reference,
    }
    app.test_client_class = FreshContextClient
    for role, user in users.items():
        client = app.test_client()
        found.csrf[role] = sign_in(client, user.email)
        found.consoles[role] = client
    yield found


# What each route declares --------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One method on one route, with the permission its view declares."""

    surface: str  # "console" or "api"
    method: str
    path: str  # a template: {site_key}, {user_id}, …
    arguments: tuple[str, ...]
    permission: str | None


def declared(view: Any, method: str) -> str | None:
    """The permission a view (a function, or a MethodView's method) declares."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        view = getattr(view_class, method.lower(), None)
    permission = getattr(view, "permission", None)
    return permission if isinstance(permission, str) else None


def console_operations(app: Flask) -> list[Operation]:
    """Every console route about a site, with every method it allows."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin/") or "site_key" not in rule.arguments:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - SKIPPED_METHODS):
            found.append(
                Operation(
                    "console", method, path, tuple(sorted(rule.arguments)), declared(view, method)
                )
            )
    return found


def api_operations(app: Flask) -> list[Operation]:
    """Every admin API operation about a site, from /openapi.json, with the declared permission."""
    spec = app.test_client().get("/openapi.json").get_json()
    by_path = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/admin/"):
            by_path[re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)] = rule
    found = []
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1/admin/") or "{site_key}" not in path:
            continue
        rule = by_path[path]
        view = app.view_functions[rule.endpoint]
        for method in operations:
            if method.upper() in SKIPPED_METHODS or method == "parameters":
                continue
            found.append(
                Operation(
                    "api",
                    method.upper(),
                    path,
                    tuple(sorted(rule.arguments)),
                    declared(view, method),
                )
            )
    return found


# Plausible requests ---------------------------------------------------------------------------


def example(schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    """A value that a JSON schema accepts, plausibly (required properties only)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return example(spec["components"]["schemas"][name], spec)
    for combined in ("allOf", "oneOf", "anyOf"):
        if combined in schema:
            return example(schema[combined][0], spec)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {
            name: example(properties[name], spec)
            for name in schema.get("required", [])
            if name in properties
        }
    if kind == "array":
        return [example(schema.get("items", {}), spec) for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if schema.get("format") == "uri":
        return "https://hooks.example.com/cookieconsent"
    if schema.get("format") == "date-time":
        return "2030-01-01T00:00:00Z"
    if schema.get("format") == "date":
        return "2030-01-01"
    return "a" * max(int(schema.get("minLength", 1)), 1)


def api_body(spec: dict[str, Any], operation: Operation) -> Any:
    """A plausible JSON body for the operation, or ``None`` when it takes none."""
    described = spec["paths"][operation.path][operation.method.lower()]
    content = described.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return None if schema is None else example(schema, spec)


def fill(operation: Operation, site: Site, world: World) -> str:
    """The operation's path for ``site``, other arguments naming another site's objects."""
    values: dict[str, Any] = {"site_key": site.site_key}
    for name in operation.arguments:
        if name != "site_key":
            values[name] = world.foreign.get(name, 1)
    return operation.path.format(**values)


def send(world: World, operation: Operation, role: str, site: Site, spec: dict[str, Any]) -> Any:
    """Send the operation as the member with ``role``, about ``site``."""
    path = fill(operation, site, world)
    if operation.surface == "console":
        client = world.consoles[role]
        if operation.method == "GET":
            return client.get(path)
        return client.open(path, method=operation.method, data={"csrf_token": world.csrf[role]})
    client = world.consoles[role]
    headers = {"Authorization": f"Bearer {world.tokens[role]}"}
    body = api_body(spec, operation)
    if body is None and operation.method in {"POST", "PATCH", "PUT"}:
        body = {}
    if body is None:
        return client.open(path, method=operation.method, headers=headers)
    return client.open(path, method=operation.method, headers=headers, json=body)


# The matrix ------------------------------------------------------------------------------------


def check_refusal(response: Any, status: int, operation: Operation) -> str | None:
    """Why the response is not the expected refusal, or ``None``."""
    if response.status_code != status:
        return f"answered {response.status_code}, expected {status}"
    if operation.surface == "api" and response.mimetype != PROBLEM:
        return f"answered {response.mimetype}, expected {PROBLEM}"
    if operation.surface == "console" and response.mimetype != "text/html":
        return f"answered {response.mimetype}, expected the console's HTML page"
    return None


def run_matrix(app: Flask, world: World, operations: list[Operation]) -> list[str]:
    """Every operation for every subject; the list of what went wrong."""
    spec = app.test_client().get("/openapi.json").get_json()
    failures: list[str] = []
    for operation in operations:
        name = f"{operation.surface} {operation.method} {operation.path}"
        if operation.permission not in PERMISSIONS:
            failures.append(f"{name}: declares no known permission ({operation.permission!r})")
            continue
        cases: list[tuple[str, Site, int | None]] = [
            ("owner", world.other, 404),
            ("owner", world.deleted, 404),
        ]
        for role in ROLES:
            allowed = may(role, operation.permission)
            foreign = any(arg in FOREIGN_ARGUMENTS for arg in operation.arguments)
            if not allowed:
                cases.append((role, world.own, 403))
            elif foreign:
                cases.append((role, world.own, 404))
            elif operation.method == "GET" and operation.arguments == ("site_key",):
                cases.append((role, world.own, None))
        for role, site, expected in cases:
            before = database_state()
            response = send(world, operation, role, site, spec)
            subject = f"{name} as {role} of {'own' if site is world.own else site.name}"
            if expected is None:
                # Allowed: it may still be refused for its own reasons (no draft yet, a query
                # argument needed), but never as a stranger's, a wrong role's, or a crash.
                refused_site = response.status_code == 404 and "site_key" in (
                    (response.get_json(silent=True) or {}).get("errors", {})
                )
                if response.status_code in {403, 500} or refused_site:
                    failures.append(f"{subject}: answered {response.status_code} to an allowed GET")
                continue
            problem = check_refusal(response, expected, operation)
            if problem:
                failures.append(f"{subject}: {problem}")
            if database_state() != before:
                failures.append(f"{subject}: the database changed")
    return failures


def test_every_console_page_about_a_site_keeps_tenants_apart(app: Flask, world: World) -> None:
    operations = console_operations(app)
    endpoints = {operation.path for operation in operations}
    # The pages known today must be among those enumerated (the enumeration works).
    assert "/admin/sites/{site_key}/" in endpoints
    assert "/admin/sites/{site_key}/members" in endpoints
    assert "/admin/sites/{site_key}/webhooks/{webhook_id}/deliveries" in endpoints
    failures = run_matrix(app, world, operations)
    assert not failures, "\n".join(failures)


def test_every_admin_api_operation_about_a_site_keeps_tenants_apart(
    app: Flask, world: World
) -> None:
    operations = api_operations(app)
    paths = {(operation.method, operation.path) for operation in operations}
    assert ("DELETE", "/api/v1/admin/sites/{site_key}") in paths
    assert ("PATCH", "/api/v1/admin/sites/{site_key}/members/{user_id}") in paths
    assert ("GET", "/api/v1/admin/sites/{site_key}/webhooks/{webhook_id}/deliveries") in paths
    failures = run_matrix(app, world, operations)
    assert not failures, "\n".join(failures)


def test_a_route_without_a_declared_permission_fails_the_matrix(app: Flask, world: World) -> None:
    undeclared = Operation("api", "GET", "/api/v1/admin/sites/{site_key}", ("site_key",), None)
    assert run_matrix(app, world, [undeclared]) == [
        "api GET /api/v1/admin/sites/{site_key}: declares no known permission (None)"
    ]


# Tokens and removal ----------------------------------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_personal_token_opens_only_its_users_sites(app: Flask, world: World) -> None:
    client = world.consoles["editor"]
    listed = client.get("/api/v1/admin/sites", headers=bearer(world.tokens["editor"]))
    assert listed.status_code == 200
    assert [site["site_key"] for site in listed.get_json()] == [world.own.site_key]
    for site in (world.other, world.deleted):
        response = client.get(
            f"/api/v1/admin/sites/{site.site_key}", headers=bearer(world.tokens["editor"])
        )
        assert response.status_code == 404 and response.mimetype == PROBLEM


def test_a_revoked_token_gets_401(app: Flask, world: World) -> None:
    client = world.consoles["owner"]
    url = f"/api/v1/admin/sites/{world.own.site_key}/members"
    assert client.get(url, headers=bearer(world.tokens["owner"])).status_code == 200
    row_id = db.session.execute(
        sa.text("SELECT id FROM personal_tokens WHERE user_id = :u"),
        {"u": world.users["owner"].id},
    ).scalar_one()
    assert revoke_token(world.users["owner"], row_id)
    before = database_state()
    invitations = f"/api/v1/admin/sites/{world.own.site_key}/invitations"
    for method, path in (("GET", url), ("POST", invitations), ("DELETE", f"{invitations}/1")):
        response = client.open(path, method=method, headers=bearer(world.tokens["owner"]), json={})
        assert response.status_code == 401 and response.mimetype == PROBLEM
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert database_state() == before


def test_a_removed_member_loses_access_at_once(app: Flask, world: World) -> None:
    editor = world.consoles["editor"]
    page = f"/admin/sites/{world.own.site_key}/"
    api = f"/api/v1/admin/sites/{world.own.site_key}"
    assert editor.get(page).status_code == 200
    assert editor.get(api, headers=bearer(world.tokens["editor"])).status_code == 200
    owner = world.consoles["owner"]
    removed = owner.post(
        f"/admin/sites/{world.own.site_key}/members",
        data={
            "csrf_token": world.csrf["owner"],
            "action": "remove",
            "user_id": world.users["editor"].id,
        },
    )
    assert removed.status_code == 302
    # The same session and the same token, right after.
    assert editor.get(page).status_code == 404
    response = editor.get(api, headers=bearer(world.tokens["editor"]))
    assert response.status_code == 404 and response.mimetype == PROBLEM
    assert (
        db.session.execute(sa.select(sa.func.count()).select_from(Invitation)).scalar_one() == 1
    ), "the other site's invitation is untouched"

"""Bad input: the right 4xx, a field-level problem, and not one row written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from cookieconsent.models import Site
from cookieconsent.services.signing import mint_visitor_id

from .conftest import SECRET_KEYS, SiteFactory, table_counts

# Each case gets the client, the site under test and a second site (for foreign IDs).
Request = Callable[[FlaskClient, Site, Site], Any]


def post(body: Any, *, raw: bytes | None = None, **headers: str) -> Request:
    def send(client: FlaskClient, site: Site, other: Site) -> Any:
        url = f"/api/v1/sites/{site.site_key}/consents"
        if raw is not None:
            headers.setdefault("Content-Type", "application/json")
            return client.post(url, data=raw, headers=headers)
        return client.post(url, json=body, headers=headers)

    return send


def with_visitor(make_id: Callable[[Site, Site], str]) -> Request:
    def send(client: FlaskClient, site: Site, other: Site) -> Any:
        body = {"action": "accept_all", "visitor_id": make_id(site, other)}
        return client.post(f"/api/v1/sites/{site.site_key}/consents", json=body)

    return send


def other_sites_id(site: Site, other: Site) -> str:
    return mint_visitor_id(SECRET_KEYS, other.site_key)[1]


def tampered_id(site: Site, other: Site) -> str:
    signed = mint_visitor_id(SECRET_KEYS, site.site_key)[1]
    # A middle character of the signature: base64's last one may only carry padding bits.
    return signed[:-10] + ("A" if signed[-10] != "A" else "B") + signed[-9:]


def foreign_key_id(site: Site, other: Site) -> str:
    return mint_visitor_id(["a-key-this-server-never-had"], site.site_key)[1]


CASES: list[tuple[str, Request, int, str]] = [
    ("malformed-json", post(None, raw=b'{"action": "accept_all",'), 400, "body"),
    ("json-not-object", post(["accept_all"]), 422, "body"),
    ("not-utf8", post(None, raw=b'{"action": "\xff"}'), 400, "body"),
    ("missing-action", post({"categories": {}}), 422, "action"),
    ("bad-action", post({"action": "accept_some"}), 422, "action"),
    ("action-not-string", post({"action": 1}), 422, "action"),
    ("unknown-field", post({"action": "accept_all", "sneaky": 1}), 422, "sneaky"),
    (
        "save-missing-category",
        post({"action": "save", "categories": {"analytics": True}}),
        422,
        "categories.marketing",
    ),
    ("save-without-categories", post({"action": "save"}), 422, "categories.analytics"),
    (
        "unknown-category",
        post({"action": "save", "categories": {"analytics": True, "marketing": True, "ads": True}}),
        422,
        "categories.ads",
    ),
    (
        "non-boolean-category",
        post({"action": "save", "categories": {"analytics": "yes", "marketing": False}}),
        422,
        "categories.analytics",
    ),
    (
        "number-category",
        post({"action": "save", "categories": {"analytics": 1, "marketing": False}}),
        422,
        "categories.analytics",
    ),
    (
        "null-category",
        post({"action": "save", "categories": {"analytics": None, "marketing": False}}),
        422,
        "categories.analytics",
    ),
    (
        "essential-refused",
        post(
            {
                "action": "save",
                "categories": {"essential": False, "analytics": True, "marketing": False},
            }
        ),
        422,
        "categories.essential",
    ),
    (
        "categories-not-object",
        post({"action": "save", "categories": ["analytics"]}),
        422,
        "categories",
    ),
    (
        "accept-contradicted",
        post({"action": "accept_all", "categories": {"marketing": False}}),
        422,
        "categories.marketing",
    ),
    (
        "reject-contradicted",
        post({"action": "reject_all", "categories": {"analytics": True}}),
        422,
        "categories.analytics",
    ),
    (
        "withdraw-contradicted",
        post({"action": "withdraw", "categories": {"analytics": True}}),
        422,
        "categories.analytics",
    ),
    (
        "unknown-policy-version",
        post({"action": "accept_all", "policy_version": "9.9"}),
        422,
        "policy_version",
    ),
    ("bad-language", post({"action": "accept_all", "language": "<script>"}), 422, "language"),
    ("bad-url", post({"action": "accept_all", "url": "javascript:alert(1)"}), 422, "url"),
    (
        "huge-url",
        post({"action": "accept_all", "url": "https://a.example/" + "x" * 3000}),
        422,
        "url",
    ),
    ("bad-gpc", post({"action": "accept_all", "gpc": "maybe"}), 422, "gpc"),
    (
        "chosen-at-not-a-time",
        post({"action": "accept_all", "chosen_at": "yesterday"}),
        422,
        "chosen_at",
    ),
    (
        "chosen-at-without-zone",
        post({"action": "accept_all", "chosen_at": "2026-11-29T10:00:00"}),
        422,
        "chosen_at",
    ),
    ("chosen-at-number", post({"action": "accept_all", "chosen_at": 1796032800}), 422, "chosen_at"),
    (
        "chosen-at-beyond-utc",
        post({"action": "accept_all", "chosen_at": "0001-01-01T00:00:00+01:00"}),
        422,
        "chosen_at",
    ),
    ("visitor-not-string", post({"action": "accept_all", "visitor_id": 42}), 422, "visitor_id"),
    ("visitor-garbage", post({"action": "accept_all", "visitor_id": "garbage"}), 400, "visitor_id"),
    ("visitor-tampered", with_visitor(tampered_id), 400, "visitor_id"),
    ("visitor-other-site", with_visitor(other_sites_id), 400, "visitor_id"),
    ("visitor-unknown-key", with_visitor(foreign_key_id), 400, "visitor_id"),
    (
        "oversized-body",
        post(None, raw=b'{"action": "accept_all", "url": "' + b"x" * 20000 + b'"}'),
        413,
        "body",
    ),
    ("wrong-origin", post({"action": "accept_all"}, Origin="https://evil.example"), 403, "origin"),
    (
        "forged-origin",
        post({"action": "accept_all"}, Origin="https://shop.example.evil"),
        403,
        "origin",
    ),
    (
        "form-encoded",
        post(
            None, raw=b"action=accept_all", **{"Content-Type": "application/x-www-form-urlencoded"}
        ),
        415,
        "content_type",
    ),
]


@pytest.mark.parametrize(("name", "send", "status", "field"), CASES, ids=[c[0] for c in CASES])
def test_bad_write_is_refused_and_writes_nothing(
    client: FlaskClient,
    site: Site,
    make_site: SiteFactory,
    name: str,
    send: Request,
    status: int,
    field: str,
) -> None:
    bystander = make_site(name="Bystander", domains=("bystander.example",))
    before = table_counts()
    response = send(client, site, bystander)

    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status
    assert problem["title"] and problem["detail"]
    assert field in problem["errors"], problem
    assert all(isinstance(message, str) for message in problem["errors"][field])
    assert b"Traceback" not in response.data
    assert table_counts() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/sites/nosuchsite1/consents"),
        ("GET", "/api/v1/sites/nosuchsite1/consents/abc.def"),
        ("GET", "/api/v1/sites/nosuchsite1/consents/abc.def/allowed/analytics"),
        ("POST", "/api/v1/sites/nosuchsite1/consents/lookup"),
        ("POST", "/api/v1/sites/x/consents"),
    ],
)
def test_unknown_site_is_404_on_every_api_path(
    client: FlaskClient, site: Site, method: str, path: str
) -> None:
    before = table_counts()
    response = client.open(path, method=method, data=b"{not json", content_type="application/json")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"] == {"site_key": ["Unknown site."]}
    assert table_counts() == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/sites/{key}/consents/garbage",
        "/api/v1/sites/{key}/consents/garbage/allowed/analytics",
    ],
)
def test_lookup_with_bad_visitor_id_is_400(client: FlaskClient, site: Site, path: str) -> None:
    response = client.get(path.format(key=site.site_key))
    assert response.status_code == 400
    assert "visitor_id" in response.get_json()["errors"]


def test_lookup_with_other_sites_id_is_400(
    client: FlaskClient, site: Site, make_site: SiteFactory
) -> None:
    visitor_id = other_sites_id(site, make_site(name="Other", domains=("other.example",)))
    response = client.get(f"/api/v1/sites/{site.site_key}/consents/{visitor_id}")
    assert response.status_code == 400
    assert "another site" in response.get_json()["errors"]["visitor_id"][0]


def test_wrong_method_is_405_problem(client: FlaskClient, site: Site) -> None:
    response = client.delete(f"/api/v1/sites/{site.site_key}/consents")
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert "POST" in response.headers["Allow"]


def test_unknown_path_is_404_problem(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_unexpected_error_is_a_clean_500(client: FlaskClient, site: Site, monkeypatch: Any) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database on fire")

    monkeypatch.setattr("cookieconsent.api.record_consent", explode)
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.post(f"/api/v1/sites/{site.site_key}/consents", json={"action": "accept_all"})
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert b"database on fire" not in response.data
    assert b"Traceback" not in response.data


def nested(depth: int, inner: bytes = b"1") -> bytes:
    """A JSON value nested ``depth`` arrays deep."""
    return b"[" * depth + inner + b"]" * depth


# Bodies Python's json module mishandles (RecursionError, a silent last-key-wins, infinity,
# a NUL PostgreSQL cannot store, an integer no column holds): each is a 400 naming the field.
PARSER_CASES: list[tuple[str, bytes, str]] = [
    ("nested-3500-deep", nested(3500), "body"),
    (
        "nested-3500-in-visitor-id",
        b'{"action": "accept_all", "visitor_id": ' + nested(3500) + b"}",
        "visitor_id",
    ),
    (
        "nested-33-in-categories",
        b'{"action": "save", "categories": {"a": ' + nested(33) + b"}}",
        "categories",
    ),
    ("duplicate-key", b'{"action": "accept_all", "action": "reject_all"}', "action"),
    ("nul-in-string", b'{"action": "accept_all", "url": "https://shop.example/\\u0000"}', "url"),
    (
        "nul-in-category-name",
        b'{"action": "save", "categories": {"ana\\u0000": true}}',
        "categories.ana\x00",
    ),
    ("lone-surrogate", b'{"action": "accept_all", "language": "\\ud800"}', "language"),
    ("huge-integer", b'{"action": "accept_all", "gpc": 257513283274767630250016768}', "gpc"),
    ("integer-beyond-64-bits", b'{"action": "accept_all", "gpc": 9223372036854775808}', "gpc"),
    ("infinity", b'{"action": "accept_all", "gpc": 1e999}', "gpc"),
    ("nan", b'{"action": "accept_all", "gpc": NaN}', "body"),
    ("invalid-utf8", b'{"action": "accept_all", "url": "\xc3\x28"}', "body"),
    ("truncated-utf8", b'{"action": "accept_all", "url": "\xe2\x82"}', "body"),
]


@pytest.mark.parametrize(("name", "raw", "field"), PARSER_CASES, ids=[c[0] for c in PARSER_CASES])
def test_hostile_json_is_a_400_naming_the_field(
    client: FlaskClient, site: Site, name: str, raw: bytes, field: str
) -> None:
    before = table_counts()
    response = client.post(
        f"/api/v1/sites/{site.site_key}/consents",
        data=raw,
        headers={"Content-Type": "application/json", "Idempotency-Key": f"bad-{name}"},
    )
    assert response.status_code == 400, response.data[:300]
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 400
    assert field in problem["errors"], problem
    assert b"Traceback" not in response.data
    assert table_counts() == before


def test_hostile_json_is_refused_on_the_token_endpoints_too(
    client: FlaskClient, site: Site, make_site: SiteFactory
) -> None:
    token = make_site.tokens[site.site_key]
    before = table_counts()
    response = client.patch(
        f"/api/v1/sites/{site.site_key}/config",
        data=b'{"texts": ' + nested(3500, b'"x"') + b"}",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert "texts" in response.get_json()["errors"]
    assert table_counts() == before


@pytest.mark.parametrize(
    ("method", "path", "status", "field"),
    [
        ("DELETE", "/api/v1/sites/{key}/webhooks/257513283274767630250016768", 404, "webhook_id"),
        ("DELETE", "/api/v1/sites/{key}/webhooks/2147483648", 404, "webhook_id"),
        ("GET", "/api/v1/sites/{key}%00/consents/abc.def", 400, "site_key"),
        ("GET", "/api/v1/sites/{key}/consents/abc%00.def", 400, "visitor_id"),
        ("GET", "/api/v1/sites/{key}/consents/{visitor}/allowed/ana%00", 400, "category"),
        ("GET", "/api/v1/sites/{key}/consents/{visitor}/receipt?lang=vi%00", 400, "lang"),
        ("GET", "/c/{key}%00.js", 400, "site_key"),
    ],
)
def test_hostile_paths_and_queries_are_refused_naming_the_parameter(
    client: FlaskClient,
    site: Site,
    make_site: SiteFactory,
    method: str,
    path: str,
    status: int,
    field: str,
) -> None:
    visitor = client.post(
        f"/api/v1/sites/{site.site_key}/consents", json={"action": "accept_all"}
    ).get_json()["visitor_id"]
    token = make_site.tokens[site.site_key]
    before = table_counts()
    response = client.open(
        path.format(key=site.site_key, visitor=visitor),
        method=method,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == status, response.data[:300]
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]
    assert table_counts() == before

"""Console accounts: the CLI, signing in, sessions, CSRF, throttling, roles, personal tokens."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from cookieconsent import create_app
from cookieconsent.extensions import db, limiter
from cookieconsent.models import Membership, PersonalToken, Site, User
from cookieconsent.services.accounts import create_user, issue_token, set_role

from .conftest import FreshContextClient, SiteFactory, _config, table_counts

PASSWORD = "correct horse battery staple"


def csrf_token(client: FlaskClient, path: str = "/admin/sign-in") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, "every console form carries a CSRF token"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    return client.post(
        "/admin/sign-in",
        data={"csrf_token": csrf_token(client), "email": email, "password": password},
    )


def member(site: Site, email: str, role: str) -> User:
    user = create_user(email, PASSWORD)
    set_role(user, site, role)
    db.session.commit()
    return user


# The CLI ---------------------------------------------------------------------------------------


def test_users_create_reads_the_password_from_stdin_and_prints_json(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["users", "create", "--email", "Chu@Shop.VN"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["email"] == "chu@shop.vn"
    user = db.session.execute(sa.select(User)).scalar_one()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", PASSWORD, "email"),
        ("chu@shop.vn", "short", "password"),
    ],
)
def test_users_create_refuses_in_one_line(
    runner: FlaskCliRunner, email: str, password: str, message: str
) -> None:
    before = table_counts()
    result = runner.invoke(args=["users", "create", "--email", email], input=password + "\n")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and message in lines[0]
    assert table_counts() == before


def test_users_create_refuses_a_second_account_for_one_email(runner: FlaskCliRunner) -> None:
    runner.invoke(args=["users", "create", "--email", "chu@shop.vn"], input=PASSWORD + "\n")
    again = runner.invoke(args=["users", "create", "--email", "CHU@shop.vn"], input=PASSWORD + "\n")
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_users_token_prints_a_token_once_and_stores_its_hash(runner: FlaskCliRunner) -> None:
    create_user("chu@shop.vn", PASSWORD)
    result = runner.invoke(args=["users", "token", "chu@shop.vn", "--name", "deploy"])
    assert result.exit_code == 0, result.output
    token = json.loads(result.output)["token"]
    row = db.session.execute(sa.select(PersonalToken)).scalar_one()
    assert row.name == "deploy" and token not in row.token_hash and len(row.token_hash) == 64
    missing = runner.invoke(args=["users", "token", "nobody@shop.vn", "--name", "x"])
    assert missing.exit_code == 1 and missing.output.startswith("Error:")


def test_sites_create_with_an_owner_and_sites_owner_later(runner: FlaskCliRunner) -> None:
    create_user("chu@shop.vn", PASSWORD)
    created = runner.invoke(
        args=["sites", "create", "--name", "Shop", "--domain", "shop.vn", "--owner", "chu@shop.vn"]
    )
    assert created.exit_code == 0, created.output
    key = json.loads(created.output)["site_key"]
    orphan = json.loads(
        runner.invoke(args=["sites", "create", "--name", "Blog", "--domain", "blog.vn"]).output
    )["site_key"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Membership)).scalar() == 1
    given = runner.invoke(args=["sites", "owner", orphan, "chu@shop.vn"])
    assert given.exit_code == 0, given.output
    roles = dict(
        db.session.execute(
            sa.select(Site.site_key, Membership.role).join(
                Membership, Membership.site_id == Site.id
            )
        ).all()
    )
    assert roles == {key: "owner", orphan: "owner"}
    unknown = runner.invoke(args=["sites", "owner", orphan, "nobody@shop.vn"])
    assert unknown.exit_code == 1 and len(unknown.output.strip().splitlines()) == 1


# Signing in ------------------------------------------------------------------------------------


def test_a_stranger_gets_the_sign_in_form_with_a_csrf_token(console: FlaskClient) -> None:
    response = console.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/sign-in")
    page = console.get("/admin/sign-in")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html and "csrf_token" in html
    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_signing_in_renews_the_session_with_safe_cookie_flags(
    console: FlaskClient, site: Site
) -> None:
    member(site, "chu@shop.vn", "owner")
    token = csrf_token(console)
    before = console.get_cookie("cookieconsent_console")
    assert before is not None
    response = console.post(
        "/admin/sign-in", data={"csrf_token": token, "email": "chu@shop.vn", "password": PASSWORD}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    after = console.get_cookie("cookieconsent_console")
    assert after is not None and after.value != before.value
    assert site.name in console.get("/admin/").get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(console: FlaskClient, site: Site) -> None:
    member(site, "chu@shop.vn", "owner")
    response = console.post("/admin/sign-in", data={"email": "chu@shop.vn", "password": PASSWORD})
    assert response.status_code == 400
    assert console.get("/admin/").status_code == 302, "not signed in"


def test_a_wrong_password_says_so_without_naming_which(console: FlaskClient, site: Site) -> None:
    member(site, "chu@shop.vn", "owner")
    for email, password in (("chu@shop.vn", "not the password!"), ("no@shop.vn", PASSWORD)):
        page = sign_in(console, email, password).get_data(as_text=True)
        assert "do not match an account" in page or "không khớp" in page


def test_production_sessions_are_secure_and_https_pages_send_hsts(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COOKIECONSENT_ENV", "production")
    monkeypatch.setenv("COOKIECONSENT_SECRET_KEYS", "production-test-key-" + "k" * 32)
    app = create_app(_config(database_url))
    with app.app_context():
        site, _ = __import__("cookieconsent.services.sites", fromlist=["x"]).create_site(
            "Shop", ["shop.example"]
        )
        member(site, "chu@shop.vn", "owner")
        client = app.test_client()
        client.base_url = "https://consent.example"  # type: ignore[attr-defined]
        page = client.get("/admin/sign-in", base_url="https://consent.example")
        assert "Strict-Transport-Security" in page.headers
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
        assert match
        response = client.post(
            "/admin/sign-in",
            base_url="https://consent.example",
            data={"csrf_token": match.group(1), "email": "chu@shop.vn", "password": PASSWORD},
            headers={"Referer": "https://consent.example/admin/sign-in"},
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        assert "Secure" in response.headers["Set-Cookie"]
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def limited_app(database_url: str) -> Any:
    """The app with its rate limits on, counting afresh."""
    app = create_app(
        _config(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    )
    with app.app_context():
        limiter.reset()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_sign_in_attempts_are_limited_per_email(limited_app: Flask) -> None:
    limited_app.test_client_class = FreshContextClient
    client = limited_app.test_client()
    statuses = []
    for attempt in range(7):
        token = csrf_token(client)
        response = client.post(
            "/admin/sign-in",
            data={"csrf_token": token, "email": "chu@shop.vn", "password": f"wrong {attempt}"},
            environ_base={"REMOTE_ADDR": f"203.0.113.{attempt}"},
        )
        statuses.append(response.status_code)
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429, 429], statuses
    assert "Too many attempts" in response.get_data(as_text=True) or "Quá nhiều" in (
        response.get_data(as_text=True)
    )


def test_sign_in_attempts_are_limited_per_address(limited_app: Flask) -> None:
    limited_app.test_client_class = FreshContextClient
    client = limited_app.test_client()
    statuses = []
    for attempt in range(21):
        token = csrf_token(client)
        response = client.post(
            "/admin/sign-in",
            data={"csrf_token": token, "email": f"user{attempt}@shop.vn", "password": "x" * 12},
        )
        statuses.append(response.status_code)
    assert statuses[:20] == [200] * 20 and statuses[20] == 429


def test_changing_the_password_ends_other_sessions(app: Flask, site: Site) -> None:
    member(site, "chu@shop.vn", "owner")
    app.test_client_class = FreshContextClient
    first, second = app.test_client(), app.test_client()
    sign_in(first, "chu@shop.vn")
    sign_in(second, "chu@shop.vn")
    token = csrf_token(first, "/admin/account")
    changed = first.post(
        "/admin/account",
        data={
            "csrf_token": token,
            "action": "password",
            "current_password": PASSWORD,
            "new_password": "another long password",
        },
    )
    assert changed.status_code == 302
    assert first.get("/admin/").status_code == 200, "the session that changed it goes on"
    assert second.get("/admin/").status_code == 302, "every other session ends"


def test_signing_out_makes_a_copied_session_cookie_worthless(app: Flask, site: Site) -> None:
    member(site, "chu@shop.vn", "owner")
    app.test_client_class = FreshContextClient
    browser = app.test_client()
    sign_in(browser, "chu@shop.vn")
    assert browser.get("/admin/account").status_code == 200
    cookie = browser.get_cookie("cookieconsent_console")
    assert cookie is not None
    # Someone copies the cookie (a shared computer, a proxy's log) before the user signs out.
    thief = app.test_client()
    thief.set_cookie("cookieconsent_console", cookie.value)
    assert thief.get("/admin/account").status_code == 200
    signed_out = browser.post(
        "/admin/sign-out", data={"csrf_token": csrf_token(browser, "/admin/")}
    )
    assert signed_out.status_code == 302
    stolen = thief.get("/admin/account")
    assert stolen.status_code == 302
    assert stolen.headers["Location"].startswith("/admin/sign-in")
    # The user signs in again as usual.
    sign_in(browser, "chu@shop.vn")
    assert browser.get("/admin/account").status_code == 200


# Sites and roles -------------------------------------------------------------------------------


def test_a_site_the_user_is_not_a_member_of_answers_404(
    console: FlaskClient, site: Site, make_site: SiteFactory
) -> None:
    other = make_site(name="Other", domains=("other.example",))
    member(site, "chu@shop.vn", "viewer")
    sign_in(console, "chu@shop.vn")
    assert console.get(f"/admin/sites/{site.site_key}/").status_code == 200
    response = console.get(f"/admin/sites/{other.site_key}/")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert console.get("/admin/sites/no-such-site1/").status_code == 404


def test_creating_a_site_in_the_console_makes_its_creator_the_owner(console: FlaskClient) -> None:
    create_user("chu@shop.vn", PASSWORD)
    sign_in(console, "chu@shop.vn")
    token = csrf_token(console, "/admin/sites/new")
    refused = console.post(
        "/admin/sites/new",
        data={"csrf_token": token, "name": "Shop", "domains": "*.co.uk", "language": "vi"},
    )
    assert refused.status_code == 200
    assert "public suffix" in refused.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Site)).scalar() == 0
    created = console.post(
        "/admin/sites/new",
        data={
            "csrf_token": token,
            "name": "Shop",
            "domains": "shop.vn\n*.shop.vn",
            "language": "vi",
        },
    )
    assert created.status_code == 302
    site = db.session.execute(sa.select(Site)).scalar_one()
    assert site.domains == ["*.shop.vn", "shop.vn"]
    overview = console.get(created.headers["Location"]).get_data(as_text=True)
    assert f"/c/{site.site_key}.js" in overview
    assert "API token" in overview or "API" in overview
    # The token is shown once.
    again = console.get(created.headers["Location"]).get_data(as_text=True)
    assert 'id="api-token"' in overview and 'id="api-token"' not in again


# The console's API -----------------------------------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_console_api_lists_and_creates_the_users_sites(
    console: FlaskClient, site: Site, make_site: SiteFactory
) -> None:
    make_site(name="Other", domains=("other.example",))
    user = member(site, "chu@shop.vn", "editor")
    _row, token = issue_token(user, "script")
    listed = console.get("/api/v1/admin/sites", headers=bearer(token))
    assert listed.status_code == 200
    assert [(s["site_key"], s["role"]) for s in listed.get_json()] == [(site.site_key, "editor")]
    created = console.post(
        "/api/v1/admin/sites",
        json={"name": "Blog", "domains": ["blog.vn"]},
        headers=bearer(token),
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["role"] == "owner" and body["api_token"]
    refused = console.post(
        "/api/v1/admin/sites", json={"name": "X", "domains": ["com.vn"]}, headers=bearer(token)
    )
    assert refused.status_code == 422 and "domains" in str(refused.get_json()["errors"])


def test_deleting_a_site_needs_the_owner_and_the_key_typed_again(
    console: FlaskClient, site: Site
) -> None:
    editor = member(site, "editor@shop.vn", "editor")
    owner = member(site, "owner@shop.vn", "owner")
    _row, editor_token = issue_token(editor, "e")
    _row, owner_token = issue_token(owner, "o")
    url = f"/api/v1/admin/sites/{site.site_key}"
    before = table_counts()
    forbidden = console.delete(url, json={"confirm": site.site_key}, headers=bearer(editor_token))
    assert forbidden.status_code == 403
    assert forbidden.mimetype == "application/problem+json"
    wrong = console.delete(url, json={"confirm": "nope"}, headers=bearer(owner_token))
    assert wrong.status_code == 422 and "confirm" in wrong.get_json()["errors"]
    assert table_counts() == before
    assert (
        console.delete(
            url, json={"confirm": site.site_key}, headers=bearer(owner_token)
        ).status_code
        == 204
    )
    assert console.get(url, headers=bearer(owner_token)).status_code == 404
    # The widget of a deleted site is gone; its records stay.
    assert console.get(f"/c/{site.site_key}.js").status_code == 404
    assert table_counts()["sites"] == before["sites"]


def test_the_admin_api_is_never_cached_nor_documented_as_conditional(
    client: FlaskClient, site: Site
) -> None:
    user = member(site, "chu@shop.vn", "owner")
    _, token = issue_token(user, "cache check")
    headers = {"Authorization": f"Bearer {token}"}
    for path in ("/api/v1/admin/me", f"/api/v1/admin/sites/{site.site_key}"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert "ETag" not in response.headers
    spec = client.get("/openapi.json").get_json()
    for path, operations in spec["paths"].items():
        if path.startswith("/api/v1/admin/") and "get" in operations:
            assert "304" not in operations["get"]["responses"], path


@pytest.mark.parametrize("path", ["/", "/dashboard", "/admin"])
def test_the_addresses_people_guess_lead_to_the_console(console: FlaskClient, path: str) -> None:
    response = console.get(path, follow_redirects=True)
    assert response.status_code == 200
    assert response.request.path == "/admin/sign-in"
    assert 'name="csrf_token"' in response.get_data(as_text=True)

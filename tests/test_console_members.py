"""Members, invitations, the site's API token and webhooks: the console pages and the admin API."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from cookieconsent.extensions import db
from cookieconsent.models import (
    Invitation,
    Membership,
    Site,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from cookieconsent.services import accounts
from cookieconsent.services.accounts import create_user, invite, issue_token
from cookieconsent.services.webhooks import add_endpoint

from .conftest import FreshContextClient, SiteFactory, table_counts
from .test_console_accounts import PASSWORD, bearer, csrf_token, member, sign_in

PROBLEM = "application/problem+json"


def page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def post(client: FlaskClient, path: str, **data: Any) -> Any:
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def role_of(site: Site, email: str) -> str | None:
    db.session.rollback()
    return db.session.execute(
        sa.select(Membership.role)
        .join(accounts.User, accounts.User.id == Membership.user_id)
        .where(Membership.site_id == site.id, accounts.User.email == email)
    ).scalar_one_or_none()


@pytest.fixture
def owner_console(console: FlaskClient, site: Site) -> FlaskClient:
    """The console, signed in as the site's owner (chu@shop.vn)."""
    member(site, "chu@shop.vn", "owner")
    sign_in(console, "chu@shop.vn")
    return console


def another_browser(app: Flask) -> FlaskClient:
    app.test_client_class = FreshContextClient
    return app.test_client()


# Invitations -----------------------------------------------------------------------------------


def test_an_invitation_link_makes_its_taker_a_member_once(
    app: Flask, owner_console: FlaskClient, site: Site
) -> None:
    members_page = f"/admin/sites/{site.site_key}/members"
    created = post(owner_console, members_page, action="invite", role="editor")
    assert created.status_code == 302
    html = page(owner_console, members_page)
    link = re.search(r'<code id="invitation-link">([^<]+)</code>', html)
    assert link, "the link is shown to copy"
    assert 'data-copy="#invitation-link"' in html
    assert 'id="invitation-link"' not in page(owner_console, members_page), "shown once"
    path = link.group(1).replace("http://localhost", "")
    stored = db.session.execute(sa.select(Invitation)).scalar_one()
    assert stored.role == "editor" and path.rsplit("/", 1)[-1] not in stored.token_hash
    assert stored.expires_at - stored.created_at == timedelta(days=7)

    create_user("bien@shop.vn", PASSWORD)
    other = another_browser(app)
    assert other.get(path).status_code == 302, "the link asks to sign in first"
    sign_in(other, "bien@shop.vn")
    assert "Accept" in page(other, path) or "Chấp nhận" in page(other, path)
    accepted = other.post(path, data={"csrf_token": csrf_token(other, path)})
    assert accepted.status_code == 302
    assert accepted.headers["Location"] == f"/admin/sites/{site.site_key}/"
    assert role_of(site, "bien@shop.vn") == "editor"
    # Single use, and the editor is no owner.
    assert other.get(path).status_code == 404
    assert other.get(members_page).status_code == 403
    assert other.get(f"/admin/sites/{site.site_key}/webhooks").status_code == 200
    assert "Members" not in page(other, f"/admin/sites/{site.site_key}/").split("sidenav")[1][:600]


def test_an_invitation_expires_after_7_days(
    app: Flask, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = member(site, "chu@shop.vn", "owner")
    issued = invite(site, "viewer", owner)
    create_user("bien@shop.vn", PASSWORD)
    browser = another_browser(app)
    sign_in(browser, "bien@shop.vn")
    path = f"/admin/invitations/{issued.token}"
    created = issued.invitation.created_at
    monkeypatch.setattr(accounts, "utcnow", lambda: created + timedelta(days=7, seconds=-60))
    assert browser.get(path).status_code == 200, "valid until the seventh day ends"
    monkeypatch.setattr(accounts, "utcnow", lambda: created + timedelta(days=7, seconds=1))
    before = table_counts()
    expired = browser.get(path)
    assert expired.status_code == 404
    assert "expired" in expired.get_data(as_text=True) or "hết hạn" in expired.get_data(
        as_text=True
    )
    assert (
        browser.post(path, data={"csrf_token": csrf_token(browser, "/admin/account")}).status_code
        == 404
    )
    assert role_of(site, "bien@shop.vn") is None and table_counts() == before


def test_an_open_invitation_can_be_revoked(
    app: Flask, owner_console: FlaskClient, site: Site
) -> None:
    owner = accounts.find_user("chu@shop.vn")
    assert owner is not None
    issued = invite(site, "editor", owner)
    members_page = f"/admin/sites/{site.site_key}/members"
    html = page(owner_console, members_page)
    assert 'id="invitations"' in html
    assert "Editor" in html or "Biên tập" in html
    revoked = post(
        owner_console, members_page, action="revoke-invitation", invitation_id=issued.invitation.id
    )
    assert revoked.status_code == 302
    assert db.session.execute(sa.select(sa.func.count()).select_from(Invitation)).scalar() == 0
    create_user("bien@shop.vn", PASSWORD)
    browser = another_browser(app)
    sign_in(browser, "bien@shop.vn")
    assert browser.get(f"/admin/invitations/{issued.token}").status_code == 404


def test_an_invitation_to_a_deleted_site_is_no_longer_offered(
    app: Flask, owner_console: FlaskClient, site: Site
) -> None:
    owner = accounts.find_user("chu@shop.vn")
    assert owner is not None
    issued = invite(site, "editor", owner)
    site.deleted_at = utcnow()
    db.session.commit()
    create_user("bien@shop.vn", PASSWORD)
    browser = another_browser(app)
    sign_in(browser, "bien@shop.vn")
    link = f"/admin/invitations/{issued.token}"
    shown = browser.get(link)
    assert shown.status_code == 404
    assert "btn btn-primary" not in shown.get_data(as_text=True)  # no "Accept" button
    taken = browser.post(link, data={"csrf_token": csrf_token(browser, "/admin/")})
    assert taken.status_code == 404
    assert role_of(site, "bien@shop.vn") is None


# Members ---------------------------------------------------------------------------------------


def test_the_last_owner_can_be_neither_removed_nor_demoted(
    owner_console: FlaskClient, site: Site
) -> None:
    members_page = f"/admin/sites/{site.site_key}/members"
    owner = accounts.find_user("chu@shop.vn")
    assert owner is not None
    before = table_counts()
    for action, extra in (("remove", {}), ("role", {"role": "editor"})):
        refused = post(owner_console, members_page, action=action, user_id=owner.id, **extra)
        assert refused.status_code == 200
        text = refused.get_data(as_text=True)
        assert "at least one owner" in text or "ít nhất một chủ" in text
    assert role_of(site, "chu@shop.vn") == "owner" and table_counts() == before
    # With a second owner, the first may step down.
    member(site, "hai@shop.vn", "owner")
    assert post(owner_console, members_page, action="role", user_id=owner.id, role="editor")
    assert role_of(site, "chu@shop.vn") == "editor"
    assert owner_console.get(members_page).status_code == 403


def test_an_owner_changes_a_role_and_removes_a_member(
    owner_console: FlaskClient, site: Site
) -> None:
    members_page = f"/admin/sites/{site.site_key}/members"
    viewer = member(site, "xem@shop.vn", "viewer")
    html = page(owner_console, members_page)
    assert 'data-member="xem@shop.vn"' in html and 'scope="col"' in html
    changed = post(owner_console, members_page, action="role", user_id=viewer.id, role="editor")
    assert changed.status_code == 302 and role_of(site, "xem@shop.vn") == "editor"
    removed = post(owner_console, members_page, action="remove", user_id=viewer.id)
    assert removed.status_code == 302 and role_of(site, "xem@shop.vn") is None
    # Someone who is not a member (any more) is not found.
    again = post(owner_console, members_page, action="remove", user_id=viewer.id)
    assert again.status_code == 404


def test_the_members_api(client: FlaskClient, site: Site, make_site: SiteFactory) -> None:
    owner = member(site, "chu@shop.vn", "owner")
    viewer = member(site, "xem@shop.vn", "viewer")
    other_site = make_site(name="Other", domains=("other.example",))
    stranger = member(other_site, "la@other.example", "owner")
    foreign = invite(other_site, "editor", stranger).invitation
    _row, token = issue_token(owner, "script")
    base = f"/api/v1/admin/sites/{site.site_key}"
    listed = client.get(f"{base}/members", headers=bearer(token))
    assert listed.status_code == 200
    assert [(m["email"], m["role"]) for m in listed.get_json()] == [
        ("chu@shop.vn", "owner"),
        ("xem@shop.vn", "viewer"),
    ]
    patched = client.patch(
        f"{base}/members/{viewer.id}", json={"role": "editor"}, headers=bearer(token)
    )
    assert patched.status_code == 200 and patched.get_json()["role"] == "editor"
    bad_role = client.patch(
        f"{base}/members/{viewer.id}", json={"role": "admin"}, headers=bearer(token)
    )
    assert bad_role.status_code == 422 and "role" in bad_role.get_json()["errors"]
    last = client.patch(
        f"{base}/members/{owner.id}", json={"role": "viewer"}, headers=bearer(token)
    )
    assert last.status_code == 409 and last.mimetype == PROBLEM
    assert client.delete(f"{base}/members/{owner.id}", headers=bearer(token)).status_code == 409
    before = table_counts()
    for response in (
        client.delete(f"{base}/members/{stranger.id}", headers=bearer(token)),
        client.patch(
            f"{base}/members/{stranger.id}", json={"role": "viewer"}, headers=bearer(token)
        ),
        client.delete(f"{base}/invitations/{foreign.id}", headers=bearer(token)),
        client.delete(f"{base}/members/{2**40}", headers=bearer(token)),
    ):
        assert response.status_code == 404 and response.mimetype == PROBLEM
    assert table_counts() == before
    # Invitations: the link once, then listed without it, then revoked.
    created = client.post(f"{base}/invitations", json={"role": "viewer"}, headers=bearer(token))
    assert created.status_code == 201
    body = created.get_json()
    assert body["link"].startswith("http://localhost/admin/invitations/")
    assert body["role"] == "viewer"
    listed_invitations = client.get(f"{base}/invitations", headers=bearer(token)).get_json()
    assert [i["id"] for i in listed_invitations] == [body["id"]]
    assert "link" not in listed_invitations[0]
    assert (
        client.delete(f"{base}/invitations/{body['id']}", headers=bearer(token)).status_code == 204
    )
    assert client.get(f"{base}/invitations", headers=bearer(token)).get_json() == []
    assert client.delete(f"{base}/members/{viewer.id}", headers=bearer(token)).status_code == 204


# The site's API token --------------------------------------------------------------------------


def test_replacing_the_api_token_makes_the_old_one_401(
    owner_console: FlaskClient, site: Site, make_site: SiteFactory
) -> None:
    config = f"/api/v1/sites/{site.site_key}/config"
    old = make_site.tokens[site.site_key]
    assert owner_console.get(config, headers=bearer(old)).status_code == 200
    members_page = f"/admin/sites/{site.site_key}/members"
    html = page(owner_console, members_page)
    assert "stops working at once" in html or "ngừng hoạt động" in html
    assert post(owner_console, members_page, action="rotate-api-token").status_code == 302
    shown = page(owner_console, members_page)
    new = re.search(r'<code id="api-token">([^<]+)</code>', shown)
    assert new, "the new token is shown once"
    assert 'id="api-token"' not in page(owner_console, members_page)
    refused = owner_console.get(config, headers=bearer(old))
    assert refused.status_code == 401 and refused.mimetype == PROBLEM
    assert owner_console.get(config, headers=bearer(new.group(1))).status_code == 200
    # And through the admin API.
    owner = accounts.find_user("chu@shop.vn")
    assert owner is not None
    _row, personal = issue_token(owner, "script")
    rotated = owner_console.post(
        f"/api/v1/admin/sites/{site.site_key}/api-token", json={}, headers=bearer(personal)
    )
    assert rotated.status_code == 200
    assert owner_console.get(config, headers=bearer(new.group(1))).status_code == 401
    latest = rotated.get_json()["api_token"]
    assert owner_console.get(config, headers=bearer(latest)).status_code == 200


# Webhooks --------------------------------------------------------------------------------------


def test_webhooks_are_added_rotated_and_removed_in_the_console(
    app: Flask, owner_console: FlaskClient, site: Site
) -> None:
    app.config["COOKIECONSENT_WEBHOOK_ALLOW_PRIVATE"] = False  # as in production
    hooks = f"/admin/sites/{site.site_key}/webhooks"
    empty = page(owner_console, hooks)
    assert "No endpoint yet" in empty or "Chưa có" in empty
    before = table_counts()
    private = post(owner_console, hooks, action="add", url="http://127.0.0.1:8000/hook")
    assert private.status_code == 200
    assert "public addresses" in private.get_data(as_text=True)
    assert 'aria-invalid="true"' in private.get_data(as_text=True)
    not_url = post(owner_console, hooks, action="add", url="ftp://example.com/x")
    assert "http://" in not_url.get_data(as_text=True)
    assert table_counts() == before
    assert (
        post(owner_console, hooks, action="add", url="https://hooks.shop.vn/in").status_code == 302
    )
    endpoint = db.session.execute(sa.select(WebhookEndpoint)).scalar_one()
    shown = page(owner_console, hooks)
    assert f'<code id="webhook-secret">{endpoint.secret}</code>' in shown
    assert 'id="webhook-secret"' not in page(owner_console, hooks)
    first_secret = endpoint.secret
    rotated = post(owner_console, hooks, action="rotate", webhook_id=endpoint.id)
    assert rotated.status_code == 302
    db.session.refresh(endpoint)
    assert endpoint.secret != first_secret and endpoint.previous_secret == first_secret
    assert endpoint.secret in page(owner_console, hooks)
    endpoint_id = endpoint.id
    assert post(owner_console, hooks, action="remove", webhook_id=endpoint_id).status_code == 302
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count()).select_from(WebhookEndpoint)).scalar() == 0
    assert post(owner_console, hooks, action="remove", webhook_id=endpoint_id).status_code == 404


def add_deliveries(endpoint_id: int, count: int, **values: Any) -> None:
    for _ in range(count):
        db.session.add(
            WebhookDelivery(endpoint_id=endpoint_id, payload={"type": "consent.recorded"}, **values)
        )
    db.session.commit()


def test_deliveries_are_listed_page_by_page_and_a_failing_endpoint_is_flagged(
    owner_console: FlaskClient, site: Site
) -> None:
    healthy = add_endpoint(site, "https://ok.shop.vn/in")
    failing = add_endpoint(site, "https://down.shop.vn/in")
    add_deliveries(healthy.id, 2, status="delivered", attempts=1, delivered_at=utcnow())
    add_deliveries(healthy.id, 1, attempts=1, last_error="HTTP 503")  # one retry: not failing
    add_deliveries(failing.id, 27, status="delivered", attempts=1, delivered_at=utcnow())
    add_deliveries(failing.id, 3, attempts=4, last_error="HTTP 500")
    hooks = f"/admin/sites/{site.site_key}/webhooks"
    html = page(owner_console, hooks)
    sections = html.split('data-endpoint="')
    healthy_html = next(s for s in sections if s.startswith(f'{healthy.id}"'))
    failing_html = next(s for s in sections if s.startswith(f'{failing.id}"'))
    assert 'data-role="failing"' in failing_html and "HTTP 500" in failing_html
    assert 'data-role="failing"' not in healthy_html and "HTTP 503" in healthy_html
    # Every delivery, 25 a page, newest first.
    deliveries = f"/admin/sites/{site.site_key}/webhooks/{failing.id}/deliveries"
    first = page(owner_console, deliveries)
    assert first.count("<tr>") == 26  # the head and 25 rows
    older = re.search(r'rel="next" href="([^"]+)"', first)
    assert older
    second = page(owner_console, older.group(1).replace("&amp;", "&"))
    assert second.count("<tr>") == 6 and 'rel="next"' not in second
    assert (
        owner_console.get(f"/admin/sites/{site.site_key}/webhooks/{2**40}/deliveries").status_code
        == 404
    )
    # The same through the API.
    owner = accounts.find_user("chu@shop.vn")
    assert owner is not None
    _row, token = issue_token(owner, "script")
    base = f"/api/v1/admin/sites/{site.site_key}/webhooks"
    listed = owner_console.get(base, headers=bearer(token)).get_json()
    assert {(w["url"], w["failing"]) for w in listed} == {
        ("https://ok.shop.vn/in", False),
        ("https://down.shop.vn/in", True),
    }
    page_one = owner_console.get(f"{base}/{failing.id}/deliveries", headers=bearer(token))
    assert page_one.status_code == 200
    body = page_one.get_json()
    assert len(body["deliveries"]) == 25 and body["failing"] is True
    newest = body["deliveries"][0]
    assert newest["status"] == "pending" and newest["attempts"] == 4
    assert newest["last_error"] == "HTTP 500" and newest["event_type"] == "consent.recorded"
    assert newest["next_attempt_at"].endswith("Z")
    page_two = owner_console.get(
        f"{base}/{failing.id}/deliveries?before={body['next_before']}", headers=bearer(token)
    ).get_json()
    assert len(page_two["deliveries"]) == 5 and page_two["next_before"] is None
    ids = [d["id"] for d in body["deliveries"] + page_two["deliveries"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 30


def test_an_endpoint_with_a_given_up_delivery_is_failing(
    owner_console: FlaskClient, site: Site
) -> None:
    endpoint = add_endpoint(site, "https://down.shop.vn/in")
    add_deliveries(endpoint.id, 1, status="delivered", attempts=1, delivered_at=utcnow())
    add_deliveries(endpoint.id, 1, status="failed", attempts=12, last_error="timed out")
    html = page(owner_console, f"/admin/sites/{site.site_key}/webhooks")
    assert 'data-role="failing"' in html
    add_deliveries(endpoint.id, 1, status="delivered", attempts=1, delivered_at=utcnow())
    html = page(owner_console, f"/admin/sites/{site.site_key}/webhooks")
    assert 'data-role="failing"' not in html, "a success since clears the flag"


def test_the_webhooks_api(app: Flask, client: FlaskClient, site: Site) -> None:
    app.config["COOKIECONSENT_WEBHOOK_ALLOW_PRIVATE"] = False  # as in production
    editor = member(site, "bien@shop.vn", "editor")
    _row, token = issue_token(editor, "script")
    base = f"/api/v1/admin/sites/{site.site_key}/webhooks"
    refused = client.post(base, json={"url": "http://10.0.0.1/hook"}, headers=bearer(token))
    assert (
        refused.status_code == 422 and "public addresses" in refused.get_json()["errors"]["url"][0]
    )
    created = client.post(base, json={"url": "https://hooks.shop.vn/in"}, headers=bearer(token))
    assert created.status_code == 201
    hook = created.get_json()
    assert hook["secret"].startswith("whsec_")
    rotated = client.post(f"{base}/{hook['id']}/rotate", json={}, headers=bearer(token))
    assert rotated.status_code == 200 and rotated.get_json()["secret"] != hook["secret"]
    listed = client.get(base, headers=bearer(token)).get_json()
    assert len(listed) == 1 and "secret" not in listed[0] and listed[0]["failing"] is False
    assert client.delete(f"{base}/{hook['id']}", headers=bearer(token)).status_code == 204
    assert client.delete(f"{base}/{hook['id']}", headers=bearer(token)).status_code == 404

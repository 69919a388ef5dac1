"""Journey 3 in Chromium: an owner invites an editor, who accepts and cannot manage members."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import ConsentService, in_ci

try:
    from playwright.sync_api import Page, expect
except ImportError:  # pragma: no cover - the [test] extra installs it
    if in_ci():
        raise
    pytest.skip("playwright is not installed", allow_module_level=True)

SCREENSHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "correct horse battery staple"


def account(service: ConsentService, site_key: str | None = None) -> str:
    """A new account, the site's owner when ``site_key`` is given; returns its email."""
    from cookieconsent.extensions import db
    from cookieconsent.services.accounts import create_user, set_role

    email = f"user-{uuid.uuid4().hex[:8]}@shop.vn"
    with service.app.app_context():
        user = create_user(email, PASSWORD, language="en")
        if site_key is not None:
            set_role(user, service._site_row(site_key), "owner")
        db.session.commit()
    return email


def sign_in(page: Page, service: ConsentService, email: str) -> None:
    page.goto(f"{service.origin}/admin/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_an_owner_invites_an_editor_who_cannot_manage_members(
    consent_service: ConsentService, new_context: Callable[..., Any]
) -> None:
    site_key = consent_service.create_site(["shop.example"])
    owner_email = account(consent_service, site_key)
    editor_email = account(consent_service)
    origin = consent_service.origin
    SCREENSHOTS.mkdir(exist_ok=True)

    # The owner, in one browser: the Members page, an invitation for an editor.
    owner_context = new_context(permissions=["clipboard-read", "clipboard-write"])
    owner = owner_context.new_page()
    errors: list[str] = []
    # Every script and stylesheet loads under the strict CSP; nothing fails but the favicon.
    owner.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    owner.on("console", lambda m: errors.append(m.text) if "Content Security" in m.text else None)
    sign_in(owner, consent_service, owner_email)
    expect(owner).to_have_url(f"{origin}/admin/")
    owner.goto(f"{origin}/admin/sites/{site_key}/")
    owner.get_by_role("navigation", name="Site").get_by_role("link", name="Members").click()
    expect(owner.get_by_role("heading", level=1)).to_have_text("Members")
    expect(owner.locator(f'tr[data-member="{owner_email}"]')).to_contain_text("Last owner")
    owner.get_by_label("Role", exact=True).select_option("editor")
    owner.get_by_role("button", name="Create an invitation link").click()
    link = owner.locator("#invitation-link")
    expect(link).to_be_visible()
    owner.locator('[data-copy="#invitation-link"]').click()
    expect(owner.locator('[data-copy="#invitation-link"]')).to_have_text("Copied")
    copied = owner.evaluate("navigator.clipboard.readText()")
    assert copied == link.inner_text().strip() and "/admin/invitations/" in copied
    expect(owner.locator("#invitations tbody tr")).to_have_count(1)
    owner.screenshot(path=str(SCREENSHOTS / "console-members-owner.png"), full_page=True)

    # The editor, in another browser: signs in through the link and accepts.
    editor = new_context().new_page()
    editor.goto(copied)
    # Not signed in: the sign-in page, which comes back to the link.
    expect(editor.get_by_role("button", name="Sign in")).to_be_visible()
    editor.get_by_label("Email").fill(editor_email)
    editor.get_by_label("Password").fill(PASSWORD)
    editor.get_by_role("button", name="Sign in").click()
    expect(editor).to_have_url(copied)
    expect(editor.get_by_role("heading", level=1)).to_contain_text("Join")
    editor.screenshot(path=str(SCREENSHOTS / "console-invitation.png"), full_page=True)
    editor.get_by_role("button", name="Accept the invitation").click()
    expect(editor).to_have_url(f"{origin}/admin/sites/{site_key}/")
    navigation = editor.get_by_role("navigation", name="Site")
    expect(navigation.get_by_role("link", name="Webhooks")).to_be_visible()
    expect(navigation.get_by_role("link", name="Members")).to_have_count(0)
    response = editor.goto(f"{origin}/admin/sites/{site_key}/members")
    assert response is not None and response.status == 403
    expect(editor.get_by_role("heading", level=1)).to_have_text("Not allowed")
    editor.screenshot(path=str(SCREENSHOTS / "console-members-editor-403.png"), full_page=True)
    # The link was for one use.
    again = editor.goto(copied)
    assert again is not None and again.status == 404

    # The owner sees the editor among the members, and no open invitation left.
    owner.reload()
    expect(owner.locator(f'tr[data-member="{editor_email}"] select')).to_have_value("editor")
    expect(owner.locator("#invitations")).to_have_count(0)
    owner.set_viewport_size({"width": 390, "height": 844})
    owner.screenshot(path=str(SCREENSHOTS / "console-members-phone.png"), full_page=True)
    assert errors == [], errors

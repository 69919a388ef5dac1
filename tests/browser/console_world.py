"""A console with data, for the accessibility and layout checks: an owner made with the CLI, a
site with services, published versions, a draft, consent records, webhook deliveries, an open
invitation and a personal token, and a viewer of the same site.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .conftest import SECRET_KEY, ConsentService

PASSWORD = "correct horse battery staple"


@dataclass
class ConsoleWorld:
    """What the checks visit: the site's key, its accounts and the addresses of its records."""

    service: ConsentService
    site_key: str
    owner: str
    viewer: str
    visitor_id: str
    webhook_id: int
    invitation_token: str
    versions: int

    def url(self, path: str) -> str:
        return f"{self.service.origin}{path}"


def create_user_with_the_cli(service: ConsentService, email: str) -> dict[str, Any]:
    """``flask users create --email EMAIL`` with the password on standard input."""
    result = service.app.test_cli_runner().invoke(
        args=["users", "create", "--email", email], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def build_world(service: ConsentService, host: str) -> ConsoleWorld:
    """Make the accounts, the site and its records; ``host`` is the site's domain."""
    from cookieconsent.extensions import db
    from cookieconsent.models import User
    from cookieconsent.services.accounts import invite, issue_token, set_role
    from cookieconsent.services.config_versions import publish_draft, save_draft
    from cookieconsent.services.consent import ConsentInput, record_consent
    from cookieconsent.services.sites import SiteProfile, create_site
    from cookieconsent.services.webhooks import add_endpoint

    tag = uuid.uuid4().hex[:8]
    owner_email, viewer_email = f"chu-{tag}@shop.vn", f"xem-{tag}@shop.vn"
    create_user_with_the_cli(service, owner_email)
    create_user_with_the_cli(service, viewer_email)
    with service.app.app_context():
        owner = db.session.execute(db.select(User).where(User.email == owner_email)).scalar_one()
        viewer = db.session.execute(db.select(User).where(User.email == viewer_email)).scalar_one()
        site, _api_token = create_site(
            f"Cửa hàng {tag}", [host], policy_url="https://shop.example/chinh-sach"
        )
        set_role(owner, site, "owner")
        set_role(viewer, site, "viewer")
        db.session.commit()
        save_draft(
            site,
            {
                "services": [
                    {
                        "name": "ga4",
                        "category": "analytics",
                        "label": "Google Analytics",
                        "cookies": [{"name": "_ga", "match": "prefix", "lifetime_days": 390}],
                    }
                ],
            },
            owner,
        )
        publish_draft(site, owner, note="Google Analytics")
        save_draft(site, {"texts": {"vi": {"title": "Chúng tôi dùng cookie"}}}, owner)
        publish_draft(site, owner, note="Tiêu đề")
        save_draft(site, {"texts": {"en": {"title": "We use cookies"}}}, owner)
        endpoint = add_endpoint(site, "https://hooks.shop.example/consent")
        db.session.commit()
        profile = SiteProfile.of(site)
        start = datetime.now(UTC) - timedelta(days=3)
        visitor_id = ""
        for day, (action, analytics) in enumerate(
            [("accept_all", True), ("reject_all", False), ("save", True), ("accept_all", True)]
        ):
            decision = record_consent(
                profile,
                ConsentInput(
                    action=action,
                    categories={"analytics": analytics, "marketing": action == "accept_all"},
                    language="vi" if day % 2 else "en",
                    region="VN",
                    url=f"https://{host}/san-pham",
                ),
                secret_keys=[SECRET_KEY],
                now=start + timedelta(days=day),
            )
            visitor_id = visitor_id or decision.visitor_id
        invitation = invite(site, "editor", owner)
        issue_token(owner, "Máy chủ báo cáo")
        db.session.commit()
        return ConsoleWorld(
            service=service,
            site_key=site.site_key,
            owner=owner_email,
            viewer=viewer_email,
            visitor_id=visitor_id,
            webhook_id=endpoint.id,
            invitation_token=invitation.token,
            versions=3,
        )


def sign_in(page: Any, world: ConsoleWorld, email: str) -> None:
    """Sign in through the form, in whichever language the page speaks."""
    page.goto(world.url("/admin/sign-in"))
    page.locator('input[name="email"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('main form:has(input[name="password"]) button').click()
    page.wait_for_url(world.url("/admin/"))


def site_pages(world: ConsoleWorld) -> list[str]:
    """Every console page the app serves as HTML that needs nothing but a site key.

    Read from the app's URL map, so that a page added later is covered without a change here.
    """
    pages = []
    for rule in world.service.app.url_map.iter_rules():
        if not rule.rule.startswith("/admin/") or rule.endpoint == "admin.static":
            continue
        if "GET" not in (rule.methods or ()) or not set(rule.arguments) <= {"site_key"}:
            continue
        if rule.rule.endswith((".js", ".csv", ".svg", ".json")):
            continue
        pages.append(rule.rule.replace("<site_key>", world.site_key))
    return sorted(pages)

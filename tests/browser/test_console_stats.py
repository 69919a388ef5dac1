"""The statistics page after a visitor was shown the banner and answered it, in Chromium."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from .conftest import ConsentService, in_ci
from .test_banner import BANNER
from .test_choices import answer_banner

try:
    from playwright.sync_api import Page, expect
except ImportError:  # pragma: no cover - the [test] extra installs it
    if in_ci():
        raise
    pytest.skip("playwright is not installed", allow_module_level=True)

SCREENSHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "correct horse battery staple"


def owner_of(service: ConsentService, site_key: str) -> str:
    """A new account that owns the site; returns its email."""
    from cookieconsent.extensions import db
    from cookieconsent.services.accounts import create_user, set_role

    email = f"owner-{uuid.uuid4().hex[:8]}@shop.vn"
    with service.app.app_context():
        user = create_user(email, PASSWORD)
        set_role(user, service._site_row(site_key), "owner")
        db.session.commit()
    return email


def sign_in(page: Page, service: ConsentService, email: str) -> None:
    page.goto(f"{service.origin}/admin/sign-in")
    page.locator('input[name="email"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('form:has(input[name="password"]) button').click()
    expect(page).to_have_url(f"{service.origin}/admin/")


def console_errors(page: Page) -> list[str]:
    """Console errors (CSP refusals among them) and failed requests from now on.

    The browser's own request for /favicon.ico, which the console does not serve, is left out.
    """
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            errors.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None
        ),
    )
    return errors


def test_the_stats_page_counts_a_banner_shown_and_answered_in_a_browser(
    consent_service: ConsentService,
    site_key: str,
    host_page: Callable[..., str],
    new_context: Callable[..., Any],
) -> None:
    visitor = new_context().new_page()
    answer_banner(visitor, host_page(), "accept-all")
    expect(visitor.locator(BANNER)).to_be_hidden()

    owner = new_context().new_page()
    errors = console_errors(owner)
    sign_in(owner, consent_service, owner_of(consent_service, site_key))
    owner.goto(f"{consent_service.origin}/admin/sites/{site_key}/stats?range=7")
    # The beacon is sent after the banner is drawn, without waiting: give it its moment.
    for _ in range(20):
        if owner.locator('[data-kpi="banners_shown"]').count():
            break
        owner.wait_for_timeout(250)
        owner.reload()
    expect(owner.locator('[data-kpi="banners_shown"]')).to_have_text("1")
    expect(owner.locator('[data-kpi="decisions"]')).to_have_text("1")
    today = owner.locator("#daily-table tbody tr").first
    expect(today.locator("td").nth(0)).to_have_text("1")
    expect(today.locator("td").nth(1)).to_have_text("1")
    for chart in owner.locator("img.chart").all():
        loaded = chart.evaluate("img => img.complete && img.naturalWidth > 0")
        assert loaded, chart.get_attribute("src")
    assert not errors, errors
    SCREENSHOTS.mkdir(exist_ok=True)
    owner.screenshot(path=str(SCREENSHOTS / "console-stats-after-one-answer.png"), full_page=True)


def seed_a_month(service: ConsentService, site_key: str) -> None:
    """Thirty days of banner counts and decisions, as a busy shop would have them."""
    import random

    from cookieconsent.extensions import db
    from cookieconsent.models import BannerCount, ConsentEvent

    rng = random.Random(9)
    today = datetime.now(UTC).date()
    with service.app.app_context():
        site = service._site_row(site_key)
        for back in range(30):
            day = today - timedelta(days=back)
            for region, language, weight in (
                ("VN", "vi", 1.0),
                ("US-CA", "en", 0.3),
                ("DE", "en", 0.2),
            ):
                shown = int(rng.randint(180, 320) * weight * (1.25 if day.weekday() < 5 else 0.7))
                db.session.add(
                    BannerCount(
                        site_id=site.id, day=day, region=region, language=language, shown=shown
                    )
                )
                for n in range(int(shown * rng.uniform(0.55, 0.75))):
                    roll = rng.random()
                    action, gpc = (
                        ("accept_all", False) if roll < 0.52 else
                        ("reject_all", False) if roll < 0.8 else
                        ("save", False) if roll < 0.93 else
                        ("withdraw", False) if roll < 0.96 else
                        ("opt_out", region.startswith("US"))
                    )  # fmt: skip
                    analytics = action == "accept_all" or (action == "save" and rng.random() < 0.7)
                    marketing = action == "accept_all" or (action == "save" and rng.random() < 0.3)
                    values = {"essential": True, "analytics": analytics, "marketing": marketing}
                    moment = time(rng.randint(0, 23), rng.randint(0, 59))
                    db.session.add(
                        ConsentEvent(
                            site_id=site.id,
                            visitor_id=f"seed{back}-{region}-{n}",
                            action=action,
                            decided=action != "withdraw",
                            categories=values,
                            services={},
                            policy_version="1.0",
                            language=language,
                            region=region,
                            gpc=gpc,
                            source="gpc" if gpc else "banner",
                            created_at=datetime.combine(day, moment, UTC),
                        )
                    )
        db.session.commit()


@pytest.mark.parametrize(
    ("viewport", "name"),
    [({"width": 1280, "height": 900}, "desktop"), ({"width": 390, "height": 844}, "phone")],
)
def test_a_month_of_statistics_reads_at_a_glance(
    consent_service: ConsentService,
    site_key: str,
    new_context: Callable[..., Any],
    viewport: dict[str, int],
    name: str,
) -> None:
    seed_a_month(consent_service, site_key)
    page = new_context(viewport=viewport).new_page()
    errors = console_errors(page)
    sign_in(page, consent_service, owner_of(consent_service, site_key))
    page.goto(f"{consent_service.origin}/admin/sites/{site_key}/stats?range=30")
    expect(page.locator("h1")).to_have_text("Statistics")
    for chart in page.locator("img.chart").all():
        assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    # Nothing wider than the screen but the tables, which scroll inside themselves.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    assert not errors, errors
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"console-stats-month-{name}.png"), full_page=True)

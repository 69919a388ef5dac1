"""axe-core (axe-playwright-python, offline) on every console page, in Vietnamese and English.

Signed out: the sign-in page, an invitation and an invalid invitation. Signed in as the owner of
a site with data: every page the app's URL map serves for a site key (so new pages are covered),
plus the pages that need more (a version comparison, a visitor, a webhook's deliveries, a service
being edited, another language's texts, a search with results), and the 403 and 404 pages.
Zero violations of any rule axe runs by default (WCAG 2.x A and AA, and best practices).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .conftest import ConsentService, HostSite, in_ci
from .console_world import ConsoleWorld, build_world, sign_in, site_pages

try:
    from axe_playwright_python.sync_playwright import Axe
except ImportError:  # pragma: no cover - the [test] extra installs it
    if in_ci():
        raise
    pytest.skip("axe-playwright-python is not installed", allow_module_level=True)

LOCALES = {"vi": "vi-VN", "en": "en-US"}


@pytest.fixture(scope="module")
def world(consent_service: ConsentService, _host_site_server: HostSite) -> Iterator[ConsoleWorld]:
    yield build_world(consent_service, _host_site_server.origin.removeprefix("http://"))


def violations(axe: Axe, page: Any) -> list[str]:
    """Each violation as one line: the rule, its impact, and the first elements at fault."""
    # Colours are measured once transitions (the banner fading in) have ended.
    page.evaluate(
        "() => Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)))"
    )
    results = axe.run(page)
    lines = []
    for violation in results.response["violations"]:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} -> {targets}")
    return lines


def check(
    axe: Axe, page: Any, path: str, world: ConsoleWorld, language: str, status: int = 200
) -> tuple[str, list[str]]:
    response = page.goto(world.url(path))
    assert response is not None and response.status == status, (path, response and response.status)
    # The preview shows the banner in the language chosen for it, not the console's.
    if not path.endswith("/preview"):
        assert page.locator("html").get_attribute("lang") == language, path
    return path, violations(axe, page)


def signed_in_paths(world: ConsoleWorld) -> list[str]:
    key = world.site_key
    return [
        *site_pages(world),
        "/admin/",
        "/admin/account",
        "/admin/sites/new",
        f"/admin/sites/{key}/history?from=1&to={world.versions}",
        f"/admin/sites/{key}/banner?service=ga4",
        f"/admin/sites/{key}/texts?lang=en",
        f"/admin/sites/{key}/log?action=accept_all",
        f"/admin/sites/{key}/visitors/{world.visitor_id}",
        f"/admin/sites/{key}/webhooks/{world.webhook_id}/deliveries",
        f"/admin/sites/{key}/stats?range=7",
        f"/admin/invitations/{world.invitation_token}",
    ]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_console_page_has_no_axe_violation(
    world: ConsoleWorld, new_context: Callable[..., Any], language: str
) -> None:
    axe = Axe()
    found: dict[str, list[str]] = {}
    visited: list[str] = []

    def visit(page: Any, path: str, status: int = 200) -> None:
        checked, lines = check(axe, page, path, world, language, status)
        visited.append(checked)
        if lines:
            found[checked] = lines

    # Signed out.
    stranger = new_context(locale=LOCALES[language]).new_page()
    visit(stranger, "/admin/sign-in")
    # An invitation's link leads a stranger to the sign-in page, which comes back to it.
    visit(stranger, f"/admin/invitations/{world.invitation_token}")
    # The error page, signed out: a form's address opened as a link.
    visit(stranger, "/admin/sign-out", 405)

    # Signed in as the owner.
    owner = new_context(locale=LOCALES[language]).new_page()
    sign_in(owner, world, world.owner)
    for path in signed_in_paths(world):
        visit(owner, path)
    # A search refused, with its message next to the field.
    visit(owner, f"/admin/sites/{world.site_key}/log?visitor_id=no-such-visitor", 422)
    visit(owner, "/admin/sites/no-such-site/", 404)
    visit(owner, "/admin/invitations/not-a-valid-token", 404)

    # A viewer meets the page for an action their role does not allow.
    viewer = new_context(locale=LOCALES[language]).new_page()
    sign_in(viewer, world, world.viewer)
    visit(viewer, f"/admin/sites/{world.site_key}/members", 403)

    # Every page a site key opens was among them (overview, banner, design, texts, policy,
    # history, log, statistics, webhooks, members, settings, preview and any added later).
    assert len(site_pages(world)) >= 12
    assert len(visited) >= 29
    report = "\n".join(f"{path}:\n  " + "\n  ".join(lines) for path, lines in found.items())
    assert not found, f"axe violations on {len(found)} of {len(visited)} pages:\n{report}"

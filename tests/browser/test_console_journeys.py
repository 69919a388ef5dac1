"""The site owner's journeys through the console, in Debian's Chromium.

1 and 2: the first account from the CLI (a real ``flask --app app users create`` process),
sign in, create a site, change a text and a colour and see the preview change, publish, and see
the widget on a host page change (the service runs with ``COOKIECONSENT_WIDGET_MAX_AGE=0``).
4: search the consent log and export it. 6: the cookie declaration in Vietnamese. Then the
same first journey by keyboard only, and each main page on a 390 px wide phone.

Journey 3 (an editor cannot manage members) is tests/browser/test_console_members.py, and
journey 5 (statistics after a banner was shown and answered) is tests/browser/test_console_stats.py.
Screenshots go to tests/browser/screenshots/console-*.png.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import SECRET_KEY, BackgroundServer, ConsentService, HostSite, build_page, in_ci
from .console_world import PASSWORD, ConsoleWorld, build_world, sign_in

try:
    from playwright.sync_api import Page, expect
except ImportError:  # pragma: no cover - the [test] extra installs it
    if in_ci():
        raise
    pytest.skip("playwright is not installed", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).parent / "screenshots"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsentService]:
    """The service as an operator runs it for these journeys: its own SQLite file (which the
    CLI process opens too) and ``COOKIECONSENT_WIDGET_MAX_AGE=0``."""
    import flask_migrate

    from cookieconsent import create_app
    from cookieconsent.extensions import db

    database = tmp_path_factory.mktemp("console-journeys") / "consent.sqlite3"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("COOKIECONSENT_SECRET_KEYS", SECRET_KEY)
        env.setenv("COOKIECONSENT_WIDGET_MAX_AGE", "0")
        env.delenv("COOKIECONSENT_ENV", raising=False)
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                "SECRET_KEY": SECRET_KEY,
                "TESTING": True,
                "RATELIMIT_ENABLED": False,
            }
        )
    assert app.config["COOKIECONSENT_WIDGET_MAX_AGE"] == 0
    with app.app_context():
        flask_migrate.upgrade()
    server = BackgroundServer(app, name="console-journeys")
    app.config["JOURNEY_DATABASE"] = str(database)
    try:
        yield ConsentService(app=app, server=server)
    finally:
        server.stop()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def world(service: ConsentService, _host_site_server: HostSite) -> ConsoleWorld:
    return build_world(service, _host_site_server.origin.removeprefix("http://"))


def shot(page: Page, name: str) -> None:
    """A full-page screenshot from the top (sticky bars stay where a reader sees them)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"console-{name}.png"), full_page=True)


def cli_users_create(service: ConsentService, email: str) -> dict[str, Any]:
    """``flask --app app users create --email EMAIL``, the password on standard input."""
    env = {
        **os.environ,
        "COOKIECONSENT_DATABASE_URL": f"sqlite:///{service.app.config['JOURNEY_DATABASE']}",
        "COOKIECONSENT_SECRET_KEYS": SECRET_KEY,
    }
    env.pop("COOKIECONSENT_ENV", None)
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "users", "create", "--email", email],
        input=PASSWORD + "\n", capture_output=True, text=True, cwd=ROOT, env=env, timeout=60,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def preview_frame(page: Page) -> Any:
    return page.frame_locator("[data-preview-frame]")


def eventually(check: Callable[[], bool], what: str, seconds: float = 5) -> None:
    """Poll ``check`` (the preview frame reloads under it) until it holds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # the frame is reloading: ask again
            pass
        time.sleep(0.05)
    raise AssertionError(f"never saw {what}")


def preview_title(page: Page) -> str:
    return str(preview_frame(page).locator("#cookieconsent-title").inner_text(timeout=500))


def preview_accent(page: Page) -> str:
    button = preview_frame(page).locator('[data-role="banner"] [data-role="accept-all"]')
    return str(button.evaluate("node => getComputedStyle(node).backgroundColor", timeout=500))


def site_row(service: ConsentService, site_key: str) -> Any:
    from cookieconsent.extensions import db
    from cookieconsent.models import Site

    return db.session.execute(db.select(Site).where(Site.site_key == site_key)).scalar_one()


# Journeys 1 and 2 ------------------------------------------------------------------------------


def test_first_user_creates_a_site_edits_it_with_the_preview_and_publishes(
    service: ConsentService, host_server: HostSite, new_context: Callable[..., Any]
) -> None:
    from cookieconsent.services.accounts import role_of
    from cookieconsent.services.config_versions import draft_of, versions_of

    email = f"chu-{uuid.uuid4().hex[:6]}@congty.vn"
    printed = cli_users_create(service, email)
    assert printed["email"] == email

    # Signed in in Vietnamese, the console's language for a Vietnamese browser.
    page = new_context(locale="vi-VN").new_page()
    page.goto(f"{service.origin}/admin/sign-in")
    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng nhập bảng điều khiển sự đồng ý")
    shot(page, "journey-sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{service.origin}/admin/")
    expect(page.get_by_text("Chưa có trang web nào")).to_be_visible()
    shot(page, "journey-no-site")

    # A site for the host page's origin.
    host = host_server.origin.removeprefix("http://")
    page.get_by_role("link", name="Thêm trang web đầu tiên").click()
    page.get_by_label("Tên trang web").fill("Cửa hàng Hoa Sen")
    page.get_by_label("Tên miền").fill(host)
    page.get_by_role("button", name="Tạo trang web").click()
    page.wait_for_url(f"{service.origin}/admin/sites/*/")
    site_key = page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cửa hàng Hoa Sen")
    shot(page, "journey-overview")
    with service.app.app_context():
        from cookieconsent.extensions import db
        from cookieconsent.models import User

        site = site_row(service, site_key)
        user = db.session.execute(db.select(User).where(User.email == email)).scalar_one()
        assert site.domains == [host] and role_of(user, site) == "owner"

    # The host page embeds the widget; it shows the built-in title.
    url = host_server.add_page(
        build_page(
            script_src=service.widget_url(site_key), host_origin=host_server.origin, lang="vi"
        )
    )
    visitor = new_context(locale="vi-VN").new_page()
    visitor.goto(url)
    built_in = visitor.locator("#cookieconsent-title").inner_text()

    # A text: the preview shows it.
    page.get_by_role("navigation", name="Trang web").get_by_role("link", name="Văn bản").click()
    preview_frame(page).locator("#cookieconsent-title").wait_for()
    assert preview_title(page) == built_in
    page.locator('[name="t-title"]').fill("Hoa Sen tôn trọng quyền riêng tư của bạn")
    eventually(
        lambda: preview_title(page) == "Hoa Sen tôn trọng quyền riêng tư của bạn", "the new title"
    )
    shot(page, "journey-texts")

    # A colour: the preview shows it on both Accept all and Reject all.
    page.get_by_role("navigation", name="Trang web").get_by_role("link", name="Thiết kế").click()
    preview_frame(page).locator('[data-role="banner"] [data-role="accept-all"]').wait_for()
    page.get_by_label("Dùng màu của tôi", exact=True).check()
    page.locator("#accent").fill("#0b5d1e")
    eventually(lambda: preview_accent(page) == "rgb(11, 93, 30)", "the new accent")
    reject = preview_frame(page).locator('[data-role="banner"] [data-role="reject-all"]')
    assert reject.evaluate("node => getComputedStyle(node).backgroundColor") == "rgb(11, 93, 30)"
    shot(page, "journey-design")

    # A draft: visitors still get the live configuration.
    visitor.reload()
    assert visitor.locator("#cookieconsent-title").inner_text() == built_in
    with service.app.app_context():
        assert draft_of(site_row(service, site_key)) is not None

    # Journey 2: publish, and the widget on the host page changes.
    page.locator("[data-draftbar] button", has_text="Xuất bản").click()
    page.wait_for_load_state()
    expect(page.locator(".notice-success")).to_contain_text("phiên bản")
    shot(page, "journey-published")
    assert service.served_config(site_key)["texts"]["vi"]["title"] == (
        "Hoa Sen tôn trọng quyền riêng tư của bạn"
    )
    # A new visitor gets the published banner at once.
    newcomer = new_context(locale="vi-VN").new_page()
    newcomer.goto(url)
    expect(newcomer.locator("#cookieconsent-title")).to_have_text(
        "Hoa Sen tôn trọng quyền riêng tư của bạn"
    )
    accept = newcomer.locator('[data-role="banner"] [data-role="accept-all"]')
    assert accept.evaluate("node => getComputedStyle(node).backgroundColor") == "rgb(11, 93, 30)"
    # The visitor who had the page open: the script is served stale-while-revalidate, so the
    # reload after the change may show the copy it has while it fetches the new one; the next
    # page view shows the new one.
    visitor.reload()
    visitor.wait_for_load_state("networkidle")
    visitor.reload()
    expect(visitor.locator("#cookieconsent-title")).to_have_text(
        "Hoa Sen tôn trọng quyền riêng tư của bạn"
    )
    shot(newcomer, "journey-host-page")
    with service.app.app_context():
        site = site_row(service, site_key)
        assert draft_of(site) is None
        latest = versions_of(site)[0]
        assert latest.author_user_id == user.id
        assert latest.content["texts"]["vi"]["title"] == "Hoa Sen tôn trọng quyền riêng tư của bạn"
        assert latest.content["design"]["colors"]["accent"] == "#0b5d1e"


# Journey 4 -------------------------------------------------------------------------------------


def test_the_log_is_searched_and_exported(
    world: ConsoleWorld, new_context: Callable[..., Any], tmp_path: Path
) -> None:
    from cookieconsent.extensions import db
    from cookieconsent.models import ConsentEvent

    with world.service.app.app_context():
        site = site_row(world.service, world.site_key)
        accepted = db.session.execute(
            db.select(db.func.count())
            .select_from(ConsentEvent)
            .where(ConsentEvent.site_id == site.id, ConsentEvent.action == "accept_all")
        ).scalar_one()
    assert accepted == 2

    page = new_context(accept_downloads=True).new_page()
    sign_in(page, world, world.owner)
    page.goto(world.url(f"/admin/sites/{world.site_key}/log"))
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(4)
    page.locator('select[name="action"]').select_option("accept_all")
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(accepted)
    assert "action=accept_all" in page.url
    shot(page, "journey-log")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="CSV").click()
    download = download_info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.suffix == ".csv"
    with saved.open(newline="", encoding="utf-8-sig") as handle:
        exported = list(csv.DictReader(handle))
    assert len(exported) == accepted
    assert {row["action"] for row in exported} == {"accept_all"}


# Journey 6 -------------------------------------------------------------------------------------


def test_the_declaration_page_in_vietnamese(
    world: ConsoleWorld, new_context: Callable[..., Any]
) -> None:
    from cookieconsent.texts import CATEGORY_TEXTS

    page = new_context(locale="en-US").new_page()
    response = page.goto(world.url(f"/c/{world.site_key}/declaration?lang=vi"))
    assert response is not None and response.status == 200
    assert page.locator("html").get_attribute("lang") == "vi"
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    analytics = CATEGORY_TEXTS["analytics"]["vi"]["title"]
    expect(page.get_by_role("heading", name=analytics)).to_be_visible()
    expect(page.get_by_text("Google Analytics")).to_be_visible()
    expect(page.locator("code", has_text="_ga").first).to_be_visible()
    shot(page, "declaration-vi")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "declaration-vi-phone")


# Journey 1 by keyboard only --------------------------------------------------------------------

FOCUSED = """() => {
  const node = document.activeElement;
  const style = getComputedStyle(node);
  const box = node.getBoundingClientRect();
  return {
    tag: node.tagName.toLowerCase(),
    name: node.getAttribute("name") || "",
    id: node.id || "",
    href: node.getAttribute("href") || "",
    text: (node.innerText || node.value || "").trim().slice(0, 60),
    ring: (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
      || style.boxShadow !== "none",
    visible: box.width > 0 && box.height > 0,
  };
}"""


def press(page: Page, key: str, walk: list[dict[str, Any]]) -> dict[str, Any]:
    """One key; a focused control must always show where the focus is."""
    page.keyboard.press(key)
    focused: dict[str, Any] = page.evaluate(FOCUSED)
    walk.append(focused)
    if focused["tag"] not in ("body", "main"):
        assert focused["visible"] and focused["ring"], f"focus not visible after {key}: {focused}"
    return focused


def tab_to(
    page: Page, walk: list[dict[str, Any]], key: str = "Tab", limit: int = 80, **wanted: str
) -> dict[str, Any]:
    """Press Tab (or Shift+Tab) until the focused control has every ``wanted`` property."""
    for _ in range(limit):
        focused = press(page, key, walk)
        if all(
            (focused[k].endswith(v) if k == "href" else focused[k] == v) for k, v in wanted.items()
        ):
            return focused
    raise AssertionError(f"{wanted} is not reachable with {key}: {walk[-limit:]}")


def test_journey_one_by_keyboard_only(
    service: ConsentService, host_server: HostSite, new_context: Callable[..., Any]
) -> None:
    from cookieconsent.services.config_versions import versions_of

    email = f"phim-{uuid.uuid4().hex[:6]}@congty.vn"
    cli_users_create(service, email)
    page = new_context(locale="en-US").new_page()
    walk: list[dict[str, Any]] = []
    page.goto(f"{service.origin}/admin/sign-in")

    # The sign-in page puts the focus in its form; email before password, then the button.
    assert page.evaluate(FOCUSED)["name"] == "email"
    page.keyboard.type(email)
    assert press(page, "Tab", walk)["name"] == "password"
    page.keyboard.type(PASSWORD)
    tab_to(page, walk, tag="button", text="Sign in")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{service.origin}/admin/")

    # The first Tab on a page reaches the skip link, shown when focused; Enter moves to the
    # content, where the next Tab goes on.
    first = press(page, "Tab", walk)
    assert first["href"] == "#main" and first["visible"], first
    shot(page, "keyboard-skip-link")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"

    # A new site.
    tab_to(page, walk, href="/admin/sites/new")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{service.origin}/admin/sites/new")
    tab_to(page, walk, name="name")
    page.keyboard.type("Keyboard shop")
    assert press(page, "Tab", walk)["name"] == "domains"
    page.keyboard.type(host_server.origin.removeprefix("http://"))
    tab_to(page, walk, tag="button", text="Create the site")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{service.origin}/admin/sites/*/")
    site_key = page.url.rstrip("/").rsplit("/", 1)[-1]

    # Texts, from the site's navigation: a new title shows in the preview.
    tab_to(page, walk, href=f"/admin/sites/{site_key}/texts")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{service.origin}/admin/sites/{site_key}/texts")
    tab_to(page, walk, name="t-title")
    page.keyboard.type("Cookies, by keyboard")
    eventually(lambda: preview_title(page) == "Cookies, by keyboard", "the new title")

    # Design, back up to the navigation with Shift+Tab: the colour switch with Space, and the
    # colour inputs reachable with a visible focus (their picker is the browser's own dialog).
    tab_to(page, walk, key="Shift+Tab", href=f"/admin/sites/{site_key}/design")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{service.origin}/admin/sites/{site_key}/design")
    tab_to(page, walk, name="custom_colors")
    page.keyboard.press("Space")
    assert page.locator('input[name="custom_colors"]').is_checked()
    for colour in ("accent", "background", "text"):
        tab_to(page, walk, id=colour)
    shot(page, "keyboard-design")

    # Publish from the draft bar (before the form in the page's order: Shift+Tab).
    tab_to(page, walk, key="Shift+Tab", tag="button", text="Publish")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator(".notice-success")).to_be_visible()
    with service.app.app_context():
        latest = versions_of(site_row(service, site_key))[0]
        assert latest.content["texts"]["vi"]["title"] == "Cookies, by keyboard"
    assert len(walk) > 10


# Phones ----------------------------------------------------------------------------------------

PHONE_PAGES = (
    "",
    "{site}/",
    "{site}/banner",
    "{site}/design",
    "{site}/texts",
    "{site}/policy",
    "{site}/history",
    "{site}/log",
    "{site}/stats",
    "{site}/webhooks",
    "{site}/members",
    "{site}/settings",
    "account",
    "sites/new",
)


def test_every_main_page_fits_a_phone_with_a_usable_navigation(
    world: ConsoleWorld, new_context: Callable[..., Any]
) -> None:
    page = new_context(viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True).new_page()
    sign_in(page, world, world.owner)
    too_wide = {}
    for template in PHONE_PAGES:
        path = "/admin/" + template.format(site=f"sites/{world.site_key}")
        response = page.goto(world.url(path))
        assert response is not None and response.status == 200, path
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[path] = width
        # The navigation is there and each of its links can be reached and fits the screen.
        names = ["Điều hướng chính"] + (["Trang web"] if "{site}" in template else [])
        for name in names:
            navigation = page.get_by_role("navigation", name=name)
            links = navigation.get_by_role("link")
            assert links.count() >= 2, (path, name)
            for index in range(links.count()):
                link = links.nth(index)
                link.scroll_into_view_if_needed()
                box = link.bounding_box()
                assert box is not None and box["x"] >= 0, (path, name, index)
                assert box["x"] + box["width"] <= PHONE["width"] + 1, (path, name, index, box)
                assert box["height"] >= 24, (path, name, index, box)
        label = template.format(site="site").strip("/").replace("/", "-") or "sites"
        shot(page, f"phone-{label}")
    assert not too_wide, f"wider than {PHONE['width']} px: {too_wide}"

"""The public request page in Chromium: a visitor fills the form and sees their reference."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from cookieconsent.services.deadlines import local_date

from .conftest import ConsentService, in_ci

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - the [test] extra installs it
    if in_ci():
        raise
    pytest.skip("BROWSER TESTS SKIPPED: playwright is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).parent / "screenshots"


def stored(service: ConsentService, reference: str) -> Any:
    from sqlalchemy import select

    from cookieconsent.extensions import db
    from cookieconsent.models import DataSubjectRequest

    with service.app.app_context():
        return db.session.execute(
            select(DataSubjectRequest).where(DataSubjectRequest.reference == reference)
        ).scalar_one()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_visitor_files_a_request_in_vietnamese_and_sees_the_reference(
    consent_service: ConsentService, new_context: Any, javascript: bool
) -> None:
    site_key = consent_service.create_site(["shop.example"])
    page = new_context(locale="vi-VN", java_script_enabled=javascript).new_page()
    page.goto(f"{consent_service.origin}/c/{site_key}/requests?lang=vi")
    assert page.locator("html").get_attribute("lang") == "vi"
    expect(page.get_by_role("heading", level=1)).to_have_text("Yêu cầu về dữ liệu cá nhân của bạn")
    page.get_by_label("Xóa dữ liệu của tôi").check()
    page.get_by_label("Email để nhận phản hồi (không bắt buộc)").fill("khach@example.vn")
    page.get_by_label("Chi tiết (không bắt buộc)").fill("Xin xóa tài khoản của tôi.")
    page.get_by_role("button", name="Gửi yêu cầu").click()
    sent = page.locator('[data-field="sent"]')
    expect(sent).to_contain_text("Mã tham chiếu của bạn là")
    reference = page.locator('[data-field="reference"]').inner_text()
    assert re.fullmatch(r"DSR-[A-Z2-7]{16}", reference)
    acknowledge = page.locator("time").get_attribute("datetime")
    row = stored(consent_service, reference)
    assert (row.kind, row.email, row.language, row.details) == (
        "deletion",
        "khach@example.vn",
        "vi",
        "Xin xóa tài khoản của tôi.",
    )
    assert acknowledge == local_date(row.acknowledge_by).isoformat()
    if javascript:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "request-sent-vi.png"), full_page=True)


def test_the_form_in_english_marks_a_missing_kind(
    consent_service: ConsentService, new_context: Any
) -> None:
    site_key = consent_service.create_site(["shop.example"])
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{consent_service.origin}/c/{site_key}/requests?lang=en")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Your request could not be sent. Please try again."
    )
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "request-form-en-error.png"), full_page=True)


def test_an_editor_acknowledges_and_completes_a_request_in_the_console(
    consent_service: ConsentService, new_context: Any, host_server: Any
) -> None:
    from datetime import timedelta

    from axe_playwright_python.sync_playwright import Axe

    from cookieconsent.extensions import db
    from cookieconsent.models import utcnow
    from cookieconsent.services.accounts import create_user, set_role
    from cookieconsent.services.sites import create_site
    from cookieconsent.services.subject_requests import Filing, file_request

    from .console_world import PASSWORD

    email = f"chu-{uuid.uuid4().hex[:8]}@shop.vn"
    with consent_service.app.app_context():
        site, _token = create_site("Cửa hàng", [host_server.origin.removeprefix("http://")])
        set_role(create_user(email, PASSWORD), site, "editor")
        db.session.commit()
        site_key = site.site_key
        late = file_request(
            site,
            Filing(kind="deletion", language="vi", details="Xóa tài khoản"),
            now=utcnow() - timedelta(days=40),
        )
        fresh = file_request(
            site, Filing(kind="access", language="en", email="an@example.vn"), now=utcnow()
        )
        db.session.commit()
        late_reference, fresh_reference = late.reference, fresh.reference
    page = new_context(locale="vi-VN").new_page()
    page.goto(f"{consent_service.origin}/admin/sign-in")
    page.locator('input[name="email"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('main form:has(input[name="password"]) button').click()
    page.wait_for_url(f"{consent_service.origin}/admin/")
    page.goto(f"{consent_service.origin}/admin/sites/{site_key}/requests")
    expect(page.locator(f'tr[data-reference="{late_reference}"] .status')).to_have_text("Quá hạn")
    expect(page.locator(f'tr[data-reference="{fresh_reference}"] .status')).to_have_text(
        "Sắp đến hạn"
    )
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-requests-vi.png"), full_page=True)
    page.get_by_role("link", name=fresh_reference).click()
    page.get_by_role("button", name="Xác nhận đã nhận").click()
    expect(page.locator('[data-field="status"]')).to_have_text("Đã xác nhận")
    page.get_by_text("Hoàn thành", exact=True).click()
    page.get_by_label("Những gì đã thực hiện").fill("Đã gửi bản sao dữ liệu")
    page.get_by_role("button", name="Đánh dấu đã hoàn thành").click()
    expect(page.locator('[data-field="status"]')).to_have_text("Đã hoàn thành")
    steps = page.locator('[data-role="steps"] tbody tr')
    expect(steps).to_have_count(3)
    expect(steps.nth(2).locator('[data-field="actor"]')).to_have_text(email)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    page.screenshot(path=str(SCREENSHOTS / "console-request-vi.png"), full_page=True)

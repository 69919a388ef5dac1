"""Data subject requests: legal deadlines on the Vietnamese calendar, the public API and page,
the console's inbox and actions, the admin API, `requests check`, and withdrawals' act_by."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from cookieconsent.extensions import db
from cookieconsent.models import (
    DataSubjectRequest,
    RequestStep,
    Site,
    WebhookDelivery,
    utcnow,
)
from cookieconsent.services import deadlines
from cookieconsent.services.accounts import issue_token
from cookieconsent.services.geo import Region
from cookieconsent.services.signing import mint_visitor_id
from cookieconsent.services.subject_requests import (
    Actor,
    Filing,
    Step,
    check_requests,
    file_request,
    take_step,
)
from cookieconsent.services.validation import InvalidInput
from cookieconsent.services.webhooks import add_endpoint, past_act_by

from .conftest import SECRET_KEYS, table_counts
from .test_console_accounts import bearer, csrf_token, member, sign_in

PROBLEM = "application/problem+json"
ORIGIN = {"Origin": "https://shop.example"}


def vn(year: int, month: int, day: int, hour: int = 10) -> datetime:
    """A moment in Vietnam (UTC+7), as an aware UTC datetime."""
    return datetime(year, month, day, hour, tzinfo=deadlines.ZONE).astimezone(UTC)


def end_of(year: int, month: int, day: int) -> datetime:
    """The last instant of a day in Vietnam, in UTC."""
    return datetime(year, month, day, 16, 59, 59, 999999, tzinfo=UTC)


# The calendar and the deadlines ----------------------------------------------------------------


def test_working_days_skip_weekends_tet_and_national_day_and_count_swapped_saturdays() -> None:
    assert not deadlines.is_working_day(date(2027, 2, 8))  # Tết 2027, a Monday
    assert not deadlines.is_working_day(date(2026, 9, 2))  # National Day, a Wednesday
    assert not deadlines.is_working_day(date(2026, 8, 31))  # the day off swapped with 22 August
    assert deadlines.is_working_day(date(2026, 8, 22))  # that Saturday is worked
    assert not deadlines.is_working_day(date(2026, 3, 7))  # an ordinary Saturday
    assert deadlines.is_working_day(date(2026, 3, 9))


def test_acknowledgement_across_tet_is_the_2nd_working_day_after_it() -> None:
    # Received on Wednesday 3 February 2027; Tết runs from Thursday 4 to Wednesday 10.
    assert deadlines.acknowledge_by(vn(2027, 2, 3)) == end_of(2027, 2, 12)


def test_acknowledgement_across_national_day_and_a_weekend() -> None:
    # Friday 28 August 2026: the weekend, 31 August (swapped) and 1-2 September are days off.
    assert deadlines.acknowledge_by(vn(2026, 8, 28, 15)) == end_of(2026, 9, 4)
    # Friday 21 August 2026: Saturday 22 is a working day, so Monday 24 is the second.
    assert deadlines.acknowledge_by(vn(2026, 8, 21)) == end_of(2026, 8, 24)


def test_the_day_of_receipt_is_the_vietnamese_date() -> None:
    # 18:00 UTC on Thursday 5 March is 01:00 on Friday 6 March in Hanoi.
    received = datetime(2026, 3, 5, 18, tzinfo=UTC)
    assert deadlines.local_date(received) == date(2026, 3, 6)
    assert deadlines.acknowledge_by(received) == end_of(2026, 3, 10)


def test_vietnamese_completion_is_15_or_20_calendar_days_ending_on_a_working_day() -> None:
    received = vn(2027, 2, 3)  # across Tết: calendar days still count
    assert deadlines.due_by(received, "vn") == end_of(2027, 2, 18)
    assert deadlines.due_by(received, "vn", processors_involved=True) == end_of(2027, 2, 23)
    # 15 days after Tuesday 18 August 2026 is National Day: the next working day, 3 September.
    assert deadlines.due_by(vn(2026, 8, 18), "vn") == end_of(2026, 9, 3)
    # 15 days after Friday 6 March 2026 is a Saturday: Monday 23 March.
    assert deadlines.due_by(vn(2026, 3, 6), "vn") == end_of(2026, 3, 23)


def test_gdpr_gives_one_month_and_the_us_45_days() -> None:
    assert deadlines.due_by(vn(2026, 1, 31), "gdpr") == end_of(2026, 2, 28)
    assert deadlines.due_by(vn(2026, 3, 15), "gdpr") == end_of(2026, 4, 15)
    assert deadlines.due_by(vn(2026, 1, 1), "us") == end_of(2026, 2, 15)
    with pytest.raises(ValueError, match="unknown law"):
        deadlines.due_by(vn(2026, 1, 1), "mars")


def test_one_extension_within_the_laws_limit() -> None:
    due = end_of(2026, 3, 23)
    assert deadlines.max_extension_days(due, "vn") == 15
    assert deadlines.max_extension_days(due, "us") == 45
    assert deadlines.max_extension_days(due, "gdpr") == 61  # 23 March to 23 May
    # 15 more days from 23 March 2026 is 7 April, a Tuesday.
    assert deadlines.extended_due(due, 15, "vn") == end_of(2026, 4, 7)
    # 12 more days is Saturday 4 April: Monday 6 April under Vietnamese law.
    assert deadlines.extended_due(due, 12, "vn") == end_of(2026, 4, 6)
    assert deadlines.extended_due(due, 12, "gdpr") == end_of(2026, 4, 4)
    with pytest.raises(ValueError):
        deadlines.extended_due(due, 16, "vn")


@pytest.mark.parametrize(
    ("region", "law"),
    [("VN", "vn"), ("US", "us"), ("US-CA", "us"), ("DE", "gdpr"), ("GB", "gdpr"), (None, "vn")],
)
def test_the_law_follows_the_region_and_unknown_is_vietnams(region: str | None, law: str) -> None:
    assert deadlines.law_for_region(region) == law


def test_withdrawal_act_by_is_15_or_20_days() -> None:
    assert deadlines.withdrawal_act_by(vn(2026, 3, 6)) == end_of(2026, 3, 23)
    assert deadlines.withdrawal_act_by(vn(2026, 3, 6), processors_involved=True) == end_of(
        2026, 3, 26
    )


def test_flags_due_soon_with_two_working_days_left_and_overdue_after() -> None:
    due = end_of(2026, 3, 23)  # Monday
    assert deadlines.deadline_flag([due], vn(2026, 3, 16)) is None  # 5 working days left
    assert deadlines.deadline_flag([due], vn(2026, 3, 19)) == "due_soon"  # Fri and Mon left
    assert deadlines.deadline_flag([due], vn(2026, 3, 23, 23)) == "due_soon"
    assert deadlines.deadline_flag([due], vn(2026, 3, 24, 0)) == "overdue"


# The service -------------------------------------------------------------------------------------


def test_filing_stores_deadlines_logs_and_announces(app: Flask, site: Site) -> None:
    endpoint = add_endpoint(site, "https://hooks.shop.example/in", allow_private=False)
    site.processors_involved = True
    filed = file_request(
        site, Filing(kind="deletion", language="vi", region="VN"), now=vn(2027, 2, 3)
    )
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(DataSubjectRequest, filed.id)
    assert stored is not None
    assert re.fullmatch(r"DSR-[A-Z2-7]{16}", stored.reference)
    assert (stored.law, stored.status, stored.kind) == ("vn", "received", "deletion")
    assert stored.acknowledge_by == end_of(2027, 2, 12)
    assert stored.due_by == end_of(2027, 2, 23)  # 20 days: processors involved
    assert [(step.actor, step.action) for step in stored.steps] == [("visitor", "received")]
    (delivery,) = db.session.execute(sa.select(WebhookDelivery)).scalars()
    assert delivery.endpoint_id == endpoint.id
    assert delivery.payload["type"] == "request.received"
    assert delivery.payload["reference"] == stored.reference
    assert delivery.payload["due_by"] == "2027-02-23T16:59:59.999Z"
    assert "email" not in delivery.payload and "details" not in delivery.payload


def test_each_action_is_logged_and_the_rules_hold(app: Flask, site: Site) -> None:
    filed = file_request(site, Filing(kind="access", language="en"), now=vn(2026, 3, 6))
    who = Actor("chu@shop.vn", None)
    with pytest.raises(InvalidInput) as refused:
        take_step(site, filed, Step("complete"), who)
    assert "note" in refused.value.errors
    take_step(site, filed, Step("acknowledge"), who, now=vn(2026, 3, 9))
    assert filed.status == "acknowledged"
    take_step(site, filed, Step("processors"), who)
    assert filed.due_by == end_of(2026, 3, 26)
    with pytest.raises(InvalidInput) as refused:
        take_step(site, filed, Step("extend", note="", days=5), who)
    assert "note" in refused.value.errors
    with pytest.raises(InvalidInput) as refused:
        take_step(site, filed, Step("extend", note="Old backups", days=16), who)
    assert "days" in refused.value.errors
    take_step(site, filed, Step("extend", note="Old backups", days=15), who)
    assert filed.extended_to == end_of(2026, 4, 10)
    with pytest.raises(InvalidInput):
        take_step(site, filed, Step("extend", note="Again", days=1), who)
    take_step(site, filed, Step("refuse", note="Not our visitor"), who)
    assert (filed.status, filed.resolution) == ("refused", "Not our visitor")
    with pytest.raises(InvalidInput):
        take_step(site, filed, Step("start"), who)
    db.session.commit()
    actions = [(step.actor, step.action) for step in filed.steps]
    assert actions == [
        ("visitor", "received"),
        ("chu@shop.vn", "acknowledge"),
        ("chu@shop.vn", "processors"),
        ("chu@shop.vn", "extend"),
        ("chu@shop.vn", "refuse"),
    ]


# The public API ----------------------------------------------------------------------------------


class FixedRegion:
    """A GeoIP resolver that places every address in one region."""

    def __init__(self, region: Region | None) -> None:
        self.region = region

    def lookup(self, address: str | None) -> Region | None:
        return self.region


@pytest.fixture
def place(app: Flask) -> Any:
    def put(region: Region | None) -> None:
        app.extensions["cookieconsent.geo"] = FixedRegion(region)

    return put


def requests_path(site: Site) -> str:
    return f"/api/v1/sites/{site.site_key}/requests"


def test_the_api_files_a_request_with_its_reference_and_deadlines(
    client: FlaskClient, site: Site, place: Any
) -> None:
    place(Region("DE"))
    raw_id, signed = mint_visitor_id(SECRET_KEYS, site.site_key)
    response = client.post(
        requests_path(site),
        json={
            "kind": "access",
            "visitor_id": signed,
            "email": "an@example.vn",
            "details": "All my data, please.",
            "language": "de-AT",
        },
        headers=ORIGIN,
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == {
        "reference", "kind", "status", "received_at", "acknowledge_by", "due_by", "law",
    }  # fmt: skip
    assert body["status"] == "received" and body["law"] == "gdpr" and body["kind"] == "access"
    assert response.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert response.headers["Cache-Control"] == "no-store"
    stored = db.session.execute(
        sa.select(DataSubjectRequest).where(DataSubjectRequest.reference == body["reference"])
    ).scalar_one()
    assert (stored.visitor_id, stored.email, stored.language, stored.region) == (
        raw_id,
        "an@example.vn",
        "de",
        "DE",
    )
    assert body["due_by"] == stored.due_by.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("region", "law"), [(Region("VN"), "vn"), (Region("US", "CA"), "us"), (None, "vn")]
)
def test_the_api_chooses_the_law_by_region(
    client: FlaskClient, site: Site, place: Any, region: Region | None, law: str
) -> None:
    place(region)
    response = client.post(requests_path(site), json={"kind": "objection"})
    assert response.status_code == 201
    assert response.get_json()["law"] == law


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "everything"}, "kind"),
        ({}, "kind"),
        ({"kind": "access", "email": "not-an-address"}, "email"),
        ({"kind": "access", "details": "x" * 2001}, "details"),
        ({"kind": "access", "language": "12"}, "language"),
        ({"kind": "access", "visitor_id": "no dot"}, "visitor_id"),
        ({"kind": "access", "surprise": 1}, "surprise"),
    ],
)
def test_the_api_refuses_bad_fields_with_422(
    client: FlaskClient, site: Site, body: dict[str, Any], field: str
) -> None:
    before = table_counts()
    response = client.post(requests_path(site), json=body)
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert field in json.dumps(response.get_json()["errors"])
    assert table_counts() == before


def test_the_api_refuses_a_tampered_visitor_id_an_unknown_site_and_a_foreign_origin(
    client: FlaskClient, site: Site
) -> None:
    _raw, signed = mint_visitor_id(SECRET_KEYS, site.site_key)
    before = table_counts()
    tampered = client.post(
        requests_path(site), json={"kind": "access", "visitor_id": signed[:-2] + "AA"}
    )
    assert tampered.status_code == 400 and "visitor_id" in tampered.get_json()["errors"]
    unknown = client.post("/api/v1/sites/nosuchsite/requests", json={"kind": "access"})
    assert unknown.status_code == 404 and unknown.mimetype == PROBLEM
    foreign = client.post(
        requests_path(site), json={"kind": "access"}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403 and "origin" in foreign.get_json()["errors"]
    assert table_counts() == before


def test_the_api_answers_cors_preflight_for_the_sites_domains(
    client: FlaskClient, site: Site
) -> None:
    preflight = client.options(
        requests_path(site),
        headers={**ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    stranger = client.options(
        requests_path(site),
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in stranger.headers


def test_the_api_is_documented(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/sites/{site_key}/requests"]["post"]
    assert set(operation["responses"]) >= {"201", "400", "403", "404", "422"}


# The public page ---------------------------------------------------------------------------------


def test_the_page_speaks_the_visitors_language_and_files_without_javascript(
    client: FlaskClient, site: Site, place: Any
) -> None:
    place(Region("VN"))
    path = f"/c/{site.site_key}/requests?lang=vi"
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="vi"' in html
    assert "Yêu cầu về dữ liệu cá nhân của bạn" in html
    assert "Xóa dữ liệu của tôi" in html
    assert "<script" not in html
    sent = client.post(path, data={"kind": "deletion", "email": "", "details": "Xin xóa"})
    assert sent.status_code == 201
    answer = sent.get_data(as_text=True)
    (reference,) = set(re.findall(r"DSR-[A-Z2-7]{16}", answer))
    assert f'<strong data-field="reference">{reference}</strong>' in answer
    assert "Mã tham chiếu của bạn là" in answer
    stored = db.session.execute(
        sa.select(DataSubjectRequest).where(DataSubjectRequest.reference == reference)
    ).scalar_one()
    assert (stored.kind, stored.language, stored.details, stored.email) == (
        "deletion",
        "vi",
        "Xin xóa",
        None,
    )


def test_the_page_refuses_bad_input_in_the_visitors_language(
    client: FlaskClient, site: Site
) -> None:
    path = f"/c/{site.site_key}/requests?lang=en"
    before = table_counts()
    bad = client.post(path, data={"kind": "everything", "email": "nope"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Your request could not be sent" in html
    assert 'aria-invalid="true"' in html
    assert client.get("/c/nosuchsite/requests").status_code == 404
    assert table_counts() == before


# `requests check` --------------------------------------------------------------------------------


def test_requests_check_flags_and_announces_each_state_once(
    app: Flask, runner: FlaskCliRunner, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = add_endpoint(site, "https://hooks.shop.example/in", allow_private=False)
    now = utcnow()
    soon = file_request(site, Filing(kind="access", language="vi"), now=now)
    late = file_request(site, Filing(kind="deletion", language="vi"), now=now - timedelta(days=40))
    quiet = file_request(site, Filing(kind="objection", language="vi"), now=now)
    quiet.acknowledged_at = now
    quiet.status = "acknowledged"
    db.session.commit()

    def flagged() -> list[tuple[str, str]]:
        db.session.expire_all()
        rows = db.session.execute(
            sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
        ).scalars()
        return sorted(
            (row.payload["reference"], row.payload["type"])
            for row in rows
            if row.payload["type"] != "request.received"
        )

    first = runner.invoke(args=["requests", "check"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output)
    assert summary == {
        "checked": 3,
        "due_soon": [soon.reference],
        "overdue": [late.reference],
        "notified": 2,
    }
    expected = sorted([(soon.reference, "request.due_soon"), (late.reference, "request.overdue")])
    assert flagged() == expected
    again = runner.invoke(args=["requests", "check"])
    assert json.loads(again.output)["notified"] == 0
    assert flagged() == expected
    stored = db.session.get(DataSubjectRequest, late.id)
    assert stored is not None and stored.flag == "overdue"
    assert [step.actor for step in stored.steps if step.action == "flagged_overdue"] == ["system"]
    # A month later both open requests are overdue: each announced once more, as overdue.
    summary = check_requests(now=now + timedelta(days=30))
    db.session.commit()
    assert summary.notified == 2
    assert {(soon.reference, "request.overdue"), (quiet.reference, "request.overdue")} <= set(
        flagged()
    )


def test_requests_check_names_an_unknown_site_in_one_line(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["requests", "check", "--site", "nosuchsite"])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: no site with key 'nosuchsite'"


def test_the_systemd_units_run_requests_check_every_hour() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "deploy"
    service = (root / "cookieconsent-requests.service").read_text()
    (start,) = re.findall(r"^ExecStart=(.*)$", service, re.M)
    assert start == "/opt/cookieconsent/bin/cookieconsent requests check"
    assert re.search(r"^User=cookieconsent$", service, re.M)
    timer = (root / "cookieconsent-requests.timer").read_text()
    assert re.search(r"^OnCalendar=hourly$", timer, re.M) and "Persistent=true" in timer


# Withdrawals reach processors with a deadline ----------------------------------------------------


def test_a_withdrawals_delivery_carries_act_by_and_is_flagged_when_late(
    app: Flask, client: FlaskClient, console: FlaskClient, site: Site
) -> None:
    endpoint = add_endpoint(site, "https://hooks.shop.example/in", allow_private=False)
    consents = f"/api/v1/sites/{site.site_key}/consents"
    accepted = client.post(consents, json={"action": "accept_all"}, headers=ORIGIN)
    visitor_id = accepted.get_json()["visitor_id"]
    client.post(consents, json={"action": "withdraw", "visitor_id": visitor_id}, headers=ORIGIN)
    rows = list(
        db.session.execute(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars()
    )
    assert "act_by" not in rows[0].payload
    withdrawal = rows[1]
    assert withdrawal.payload["action"] == "withdraw"
    occurred = datetime.fromisoformat(withdrawal.payload["occurred_at"].replace("Z", "+00:00"))
    assert withdrawal.payload["act_by"] == deadlines.withdrawal_act_by(occurred).isoformat(
        timespec="milliseconds"
    ).replace("+00:00", "Z")
    assert not past_act_by(withdrawal)
    # Still failing three weeks later: past its act_by.
    withdrawal.last_error = "HTTP 500"
    withdrawal.attempts = 9
    withdrawal.payload = {**withdrawal.payload, "act_by": "2026-01-01T16:59:59.999Z"}
    db.session.commit()
    assert past_act_by(withdrawal)
    member(site, "chu@shop.vn", "owner")
    sign_in(console, "chu@shop.vn")
    page = console.get(f"/admin/sites/{site.site_key}/webhooks").get_data(as_text=True)
    assert page.count('data-role="past-act-by"') == 1
    assert "Past its act-by date" in page or "Quá hạn" in page
    user = member(site, "api@shop.vn", "editor")
    _row, token = issue_token(user, "script")
    listed = client.get(
        f"/api/v1/admin/sites/{site.site_key}/webhooks/{endpoint.id}/deliveries",
        headers=bearer(token),
    ).get_json()
    late = [item for item in listed["deliveries"] if item["past_act_by"]]
    assert [item["id"] for item in late] == [withdrawal.id]
    assert late[0]["act_by"] == "2026-01-01T16:59:59.999Z"


# The console -------------------------------------------------------------------------------------


def test_the_console_inbox_shows_deadlines_and_flags_and_logs_who_acted(
    app: Flask, console: FlaskClient, site: Site
) -> None:
    now = utcnow()
    late = file_request(site, Filing(kind="deletion", language="vi"), now=now - timedelta(days=40))
    fresh = file_request(site, Filing(kind="access", language="vi"), now=now)
    db.session.commit()
    user = member(site, "chu@shop.vn", "editor")
    sign_in(console, "chu@shop.vn")
    inbox_path = f"/admin/sites/{site.site_key}/requests"
    html = console.get(inbox_path).get_data(as_text=True)
    assert f'data-reference="{late.reference}" data-flag="overdue"' in html
    assert f'data-reference="{fresh.reference}" data-flag="due_soon"' in html
    only_late = console.get(inbox_path + "?flag=overdue").get_data(as_text=True)
    assert late.reference in only_late and fresh.reference not in only_late
    assert console.get(inbox_path + "?status=bogus").status_code == 400

    detail = f"{inbox_path}/{fresh.reference}"
    token = csrf_token(console, detail)
    done = console.post(detail, data={"csrf_token": token, "action": "acknowledge"})
    assert done.status_code == 302
    refused = console.post(detail, data={"csrf_token": token, "action": "extend", "days": "5"})
    assert refused.status_code == 422
    assert 'data-field="note"' in refused.get_data(as_text=True)
    extended = console.post(
        detail,
        data={"csrf_token": token, "action": "extend", "days": "10", "note": "Backups"},
    )
    assert extended.status_code == 302
    no_csrf = console.post(detail, data={"action": "complete", "note": "x"})
    assert no_csrf.status_code == 400
    console.post(detail, data={"csrf_token": token, "action": "complete", "note": "Sent"})
    db.session.expire_all()
    steps = db.session.execute(
        sa.select(RequestStep).where(RequestStep.request_id == fresh.id).order_by(RequestStep.id)
    ).scalars()
    logged = [(step.actor, step.actor_user_id, step.action, step.note) for step in steps]
    assert logged == [
        ("visitor", None, "received", None),
        ("chu@shop.vn", user.id, "acknowledge", None),
        ("chu@shop.vn", user.id, "extend", "+10 days: Backups"),
        ("chu@shop.vn", user.id, "complete", "Sent"),
    ]
    shown = console.get(detail).get_data(as_text=True)
    assert shown.count("chu@shop.vn") >= 3
    assert 'data-action="extend"' in shown and "+10 days: Backups" in shown


def test_a_viewer_cannot_open_the_inbox(app: Flask, console: FlaskClient, site: Site) -> None:
    member(site, "xem@shop.vn", "viewer")
    sign_in(console, "xem@shop.vn")
    assert console.get(f"/admin/sites/{site.site_key}/requests").status_code == 403


# The admin API -----------------------------------------------------------------------------------


def test_the_admin_api_lists_shows_and_acts(app: Flask, client: FlaskClient, site: Site) -> None:
    now = utcnow()
    late = file_request(site, Filing(kind="deletion", language="vi"), now=now - timedelta(days=40))
    fresh = file_request(site, Filing(kind="access", language="vi"), now=now)
    db.session.commit()
    user = member(site, "api@shop.vn", "owner")
    _row, token = issue_token(user, "script")
    base = f"/api/v1/admin/sites/{site.site_key}/requests"
    listed = client.get(base, headers=bearer(token))
    assert listed.status_code == 200 and listed.headers["Cache-Control"] == "no-store"
    assert [item["reference"] for item in listed.get_json()] == [fresh.reference, late.reference]
    overdue = client.get(base + "?flag=overdue", headers=bearer(token)).get_json()
    assert [item["reference"] for item in overdue] == [late.reference]
    assert client.get(base + "?status=bogus", headers=bearer(token)).status_code == 422
    one = client.get(f"{base}/{fresh.reference}", headers=bearer(token)).get_json()
    assert one["steps"][0]["actor"] == "visitor" and one["flag"] == "due_soon"
    acted = client.post(
        f"{base}/{fresh.reference}/actions",
        json={"action": "refuse", "note": "Unverifiable"},
        headers=bearer(token),
    )
    assert acted.status_code == 200
    body = acted.get_json()
    assert body["status"] == "refused" and body["flag"] is None
    assert body["steps"][-1]["actor"] == "api@shop.vn"
    assert body["steps"][-1]["actor_user_id"] == user.id
    no_reason = client.post(
        f"{base}/{late.reference}/actions", json={"action": "refuse"}, headers=bearer(token)
    )
    assert no_reason.status_code == 422 and "note" in no_reason.get_json()["errors"]
    missing = client.get(f"{base}/DSR-AAAAAAAAAAAAAAAA", headers=bearer(token))
    assert missing.status_code == 404


def test_a_deleted_sites_requests_are_no_longer_checked_nor_shown(
    app: Flask, client: FlaskClient, site: Site
) -> None:
    file_request(site, Filing(kind="access", language="vi"), now=utcnow() - timedelta(days=40))
    user = member(site, "api@shop.vn", "owner")
    _row, token = issue_token(user, "script")
    site.deleted_at = utcnow()
    db.session.commit()
    assert check_requests().checked == 0
    listed = client.get(f"/api/v1/admin/sites/{site.site_key}/requests", headers=bearer(token))
    assert listed.status_code == 404
    assert client.get(f"/c/{site.site_key}/requests").status_code == 404


def test_a_withdrawal_on_a_site_with_processors_must_be_acted_on_within_20_days(
    app: Flask, client: FlaskClient, make_site: Any
) -> None:
    site = make_site(name="With processors", domains=("shop.example",))
    site.processors_involved = True
    db.session.commit()
    add_endpoint(site, "https://hooks.shop.example/in", allow_private=False)
    consents = f"/api/v1/sites/{site.site_key}/consents"
    accepted = client.post(consents, json={"action": "accept_all"}, headers=ORIGIN)
    visitor_id = accepted.get_json()["visitor_id"]
    client.post(consents, json={"action": "withdraw", "visitor_id": visitor_id}, headers=ORIGIN)
    withdrawal = db.session.execute(
        sa.select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(1)
    ).scalar_one()
    occurred = datetime.fromisoformat(withdrawal.payload["occurred_at"].replace("Z", "+00:00"))
    expected = deadlines.withdrawal_act_by(occurred, processors_involved=True)
    assert withdrawal.payload["act_by"] == expected.isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )
    assert expected > deadlines.withdrawal_act_by(occurred)


def test_one_address_files_only_a_few_requests_an_hour(database_url: str) -> None:
    """Each request starts a legal clock: the limit is far below the consent writes' one."""
    from cookieconsent import create_app
    from cookieconsent.services.sites import create_site

    from .conftest import _config

    app = create_app(_config(database_url, RATELIMIT_ENABLED=True, RATELIMIT_REQUESTS="3 per hour"))
    with app.app_context():
        site, _ = create_site("Limited", ["shop.example"])
        client = app.test_client()
        url = f"/api/v1/sites/{site.site_key}/requests"
        statuses = [client.post(url, json={"kind": "access"}).status_code for _ in range(4)]
        assert statuses == [201, 201, 201, 429]
        refused = client.post(url, json={"kind": "access"})
        assert refused.mimetype == "application/problem+json"
        assert "Retry-After" in refused.headers
        # The public page shares nothing with the API's count but has the same limit.
        page = [
            client.post(f"/c/{site.site_key}/requests", data={"kind": "access"}).status_code
            for _ in range(4)
        ]
        assert page[-1] == 429
        assert app.config["RATELIMIT_CONSENT_WRITES"] != "3 per hour"
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        db.session.remove()
        db.engine.dispose()

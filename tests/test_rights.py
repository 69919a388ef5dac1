"""Visitor rights: history, export, withdrawal, erasure and signed consent receipts."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner

from cookieconsent.extensions import db
from cookieconsent.models import ConsentEvent, ConsentState, Site, WebhookDelivery
from cookieconsent.services.consent import ConsentInput, record_consent
from cookieconsent.services.signing import mint_visitor_id, verify_visitor_id
from cookieconsent.services.sites import SiteProfile
from cookieconsent.services.visitor_texts import local_time
from cookieconsent.services.webhooks import add_endpoint
from cookieconsent.texts import BANNER_TEXTS

from .conftest import SECRET_KEYS, SiteFactory, table_counts

SHOP_ORIGIN = "https://shop.example"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
PAGE = "https://shop.example/gio-hang?email=lan@example.vn#thanh-toan"
# The click time the widget reports, in the visitor's zone; shown back in UTC.
# A click an hour ago, as a device in Vietnam (UTC+7) reports it, and the same moment in UTC.
_CLICK = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=123000)
CHOSEN_AT = _CLICK.astimezone(timezone(timedelta(hours=7))).isoformat(timespec="milliseconds")
CHOSEN_AT_UTC = _CLICK.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def api(site: Site, path: str = "") -> str:
    return f"/api/v1/sites/{site.site_key}{path}"


def post_choice(client: FlaskClient, site: Site, body: dict[str, Any]) -> str:
    response = client.post(
        api(site, "/consents"),
        json={"url": PAGE, "language": "vi", **body},
        headers={"Origin": f"https://{site.domains[0]}", "User-Agent": BROWSER},
    )
    assert response.status_code == 201, response.get_json()
    visitor_id: str = response.get_json()["visitor_id"]
    return visitor_id


def all_events() -> list[ConsentEvent]:
    return list(db.session.execute(sa.select(ConsentEvent).order_by(ConsentEvent.id)).scalars())


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture
def visitor(client: FlaskClient, site: Site) -> str:
    """A visitor who accepted, then saved analytics only, then withdrew."""
    visitor_id = post_choice(client, site, {"action": "accept_all"})
    post_choice(
        client,
        site,
        {
            "action": "save",
            "visitor_id": visitor_id,
            "categories": {"analytics": True, "marketing": False},
            "chosen_at": CHOSEN_AT,
        },
    )
    post_choice(client, site, {"action": "withdraw", "visitor_id": visitor_id})
    return visitor_id


@pytest.fixture
def bystander(client: FlaskClient, site: Site) -> str:
    """Another visitor of the same site, who must never be touched."""
    return post_choice(client, site, {"action": "reject_all"})


# History and export -------------------------------------------------------------------------


def test_history_lists_the_visitors_choices_oldest_first(
    client: FlaskClient, site: Site, bystander: str, visitor: str
) -> None:
    response = client.get(api(site, f"/consents/{visitor}/history"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["visitor_id"] == visitor
    events = body["events"]
    assert [event["action"] for event in events] == ["accept_all", "save", "withdraw"]
    assert [event["categories"] for event in events] == [
        {"essential": True, "analytics": True, "marketing": True},
        {"essential": True, "analytics": True, "marketing": False},
        {"essential": True, "analytics": False, "marketing": False},
    ]
    assert [event["decided"] for event in events] == [True, True, False]
    assert [event["chosen_at"] for event in events] == [None, CHOSEN_AT_UTC, None]
    raw_id = verify_visitor_id(SECRET_KEYS, site.site_key, visitor)
    stored = [event for event in all_events() if event.visitor_id == raw_id]
    for shown, row in zip(events, stored, strict=True):
        assert shown["policy_version"] == "1.0"
        assert shown["sequence"] == row.sequence
        assert parse_time(shown["recorded_at"]) == row.created_at
        assert shown["recorded_at"].endswith("Z")
        assert shown["region"] is None  # no GeoIP database in this app
        assert shown["mode"] == "opt-in"
        # What identifies the person stays out of a page anyone holding the ID can open.
        assert not {"url", "user_agent", "ip_prefix", "visitor_id"} & set(shown)
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_history_of_a_visitor_who_never_chose_is_empty(client: FlaskClient, site: Site) -> None:
    _, visitor_id = mint_visitor_id(SECRET_KEYS, site.site_key)
    response = client.get(api(site, f"/consents/{visitor_id}/history"))
    assert response.status_code == 200
    assert response.get_json() == {"visitor_id": visitor_id, "events": []}


def test_export_is_a_download_with_the_personal_fields(
    client: FlaskClient, site: Site, bystander: str, visitor: str
) -> None:
    response = client.get(api(site, f"/consents/{visitor}/export"))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert 'filename="' in response.headers["Content-Disposition"]
    body = response.get_json()
    assert body["visitor_id"] == visitor
    assert body["site"]["site_key"] == site.site_key
    assert body["site"]["name"] == "Shop"
    assert parse_time(body["exported_at"]).tzinfo is not None
    assert [event["action"] for event in body["events"]] == ["accept_all", "save", "withdraw"]
    assert body["events"][1]["chosen_at"] == CHOSEN_AT_UTC
    for event in body["events"]:
        # The query and fragment were never stored; the address is truncated.
        assert event["url"] == "https://shop.example/gio-hang"
        assert event["user_agent"] == BROWSER
        assert event["ip_prefix"] == "127.0.0.0/24"
        assert event["language"] == "vi"
    assert body["current"]["decided"] is False
    assert body["current"]["categories"] == {
        "essential": True,
        "analytics": False,
        "marketing": False,
    }
    assert body["current"]["policy_version"] == "1.0"


def test_export_adds_labels_for_people_in_the_sites_language_or_the_one_asked(
    client: FlaskClient, site: Site, visitor: str
) -> None:
    body = client.get(api(site, f"/consents/{visitor}/export")).get_json()
    # The machine-readable fields as before: codes and ISO times in UTC.
    assert [event["action"] for event in body["events"]] == ["accept_all", "save", "withdraw"]
    assert all(event["recorded_at"].endswith("Z") for event in body["events"])
    # For people, in the site's default language (vi) when none is asked.
    assert body["language"] == "vi"
    assert [event["action_label"] for event in body["events"]] == [
        "Chấp nhận tất cả",
        "Lưu lựa chọn từng mục đích",
        "Rút lại sự đồng ý",
    ]
    for event in body["events"]:
        assert event["recorded_at_local"] == local_time(parse_time(event["recorded_at"]), "vi")
        assert "UTC" in event["recorded_at_local"] and "tháng" in event["recorded_at_local"]
    assert body["category_titles"] == {
        "essential": "Cần thiết",
        "analytics": "Phân tích",
        "marketing": "Tiếp thị",
    }
    # Withdrawn: no decision in force, so no time to write either.
    assert body["current"]["decided_at"] is None and body["current"]["decided_at_local"] is None

    english = client.get(api(site, f"/consents/{visitor}/export"), query_string={"lang": "en-GB"})
    body = english.get_json()
    assert body["language"] == "en"
    assert body["events"][2]["action_label"] == "Withdrew consent"
    assert body["category_titles"]["analytics"] == "Analytics"
    assert (
        "PM UTC" in body["events"][0]["recorded_at_local"]
        or "AM UTC" in (body["events"][0]["recorded_at_local"])
    )
    refused = client.get(api(site, f"/consents/{visitor}/export"), query_string={"lang": "xx"})
    assert refused.status_code == 422
    assert list(refused.get_json()["errors"]) == ["lang"]


def test_history_api_names_the_actions(client: FlaskClient, site: Site, visitor: str) -> None:
    events = client.get(
        api(site, f"/consents/{visitor}/history"), query_string={"lang": "en"}
    ).get_json()["events"]
    assert [event["action_label"] for event in events] == [
        "Accepted all",
        "Saved a choice per purpose",
        "Withdrew consent",
    ]
    assert [event["action"] for event in events] == ["accept_all", "save", "withdraw"]


def test_export_of_the_current_decision(client: FlaskClient, site: Site) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"})
    current = client.get(api(site, f"/consents/{visitor_id}/export")).get_json()["current"]
    assert current["decided"] is True
    assert parse_time(current["expires_at"]) - parse_time(current["decided_at"]) == timedelta(
        days=182
    )
    assert current["decided_at_local"] == local_time(parse_time(current["decided_at"]), "vi")
    assert current["expires_at_local"] == local_time(parse_time(current["expires_at"]), "vi")


def test_withdraw_is_a_new_event_and_keeps_the_earlier_ones(
    client: FlaskClient, site: Site
) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"})
    accept = all_events()[0]
    accept_mac, accept_id = accept.mac, accept.id
    post_choice(client, site, {"action": "withdraw", "visitor_id": visitor_id})
    events = all_events()
    assert [(event.action, event.decided) for event in events] == [
        ("accept_all", True),
        ("withdraw", False),
    ]
    assert (events[0].id, events[0].mac) == (accept_id, accept_mac)
    assert events[0].categories == {"essential": True, "analytics": True, "marketing": True}
    lookup = client.get(api(site, f"/consents/{visitor_id}")).get_json()
    assert lookup["decided"] is False
    assert lookup["categories"] == {"essential": True, "analytics": False, "marketing": False}


# Erasure ------------------------------------------------------------------------------------


def test_erase_keeps_an_anonymous_tally(
    client: FlaskClient,
    site: Site,
    runner: FlaskCliRunner,
    bystander: str,
) -> None:
    add_endpoint(site, "https://hooks.shop.example/consent")
    visitor_id = post_choice(client, site, {"action": "accept_all"})
    post_choice(client, site, {"action": "reject_all", "visitor_id": visitor_id})
    raw_id = verify_visitor_id(SECRET_KEYS, site.site_key, visitor_id)
    bystander_raw = verify_visitor_id(SECRET_KEYS, site.site_key, bystander)
    mine = [event.id for event in all_events() if event.visitor_id == raw_id]
    assert (
        db.session.execute(
            sa.select(sa.func.count()).where(WebhookDelivery.event_id.in_(mine))
        ).scalar_one()
        == 2
    )
    counts = table_counts()
    site_key = site.site_key

    response = client.delete(api(site, f"/consents/{visitor_id}"), headers={"Origin": SHOP_ORIGIN})

    assert response.status_code == 200
    assert response.get_json() == {"visitor_id": visitor_id, "erased_events": 2}
    db.session.expire_all()
    events = {event.id: event for event in all_events()}
    assert len(events) == counts["consent_events"]
    for event_id in mine:
        erased = events[event_id]
        assert erased.url is None and erased.user_agent is None and erased.ip_prefix is None
        assert erased.visitor_id != raw_id
        assert erased.erased_at is not None
        # The tally survives: what was chosen, and when.
        assert erased.action in {"accept_all", "reject_all"}
        assert erased.categories["essential"] is True
    # The visitor's events stay together under one new, meaningless token.
    assert len({events[event_id].visitor_id for event_id in mine}) == 1
    assert db.session.get(ConsentState, (site.id, raw_id)) is None
    # The webhook deliveries still due go out (they carry no field erasure removes), and the
    # erasure is announced after them.
    due = db.session.execute(
        sa.select(WebhookDelivery).where(WebhookDelivery.event_id.in_(mine))
    ).scalars()
    assert [(row.status, row.payload["visitor_id"]) for row in due] == [
        ("pending", visitor_id),
        ("pending", visitor_id),
    ]
    [announced] = db.session.execute(
        sa.select(WebhookDelivery).where(WebhookDelivery.event_id.is_(None))
    ).scalars()
    assert announced.payload == {
        "type": "consent.erased",
        "site_key": site_key,
        "visitor_id": visitor_id,
        "erased_events": 2,
        "occurred_at": announced.payload["occurred_at"],
    }
    assert announced.status == "pending"
    # Nobody else's data moved.
    [other] = [event for event in events.values() if event.visitor_id == bystander_raw]
    assert other.user_agent == BROWSER and other.erased_at is None
    assert db.session.get(ConsentState, (site.id, bystander_raw)) is not None
    assert table_counts()["webhook_deliveries"] == counts["webhook_deliveries"] + 1
    assert table_counts()["consent_states"] == counts["consent_states"] - 1

    lookup = client.get(api(site, f"/consents/{visitor_id}")).get_json()
    assert lookup["decided"] is False
    assert lookup["categories"] == {"essential": True, "analytics": False, "marketing": False}
    assert client.get(api(site, f"/consents/{visitor_id}/history")).get_json()["events"] == []
    export = client.get(api(site, f"/consents/{visitor_id}/export")).get_json()
    assert export["events"] == [] and export["current"] is None
    assert client.get(api(site, f"/consents/{visitor_id}/receipt")).status_code == 404

    verified = runner.invoke(args=["consents", "verify", "--site", site_key])
    assert verified.exit_code == 0, verified.output
    assert f"{site_key}: ok, 3 events checked" in verified.output


def test_erase_twice_finds_nothing_the_second_time(client: FlaskClient, site: Site) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"})
    assert client.delete(api(site, f"/consents/{visitor_id}")).get_json()["erased_events"] == 1
    before = table_counts()
    again = client.delete(api(site, f"/consents/{visitor_id}"))
    assert again.status_code == 200
    assert again.get_json() == {"visitor_id": visitor_id, "erased_events": 0}
    assert table_counts() == before


def test_a_new_choice_after_erasure_starts_a_new_history(client: FlaskClient, site: Site) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"})
    client.delete(api(site, f"/consents/{visitor_id}"))
    post_choice(client, site, {"action": "reject_all", "visitor_id": visitor_id})
    history = client.get(api(site, f"/consents/{visitor_id}/history")).get_json()["events"]
    assert [event["action"] for event in history] == ["reject_all"]


def test_erase_from_a_foreign_origin_is_refused(
    client: FlaskClient, site: Site, visitor: str
) -> None:
    before = table_counts()
    snapshot = [(event.visitor_id, event.user_agent, event.erased_at) for event in all_events()]
    response = client.delete(
        api(site, f"/consents/{visitor}"), headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "origin" in response.get_json()["errors"]
    db.session.expire_all()
    assert table_counts() == before
    assert [(e.visitor_id, e.user_agent, e.erased_at) for e in all_events()] == snapshot


def tampered(signed: str) -> str:
    """Change one character of the signature; not the last, whose low bits base64 ignores."""
    at = len(signed) - 5
    return signed[:at] + ("A" if signed[at] != "A" else "B") + signed[at + 1 :]


BAD_IDS = ["not-an-id", "tampered", "other-site", "unsigned"]


def bad_visitor_id(kind: str, site: Site, visitor_id: str, make_site: SiteFactory) -> str:
    if kind == "tampered":
        return tampered(visitor_id)
    if kind == "other-site":
        other = make_site(name="Other", domains=("other.example",))
        return mint_visitor_id(SECRET_KEYS, other.site_key)[1]
    if kind == "unsigned":
        return verify_visitor_id(SECRET_KEYS, site.site_key, visitor_id)
    return kind


@pytest.mark.parametrize("kind", BAD_IDS)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", ""),
        ("GET", "/history"),
        ("GET", "/export"),
        ("GET", "/receipt"),
    ],
)
def test_bad_visitor_ids_are_400_and_change_nothing(
    client: FlaskClient,
    site: Site,
    make_site: SiteFactory,
    visitor: str,
    kind: str,
    method: str,
    path: str,
) -> None:
    visitor_id = bad_visitor_id(kind, site, visitor, make_site)
    before = table_counts()
    personal = [(event.visitor_id, event.user_agent, event.url) for event in all_events()]
    response = client.open(api(site, f"/consents/{visitor_id}{path}"), method=method)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "visitor_id" in response.get_json()["errors"]
    db.session.expire_all()
    assert table_counts() == before
    assert [(e.visitor_id, e.user_agent, e.url) for e in all_events()] == personal


@pytest.mark.parametrize("path", ["", "/history", "/export", "/receipt"])
def test_unknown_site_is_404(client: FlaskClient, site: Site, visitor: str, path: str) -> None:
    response = client.get(f"/api/v1/sites/nosuchsite1/consents/{visitor}{path}")
    assert response.status_code == 404
    assert client.delete(f"/api/v1/sites/nosuchsite1/consents/{visitor}").status_code == 404


# Receipts -----------------------------------------------------------------------------------


def receipt_of(client: FlaskClient, site: Site, visitor_id: str, **query: str) -> Any:
    return client.get(api(site, f"/consents/{visitor_id}/receipt"), query_string=query)


def test_receipt_of_the_latest_decision(client: FlaskClient, site: Site) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"})
    recorded = post_choice(
        client,
        site,
        {
            "action": "save",
            "visitor_id": visitor_id,
            "categories": {"analytics": True, "marketing": False},
        },
    )
    assert recorded == visitor_id
    latest = all_events()[-1]
    state = db.session.execute(sa.select(ConsentState)).scalar_one()

    response = receipt_of(client, site, visitor_id, lang="en")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"receipt", "token"}
    receipt = body["receipt"]
    assert "ISO/IEC TS 27560" in receipt["schema"]
    assert receipt["pii_principal_id"] == visitor_id
    assert receipt["record_id"] == f"{site.site_key}:{latest.sequence}"
    assert receipt["pii_controller"] == {"name": "Shop", "domains": ["shop.example"]}
    assert receipt["notice"]["policy_version"] == "1.0"
    assert receipt["notice"]["policy_url"] == "https://shop.example/privacy"
    assert re.fullmatch(r"[0-9a-f]{64}", receipt["notice"]["shown_configuration_digest"])
    assert receipt["event"]["type"] == "save"
    assert parse_time(receipt["event"]["time"]) == latest.created_at
    assert [(p["purpose"], p["title"], p["status"]) for p in receipt["purposes"]] == [
        ("essential", "Essential", "given"),
        ("analytics", "Analytics", "given"),
        ("marketing", "Marketing", "refused"),
    ]
    assert receipt["integrity"] == {"chain_sequence": latest.sequence, "mac": latest.mac}
    assert parse_time(receipt["valid_until"]) == state.expires_at
    assert receipt["withdrawal"]["explanation"] is None
    assert receipt["language"] == "en"


def test_receipt_of_an_older_event(client: FlaskClient, site: Site) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"})
    post_choice(client, site, {"action": "reject_all", "visitor_id": visitor_id})
    first = all_events()[0]
    response = receipt_of(client, site, visitor_id, event=str(first.sequence))
    assert response.status_code == 200
    receipt = response.get_json()["receipt"]
    assert receipt["event"]["type"] == "accept_all"
    assert receipt["integrity"]["mac"] == first.mac
    assert {p["status"] for p in receipt["purposes"]} == {"given"}


def test_receipt_in_vietnamese(client: FlaskClient, site: Site) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"})
    receipt = receipt_of(client, site, visitor_id, lang="vi").get_json()["receipt"]
    assert receipt["language"] == "vi"
    assert [p["title"] for p in receipt["purposes"]] == ["Cần thiết", "Phân tích", "Tiếp thị"]


def test_receipt_uses_the_sites_own_category_titles(
    client: FlaskClient, site: Site, make_site: SiteFactory
) -> None:
    response = client.patch(
        api(site, "/config"),
        json={
            "categories": [
                {"name": "essential"},
                {"name": "analytics", "texts": {"vi": {"title": "Thống kê"}}},
                {"name": "marketing"},
            ]
        },
        headers={"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
    )
    assert response.status_code == 200
    visitor_id = post_choice(client, site, {"action": "accept_all"})
    receipt = receipt_of(client, site, visitor_id, lang="vi").get_json()["receipt"]
    assert [p["title"] for p in receipt["purposes"]] == ["Cần thiết", "Thống kê", "Tiếp thị"]


@pytest.mark.parametrize("event", ["999", "abc", "", "0"])
def test_receipt_of_an_unknown_event_is_404(client: FlaskClient, site: Site, event: str) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"})
    response = receipt_of(client, site, visitor_id, event=event)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_receipt_of_another_visitors_event_is_404(
    client: FlaskClient, site: Site, bystander: str
) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"})
    theirs = all_events()[0]
    response = receipt_of(client, site, visitor_id, event=str(theirs.sequence))
    assert response.status_code == 404


def test_receipt_of_a_visitor_without_events_is_404(client: FlaskClient, site: Site) -> None:
    _, visitor_id = mint_visitor_id(SECRET_KEYS, site.site_key)
    assert receipt_of(client, site, visitor_id).status_code == 404


@pytest.mark.parametrize("lang", ["xx", "klingon", "123"])
def test_receipt_in_an_unknown_language_is_422(client: FlaskClient, site: Site, lang: str) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"})
    response = receipt_of(client, site, visitor_id, lang=lang)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["lang"]


def test_receipt_language_accepts_a_region_tag(client: FlaskClient, site: Site) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"})
    assert (
        receipt_of(client, site, visitor_id, lang="en-GB").get_json()["receipt"]["language"] == "en"
    )


def verify_token(client: FlaskClient, site: Site, token: str) -> Any:
    return client.post(api(site, "/receipts/verify"), json={"token": token})


def test_receipt_token_verifies(client: FlaskClient, site: Site) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"})
    body = receipt_of(client, site, visitor_id).get_json()
    response = verify_token(client, site, body["token"])
    assert response.status_code == 200
    assert response.get_json() == {"valid": True, "receipt": body["receipt"]}


def test_modified_receipt_token_is_not_valid(client: FlaskClient, site: Site) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"})
    token = receipt_of(client, site, visitor_id).get_json()["token"]
    payload, signature = token.rsplit(".", 1)
    # Claim a refusal was a consent: the payload changes, the signature does not.
    forged_payload = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")
    for forged in (f"{forged_payload}.{signature}", tampered(token), "garbage", token + "x"):
        response = verify_token(client, site, forged)
        assert response.status_code == 200
        assert response.get_json() == {"valid": False, "receipt": None}, forged


def test_receipt_from_another_site_is_not_valid(
    client: FlaskClient, site: Site, make_site: SiteFactory
) -> None:
    other = make_site(name="Other", domains=("other.example",))
    visitor_id = post_choice(client, other, {"action": "accept_all"})
    token = receipt_of(client, other, visitor_id).get_json()["token"]
    assert verify_token(client, other, token).get_json()["valid"] is True
    assert verify_token(client, site, token).get_json() == {"valid": False, "receipt": None}


@pytest.mark.parametrize("lang", ["vi", "en", "fr"])
def test_withdrawal_receipt_explains_the_withdrawal(
    client: FlaskClient, site: Site, visitor: str, lang: str
) -> None:
    receipt = receipt_of(client, site, visitor, lang=lang).get_json()["receipt"]
    assert receipt["event"]["type"] == "withdraw"
    assert receipt["withdrawal"]["explanation"] == BANNER_TEXTS[lang]["receipt_withdrawal"]
    assert receipt["valid_until"] is None
    statuses = {p["purpose"]: p["status"] for p in receipt["purposes"]}
    assert statuses == {"essential": "given", "analytics": "withdrawn", "marketing": "withdrawn"}


# The printable receipt ----------------------------------------------------------------------


def test_printable_receipt_in_vietnamese(client: FlaskClient, make_site: SiteFactory) -> None:
    hostile = make_site(name="<script>x</script>", domains=("shop.example",))
    visitor_id = post_choice(client, hostile, {"action": "accept_all"})
    response = client.get(f"/receipt/{hostile.site_key}/{visitor_id}", query_string={"lang": "vi"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<html lang="vi" dir="ltr">' in page
    assert "Biên nhận đồng ý" in page
    assert "<script>x</script>" not in page
    assert html.escape("<script>x</script>") in page
    assert visitor_id in page
    assert f"MAC {all_events()[0].mac}" in page
    assert "Phân tích" in page


def test_printable_withdrawal_receipt(client: FlaskClient, site: Site, visitor: str) -> None:
    for lang in ("vi", "en"):
        page = client.get(
            f"/receipt/{site.site_key}/{visitor}", query_string={"lang": lang}
        ).get_data(as_text=True)
        assert f'<html lang="{lang}" dir="ltr">' in page
        assert 'data-field="withdrawal"' in page
        assert html.escape(BANNER_TEXTS[lang]["receipt_withdrawal"]) in page


def test_printable_receipt_of_an_older_event(client: FlaskClient, site: Site, visitor: str) -> None:
    first = all_events()[0]
    page = client.get(
        f"/receipt/{site.site_key}/{visitor}", query_string={"event": str(first.sequence)}
    ).get_data(as_text=True)
    assert '<dd data-field="action" data-action="accept_all">Chấp nhận tất cả</dd>' in page
    assert 'data-field="withdrawal"' not in page


@pytest.mark.parametrize(
    ("lang", "label"), [("vi", "Rút lại sự đồng ý"), ("en", "Withdrew consent")]
)
def test_printable_receipt_names_the_action_and_writes_the_time_in_its_language(
    client: FlaskClient, site: Site, visitor: str, lang: str, label: str
) -> None:
    page = client.get(f"/receipt/{site.site_key}/{visitor}", query_string={"lang": lang}).get_data(
        as_text=True
    )
    assert f'<dd data-field="action" data-action="withdraw">{label}</dd>' in page
    event = all_events()[-1]
    iso = event.created_at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    written = local_time(event.created_at, lang)
    assert "UTC" in written and str(event.created_at.year) in written
    assert f'<dd data-field="time"><time datetime="{iso}">{written}</time></dd>' in page
    assert "reject_all" not in page and ">withdraw<" not in page


def test_printable_receipt_marks_a_title_in_another_language(
    client: FlaskClient, site: Site, make_site: SiteFactory
) -> None:
    response = client.patch(
        api(site, "/config"),
        json={
            "categories": [
                {"name": "essential"},
                {"name": "club", "texts": {"en": {"title": "<img src=x onerror=alert(1)>"}}},
            ]
        },
        headers={"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
    )
    assert response.status_code == 200
    visitor_id = post_choice(client, site, {"action": "accept_all"})
    page = client.get(
        f"/receipt/{site.site_key}/{visitor_id}", query_string={"lang": "vi"}
    ).get_data(as_text=True)
    assert "<img" not in page
    assert (
        '<tr data-purpose="club"><td lang="en">&lt;img src=x onerror=alert(1)&gt;</td>'
        '<td class="allowed">Đồng ý</td></tr>'
    ) in page
    assert '<tr data-purpose="essential"><td>Cần thiết</td>' in page


def test_printable_receipt_falls_back_to_the_default_language(
    client: FlaskClient, site: Site, visitor: str
) -> None:
    page = client.get(f"/receipt/{site.site_key}/{visitor}", query_string={"lang": "xx"})
    assert page.status_code == 200
    assert '<html lang="vi" dir="ltr">' in page.get_data(as_text=True)


@pytest.mark.parametrize("kind", BAD_IDS)
def test_printable_receipt_with_a_bad_visitor_id_is_400(
    client: FlaskClient, site: Site, make_site: SiteFactory, visitor: str, kind: str
) -> None:
    visitor_id = bad_visitor_id(kind, site, visitor, make_site)
    assert client.get(f"/receipt/{site.site_key}/{visitor_id}").status_code == 400


def test_printable_receipt_not_found(client: FlaskClient, site: Site, visitor: str) -> None:
    assert client.get(f"/receipt/nosuchsite1/{visitor}").status_code == 404
    assert client.get(f"/receipt/{site.site_key}/{visitor}?event=999").status_code == 404
    _, fresh = mint_visitor_id(SECRET_KEYS, site.site_key)
    assert client.get(f"/receipt/{site.site_key}/{fresh}").status_code == 404


# When a receipt says the decision ends --------------------------------------------------------


def set_lifetimes(client: FlaskClient, site: Site, make_site: SiteFactory) -> None:
    response = client.patch(
        api(site, "/config"),
        json={"consent_lifetime_days": 300, "refusal_lifetime_days": 30},
        headers={"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
    )
    assert response.status_code == 200


def printed_expiry(client: FlaskClient, site: Site, visitor_id: str, **query: str) -> str | None:
    page = client.get(f"/receipt/{site.site_key}/{visitor_id}", query_string=query)
    assert page.status_code == 200
    found = re.search(
        r'<dd data-field="expires"><time datetime="([^"]+)">', page.get_data(as_text=True)
    )
    return found.group(1) if found else None


def test_receipt_of_a_refusal_ends_with_the_refusal_lifetime(
    client: FlaskClient, site: Site, make_site: SiteFactory
) -> None:
    set_lifetimes(client, site, make_site)
    visitor_id = post_choice(client, site, {"action": "reject_all"})
    post_choice(client, site, {"action": "accept_all", "visitor_id": visitor_id})
    refusal, consent = all_events()

    older = receipt_of(client, site, visitor_id, event=str(refusal.sequence)).get_json()
    assert parse_time(older["receipt"]["valid_until"]) == refusal.created_at + timedelta(days=30)
    latest = receipt_of(client, site, visitor_id).get_json()
    assert parse_time(latest["receipt"]["valid_until"]) == consent.created_at + timedelta(days=300)

    # The printable receipt says the same as the signed one.
    assert (
        printed_expiry(client, site, visitor_id, event=str(refusal.sequence))
        == (older["receipt"]["valid_until"])
    )
    assert printed_expiry(client, site, visitor_id) == latest["receipt"]["valid_until"]


def test_receipt_of_an_opt_out_keeps_the_earlier_decisions_end(
    client: FlaskClient, site: Site
) -> None:
    earlier = record_consent(
        SiteProfile.of(site),
        ConsentInput(action="accept_all"),
        secret_keys=SECRET_KEYS,
        now=datetime.now(UTC) - timedelta(days=10),
    )
    response = client.post(
        api(site, "/consents"), json={"action": "opt_out", "visitor_id": earlier.visitor_id}
    )
    assert response.status_code == 201
    assert response.get_json()["expires_at"] is not None
    expected = parse_time(response.get_json()["expires_at"])
    assert expected == earlier.expires_at

    receipt = receipt_of(client, site, earlier.visitor_id).get_json()["receipt"]
    assert receipt["event"]["type"] == "opt_out"
    assert parse_time(receipt["valid_until"]) == expected
    assert printed_expiry(client, site, earlier.visitor_id) == receipt["valid_until"]

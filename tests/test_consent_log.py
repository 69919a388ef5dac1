"""The consent log: search, keyset pages, export, a visitor's page, in the API and the console."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from cookieconsent.extensions import db
from cookieconsent.models import ConsentEvent, Site, User
from cookieconsent.services.accounts import create_user, issue_token, set_role
from cookieconsent.services.consent import ConsentInput, Decision, record_consent
from cookieconsent.services.consent_log import (
    LogFilters,
    LogSearchError,
    csv_safe,
    parse_filters,
    search_log,
)
from cookieconsent.services.rights import erase_visitor
from cookieconsent.services.signing import sign_visitor_id, verify_visitor_id
from cookieconsent.services.sites import SiteProfile

from .conftest import SECRET_KEYS, SiteFactory, table_counts

PASSWORD = "correct horse battery staple"
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def record(site: Site, *, at: datetime, **choice: Any) -> Decision:
    """A choice recorded by the service, as the API records it, at a chosen time."""
    choice.setdefault("action", "accept_all")
    return record_consent(
        SiteProfile.of(site), ConsentInput(**choice), secret_keys=SECRET_KEYS, now=at
    )


def member(site: Site, email: str, role: str) -> User:
    user = create_user(email, PASSWORD)
    set_role(user, site, role)
    db.session.commit()
    return user


def bearer(user: User) -> dict[str, str]:
    _row, token = issue_token(user, "log")
    return {"Authorization": f"Bearer {token}"}


def log_url(site: Site, suffix: str = "") -> str:
    return f"/api/v1/admin/sites/{site.site_key}/log{suffix}"


def all_pages(
    client: FlaskClient, site: Site, headers: dict[str, str], query: dict[str, Any], limit: int
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        args = {**query, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = client.get(log_url(site), query_string=args, headers=headers)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items


@pytest.fixture
def history(site: Site) -> list[dict[str, Any]]:
    """Twelve choices of four visitors, a day apart, varied in every filtered field.

    Returned as the expected log entries, newest first, with the raw visitor ID.
    """
    plan: list[dict[str, Any]] = [
        {"action": "accept_all", "language": "vi", "region": "VN"},
        {"action": "reject_all", "language": "en", "region": "DE"},
        {"action": "save", "categories": {"analytics": True, "marketing": False}, "region": "VN"},
        {"action": "withdraw", "language": "vi", "region": "VN", "source": "api"},
        {"action": "save", "categories": {"analytics": False, "marketing": True}, "region": "FR"},
        {"action": "opt_out", "region": "US-CA", "source": "gpc", "gpc": True},
        {"action": "accept_all", "language": "en", "region": "US-CA", "source": "api"},
        {"action": "reject_all", "language": "vi", "region": "VN"},
        {"action": "accept_all", "language": "vi", "region": "JP"},
        {"action": "save", "categories": {"analytics": True, "marketing": True}, "region": "DE"},
        {"action": "withdraw", "language": "en", "region": "DE"},
        {"action": "accept_all", "language": "vi", "region": "VN"},
    ]
    visitors: list[str | None] = [None, None, None, None]
    for index, choice in enumerate(plan):
        slot = index % 4
        choice.setdefault("language", "vi")
        decision = record(
            site,
            at=START + timedelta(days=index),
            visitor_id=visitors[slot],
            url=f"https://shop.example/p/{index}?q=secret",
            **choice,
        )
        visitors[slot] = decision.visitor_id
    events = db.session.execute(
        sa.select(ConsentEvent).order_by(ConsentEvent.created_at.desc(), ConsentEvent.id.desc())
    ).scalars()
    return [
        {
            "visitor": event.visitor_id,
            "signed": sign_visitor_id(SECRET_KEYS, site.site_key, event.visitor_id),
            "sequence": event.sequence,
            "action": event.action,
            "categories": event.categories,
            "region": event.region,
            "language": event.language,
            "source": event.source,
            "created_at": event.created_at,
        }
        for event in events
    ]


def sequences(items: list[Any]) -> list[int]:
    return [item["sequence"] if isinstance(item, dict) else item.sequence for item in items]


# Search: each filter alone and combined ---------------------------------------------------------

FILTERS: list[tuple[dict[str, Any], Callable[[dict[str, Any]], bool]]] = [
    ({}, lambda e: True),
    ({"action": "withdraw"}, lambda e: e["action"] == "withdraw"),
    ({"action": "opt_out"}, lambda e: e["action"] == "opt_out"),
    ({"region": "de"}, lambda e: e["region"] == "DE"),
    ({"region": "US-CA"}, lambda e: e["region"] == "US-CA"),
    ({"language": "en"}, lambda e: e["language"] == "en"),
    ({"source": "api"}, lambda e: e["source"] == "api"),
    ({"source": "gpc"}, lambda e: e["source"] == "gpc"),
    ({"category": "analytics=true"}, lambda e: e["categories"].get("analytics") is True),
    ({"category": "marketing=false"}, lambda e: e["categories"].get("marketing") is False),
    ({"from": "2026-03-05"}, lambda e: e["created_at"] >= datetime(2026, 3, 5, tzinfo=UTC)),
    ({"to": "2026-03-04"}, lambda e: e["created_at"] < datetime(2026, 3, 5, tzinfo=UTC)),
    (
        {"from": "2026-03-03T09:00:00Z", "to": "2026-03-06T09:00:00+00:00"},
        lambda e: (
            datetime(2026, 3, 3, 9, tzinfo=UTC)
            <= e["created_at"]
            <= datetime(2026, 3, 6, 9, tzinfo=UTC)
        ),
    ),
    (
        {"action": "accept_all", "language": "vi", "region": "VN"},
        lambda e: (e["action"], e["language"], e["region"]) == ("accept_all", "vi", "VN"),
    ),
    (
        {"category": ["analytics=true", "marketing=true"], "from": "2026-03-02"},
        lambda e: (
            e["categories"].get("analytics") is True
            and e["categories"].get("marketing") is True
            and e["created_at"] >= datetime(2026, 3, 2, tzinfo=UTC)
        ),
    ),
    ({"region": "BR"}, lambda e: False),
]


@pytest.mark.parametrize(("query", "wanted"), FILTERS, ids=[str(q) for q, _ in FILTERS])
def test_each_filter_alone_and_combined_finds_exactly_its_events(
    console: FlaskClient,
    site: Site,
    history: list[dict[str, Any]],
    query: dict[str, Any],
    wanted: Callable[[dict[str, Any]], bool],
) -> None:
    headers = bearer(member(site, "viewer@shop.vn", "viewer"))
    expected = [event["sequence"] for event in history if wanted(event)]
    found = all_pages(console, site, headers, query, limit=3)
    assert sequences(found) == expected
    if expected:
        assert len(expected) < len(history) or not query


def test_a_visitor_is_found_by_signed_or_raw_id_and_items_carry_what_the_owner_needs(
    console: FlaskClient, site: Site, history: list[dict[str, Any]]
) -> None:
    headers = bearer(member(site, "viewer@shop.vn", "viewer"))
    first = history[-1]
    mine = [event["sequence"] for event in history if event["visitor"] == first["visitor"]]
    assert len(mine) == 3
    # Signed, raw, or as a CSV export shows an ID starting with "-" (after an apostrophe).
    for given in (first["signed"], first["visitor"], "'" + first["signed"]):
        found = all_pages(console, site, headers, {"visitor_id": given}, limit=50)
        assert sequences(found) == mine
    item = all_pages(console, site, headers, {"visitor_id": first["signed"]}, limit=50)[-1]
    assert item["visitor_id"] == first["signed"]
    assert item["recorded_at"] == "2026-03-01T09:00:00.000Z"
    assert item["action"] == "accept_all" and item["policy_version"] == "1.0"
    assert item["categories"] == {"essential": True, "analytics": True, "marketing": True}
    assert (item["region"], item["language"], item["source"]) == ("VN", "vi", "banner")
    assert item["url"] == "https://shop.example/p/0"
    assert item["receipt_url"] == (
        f"http://localhost/receipt/{site.site_key}/{first['signed']}?event={first['sequence']}"
    )
    receipt = console.get(item["receipt_url"].removeprefix("http://localhost"))
    assert receipt.status_code == 200 and "accept" in receipt.get_data(as_text=True).lower()


def test_another_sites_visitor_id_is_refused(
    console: FlaskClient, site: Site, make_site: SiteFactory, history: list[dict[str, Any]]
) -> None:
    other = make_site(name="Other", domains=("other.example",))
    theirs = record(other, at=START).visitor_id
    headers = bearer(member(site, "viewer@shop.vn", "viewer"))
    for given in (theirs, history[0]["signed"][:-2] + "xx"):
        response = console.get(log_url(site), query_string={"visitor_id": given}, headers=headers)
        assert response.status_code == 400
        assert response.mimetype == "application/problem+json"
        assert list(response.get_json()["errors"]) == ["visitor_id"]
        detail = console.get(
            f"/api/v1/admin/sites/{site.site_key}/visitors/{given}", headers=headers
        )
        assert detail.status_code == 400 and "visitor_id" in detail.get_json()["errors"]
    with pytest.raises(LogSearchError) as refused:
        search_log(site, LogFilters(visitor_id=theirs))
    assert refused.value.status == 400


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"action": "approve"}, "action"),
        ({"source": "email"}, "source"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"from": "2026-03-05", "to": "2026-03-01"}, "to"),
        ({"category": "analytics"}, "category"),
        ({"category": "Analytics=yes"}, "category"),
        ({"region": "Vietnam"}, "region"),
        ({"language": "=1+1"}, "language"),
        ({"visitor_id": "not an id"}, "visitor_id"),
        ({"limit": "500"}, "limit"),
        ({"limit": "0"}, "limit"),
    ],
)
def test_bad_filters_answer_422_naming_the_field(
    console: FlaskClient, site: Site, query: dict[str, str], field: str
) -> None:
    headers = bearer(member(site, "viewer@shop.vn", "viewer"))
    response = console.get(log_url(site), query_string=query, headers=headers)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    # A repeated parameter may be named with its position (category.0).
    assert {name.split(".")[0] for name in response.get_json()["errors"]} == {field}


# Keyset pages ------------------------------------------------------------------------------------


def test_pages_cover_every_event_once_in_order_while_new_events_arrive(
    console: FlaskClient, site: Site
) -> None:
    # Several events share a time: the cursor's id breaks the tie.
    visitor = None
    for index in range(23):
        at = START + timedelta(minutes=index // 3)
        visitor = record(site, at=at, visitor_id=visitor if index % 2 else None).visitor_id
    expected = (
        db.session.execute(
            sa.select(ConsentEvent.sequence).order_by(
                ConsentEvent.created_at.desc(), ConsentEvent.id.desc()
            )
        )
        .scalars()
        .all()
    )
    headers = bearer(member(site, "viewer@shop.vn", "viewer"))
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        args: dict[str, Any] = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        body = console.get(log_url(site), query_string=args, headers=headers).get_json()
        seen.extend(sequences(body["items"]))
        pages += 1
        # New choices arrive between pages (now, after every event paged through).
        record(site, at=datetime.now(UTC))
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == list(expected)
    assert pages == 6
    # The newest page now starts with what arrived meanwhile.
    newest = console.get(log_url(site), query_string={"limit": 1}, headers=headers).get_json()
    assert newest["items"][0]["sequence"] == 23 + pages


def test_a_tampered_or_foreign_cursor_is_refused(
    console: FlaskClient, site: Site, make_site: SiteFactory
) -> None:
    for index in range(3):
        record(site, at=START + timedelta(minutes=index))
    other = make_site(name="Other", domains=("other.example",))
    for index in range(3):
        record(other, at=START + timedelta(minutes=index))
    user = member(site, "viewer@shop.vn", "viewer")
    set_role(user, other, "viewer")
    db.session.commit()
    headers = bearer(user)
    cursor = console.get(log_url(site), query_string={"limit": 1}, headers=headers).get_json()[
        "next_cursor"
    ]
    foreign = console.get(log_url(other), query_string={"limit": 1}, headers=headers).get_json()[
        "next_cursor"
    ]
    assert cursor and foreign
    payload, signature = cursor.rsplit(".", 1)
    tampered = [cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB"), "garbage", foreign]
    tampered.append(
        payload.replace(payload[2], "x" if payload[2] != "x" else "y") + "." + signature
    )
    for token in tampered:
        response = console.get(log_url(site), query_string={"cursor": token}, headers=headers)
        assert response.status_code == 400, token
        assert list(response.get_json()["errors"]) == ["cursor"]
    assert (
        console.get(log_url(site), query_string={"cursor": cursor}, headers=headers).status_code
        == 200
    )


# Export ------------------------------------------------------------------------------------------


def audit_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "cookieconsent.audit"]


@pytest.mark.parametrize("query", [{}, {"region": "VN"}, {"category": "analytics=false"}])
def test_export_csv_and_ndjson_hold_exactly_the_search(
    console: FlaskClient,
    site: Site,
    history: list[dict[str, Any]],
    query: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    editor = member(site, "editor@shop.vn", "editor")
    headers = bearer(editor)
    searched = all_pages(console, site, headers, query, limit=5)
    assert searched
    caplog.set_level(logging.INFO, logger="cookieconsent.audit")

    ndjson = console.get(
        log_url(site, "/export"), query_string={**query, "format": "ndjson"}, headers=headers
    )
    assert ndjson.status_code == 200
    assert ndjson.is_streamed
    assert ndjson.mimetype == "application/x-ndjson"
    assert ndjson.headers["Content-Disposition"].startswith('attachment; filename="consent-log-')
    lines = ndjson.get_data(as_text=True).splitlines()
    assert [json.loads(line) for line in lines] == searched

    exported = console.get(
        log_url(site, "/export"), query_string={**query, "format": "csv"}, headers=headers
    )
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    raw = exported.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [int(row["sequence"]) for row in rows] == sequences(searched)
    for row, item in zip(rows, searched, strict=True):
        for column in ("recorded_at", "visitor_id", "action", "region", "receipt_url", "url"):
            # A visitor ID may start with "-": the CSV shows it after an apostrophe.
            assert row[column] == csv_safe(item[column])
        assert json.loads(row["categories"]) == item["categories"]
        for name in ("analytics", "marketing"):
            assert row[f"category.{name}"] == str(item["categories"][name]).lower()

    lines = audit_lines(caplog)
    assert len(lines) == 4, lines
    assert all(f"<{editor.email}>" in line and site.site_key in line for line in lines)
    assert "as ndjson" in lines[0] and f"{len(searched)} rows" in lines[1]
    for name, value in query.items():
        assert f'"{name}"' in lines[0] and str(value) in lines[0]


def test_csv_cells_never_run_as_formulas(
    console: FlaskClient, site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    for formula in ('=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rx"):
        assert csv_safe(formula) == "'" + formula
    assert csv_safe("vi") == "vi" and csv_safe(None) == "" and csv_safe(False) == "false"
    # A language as an old client could have stored it, unchecked.
    record(site, at=START, language="=cmd|'/c calc'!A0")
    headers = bearer(member(site, "owner@shop.vn", "owner"))
    exported = console.get(
        log_url(site, "/export"), query_string={"format": "csv"}, headers=headers
    )
    row = next(csv.DictReader(io.StringIO(exported.get_data().decode("utf-8-sig"))))
    assert row["language"] == "'=cmd|'/c calc'!A0"
    assert all(not value.startswith(("=", "+", "-", "@")) for value in row.values())


def test_a_viewer_may_search_but_not_export_and_nothing_is_logged(
    console: FlaskClient,
    site: Site,
    history: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="cookieconsent.audit")
    viewer = member(site, "viewer@shop.vn", "viewer")
    headers = bearer(viewer)
    assert console.get(log_url(site), headers=headers).status_code == 200
    before = table_counts()
    for export_format in ("csv", "ndjson"):
        response = console.get(
            log_url(site, "/export"), query_string={"format": export_format}, headers=headers
        )
        assert response.status_code == 403
        assert response.mimetype == "application/problem+json"
    console.post(
        "/admin/sign-in",
        data={"csrf_token": csrf_token(console), "email": viewer.email, "password": PASSWORD},
    )
    page = console.get(f"/admin/sites/{site.site_key}/log").get_data(as_text=True)
    assert "/log/export" not in page, "no export buttons for a viewer"
    forbidden = console.post(
        f"/admin/sites/{site.site_key}/log/export",
        data={"csrf_token": csrf_token(console, f"/admin/sites/{site.site_key}/"), "format": "csv"},
    )
    assert forbidden.status_code == 403
    assert audit_lines(caplog) == []
    assert table_counts()["consent_events"] == before["consent_events"]


def test_a_non_member_gets_404_everywhere_and_learns_nothing(
    console: FlaskClient,
    site: Site,
    make_site: SiteFactory,
    history: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="cookieconsent.audit")
    other = make_site(name="Other", domains=("other.example",))
    stranger = member(other, "owner@other.vn", "owner")
    headers = bearer(stranger)
    visitor = history[0]["signed"]
    for path in (
        log_url(site),
        log_url(site, "/export?format=csv"),
        f"/api/v1/admin/sites/{site.site_key}/visitors/{visitor}",
    ):
        response = console.get(path, headers=headers)
        assert response.status_code == 404, path
        assert response.mimetype == "application/problem+json"
        assert visitor not in response.get_data(as_text=True)
    console.post(
        "/admin/sign-in",
        data={"csrf_token": csrf_token(console), "email": stranger.email, "password": PASSWORD},
    )
    assert console.get(f"/admin/sites/{site.site_key}/log").status_code == 404
    assert console.get(f"/admin/sites/{site.site_key}/visitors/{visitor}").status_code == 404
    token = csrf_token(console, f"/admin/sites/{other.site_key}/")
    refused = console.post(
        f"/admin/sites/{site.site_key}/log/export", data={"csrf_token": token, "format": "csv"}
    )
    assert refused.status_code == 404
    assert audit_lines(caplog) == []
    assert console.get(log_url(site), headers={"Authorization": "Bearer nope"}).status_code == 401


# A visitor ---------------------------------------------------------------------------------------


def test_a_visitors_page_shows_their_history_and_receipt_links(
    console: FlaskClient, site: Site, history: list[dict[str, Any]]
) -> None:
    viewer = member(site, "viewer@shop.vn", "viewer")
    headers = bearer(viewer)
    chosen = history[0]
    theirs = [e for e in reversed(history) if e["visitor"] == chosen["visitor"]]
    body = console.get(
        f"/api/v1/admin/sites/{site.site_key}/visitors/{chosen['signed']}", headers=headers
    ).get_json()
    assert body["visitor_id"] == chosen["signed"]
    assert sequences(body["events"]) == [e["sequence"] for e in theirs]
    assert body["decided"] is True and body["categories"] == chosen["categories"]
    assert body["receipt_url"].endswith(f"?event={chosen['sequence']}")
    assert all(f"?event={e['sequence']}" in e["receipt_url"] for e in body["events"])
    raw = console.get(
        f"/api/v1/admin/sites/{site.site_key}/visitors/{chosen['visitor']}", headers=headers
    )
    assert raw.get_json()["visitor_id"] == chosen["signed"]
    unknown = sign_visitor_id(SECRET_KEYS, site.site_key, "A" * 22)
    missing = console.get(
        f"/api/v1/admin/sites/{site.site_key}/visitors/{unknown}", headers=headers
    )
    assert missing.status_code == 404

    console.post(
        "/admin/sign-in",
        data={"csrf_token": csrf_token(console), "email": viewer.email, "password": PASSWORD},
    )
    page = console.get(f"/admin/sites/{site.site_key}/visitors/{chosen['signed']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert chosen["signed"] in html
    for event in theirs:
        assert f"/receipt/{site.site_key}/{chosen['signed']}?event={event['sequence']}" in html
    assert console.get(f"/admin/sites/{site.site_key}/visitors/{unknown}").status_code == 404
    assert console.get(f"/admin/sites/{site.site_key}/visitors/forged.id").status_code == 400


def test_an_erased_visitor_stays_in_the_log_without_their_id(
    console: FlaskClient, site: Site
) -> None:
    decision = record(site, at=START)
    record(site, at=START + timedelta(minutes=1))
    raw = verify_visitor_id(SECRET_KEYS, site.site_key, decision.visitor_id)
    erase_visitor(site, raw, decision.visitor_id)
    page = search_log(site, LogFilters())
    assert [item.visitor_id is None for item in page.items] == [False, True]
    assert page.items[1].receipt_path is None and page.items[1].url is None
    assert search_log(site, parse_filters({"visitor_id": decision.visitor_id})).items == []


# The console -------------------------------------------------------------------------------------


def csrf_token(client: FlaskClient, path: str = "/admin/sign-in") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, user: User) -> None:
    response = client.post(
        "/admin/sign-in",
        data={"csrf_token": csrf_token(client), "email": user.email, "password": PASSWORD},
    )
    assert response.status_code == 302


def test_the_console_log_searches_pages_and_exports(
    console: FlaskClient,
    site: Site,
    history: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="cookieconsent.audit")
    editor = member(site, "editor@shop.vn", "editor")
    sign_in(console, editor)
    url = f"/admin/sites/{site.site_key}/log"
    first = console.get(url)
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert "unsafe-inline" not in first.headers["Content-Security-Policy"]
    for name in ("visitor_id", "from", "to", "action", "category", "region", "language", "source"):
        assert f'name="{name}"' in html
    assert '<th scope="col">' in html and "/log/export" in html
    shown = re.findall(r"\?event=(\d+)", html)
    assert [int(s) for s in shown] == [e["sequence"] for e in history]
    assert 'rel="next"' not in html, "twelve events fit on one page"

    filtered = console.get(url, query_string={"region": "VN", "action": "accept_all"})
    shown = [int(s) for s in re.findall(r"\?event=(\d+)", filtered.get_data(as_text=True))]
    assert shown == [
        e["sequence"] for e in history if (e["region"], e["action"]) == ("VN", "accept_all")
    ]
    refused = console.get(url, query_string={"from": "someday"})
    assert refused.status_code == 422
    assert 'id="log-from-error"' in refused.get_data(as_text=True)
    broken = console.get(url, query_string={"cursor": "nope"})
    assert broken.status_code == 400 and 'role="alert"' in broken.get_data(as_text=True)

    nothing = console.get(url, query_string={"region": "BR"}).get_data(as_text=True)
    assert 'class="empty"' in nothing and "/log/export" not in nothing

    token = csrf_token(console, url)
    no_token = console.post(f"{url}/export", data={"format": "csv", "region": "VN"})
    assert no_token.status_code == 400
    assert audit_lines(caplog) == []
    exported = console.post(
        f"{url}/export", data={"csrf_token": token, "format": "ndjson", "region": "VN"}
    )
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"].startswith("attachment;")
    lines = [json.loads(line) for line in exported.get_data(as_text=True).splitlines()]
    assert sequences(lines) == [e["sequence"] for e in history if e["region"] == "VN"]
    assert any("in the console" in line and "ndjson" in line for line in audit_lines(caplog))


def test_the_console_log_pages_with_an_older_link(console: FlaskClient, site: Site) -> None:
    for index in range(55):
        record(site, at=START + timedelta(seconds=index), language="vi")
    sign_in(console, member(site, "viewer@shop.vn", "viewer"))
    url = f"/admin/sites/{site.site_key}/log"
    html = console.get(url, query_string={"language": "vi"}).get_data(as_text=True)
    assert len(re.findall(r"\?event=(\d+)", html)) == 50
    older = re.search(r'href="([^"]+)" rel="next"', html)
    assert older is not None
    link = older.group(1).replace("&amp;", "&")
    assert "cursor=" in link and "language=vi" in link and "offset" not in link
    second = console.get(link).get_data(as_text=True)
    assert [int(s) for s in re.findall(r"\?event=(\d+)", second)] == [5, 4, 3, 2, 1]
    assert 'rel="next"' not in second


def test_the_console_log_says_what_to_do_when_empty(console: FlaskClient, site: Site) -> None:
    sign_in(console, member(site, "owner@shop.vn", "owner"))
    html = console.get(f"/admin/sites/{site.site_key}/log").get_data(as_text=True)
    assert 'class="empty"' in html
    assert f"/admin/sites/{site.site_key}/" in html


def test_a_refused_cursor_says_what_is_wrong_in_its_detail(client: FlaskClient, site: Site) -> None:
    """The problem's detail names the field and why, not Werkzeug's generic 400 text."""
    user = create_user("detail@shop.example", "a long enough password")
    set_role(user, site, "owner")
    db.session.commit()
    _, token = issue_token(user, "detail")
    response = client.get(
        f"/api/v1/admin/sites/{site.site_key}/log?cursor=garbage",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    problem = response.get_json()
    assert problem["detail"].startswith("cursor: ")
    assert "browser (or proxy)" not in problem["detail"]
    assert problem["errors"]["cursor"]

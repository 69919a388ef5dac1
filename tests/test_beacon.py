"""The "banner shown" beacon (``POST /c/<key>/shown``) and where the widget was last seen."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from cookieconsent.extensions import db, limiter
from cookieconsent.models import BannerCount, Site
from cookieconsent.services import beacon
from cookieconsent.services.beacon import count_banner_shown, note_last_seen

from .conftest import SiteFactory, _config, table_counts

ORIGIN = "https://shop.example"
VISITOR_ADDRESS = "203.0.113.77"


@pytest.fixture(autouse=True)
def _fresh_memo() -> Iterator[None]:
    beacon.forget_last_seen_memo()
    yield
    beacon.forget_last_seen_memo()


def shown(
    client: FlaskClient,
    site: Site,
    body: Any = None,
    *,
    origin: str | None = ORIGIN,
    raw: bytes | None = None,
) -> Any:
    headers = {"Content-Type": "text/plain;charset=UTF-8"}
    if origin is not None:
        headers["Origin"] = origin
    data = raw if raw is not None else json.dumps(body or {"region": "VN", "language": "vi"})
    return client.post(
        f"/c/{site.site_key}/shown",
        data=data,
        headers=headers,
        environ_base={"REMOTE_ADDR": VISITOR_ADDRESS},
    )


def counts(site: Site) -> dict[tuple[date, str, str], int]:
    rows = db.session.execute(sa.select(BannerCount).where(BannerCount.site_id == site.id))
    return {(row.day, row.region, row.language): row.shown for row in rows.scalars()}


def test_each_beacon_counts_once_per_day_region_and_language(
    client: FlaskClient, site: Site
) -> None:
    today = datetime.now(UTC).date()
    answers = [
        shown(client, site, {"region": "VN", "language": "vi"}),
        shown(client, site, {"region": "VN", "language": "vi"}),
        shown(client, site, {"region": "VN", "language": "en"}),
        shown(client, site, {"region": "US-CA", "language": "en"}),
        shown(client, site, {"region": None, "language": "en"}),
    ]
    assert [answer.status_code for answer in answers] == [204] * 5
    assert answers[0].data == b""
    assert answers[0].headers["Access-Control-Allow-Origin"] == ORIGIN
    db.session.expire_all()
    assert counts(site) == {
        (today, "VN", "vi"): 2,
        (today, "VN", "en"): 1,
        (today, "US-CA", "en"): 1,
        (today, "", "en"): 1,
    }


def test_counts_are_kept_per_utc_day(app: Flask, site: Site) -> None:
    count_banner_shown(site.id, "VN", "vi", date(2025, 1, 1))
    count_banner_shown(site.id, "VN", "vi", date(2025, 1, 1))
    count_banner_shown(site.id, "VN", "vi", date(2025, 1, 2))
    db.session.commit()
    assert counts(site) == {(date(2025, 1, 1), "VN", "vi"): 2, (date(2025, 1, 2), "VN", "vi"): 1}
    # Days are UTC days: 06:30 on the 3rd in Hanoi (UTC+7) is still the 2nd.
    hanoi = timezone(timedelta(hours=7))
    assert beacon.utc_day(datetime(2025, 1, 3, 6, 30, tzinfo=hanoi)) == date(2025, 1, 2)
    assert beacon.utc_day(datetime(2025, 1, 3, 7, 30, tzinfo=hanoi)) == date(2025, 1, 3)


def test_nothing_identifying_is_stored(client: FlaskClient, site: Site) -> None:
    """Counts only: the table has no room for an ID or an address, and no row holds one."""
    response = client.post(
        f"/c/{site.site_key}/shown",
        data=json.dumps({"region": "VN", "language": "vi"}),
        headers={"Origin": ORIGIN, "Cookie": "cookieconsent_x=visitor"},
        environ_base={"REMOTE_ADDR": VISITOR_ADDRESS},
    )
    assert response.status_code == 204
    assert "Set-Cookie" not in response.headers
    columns = {column["name"] for column in sa.inspect(db.engine).get_columns("banner_counts")}
    assert columns == {"site_id", "day", "region", "language", "shown"}
    everything = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)):
            everything.append(repr(tuple(row)))
    dump = "\n".join(everything)
    assert VISITOR_ADDRESS not in dump
    assert "203.0.113" not in dump
    assert "visitor" not in dump.lower().replace("visitor_id", "")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"region": "VN"}, "language"),
        ({"region": "VN", "language": "fr"}, "language"),
        ({"region": "VN", "language": 7}, "language"),
        ({"region": "vietnam", "language": "vi"}, "region"),
        ({"region": ["VN"], "language": "vi"}, "region"),
        ({"region": "VN", "language": "vi", "visitor_id": "abc"}, "visitor_id"),
        (["VN", "vi"], "body"),
        ("VN", "body"),
    ],
)
def test_junk_is_refused_with_the_field_named(
    client: FlaskClient, site: Site, body: Any, field: str
) -> None:
    before = table_counts()
    response = shown(client, site, raw=json.dumps(body).encode())
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]
    assert table_counts() == before


@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe", b"null"])
def test_a_body_that_is_not_json_is_refused(client: FlaskClient, site: Site, raw: bytes) -> None:
    before = table_counts()
    response = shown(client, site, raw=raw)
    assert response.status_code == 422
    assert "body" in response.get_json()["errors"]
    assert table_counts() == before


def test_a_large_body_is_refused(client: FlaskClient, site: Site) -> None:
    before = table_counts()
    body = json.dumps({"region": "VN", "language": "vi", "pad": "x" * 600})
    response = shown(client, site, raw=body.encode())
    assert response.status_code == 413
    assert table_counts() == before


@pytest.mark.parametrize(
    "origin", [None, "https://evil.example", "null", "https://shop.example.evil"]
)
def test_only_the_sites_own_pages_may_count(
    client: FlaskClient, site: Site, origin: str | None
) -> None:
    before = table_counts()
    response = shown(client, site, origin=origin)
    assert response.status_code == 403
    assert "origin" in response.get_json()["errors"]
    assert table_counts() == before
    db.session.expire_all()
    assert db.session.get(Site, site.id).last_seen_at is None


def test_an_unknown_site_is_404(client: FlaskClient, site: Site) -> None:
    response = client.post(
        "/c/nosuchsite1/shown", data="{}", headers={"Origin": ORIGIN, "Content-Type": "text/plain"}
    )
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_the_beacon_notes_where_the_widget_was_last_seen(client: FlaskClient, site: Site) -> None:
    updated = site.updated_at
    assert shown(client, site).status_code == 204
    db.session.expire_all()
    stored = db.session.get(Site, site.id)
    assert stored.last_seen_origin == ORIGIN
    assert stored.last_seen_at is not None
    assert datetime.now(UTC) - stored.last_seen_at < timedelta(minutes=1)
    # Being seen is not a change of the configuration.
    assert stored.updated_at == updated


def test_the_region_request_notes_it_too(client: FlaskClient, site: Site) -> None:
    response = client.get(f"/api/v1/sites/{site.site_key}/region", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Site, site.id).last_seen_origin == ORIGIN
    # A foreign page's request is answered, but is no sign of the widget on the site.
    other = db.session.get(Site, site.id)
    other.last_seen_origin = None
    other.last_seen_at = None
    db.session.commit()
    beacon.forget_last_seen_memo()
    client.get(f"/api/v1/sites/{site.site_key}/region", headers={"Origin": "https://evil.example"})
    db.session.expire_all()
    assert db.session.get(Site, site.id).last_seen_origin is None


class SiteWrites:
    """Counts the UPDATE statements on ``sites`` sent to the database."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE SITES"):
            self.count += 1


@pytest.fixture
def site_writes(app: Flask) -> Iterator[SiteWrites]:
    counter = SiteWrites()
    sa.event.listen(db.engine, "before_cursor_execute", counter)
    yield counter
    sa.event.remove(db.engine, "before_cursor_execute", counter)


def test_last_seen_is_written_at_most_once_a_minute(
    client: FlaskClient, site: Site, site_writes: SiteWrites
) -> None:
    for _ in range(20):
        assert shown(client, site).status_code == 204
        client.get(f"/api/v1/sites/{site.site_key}/region", headers={"Origin": ORIGIN})
    # Twenty beacons and twenty region requests: one statement, the rest spared by the memo.
    assert site_writes.count == 1
    db.session.expire_all()
    assert counts(site)[(datetime.now(UTC).date(), "VN", "vi")] == 20


def test_the_update_itself_refuses_a_write_within_the_minute(
    app: Flask, site: Site, site_writes: SiteWrites
) -> None:
    """Another process (no shared memo) cannot write more often: the WHERE clause checks."""
    start = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    assert note_last_seen(site.id, "https://a.shop.example", now=start) is True
    db.session.commit()
    beacon.forget_last_seen_memo()
    late = start + timedelta(seconds=59)
    assert note_last_seen(site.id, "https://b.shop.example", now=late) is False
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Site, site.id).last_seen_origin == "https://a.shop.example"
    assert note_last_seen(site.id, "https://b.shop.example", now=start + timedelta(seconds=60))
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Site, site.id)
    assert (stored.last_seen_origin, stored.last_seen_at) == (
        "https://b.shop.example",
        start + timedelta(seconds=60),
    )
    assert site_writes.count == 3


def test_concurrent_beacons_lose_no_count(app: Flask, database_url: str, site: Site) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent writers: PostgreSQL (SQLite serialises writers in one file)")
    threads, each = 8, 25
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def send() -> None:
        client = app.test_client()
        barrier.wait()
        for _ in range(each):
            with app.app_context():
                status = shown(client, site).status_code
            with lock:
                statuses.append(status)

    workers = [threading.Thread(target=send) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert statuses == [204] * threads * each
    db.session.expire_all()
    assert counts(site) == {(datetime.now(UTC).date(), "VN", "vi"): threads * each}


def test_beacons_are_rate_limited_per_address(database_url: str, make_site: SiteFactory) -> None:
    from cookieconsent import create_app

    site = make_site()
    limited = create_app(
        _config(database_url, RATELIMIT_ENABLED=True, RATELIMIT_BEACON="3 per minute")
    )
    with limited.app_context():
        limiter.reset()
        client = limited.test_client()
        statuses = [shown(client, site).status_code for _ in range(4)]
        assert statuses == [204, 204, 204, 429]
        db.session.remove()
        db.engine.dispose()
    assert counts(site) == {(datetime.now(UTC).date(), "VN", "vi"): 3}

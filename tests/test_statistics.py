"""Statistics: banners shown, decisions by kind, opt-in rates per day, region and language."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import pytest
from flask.testing import FlaskClient

from cookieconsent.extensions import db
from cookieconsent.models import BannerCount, ConsentEvent, Site
from cookieconsent.services.accounts import issue_token
from cookieconsent.services.statistics import (
    InvalidPeriod,
    Period,
    csv_cell,
    daily_csv,
    make_period,
    site_statistics,
)

from .conftest import SiteFactory, table_counts
from .test_console_accounts import member, sign_in

_visitors = itertools.count(1)
ALL = {"essential": True, "analytics": True, "marketing": True}
NONE = {"essential": True, "analytics": False, "marketing": False}
ANALYTICS = {"essential": True, "analytics": True, "marketing": False}


def event(
    site: Site,
    at: datetime,
    action: str,
    categories: dict[str, bool] | None = None,
    *,
    region: str | None = "VN",
    language: str | None = "vi",
    gpc: bool = False,
) -> None:
    """One consent event, written as the service writes its columns."""
    values = categories if categories is not None else (ALL if action == "accept_all" else NONE)
    db.session.add(
        ConsentEvent(
            site_id=site.id,
            visitor_id=f"v{next(_visitors)}",
            action=action,
            decided=action not in {"withdraw"},
            categories=values,
            services={},
            policy_version="1.0",
            language=language,
            region=region,
            gpc=gpc,
            source="gpc" if gpc else "banner",
            created_at=at,
        )
    )


def shown(site: Site, day: date, count: int, region: str = "VN", language: str = "vi") -> None:
    """Banner counts as the beacon files them."""
    db.session.add(
        BannerCount(site_id=site.id, day=day, region=region, language=language, shown=count)
    )


def at(day: date, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


D1, D2, D3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)


@pytest.fixture
def history(site: Site, make_site: SiteFactory) -> Site:
    """Three days of a site's banner counts and decisions, and another site's noise."""
    shown(site, D1, 10)
    shown(site, D1, 4, region="DE", language="en")
    shown(site, D2, 5)
    shown(site, D3, 7, region="", language="")
    # Day 1: two accept all, one reject all, one custom (analytics only), from VN in vi;
    # one accept all from DE in en.
    event(site, at(D1, 0, 0, 0), "accept_all")
    event(site, at(D1, 9), "accept_all")
    event(site, at(D1, 10), "reject_all")
    event(site, at(D1, 23, 59, 59), "save", ANALYTICS)
    event(site, at(D1, 11), "accept_all", region="DE", language="en")
    # Day 2: a withdrawal, a GPC opt-out, a Do-Not-Sell opt-out, a custom choice refusing all.
    event(site, at(D2, 0, 0, 0), "withdraw", NONE)
    event(site, at(D2, 8), "opt_out", ANALYTICS, region="US-CA", language="en", gpc=True)
    event(site, at(D2, 9), "opt_out", ANALYTICS, region="US-CA", language="en")
    event(site, at(D2, 10), "save", NONE, region=None, language=None)
    # Outside the period, on either side.
    event(site, at(D1, 0, 0, 0) - timedelta(microseconds=1000), "accept_all")
    event(site, at(D3 + timedelta(days=1), 0, 0, 0), "accept_all")
    shown(site, D1 - timedelta(days=1), 100)
    shown(site, D3 + timedelta(days=1), 100)
    # Another site on the same days: never counted.
    other = make_site(name="Other", domains=("other.example",))
    for day in (D1, D2, D3):
        shown(other, day, 1000)
        event(other, at(day), "accept_all")
        event(other, at(day), "reject_all")
    db.session.commit()
    return site


PERIOD = Period(D1, D3)


def test_counts_per_day_are_exact(history: Site) -> None:
    stats = site_statistics(history, PERIOD)
    assert stats.categories == ("analytics", "marketing")
    assert [t.key for t in stats.days] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert [t.banners_shown for t in stats.days] == [14, 5, 7]
    assert [t.decisions.as_dict() for t in stats.days] == [
        {"accept_all": 3, "reject_all": 1, "custom": 1, "withdraw": 0, "gpc_opt_out": 0,
         "opt_out": 0},
        {"accept_all": 0, "reject_all": 0, "custom": 1, "withdraw": 1, "gpc_opt_out": 1,
         "opt_out": 1},
        {"accept_all": 0, "reject_all": 0, "custom": 0, "withdraw": 0, "gpc_opt_out": 0,
         "opt_out": 0},
    ]  # fmt: skip
    totals = stats.totals
    assert totals.banners_shown == 26
    assert totals.decisions.total == 9
    assert totals.decisions.choices == 6
    assert not stats.empty


def test_opt_in_rates_count_choices_only(history: Site) -> None:
    stats = site_statistics(history, PERIOD)
    # Choices: 3 accept all, 1 reject all, custom analytics-only, custom refusing all.
    assert stats.totals.allowed == {"analytics": 4, "marketing": 3}
    assert stats.totals.opt_in_rates(stats.categories) == {
        "analytics": pytest.approx(4 / 6),
        "marketing": pytest.approx(3 / 6),
    }
    day1, day2, day3 = stats.days
    assert day1.opt_in_rate("analytics") == pytest.approx(4 / 5)
    assert day1.opt_in_rate("marketing") == pytest.approx(3 / 5)
    # The withdrawal and the opt-outs (with analytics on) are not choices.
    assert day2.opt_in_rate("analytics") == 0.0
    assert day3.opt_in_rate("analytics") is None


def test_split_by_region_and_by_language(history: Site) -> None:
    stats = site_statistics(history, PERIOD)
    regions = {t.key: t for t in stats.by_region}
    assert set(regions) == {"VN", "DE", "US-CA", ""}
    assert regions["VN"].banners_shown == 15 and regions["VN"].decisions.total == 5
    assert regions["VN"].opt_in_rate("analytics") == pytest.approx(3 / 4)
    assert regions["DE"].banners_shown == 4 and regions["DE"].decisions.accept_all == 1
    assert regions["US-CA"].decisions.gpc_opt_out == 1 and regions["US-CA"].decisions.opt_out == 1
    assert regions["US-CA"].opt_in_rate("analytics") is None
    assert regions[""].banners_shown == 7 and regions[""].decisions.custom == 1
    languages = {t.key: t for t in stats.by_language}
    assert languages["vi"].banners_shown == 15 and languages["vi"].decisions.total == 5
    assert languages["en"].banners_shown == 4 and languages["en"].decisions.total == 3
    assert stats.by_region[0].key == "VN", "the busiest first"


def test_period_bounds_are_inclusive_utc_days(history: Site) -> None:
    one_day = site_statistics(history, Period(D1, D1))
    # 00:00:00.000 and 23:59:59 of the day are in it; 23:59:59.999 the day before is not.
    assert one_day.totals.decisions.total == 5
    assert one_day.totals.banners_shown == 14
    before = site_statistics(history, Period(D1 - timedelta(days=1), D1 - timedelta(days=1)))
    assert before.totals.decisions.accept_all == 1 and before.totals.banners_shown == 100
    after = site_statistics(history, Period(D3 + timedelta(days=1), D3 + timedelta(days=1)))
    assert after.totals.decisions.accept_all == 1


def test_an_empty_period_has_every_day_at_zero(history: Site) -> None:
    stats = site_statistics(history, Period(date(2025, 1, 1), date(2025, 1, 7)))
    assert stats.empty
    assert len(stats.days) == 7
    assert all(t.banners_shown == 0 and t.decisions.total == 0 for t in stats.days)
    assert stats.by_region == [] and stats.by_language == []


def test_another_sites_data_is_never_counted(history: Site, make_site: SiteFactory) -> None:
    lonely = make_site(name="Lonely", domains=("lonely.example",))
    assert site_statistics(lonely, PERIOD).empty


def test_periods_are_checked() -> None:
    today = date(2026, 3, 10)
    assert make_period(None, None, today=today) == Period(date(2026, 2, 9), today)
    assert make_period(date(2025, 3, 10), date(2026, 3, 10)).length == 366
    with pytest.raises(InvalidPeriod) as after:
        make_period(D2, D1)
    assert "from" in after.value.errors
    with pytest.raises(InvalidPeriod) as long:
        make_period(date(2025, 3, 9), date(2026, 3, 10))
    assert "to" in long.value.errors


def test_csv_is_the_daily_table_and_safe_in_spreadsheets(history: Site) -> None:
    rows = list(csv.reader(io.StringIO(daily_csv(site_statistics(history, PERIOD)))))
    assert rows[0] == [
        "day", "banners_shown", "decisions", "accept_all", "reject_all", "custom", "withdraw",
        "gpc_opt_out", "opt_out", "opt_in_rate_analytics", "opt_in_rate_marketing",
    ]  # fmt: skip
    assert rows[1] == ["2026-03-01", "14", "5", "3", "1", "1", "0", "0", "0", "0.8", "0.6"]
    assert rows[3] == ["2026-03-03", "7", "0", "0", "0", "0", "0", "0", "0", "", ""]
    assert rows[4][:3] == ["total", "26", "9"]
    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx"):
        assert csv_cell(value).startswith("'")
    assert csv_cell(-1) == "-1" and csv_cell("VN") == "VN"


def test_real_consent_writes_are_counted(client: FlaskClient, site: Site) -> None:
    for action in ("accept_all", "reject_all"):
        response = client.post(
            f"/api/v1/sites/{site.site_key}/consents",
            json={"action": action, "language": "en"},
        )
        assert response.status_code == 201, response.get_json()
    today = datetime.now(UTC).date()
    stats = site_statistics(site, Period(today - timedelta(days=1), today + timedelta(days=1)))
    assert stats.totals.decisions.accept_all == 1 and stats.totals.decisions.reject_all == 1
    assert stats.totals.opt_in_rate("analytics") == 0.5
    assert [t.key for t in stats.by_language] == ["en"]


# The console page, its charts and its CSV file ------------------------------------------------


def page_url(site: Site, **query: str) -> str:
    args = "&".join(f"{key}={value}" for key, value in query.items())
    return f"/admin/sites/{site.site_key}/stats" + (f"?{args}" if args else "")


@pytest.mark.parametrize("role", ["viewer", "editor", "owner"])
def test_the_page_shows_the_figures_to_every_role(
    console: FlaskClient, history: Site, role: str
) -> None:
    member(history, "chu@shop.vn", role)
    sign_in(console, "chu@shop.vn")
    response = console.get(page_url(history, **{"from": "2026-03-01", "to": "2026-03-03"}))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-kpi="banners_shown">26<' in html
    assert 'data-kpi="decisions">9<' in html
    assert (
        f"/admin/sites/{history.site_key}/stats/activity.svg?from=2026-03-01&amp;to=2026-03-03"
        in html
    )
    assert (
        'id="daily-table"' in html and 'id="region-table"' in html and 'id="language-table"' in html
    )
    assert '<th scope="col"' in html and '<th scope="row"' in html
    assert "style=" not in html and "<script>" not in html
    policy = response.headers["Content-Security-Policy"]
    assert "style-src 'self'" in policy and "unsafe-inline" not in policy


def test_the_page_is_404_for_a_non_member_and_for_its_parts(
    console: FlaskClient, history: Site, make_site: SiteFactory
) -> None:
    mine = make_site(name="Mine", domains=("mine.example",))
    member(mine, "chu@shop.vn", "owner")
    sign_in(console, "chu@shop.vn")
    base = f"/admin/sites/{history.site_key}"
    for path in ("/stats", "/stats/activity.svg", "/stats.csv"):
        assert console.get(base + path).status_code == 404, path
    assert console.get(f"/admin/sites/{mine.site_key}/stats").status_code == 200


def test_an_empty_period_says_how_to_install_the_banner(console: FlaskClient, site: Site) -> None:
    member(site, "chu@shop.vn", "viewer")
    sign_in(console, "chu@shop.vn")
    html = console.get(page_url(site, range="7")).get_data(as_text=True)
    assert f"/c/{site.site_key}.js" in html
    assert 'id="empty-title"' in html and 'id="daily-table"' not in html
    assert 'aria-current="true">' in html


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"range": "custom", "from": "2026-03-05", "to": "2026-03-01"}, "from"),
        ({"range": "custom", "from": "2024-01-01", "to": "2026-03-01"}, "to"),
        ({"range": "custom", "from": "not-a-day", "to": "2026-03-01"}, "from"),
        ({"range": "custom", "from": "2026-03-01"}, "to"),
    ],
)
def test_a_bad_period_gets_a_message_on_its_field(
    console: FlaskClient, site: Site, query: dict[str, str], field: str
) -> None:
    member(site, "chu@shop.vn", "viewer")
    sign_in(console, "chu@shop.vn")
    response = console.get(page_url(site, **query))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert 'aria-invalid="true"' in html


@pytest.mark.parametrize("size", ["", "&size=narrow"])
@pytest.mark.parametrize("chart", ["activity", "decisions", "opt-in"])
def test_charts_are_svg_images_without_scripts(
    console: FlaskClient, history: Site, chart: str, size: str
) -> None:
    member(history, "chu@shop.vn", "viewer")
    sign_in(console, "chu@shop.vn")
    response = console.get(
        f"/admin/sites/{history.site_key}/stats/{chart}.svg?from=2026-03-01&to=2026-03-03{size}"
    )
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src" not in response.headers["Content-Security-Policy"]
    body = response.get_data()
    root = ElementTree.fromstring(body)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    text = body.decode()
    assert "<script" not in text and "javascript:" not in text
    assert "http://" not in text.replace("http://www.w3.org/", "").replace(
        "http://purl.org/dc/", ""
    ).replace("http://creativecommons.org/ns#", "")
    assert "<title>Pygal</title>" not in text
    assert (
        console.get(
            f"/admin/sites/{history.site_key}/stats/{chart}.svg?from=2026-03-09&to=2026-03-01"
        ).status_code
        == 400
    )


def test_the_csv_download(console: FlaskClient, history: Site) -> None:
    member(history, "chu@shop.vn", "viewer")
    sign_in(console, "chu@shop.vn")
    response = console.get(
        f"/admin/sites/{history.site_key}/stats.csv?from=2026-03-01&to=2026-03-03"
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[1][:3] == ["2026-03-01", "14", "5"] and rows[-1][:3] == ["total", "26", "9"]


# The admin API ---------------------------------------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_api_answers_the_same_figures(console: FlaskClient, history: Site) -> None:
    user = member(history, "chu@shop.vn", "viewer")
    _row, token = issue_token(user, "stats")
    response = console.get(
        f"/api/v1/admin/sites/{history.site_key}/stats?from=2026-03-01&to=2026-03-03",
        headers=bearer(token),
    )
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    assert body["from"] == "2026-03-01" and body["to"] == "2026-03-03"
    assert body["timezone"] == "UTC"
    assert body["categories"] == ["analytics", "marketing"]
    assert body["totals"]["banners_shown"] == 26
    assert body["totals"]["decisions"]["total"] == 9
    assert body["totals"]["decisions"]["gpc_opt_out"] == 1
    assert body["totals"]["opt_in_rates"]["analytics"] == pytest.approx(4 / 6)
    assert [d["day"] for d in body["days"]] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert body["days"][2]["opt_in_rates"]["analytics"] is None
    assert {r["region"]: r["banners_shown"] for r in body["by_region"]} == {
        "VN": 15, "DE": 4, "US-CA": 0, "": 7,
    }  # fmt: skip
    assert {r["language"]: r["decisions"]["total"] for r in body["by_language"]} == {
        "vi": 5, "en": 3, "": 1,
    }  # fmt: skip
    csv_response = console.get(
        f"/api/v1/admin/sites/{history.site_key}/stats.csv?from=2026-03-01&to=2026-03-03",
        headers=bearer(token),
    )
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    assert csv_response.get_data(as_text=True).splitlines()[1].startswith("2026-03-01,14,5,")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-03-05&to=2026-03-01", "from"),
        ("from=2024-01-01&to=2026-03-01", "to"),
        ("from=yesterday", "from"),
        ("to=2026-02-30", "to"),
    ],
)
@pytest.mark.parametrize("path", ["stats", "stats.csv"])
def test_the_api_refuses_a_bad_period_with_the_field(
    console: FlaskClient, site: Site, query: str, field: str, path: str
) -> None:
    user = member(site, "chu@shop.vn", "viewer")
    _row, token = issue_token(user, "stats")
    response = console.get(
        f"/api/v1/admin/sites/{site.site_key}/{path}?{query}", headers=bearer(token)
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize("path", ["stats", "stats.csv"])
def test_the_api_is_404_for_a_site_of_someone_else(
    console: FlaskClient, history: Site, make_site: SiteFactory, path: str
) -> None:
    mine = make_site(name="Mine", domains=("mine.example",))
    user = member(mine, "chu@shop.vn", "owner")
    _row, token = issue_token(user, "stats")
    before = table_counts()
    response = console.get(f"/api/v1/admin/sites/{history.site_key}/{path}", headers=bearer(token))
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert console.get(f"/api/v1/admin/sites/{history.site_key}/{path}").status_code == 401
    assert table_counts() == before

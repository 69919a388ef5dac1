"""Regions per request: ``/region``, the site's rules, and the region recorded with a choice."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from cookieconsent import create_app
from cookieconsent.extensions import db
from cookieconsent.models import ConsentEvent, ConsentState, Site
from cookieconsent.services.jurisdictions import MODES, needs_acknowledgement, valid_region_key
from cookieconsent.services.site_config import export_site_config
from tests.widget_script import embedded_config

from .conftest import SiteFactory, _config, table_counts
from .geodata import (
    ALABAMA_IP,
    CALIFORNIA_IP,
    GERMANY_IP,
    JAPAN_IP,
    TEXAS_IP,
    UNKNOWN_IP,
    VIETNAM_IP,
    build_database,
)

SHOP_ORIGIN = "https://shop.example"

StartApp = Callable[..., Flask]


@pytest.fixture(scope="module")
def city_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_database(tmp_path_factory.mktemp("geo") / "city.mmdb", city=True)


@pytest.fixture(scope="module")
def country_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_database(tmp_path_factory.mktemp("geo") / "country.mmdb", city=False)


@pytest.fixture
def start_app(database_url: str) -> Iterator[StartApp]:
    """Start the app with extra settings, its context pushed; the tables are emptied afterwards."""
    started: list[tuple[Flask, Any]] = []

    def start(**settings: Any) -> Flask:
        app = create_app(_config(database_url, **settings))
        context = app.app_context()
        context.push()
        started.append((app, context))
        return app

    yield start
    for index, (_app, context) in enumerate(reversed(started)):
        db.session.remove()
        if index == 0:
            with db.engine.begin() as connection:
                for table in reversed(db.metadata.sorted_tables):
                    connection.execute(table.delete())
        db.engine.dispose()
        context.pop()


@pytest.fixture
def city_app(start_app: StartApp, city_db: Path) -> Flask:
    """The app behind one trusted proxy, with a City database."""
    return start_app(COOKIECONSENT_GEOIP_DB=str(city_db), COOKIECONSENT_TRUST_PROXY=1)


@pytest.fixture
def sites() -> SiteFactory:
    return SiteFactory()


def region_of(client: FlaskClient, site: Site, address: str | None) -> Any:
    headers = {"X-Forwarded-For": address} if address else {}
    return client.get(f"/api/v1/sites/{site.site_key}/region", headers=headers)


def regime(response: Any) -> dict[str, Any]:
    """The region answer without the lifetimes (the site's defaults here)."""
    answer = dict(response.get_json())
    assert (answer.pop("consent_days"), answer.pop("refusal_days")) == (182, 182)
    return answer


# /region ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (VIETNAM_IP, {"region": "VN", "country": "VN", "mode": "opt-in-specific", "rule": "VN"}),
        (GERMANY_IP, {"region": "DE-BE", "country": "DE", "mode": "opt-in", "rule": "EU"}),
        (CALIFORNIA_IP, {"region": "US-CA", "country": "US", "mode": "opt-out", "rule": "US-CA"}),
        (TEXAS_IP, {"region": "US-TX", "country": "US", "mode": "opt-out", "rule": "US-TX"}),
        (ALABAMA_IP, {"region": "US-AL", "country": "US", "mode": "notice", "rule": "US"}),
        (JAPAN_IP, {"region": "JP-13", "country": "JP", "mode": "opt-in", "rule": "*"}),
        (UNKNOWN_IP, {"region": None, "country": None, "mode": "opt-in", "rule": "unknown"}),
        # The app's own peer (127.0.0.1) is in no database.
        (None, {"region": None, "country": None, "mode": "opt-in", "rule": "unknown"}),
    ],
    ids=["vietnam", "germany", "california", "texas", "alabama", "japan", "unknown", "no-xff"],
)
def test_region_with_a_city_database(
    city_app: Flask, sites: SiteFactory, address: str | None, expected: dict[str, Any]
) -> None:
    site = sites()
    response = region_of(city_app.test_client(), site, address)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    # The site's default lifetimes apply in every region it gives none.
    assert response.get_json() == {**expected, "consent_days": 182, "refusal_days": 182}
    # Private to this visitor's address, but asked once an hour at most.
    assert response.headers["Cache-Control"] == "private, max-age=3600"


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (CALIFORNIA_IP, {"region": "US", "country": "US", "mode": "notice", "rule": "US"}),
        (GERMANY_IP, {"region": "DE", "country": "DE", "mode": "opt-in", "rule": "EU"}),
        (VIETNAM_IP, {"region": "VN", "country": "VN", "mode": "opt-in-specific", "rule": "VN"}),
        (UNKNOWN_IP, {"region": None, "country": None, "mode": "opt-in", "rule": "unknown"}),
    ],
    ids=["california", "germany", "vietnam", "unknown"],
)
def test_region_with_a_country_database(
    start_app: StartApp,
    country_db: Path,
    sites: SiteFactory,
    address: str,
    expected: dict[str, Any],
) -> None:
    app = start_app(COOKIECONSENT_GEOIP_DB=str(country_db), COOKIECONSENT_TRUST_PROXY=1)
    response = region_of(app.test_client(), sites(), address)
    assert response.status_code == 200
    assert regime(response) == expected
    assert response.headers["Cache-Control"] == "private, max-age=3600"


def test_ipv4_mapped_ipv6_resolves_like_ipv4(city_app: Flask, sites: SiteFactory) -> None:
    response = region_of(city_app.test_client(), sites(), f"::ffff:{CALIFORNIA_IP}")
    assert response.status_code == 200
    assert regime(response) == {
        "region": "US-CA",
        "country": "US",
        "mode": "opt-out",
        "rule": "US-CA",
    }


def test_forwarded_for_is_ignored_without_a_trusted_proxy(
    start_app: StartApp, city_db: Path, sites: SiteFactory
) -> None:
    app = start_app(COOKIECONSENT_GEOIP_DB=str(city_db))  # COOKIECONSENT_TRUST_PROXY defaults to 0
    assert app.config["COOKIECONSENT_TRUST_PROXY"] == 0
    site = sites()
    client = app.test_client()
    spoofed = region_of(client, site, VIETNAM_IP)
    assert spoofed.status_code == 200
    assert regime(spoofed) == {
        "region": None,
        "country": None,
        "mode": "opt-in",
        "rule": "unknown",
    }
    # The database is loaded: the real peer address is what counts.
    direct = client.get(
        f"/api/v1/sites/{site.site_key}/region", environ_base={"REMOTE_ADDR": VIETNAM_IP}
    )
    assert direct.get_json()["region"] == "VN"


def test_missing_geoip_file_warns_and_answers_unknown(
    start_app: StartApp, tmp_path: Path, sites: SiteFactory, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "nowhere" / "GeoLite2-City.mmdb"
    with caplog.at_level(logging.WARNING, logger="cookieconsent.services.geo"):
        app = start_app(COOKIECONSENT_GEOIP_DB=str(missing), COOKIECONSENT_TRUST_PROXY=1)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any(str(missing) in record.getMessage() for record in warnings), caplog.text
    response = region_of(app.test_client(), sites(), VIETNAM_IP)
    assert response.status_code == 200
    assert regime(response) == {
        "region": None,
        "country": None,
        "mode": "opt-in",
        "rule": "unknown",
    }


def test_region_of_an_unknown_site_is_404(city_app: Flask) -> None:
    response = city_app.test_client().get(
        "/api/v1/sites/nosuchsite1/region", headers={"X-Forwarded-For": VIETNAM_IP}
    )
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


# The site's own rules -----------------------------------------------------------------------


CONTROLLER = {"name": "Công ty TNHH Ví Dụ", "email": "dpo@vidu.vn"}


def patch_config(client: FlaskClient, sites: SiteFactory, site: Site, body: Any) -> Any:
    """PATCH the configuration; rules come with a controller and the acknowledgements they need.

    The guardrails themselves are tested in test_regimes.py; here the rules' effect is.
    """
    rules = body.get("jurisdiction_rules")
    if isinstance(rules, dict):
        lowered = {
            key: {"reason": "Allowed there by law, says our counsel."}
            for key, mode in rules.items()
            if valid_region_key(key) and mode in MODES and needs_acknowledgement(key, mode)
        }
        body = {"controller": CONTROLLER, "jurisdiction_acknowledgements": lowered, **body}
    return client.patch(
        f"/api/v1/sites/{site.site_key}/config",
        json=body,
        headers={"Authorization": f"Bearer {sites.tokens[site.site_key]}"},
    )


def test_site_rules_change_the_answer(city_app: Flask, sites: SiteFactory) -> None:
    site = sites()
    client = city_app.test_client()
    assert region_of(client, site, ALABAMA_IP).get_json()["mode"] == "notice"
    assert region_of(client, site, JAPAN_IP).get_json()["mode"] == "opt-in"

    response = patch_config(
        client, sites, site, {"jurisdiction_rules": {"US": "opt-out", "*": "notice"}}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["jurisdiction_rules"] == {"US": "opt-out", "*": "notice"}

    alabama = region_of(client, site, ALABAMA_IP).get_json()
    assert (alabama["region"], alabama["mode"], alabama["rule"]) == ("US-AL", "opt-out", "US")
    japan = region_of(client, site, JAPAN_IP).get_json()
    assert (japan["region"], japan["mode"], japan["rule"]) == ("JP-13", "notice", "*")
    # Built-in rules more specific than the site's still apply.
    germany = region_of(client, site, GERMANY_IP).get_json()
    assert (germany["mode"], germany["rule"]) == ("opt-in", "EU")
    california = region_of(client, site, CALIFORNIA_IP).get_json()
    assert (california["mode"], california["rule"]) == ("opt-out", "US-CA")


def test_site_rules_are_per_site(city_app: Flask, sites: SiteFactory) -> None:
    strict, relaxed = sites(name="Strict"), sites(name="Relaxed")
    client = city_app.test_client()
    assert (
        patch_config(client, sites, relaxed, {"jurisdiction_rules": {"VN": "notice"}}).status_code
        == 200
    )
    assert region_of(client, relaxed, VIETNAM_IP).get_json()["mode"] == "notice"
    assert region_of(client, strict, VIETNAM_IP).get_json()["mode"] == "opt-in-specific"


@pytest.mark.parametrize(
    "rules",
    [
        {"usa": "opt-out"},
        {"us-ca": "opt-out"},
        {"Vietnam": "opt-in"},
        {"US": "maybe"},
        {"*": "OPT-IN"},
        {"US": None},
        {"US": "opt-out", "EU": "never"},
    ],
    ids=[
        "long-key",
        "lowercase-key",
        "name-key",
        "bad-mode",
        "uppercase-mode",
        "null-mode",
        "one-bad",
    ],
)
def test_invalid_rules_are_refused_and_change_nothing(
    city_app: Flask, sites: SiteFactory, rules: dict[str, Any]
) -> None:
    site = sites()
    client = city_app.test_client()
    assert (
        patch_config(client, sites, site, {"jurisdiction_rules": {"JP": "notice"}}).status_code
        == 200
    )
    before, config_before = table_counts(), export_site_config(site)

    response = patch_config(client, sites, site, {"name": "Renamed", "jurisdiction_rules": rules})

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert errors, response.get_json()
    assert all(field.startswith("jurisdiction_rules.") for field in errors), errors
    assert table_counts() == before
    db.session.expire_all()
    assert export_site_config(site) == config_before
    assert region_of(client, site, JAPAN_IP).get_json()["mode"] == "notice"


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"usa": "opt-out"}, "jurisdiction_rules.usa.key"),
        ({"US": "maybe"}, "jurisdiction_rules.US.value"),
    ],
)
def test_invalid_rule_names_its_entry(
    city_app: Flask, sites: SiteFactory, rules: dict[str, str], field: str
) -> None:
    site = sites()
    response = patch_config(city_app.test_client(), sites, site, {"jurisdiction_rules": rules})
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == [field]


# The region recorded with a choice ----------------------------------------------------------


def test_choice_records_the_region_and_its_regime(city_app: Flask, sites: SiteFactory) -> None:
    site = sites()
    client = city_app.test_client()
    response = client.post(
        f"/api/v1/sites/{site.site_key}/consents",
        json={"action": "reject_all"},
        headers={"Origin": SHOP_ORIGIN, "X-Forwarded-For": CALIFORNIA_IP},
    )
    assert response.status_code == 201, response.get_json()
    visitor_id = response.get_json()["visitor_id"]

    event = db.session.execute(sa.select(ConsentEvent)).scalar_one()
    assert (event.region, event.mode) == ("US-CA", "opt-out")
    # The proxy's address is not the visitor's: the forwarded one is kept, truncated.
    assert event.ip_prefix == "198.51.100.0/24"
    state = db.session.execute(sa.select(ConsentState)).scalar_one()
    assert (state.region, state.mode) == ("US-CA", "opt-out")

    lookup = client.get(f"/api/v1/sites/{site.site_key}/consents/{visitor_id}")
    assert lookup.status_code == 200
    body = lookup.get_json()
    assert body["region"] == "US-CA"
    assert body["mode"] == "opt-out"
    assert body["decided"] is True


@pytest.mark.parametrize(
    ("address", "mode", "analytics"),
    [(CALIFORNIA_IP, "opt-out", True), (VIETNAM_IP, "opt-in-specific", False)],
)
def test_an_opt_out_leaves_what_the_regime_allows(
    city_app: Flask, sites: SiteFactory, address: str, mode: str, analytics: bool
) -> None:
    """Do Not Sell in California refuses marketing only; in Vietnam nothing was ever allowed."""
    site = sites()
    client = city_app.test_client()
    response = client.post(
        f"/api/v1/sites/{site.site_key}/consents",
        json={"action": "opt_out"},
        headers={"Origin": SHOP_ORIGIN, "X-Forwarded-For": address},
    )
    assert response.status_code == 201, response.get_json()
    visitor_id = response.get_json()["visitor_id"]
    url = f"/api/v1/sites/{site.site_key}/consents/{visitor_id}"
    body = client.get(url).get_json()
    assert body["decided"] is False
    assert body["mode"] == mode
    assert body["categories"] == {"essential": True, "analytics": analytics, "marketing": False}
    assert body["google_consent_mode"]["analytics_storage"] == (
        "granted" if analytics else "denied"
    )
    assert body["google_consent_mode"]["ad_storage"] == "denied"
    assert client.get(f"{url}/allowed/analytics").get_json() == {"allowed": analytics}
    assert client.get(f"{url}/allowed/marketing").get_json() == {"allowed": False}

    # Withdrawing afterwards still leaves every non-essential category refused.
    client.post(
        f"/api/v1/sites/{site.site_key}/consents",
        json={"action": "withdraw", "visitor_id": visitor_id},
        headers={"Origin": SHOP_ORIGIN, "X-Forwarded-For": address},
    )
    assert client.get(url).get_json()["categories"] == {
        "essential": True,
        "analytics": False,
        "marketing": False,
    }


def test_later_choice_from_elsewhere_updates_the_region(
    city_app: Flask, sites: SiteFactory
) -> None:
    site = sites()
    client = city_app.test_client()
    url = f"/api/v1/sites/{site.site_key}/consents"
    first = client.post(url, json={"action": "accept_all"}, headers={"X-Forwarded-For": VIETNAM_IP})
    visitor_id = first.get_json()["visitor_id"]
    second = client.post(
        url,
        json={"action": "reject_all", "visitor_id": visitor_id},
        headers={"X-Forwarded-For": ALABAMA_IP},
    )
    assert second.status_code == 201
    recorded = db.session.execute(
        sa.select(ConsentEvent.region, ConsentEvent.mode).order_by(ConsentEvent.id)
    ).all()
    assert [tuple(row) for row in recorded] == [("VN", "opt-in-specific"), ("US-AL", "notice")]
    body = client.get(f"{url}/{visitor_id}").get_json()
    assert (body["region"], body["mode"]) == ("US-AL", "notice")


def test_widget_is_one_cacheable_script_for_every_region(
    city_app: Flask, sites: SiteFactory
) -> None:
    site = sites()
    client = city_app.test_client()
    vietnam = client.get(f"/c/{site.site_key}.js", headers={"X-Forwarded-For": VIETNAM_IP})
    california = client.get(f"/c/{site.site_key}.js", headers={"X-Forwarded-For": CALIFORNIA_IP})
    assert vietnam.status_code == california.status_code == 200
    assert vietnam.data == california.data
    assert vietnam.headers["ETag"] == california.headers["ETag"]
    for response in (vietnam, california):
        assert response.headers["Cache-Control"].startswith("public, max-age=")
        assert "X-Forwarded-For" not in response.headers.get("Vary", "")
    # A revalidation from another region is answered from the same copy.
    again = client.get(
        f"/c/{site.site_key}.js",
        headers={"X-Forwarded-For": TEXAS_IP, "If-None-Match": vietnam.headers["ETag"]},
    )
    assert again.status_code == 304
    config = embedded_config(vietnam.get_data(as_text=True))
    assert "region" not in config and "mode" not in config


# Lifetimes by region --------------------------------------------------------------------------


def _expiry_days(answer: dict[str, Any]) -> int:
    decided = datetime.fromisoformat(answer["decided_at"].replace("Z", "+00:00"))
    expires = datetime.fromisoformat(answer["expires_at"].replace("Z", "+00:00"))
    return round((expires - decided).total_seconds() / 86400)


def test_lifetimes_follow_the_region_where_the_choice_was_made(
    city_app: Flask, sites: SiteFactory
) -> None:
    site = sites()
    client = city_app.test_client()
    response = patch_config(
        client,
        sites,
        site,
        {
            "consent_lifetime_days": 365,
            "refusal_lifetime_days": 300,
            # The most specific entry wins: DE over EU, as the rules do.
            "lifetimes": {
                "DE": {"consent_days": 90, "refusal_days": 30},
                "EU": {"consent_days": 120},
            },
        },
    )
    assert response.status_code == 200, response.get_json()
    germany = region_of(client, site, GERMANY_IP).get_json()
    assert (germany["consent_days"], germany["refusal_days"]) == (90, 30)
    vietnam = region_of(client, site, VIETNAM_IP).get_json()
    assert (vietnam["consent_days"], vietnam["refusal_days"]) == (365, 300)

    def choose(action: str, address: str) -> dict[str, Any]:
        answer = client.post(
            f"/api/v1/sites/{site.site_key}/consents",
            json={"action": action},
            headers={"Origin": SHOP_ORIGIN, "X-Forwarded-For": address},
        )
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()  # type: ignore[no-any-return]

    assert _expiry_days(choose("accept_all", GERMANY_IP)) == 90
    assert _expiry_days(choose("reject_all", GERMANY_IP)) == 30
    from_vietnam = choose("accept_all", VIETNAM_IP)
    assert _expiry_days(from_vietnam) == 365
    # The lookup, from anywhere, answers the lifetime of where the choice was made.
    lookup = client.get(
        f"/api/v1/sites/{site.site_key}/consents/{from_vietnam['visitor_id']}",
        headers={"X-Forwarded-For": GERMANY_IP},
    ).get_json()
    assert lookup["expires_at"] == from_vietnam["expires_at"]


@pytest.mark.parametrize(
    ("lifetimes", "field"),
    [
        ({"FR": {"consent_days": 396}}, "lifetimes.FR.value.consent_days"),
        ({"FR": {"refusal_days": 0}}, "lifetimes.FR.value.refusal_days"),
        ({"france": {"consent_days": 182}}, "lifetimes.france.key"),
        ({"FR": {"consent_days": "182"}}, "lifetimes.FR.value.consent_days"),
    ],
)
def test_a_lifetime_beyond_395_days_or_for_no_region_is_refused(
    city_app: Flask, sites: SiteFactory, lifetimes: dict[str, Any], field: str
) -> None:
    site = sites()
    response = patch_config(city_app.test_client(), sites, site, {"lifetimes": lifetimes})
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == [field]

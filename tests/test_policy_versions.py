"""Policy versions (publishing, major vs minor), consent lifetimes and the widget's languages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner

from cookieconsent.extensions import db
from cookieconsent.models import ConsentEvent, ConsentState, PolicyVersion, Site
from cookieconsent.services.site_config import export_site_config
from cookieconsent.services.validation import POLICY_VERSION_MESSAGE
from tests.widget_script import served_config

from .conftest import SiteFactory, table_counts
from .test_cli import refused_in_one_line

SHOP_ORIGIN = "https://shop.example"


def bearer(make_site: SiteFactory, site: Site) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_site.tokens[site.site_key]}"}


def versions_url(site: Site) -> str:
    return f"/api/v1/sites/{site.site_key}/policy-versions"


def publish(
    client: FlaskClient, make_site: SiteFactory, site: Site, version: str, **fields: Any
) -> Any:
    return client.post(
        versions_url(site), json={"version": version, **fields}, headers=bearer(make_site, site)
    )


def patch_config(client: FlaskClient, make_site: SiteFactory, site: Site, body: Any) -> Any:
    return client.patch(
        f"/api/v1/sites/{site.site_key}/config", json=body, headers=bearer(make_site, site)
    )


def post_choice(client: FlaskClient, site: Site, body: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/sites/{site.site_key}/consents", json=body, headers={"Origin": SHOP_ORIGIN}
    )


def lookup(client: FlaskClient, site: Site, visitor_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/sites/{site.site_key}/consents/{visitor_id}")
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def stored_versions(site: Site) -> list[str]:
    return list(
        db.session.execute(
            sa.select(PolicyVersion.version)
            .where(PolicyVersion.site_id == site.id)
            .order_by(PolicyVersion.id)
        ).scalars()
    )


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# Publishing ---------------------------------------------------------------------------------


def test_publish_a_version(client: FlaskClient, make_site: SiteFactory, site: Site) -> None:
    before = datetime.now(UTC)
    response = publish(client, make_site, site, "2.0", summary="We now use a new analytics tool.")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["version"] == "2.0"
    assert body["summary"] == "We now use a new analytics tool."
    assert body["major"] == 2
    assert body["effective_at"].endswith("Z")
    assert before - timedelta(seconds=1) <= parse_time(body["effective_at"]) <= datetime.now(UTC)
    assert stored_versions(site) == ["1.0", "2.0"]
    db.session.expire_all()
    assert site.policy_version == "2.0"

    listed = client.get(versions_url(site), headers=bearer(make_site, site))
    assert listed.status_code == 200
    assert [(entry["version"], entry["major"]) for entry in listed.get_json()] == [
        ("1.0", 1),
        ("2.0", 2),
    ]
    assert listed.get_json()[1]["summary"] == "We now use a new analytics tool."


@pytest.mark.parametrize(
    ("published", "attempt"),
    [
        (["2.0"], "1.0"),
        (["2.0"], "1.5"),
        (["2.0"], "2.0"),
        (["2.10"], "2.9"),  # numbers, not text: 2.10 comes after 2.9
        (["2.10"], "2.10"),
        ([], "1.0"),  # the site's first version
        ([], "0.9"),
    ],
)
def test_version_must_move_forward(
    client: FlaskClient, make_site: SiteFactory, site: Site, published: list[str], attempt: str
) -> None:
    for version in published:
        assert publish(client, make_site, site, version).status_code == 201
    before = table_counts()
    response = publish(client, make_site, site, attempt, summary="Going back")
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert list(response.get_json()["errors"]) == ["version"]
    assert table_counts() == before
    assert stored_versions(site) == ["1.0", *published]


# Not MAJOR.MINOR: refused by every door with the same message.
MALFORMED_VERSIONS = (
    "v2",
    "2.x",
    "2.",
    ".2",
    "02.0",
    "2.0.0.1",
    "-1",
    "3",
    "6.0.1",
    "1.0.0",
    "-1.0",
    "01.0",
    "1.01",
    "banana",
    "1234567.0",
    "",
    "2 .0",
)


@pytest.mark.parametrize("version", MALFORMED_VERSIONS)
def test_malformed_version_is_422(
    client: FlaskClient, make_site: SiteFactory, site: Site, version: str
) -> None:
    before = table_counts()
    response = publish(client, make_site, site, version)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"] == {"version": [POLICY_VERSION_MESSAGE]}
    assert table_counts() == before


def test_versions_compare_by_numbers(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    for version in ["1.9", "1.10", "2.0", "10.0"]:
        assert publish(client, make_site, site, version).status_code == 201, version
    db.session.expire_all()
    assert site.policy_version == "10.0"
    assert served_config(client, site.site_key)["policyVersion"] == "10.0"


@pytest.mark.parametrize(
    "body", [{}, {"version": None}, {"version": 2}, {"version": "2.0", "effective_at": "soon"}]
)
def test_bad_publish_bodies_are_422(
    client: FlaskClient, make_site: SiteFactory, site: Site, body: dict[str, Any]
) -> None:
    before = table_counts()
    response = client.post(versions_url(site), json=body, headers=bearer(make_site, site))
    assert response.status_code == 422
    assert response.get_json()["errors"]
    assert table_counts() == before


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": "Basic abc"}],
    ids=["none", "wrong", "basic"],
)
def test_policy_versions_need_the_token(
    client: FlaskClient, make_site: SiteFactory, site: Site, headers: dict[str, str]
) -> None:
    before = table_counts()
    response = client.post(versions_url(site), json={"version": "2.0"}, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get(versions_url(site), headers=headers).status_code == 401
    assert table_counts() == before


def test_another_sites_token_is_refused(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    other = make_site(name="Other", domains=("other.example",))
    response = client.post(
        versions_url(site), json={"version": "2.0"}, headers=bearer(make_site, other)
    )
    assert response.status_code == 401
    assert stored_versions(site) == ["1.0"]


def test_cli_publish(runner: FlaskCliRunner, site: Site) -> None:
    site_key = site.site_key
    result = runner.invoke(
        args=["policy", "publish", site_key, "2.0", "--summary", "New advertising partners"]
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["version"] == "2.0"
    entry = db.session.execute(
        sa.select(PolicyVersion).where(PolicyVersion.version == "2.0")
    ).scalar_one()
    assert entry.summary == "New advertising partners"
    assert entry.site_id == site.id
    db.session.expire_all()
    assert site.policy_version == "2.0"


@pytest.mark.parametrize("version", ["1.9", "2.0", "1.0"])
def test_cli_refuses_versions_that_do_not_move_forward(
    runner: FlaskCliRunner, site: Site, version: str
) -> None:
    site_key = site.site_key
    assert runner.invoke(args=["policy", "publish", site_key, "2.0"]).exit_code == 0
    before = table_counts()
    result = runner.invoke(args=["policy", "publish", site_key, version])
    assert refused_in_one_line(result) == (
        f"version: {version} does not come after the latest published version 2.0."
    )
    assert table_counts() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["v3"], f"version: {POLICY_VERSION_MESSAGE}"),
        (["3"], f"version: {POLICY_VERSION_MESSAGE}"),
        (["6.0.1"], f"version: {POLICY_VERSION_MESSAGE}"),
        (
            ["3.0", "--effective-at", "tomorrow"],
            "--effective-at: 'tomorrow' is not ISO 8601, such as 2027-01-01T00:00:00Z",
        ),
        (
            ["3.0", "--effective-at", "2030-01-01T00:00"],
            "--effective-at: needs a time zone, such as a trailing Z",
        ),
        (
            ["3.0", "--effective-at", "9999-12-31T23:00:00-14:00"],
            "--effective-at: '9999-12-31T23:00:00-14:00' is out of range",
        ),
        (["3.0", "--summary", "x" * 2001], "summary: At most 2000 characters."),
    ],
    ids=["malformed", "major-only", "three-parts", "not-iso", "naive", "out-of-range", "summary"],
)
def test_cli_refuses_bad_input(
    runner: FlaskCliRunner, site: Site, args: list[str], message: str
) -> None:
    site_key = site.site_key
    before = table_counts()
    result = runner.invoke(args=["policy", "publish", site_key, *args])
    assert refused_in_one_line(result) == message
    assert table_counts() == before


def test_cli_unknown_site(runner: FlaskCliRunner, site: Site) -> None:
    result = runner.invoke(args=["policy", "publish", "nosuchsite1", "2.0"])
    assert refused_in_one_line(result) == "no site with key 'nosuchsite1'"


# Major and minor versions -------------------------------------------------------------------


def test_minor_version_keeps_decisions_major_asks_again(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"}).get_json()["visitor_id"]
    assert lookup(client, site, visitor_id)["policy_version"] == "1.0"

    assert publish(client, make_site, site, "1.1", summary="Typo fixes").status_code == 201
    minor = lookup(client, site, visitor_id)
    assert minor["decided"] is True
    assert minor["categories"] == {"essential": True, "analytics": True, "marketing": True}
    assert served_config(client, site.site_key)["policyVersion"] == "1.1"

    assert publish(client, make_site, site, "2.0", summary="New ad partners").status_code == 201
    major = lookup(client, site, visitor_id)
    assert major["decided"] is False
    assert major["categories"] == {"essential": True, "analytics": False, "marketing": False}
    assert major["google_consent_mode"]["ad_storage"] == "denied"
    allowed = client.get(
        f"/api/v1/sites/{site.site_key}/consents/{visitor_id}/allowed/analytics"
    ).get_json()
    assert allowed == {"allowed": False}

    config = served_config(client, site.site_key)
    assert config["policyVersion"] == "2.0"
    # Published with one summary, it is the default language's (vi).
    assert config["policySummary"] == {"vi": "New ad partners"}

    # Deciding again under 2.0 counts.
    again = post_choice(client, site, {"action": "reject_all", "visitor_id": visitor_id})
    assert again.status_code == 201
    assert again.get_json()["policy_version"] == "2.0"
    assert lookup(client, site, visitor_id)["decided"] is True


def test_future_version_is_not_in_force_yet(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"}).get_json()["visitor_id"]
    effective = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    response = publish(
        client,
        make_site,
        site,
        "2.0",
        summary="From next month",
        effective_at=effective.isoformat().replace("+00:00", "Z"),
    )
    assert response.status_code == 201, response.get_json()
    assert parse_time(response.get_json()["effective_at"]) == effective
    assert stored_versions(site) == ["1.0", "2.0"]

    config = served_config(client, site.site_key)
    assert config["policyVersion"] == "1.0"
    assert "policySummary" not in config, "no summary is in force yet"
    assert lookup(client, site, visitor_id)["decided"] is True

    events_before = table_counts()["consent_events"]
    early = post_choice(client, site, {"action": "accept_all", "policy_version": "2.0"})
    assert early.status_code == 422
    assert list(early.get_json()["errors"]) == ["policy_version"]
    assert table_counts()["consent_events"] == events_before
    # Without a version, a choice is recorded under the one in force.
    current = post_choice(client, site, {"action": "accept_all"})
    assert current.get_json()["policy_version"] == "1.0"


def test_future_version_takes_effect_when_its_time_comes(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"}).get_json()["visitor_id"]
    effective = datetime.now(UTC) + timedelta(days=30)
    publish(client, make_site, site, "2.0", summary="Later", effective_at=effective.isoformat())
    # Time passes: move the effective date into the past instead.
    db.session.execute(
        sa.update(PolicyVersion)
        .where(PolicyVersion.version == "2.0")
        .values(effective_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    db.session.commit()
    assert served_config(client, site.site_key)["policyVersion"] == "2.0"
    assert lookup(client, site, visitor_id)["decided"] is False
    assert (
        post_choice(
            client, site, {"action": "save", "categories": {"analytics": True, "marketing": False}}
        ).get_json()["policy_version"]
        == "2.0"
    )


def test_unknown_policy_version_is_refused(client: FlaskClient, site: Site) -> None:
    response = post_choice(client, site, {"action": "accept_all", "policy_version": "9.0"})
    assert response.status_code == 422
    assert "policy_version" in response.get_json()["errors"]
    assert table_counts()["consent_events"] == 0


# Lifetimes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["consent_lifetime_days", "refusal_lifetime_days"])
@pytest.mark.parametrize("days", [0, -1, 396, 400, 100000, None, "never"])
def test_lifetime_is_capped_at_13_months(
    client: FlaskClient, make_site: SiteFactory, site: Site, field: str, days: Any
) -> None:
    config_before = export_site_config(site)
    response = patch_config(client, make_site, site, {field: days, "name": "Renamed"})
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == [field]
    db.session.expire_all()
    assert export_site_config(site) == config_before


@pytest.mark.parametrize("days", [1, 395])
def test_lifetime_bounds_are_accepted(
    client: FlaskClient, make_site: SiteFactory, site: Site, days: int
) -> None:
    response = patch_config(
        client, make_site, site, {"consent_lifetime_days": days, "refusal_lifetime_days": days}
    )
    assert response.status_code == 200
    assert response.get_json()["consent_lifetime_days"] == days
    assert response.get_json()["refusal_lifetime_days"] == days


@pytest.mark.parametrize(
    ("action", "categories", "lifetime"),
    [
        ("reject_all", None, 30),
        ("save", {"analytics": False, "marketing": False}, 30),
        ("accept_all", None, 300),
        ("save", {"analytics": True, "marketing": False}, 300),
    ],
)
def test_refusals_and_consents_keep_their_own_lifetimes(
    client: FlaskClient,
    make_site: SiteFactory,
    site: Site,
    action: str,
    categories: dict[str, bool] | None,
    lifetime: int,
) -> None:
    response = patch_config(
        client, make_site, site, {"consent_lifetime_days": 300, "refusal_lifetime_days": 30}
    )
    assert response.status_code == 200
    body: dict[str, Any] = {"action": action}
    if categories is not None:
        body["categories"] = categories
    recorded = post_choice(client, site, body)
    assert recorded.status_code == 201
    answer = recorded.get_json()
    decided_at = parse_time(answer["decided_at"])
    assert parse_time(answer["expires_at"]) - decided_at == timedelta(days=lifetime)
    state = db.session.execute(sa.select(ConsentState)).scalar_one()
    assert state.expires_at is not None and state.decided_at is not None
    assert state.expires_at - state.decided_at == timedelta(days=lifetime)
    assert lookup(client, site, answer["visitor_id"])["expires_at"] == answer["expires_at"]


def test_widget_carries_the_consent_lifetime(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    patch_config(client, make_site, site, {"consent_lifetime_days": 90})
    assert served_config(client, site.site_key)["lifetimeDays"] == 90


# Languages ----------------------------------------------------------------------------------


def widget_texts(client: FlaskClient, site: Site, language: str) -> Any:
    return client.get(f"/c/{site.site_key}/texts/{language}.json")


def test_widget_offers_exactly_the_chosen_languages(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    assert served_config(client, site.site_key)["languages"] == ["vi", "en"]
    assert widget_texts(client, site, "fr").status_code == 404
    response = patch_config(client, make_site, site, {"languages": ["vi", "en", "fr"]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["languages"] == ["vi", "en", "fr"]

    config = served_config(client, site.site_key)
    assert config["languages"] == ["vi", "en", "fr"]
    # The script carries the default language first; the others load on demand.
    assert "vi" in config["texts"]
    assert set(config["texts"]) <= {"vi", "en", "fr"}
    assert config["texts"]["vi"]["accept_all"] == "Chấp nhận tất cả"
    for language in ("vi", "en", "fr"):
        loaded = widget_texts(client, site, language)
        assert loaded.status_code == 200, language
        if language in config["texts"]:
            # The script carries the first layer's texts; the file has those and every other.
            carried = config["texts"][language]
            assert {key: loaded.get_json()[key] for key in carried} == carried
    french = widget_texts(client, site, "fr").get_json()
    assert french["accept_all"] not in {"Accept all", "Chấp nhận tất cả"}
    assert french["categories"]["analytics"]["title"]
    # A built-in language the site did not choose is not offered.
    assert widget_texts(client, site, "de").status_code == 404


def test_changing_default_language_with_languages(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    response = patch_config(
        client, make_site, site, {"default_language": "de", "languages": ["de", "ja"]}
    )
    assert response.status_code == 200, response.get_json()
    config = served_config(client, site.site_key)
    assert config["defaultLanguage"] == "de"
    assert config["languages"] == ["de", "ja"]
    assert "de" in config["texts"]
    assert widget_texts(client, site, "ja").status_code == 200
    assert widget_texts(client, site, "vi").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"languages": ["vi", "xx"]}, "languages.1"),
        ({"languages": ["xx"]}, "languages.0"),
        ({"languages": []}, "languages"),
        ({"languages": ["en", "fr"]}, "languages"),  # the default language is vi
        ({"default_language": "de"}, "languages"),  # de is not among vi, en
        ({"default_language": "xx"}, "default_language"),
        ({"languages": "vi"}, "languages"),
    ],
)
def test_bad_languages_are_refused(
    client: FlaskClient, make_site: SiteFactory, site: Site, body: dict[str, Any], field: str
) -> None:
    script_before = client.get(f"/c/{site.site_key}.js").data
    before, config_before = table_counts(), export_site_config(site)
    response = patch_config(client, make_site, site, body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"], response.get_json()["errors"]
    assert table_counts() == before
    db.session.expire_all()
    assert export_site_config(site) == config_before
    assert client.get(f"/c/{site.site_key}.js").data == script_before


def test_every_event_records_its_policy_version(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    visitor_id = post_choice(client, site, {"action": "accept_all"}).get_json()["visitor_id"]
    publish(client, make_site, site, "1.1")
    post_choice(client, site, {"action": "reject_all", "visitor_id": visitor_id})
    post_choice(
        client, site, {"action": "accept_all", "visitor_id": visitor_id, "policy_version": "1.0"}
    )
    recorded = db.session.execute(
        sa.select(ConsentEvent.policy_version).order_by(ConsentEvent.id)
    ).scalars()
    assert list(recorded) == ["1.0", "1.1", "1.0"]

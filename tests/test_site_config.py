"""The site configuration: GET/PATCH ``/api/v1/sites/{key}/config`` and the sites commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner

from cookieconsent.extensions import db
from cookieconsent.models import Category, Service, Site
from cookieconsent.services.site_config import export_site_config
from cookieconsent.services.sites import SiteProfile, widget_config
from tests.widget_script import embedded_config

from .conftest import SiteFactory, table_counts

GA4: dict[str, Any] = {
    "name": "ga4",
    "category": "analytics",
    "label": "Google Analytics 4",
    "cookies": [
        {"name": "_ga", "match": "exact", "lifetime_days": 400},
        {"name": "_ga_", "match": "prefix", "lifetime_days": 400},
    ],
    "local_storage": ["_gcl_ls"],
}
META_PIXEL: dict[str, Any] = {
    "name": "meta_pixel",
    "category": "marketing",
    "label": "Meta Pixel",
    "cookies": [{"name": "_fbp", "lifetime_days": 90}],
}
# A harmless essential service, to prove trackers are refused only where they do not belong.
SESSION: dict[str, Any] = {
    "name": "session",
    "category": "essential",
    "label": "Shop session",
    "cookies": [{"name": "shop_session", "lifetime_days": 0}],
}


def config_url(site: Site) -> str:
    return f"/api/v1/sites/{site.site_key}/config"


def bearer(make_site: SiteFactory, site: Site) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_site.tokens[site.site_key]}"}


def patch_config(
    client: FlaskClient, make_site: SiteFactory, site: Site, body: Any, **kwargs: Any
) -> Any:
    return client.patch(config_url(site), json=body, headers=bearer(make_site, site), **kwargs)


def service_rows(site: Site) -> list[Service]:
    return list(
        db.session.execute(
            sa.select(Service).where(Service.site_id == site.id).order_by(Service.position)
        ).scalars()
    )


def category_rows(site: Site) -> list[Category]:
    return list(
        db.session.execute(
            sa.select(Category).where(Category.site_id == site.id).order_by(Category.position)
        ).scalars()
    )


def with_defaults(service: dict[str, Any]) -> dict[str, Any]:
    """A service as the API echoes it: every optional key filled in."""
    cookies = [
        {"match": "exact", "domain": None, "description": None, **c} for c in service["cookies"]
    ]
    return {"texts": {}, "local_storage": [], **service, "cookies": cookies}


# Reading ------------------------------------------------------------------------------------


def test_get_returns_the_whole_configuration(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    response = client.get(config_url(site), headers=bearer(make_site, site))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {
        "site_key": site.site_key,
        "name": "Shop",
        "domains": ["shop.example"],
        "policy_url": "https://shop.example/privacy",
        "policy_version": "1.0",
        "default_language": "vi",
        "consent_lifetime_days": 182,
        "refusal_lifetime_days": 182,
        "retention_days": 365,
        "cookie_domain": None,
        "script_timeout_ms": 10000,
        "languages": ["vi", "en"],
        "jurisdiction_rules": {},
        "jurisdiction_acknowledgements": {},
        "lifetimes": {},
        "controller": None,
        "processors_involved": False,
        "categories": [
            {"name": "essential", "texts": {}, "tracks_behaviour": False, "statistics_only": False},
            {"name": "analytics", "texts": {}, "tracks_behaviour": True, "statistics_only": False},
            {"name": "marketing", "texts": {}, "tracks_behaviour": True, "statistics_only": False},
        ],
        "services": [],
        "consent_mode": {"ads_data_redaction": False, "url_passthrough": False},
        "texts": {},
        "design": {},
    }


@pytest.mark.parametrize("method", ["GET", "PATCH"])
@pytest.mark.parametrize(
    "authorization", [None, "Bearer", "Bearer wrong-token", "Token abc", "other-site"]
)
def test_config_needs_the_sites_own_token(
    client: FlaskClient,
    make_site: SiteFactory,
    site: Site,
    method: str,
    authorization: str | None,
) -> None:
    headers: dict[str, str] = {}
    if authorization == "other-site":
        headers = bearer(make_site, make_site(name="Other", domains=("other.example",)))
    elif authorization:
        headers["Authorization"] = authorization
    before = export_site_config(site)
    response = client.open(
        config_url(site), method=method, json={"name": "Taken over"}, headers=headers
    )
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["errors"] == {"authorization": ["Missing or wrong API token."]}
    assert export_site_config(site) == before


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_unknown_site_is_404(
    client: FlaskClient, make_site: SiteFactory, site: Site, method: str
) -> None:
    response = client.open(
        "/api/v1/sites/nosuchsite1/config",
        method=method,
        json={"name": "x"},
        headers=bearer(make_site, site),
    )
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"] == {"site_key": ["Unknown site."]}


# Services -----------------------------------------------------------------------------------


def test_patch_services_stores_and_echoes_them(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    response = patch_config(client, make_site, site, {"services": [GA4, META_PIXEL]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["services"] == [with_defaults(GA4), with_defaults(META_PIXEL)]
    # Everything else is as it was.
    assert [c["name"] for c in body["categories"]] == ["essential", "analytics", "marketing"]

    ga4, pixel = service_rows(site)
    assert (ga4.name, ga4.category, ga4.label) == ("ga4", "analytics", "Google Analytics 4")
    assert [(c["name"], c["match"], c["lifetime_days"]) for c in ga4.cookies] == [
        ("_ga", "exact", 400),
        ("_ga_", "prefix", 400),
    ]
    assert ga4.local_storage == ["_gcl_ls"]
    assert (pixel.name, pixel.category, pixel.position) == ("meta_pixel", "marketing", 1)

    again = client.get(config_url(site), headers=bearer(make_site, site)).get_json()
    assert again == body


def test_widget_carries_the_configured_services(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    before = embedded_config(client.get(f"/c/{site.site_key}.js").get_data(as_text=True))
    assert before["services"] == []
    patch_config(client, make_site, site, {"services": [GA4, META_PIXEL]})
    # The site cache is emptied by the commit, so the very next script shows the change.
    config = embedded_config(client.get(f"/c/{site.site_key}.js").get_data(as_text=True))
    services = {service["name"]: service for service in config["services"]}
    assert list(services) == ["ga4", "meta_pixel"]
    assert services["ga4"]["category"] == "analytics"
    assert [cookie["name"] for cookie in services["ga4"]["cookies"]] == ["_ga", "_ga_"]
    # An exact match is the default, left out of the script.
    assert [cookie.get("match") for cookie in services["ga4"]["cookies"]] == [None, "prefix"]
    assert services["meta_pixel"]["category"] == "marketing"
    texts = client.get(f"/c/{site.site_key}/texts/en.json").get_json()
    assert texts["services"]["ga4"]["title"] == "Google Analytics 4"


def test_patch_changes_only_the_keys_sent(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    patch_config(client, make_site, site, {"services": [GA4, META_PIXEL]})
    response = patch_config(client, make_site, site, {"consent_mode": {"ads_data_redaction": True}})
    assert response.status_code == 200
    body = response.get_json()
    assert body["consent_mode"] == {"ads_data_redaction": True, "url_passthrough": False}
    assert [service["name"] for service in body["services"]] == ["ga4", "meta_pixel"]
    assert len(service_rows(site)) == 2

    response = patch_config(client, make_site, site, {"consent_mode": {"url_passthrough": True}})
    assert response.get_json()["consent_mode"] == {
        "ads_data_redaction": True,
        "url_passthrough": True,
    }
    stored = db.session.execute(
        sa.select(Site.ads_data_redaction, Site.url_passthrough).where(Site.id == site.id)
    ).one()
    assert tuple(stored) == (True, True)


def test_patch_replaces_the_service_list(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    patch_config(client, make_site, site, {"services": [GA4, META_PIXEL]})
    relabelled = {**META_PIXEL, "label": "Facebook Pixel"}
    response = patch_config(client, make_site, site, {"services": [relabelled]})
    assert response.status_code == 200
    [pixel] = service_rows(site)
    assert (pixel.name, pixel.label, pixel.position) == ("meta_pixel", "Facebook Pixel", 0)
    assert patch_config(client, make_site, site, {"services": []}).get_json()["services"] == []
    assert service_rows(site) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Shop renamed"),
        ("domains", ["shop.example", "*.shop.example", "127.0.0.1:8001"]),
        ("policy_url", "https://shop.example/privacy-v2"),
        ("default_language", "en"),
        ("consent_lifetime_days", 395),
        ("texts", {"en": {"title": "Cookies at the shop"}}),
        ("script_timeout_ms", 500),
        ("script_timeout_ms", 60000),
        ("cookie_domain", "shop.example"),
        ("cookie_domain", None),
    ],
)
def test_patch_scalar_settings(
    client: FlaskClient, make_site: SiteFactory, site: Site, field: str, value: Any
) -> None:
    response = patch_config(client, make_site, site, {field: value})
    assert response.status_code == 200
    expected = sorted(value) if field == "domains" else value
    assert response.get_json()[field] == expected
    assert export_site_config(site)[field] == expected


def test_patch_texts_reach_the_widget(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    patch_config(
        client,
        make_site,
        site,
        {
            "texts": {"en": {"title": "Cookies at the shop"}},
            "categories": [
                {"name": "analytics", "texts": {"en": {"title": "Visit counting"}}},
                {"name": "marketing"},
            ],
        },
    )
    config = embedded_config(client.get(f"/c/{site.site_key}.js").get_data(as_text=True))
    assert config["texts"]["en"]["title"] == "Cookies at the shop"
    texts = client.get(f"/c/{site.site_key}/texts/en.json").get_json()
    assert texts["title"] == "Cookies at the shop"
    assert texts["categories"]["analytics"]["title"] == "Visit counting"


# Categories ---------------------------------------------------------------------------------


def test_adding_a_category_keeps_essential_locked(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    response = patch_config(
        client,
        make_site,
        site,
        {"categories": [{"name": "analytics"}, {"name": "marketing"}, {"name": "preferences"}]},
    )
    assert response.status_code == 200
    assert [c["name"] for c in response.get_json()["categories"]] == [
        "essential",
        "analytics",
        "marketing",
        "preferences",
    ]
    rows = category_rows(site)
    assert [(c.name, c.locked) for c in rows] == [
        ("essential", True),
        ("analytics", False),
        ("marketing", False),
        ("preferences", False),
    ]
    config = embedded_config(client.get(f"/c/{site.site_key}.js").get_data(as_text=True))
    # Plain names in the script: essential is the one that is always on.
    assert config["categories"] == ["essential", "analytics", "marketing", "preferences"]


def test_removing_an_unused_category(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    response = patch_config(client, make_site, site, {"categories": [{"name": "analytics"}]})
    assert response.status_code == 200
    assert [c.name for c in category_rows(site)] == ["essential", "analytics"]


def test_removing_a_category_a_service_uses_is_refused(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    patch_config(client, make_site, site, {"services": [GA4, META_PIXEL]})
    before, config_before = table_counts(), export_site_config(site)
    response = patch_config(client, make_site, site, {"categories": [{"name": "analytics"}]})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert list(errors) == ["categories"]
    assert "meta_pixel" in errors["categories"][0]
    assert table_counts() == before
    assert export_site_config(site) == config_before


def test_removing_a_category_with_its_services_at_once(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    patch_config(client, make_site, site, {"services": [GA4, META_PIXEL]})
    response = patch_config(
        client, make_site, site, {"categories": [{"name": "analytics"}], "services": [GA4]}
    )
    assert response.status_code == 200
    assert [c.name for c in category_rows(site)] == ["essential", "analytics"]
    assert [s.name for s in service_rows(site)] == ["ga4"]


# Validation ---------------------------------------------------------------------------------


def service(**changes: Any) -> dict[str, Any]:
    return {"services": [{**GA4, **changes}]}


def cookie(**changes: Any) -> dict[str, Any]:
    return service(cookies=[{"name": "_ga", "lifetime_days": 400, **changes}])


def essential_cookie(name: str, match: str = "exact") -> dict[str, Any]:
    entry = {"name": name, "match": match, "lifetime_days": 1}
    return {"services": [{**SESSION, "cookies": [entry]}]}


BAD_CONFIGS: list[tuple[str, Any, str]] = [
    ("unknown-service-category", service(category="ads"), "services.0.category"),
    ("duplicate-service", {"services": [GA4, GA4]}, "services.1.name"),
    ("service-named-like-category", service(name="marketing"), "services.0.name"),
    ("service-name-not-identifier", service(name="Google Analytics"), "services.0.name"),
    ("service-without-label", service(label=""), "services.0.label"),
    ("ga4-as-essential", service(category="essential"), "services.0.category"),
    (
        "analytics-label-as-essential",
        {"services": [{**SESSION, "label": "Google Analytics"}]},
        "services.0.category",
    ),
    (
        "pixel-as-essential",
        {"services": [{**META_PIXEL, "category": "essential", "cookies": []}]},
        "services.0.category",
    ),
    ("ga-cookie-as-essential", essential_cookie("_ga"), "services.0.cookies.0.name"),
    ("fbp-cookie-as-essential", essential_cookie("_fbp"), "services.0.cookies.0.name"),
    ("ga-prefix-as-essential", essential_cookie("_g", "prefix"), "services.0.cookies.0.name"),
    ("ga-regex-as-essential", essential_cookie("_ga_.*", "regex"), "services.0.cookies.0.name"),
    ("bad-regex", cookie(name="(_ga", match="regex"), "services.0.cookies.0.name"),
    ("negative-lifetime", cookie(lifetime_days=-1), "services.0.cookies.0.lifetime_days"),
    ("huge-lifetime", cookie(lifetime_days=100_000), "services.0.cookies.0.lifetime_days"),
    ("lifetime-not-number", cookie(lifetime_days="forever"), "services.0.cookies.0.lifetime_days"),
    ("missing-lifetime", service(cookies=[{"name": "_ga"}]), "services.0.cookies.0.lifetime_days"),
    ("bad-match", cookie(match="glob"), "services.0.cookies.0.match"),
    ("bad-cookie-domain", cookie(domain="https://shop.example/"), "services.0.cookies.0.domain"),
    ("unknown-service-field", service(vendor="Google"), "services.0.vendor"),
    ("services-not-list", {"services": {"ga4": GA4}}, "services"),
    ("unknown-text-key", {"texts": {"en": {"titel": "Hi"}}}, "texts.en.titel"),
    ("text-not-string", {"texts": {"en": {"title": 5}}}, "texts.en.value.title.value"),
    ("bad-language-key", {"texts": {"english!": {"title": "Hi"}}}, "texts.english!"),
    ("no-built-in-texts", {"texts": {"xx": {"title": "Hi"}}}, "texts.xx"),
    ("language-not-offered", {"texts": {"de": {"title": "Hallo"}}}, "texts.de"),
    (
        "category-language-not-offered",
        {"categories": [{"name": "analytics", "texts": {"de": {"title": "Analyse"}}}]},
        "categories.0.texts.de",
    ),
    ("bad-default-language", {"default_language": "xx"}, "default_language"),
    ("lifetime-zero", {"consent_lifetime_days": 0}, "consent_lifetime_days"),
    ("lifetime-over-395", {"consent_lifetime_days": 400}, "consent_lifetime_days"),
    ("domain-is-url", {"domains": ["https://shop.example/"]}, "domains.0"),
    ("second-domain-bad", {"domains": ["shop.example", "bad domain"]}, "domains.1"),
    ("no-domains", {"domains": []}, "domains"),
    ("domain-public-suffix", {"domains": ["com.vn"]}, "domains.0"),
    ("domain-wildcard-on-suffix", {"domains": ["shop.example", "*.co.uk"]}, "domains.1"),
    ("domain-private-suffix", {"domains": ["*.github.io"]}, "domains.0"),
    ("cookie-domain-a-subdomain", {"cookie_domain": "www.shop.example"}, "cookie_domain"),
    ("cookie-domain-elsewhere", {"cookie_domain": "other.example"}, "cookie_domain"),
    ("cookie-domain-a-suffix", {"cookie_domain": "example"}, "cookie_domain"),
    ("cookie-domain-empty", {"cookie_domain": ""}, "cookie_domain"),
    ("cookie-domain-not-string", {"cookie_domain": 5}, "cookie_domain"),
    ("timeout-too-short", {"script_timeout_ms": 499}, "script_timeout_ms"),
    ("timeout-too-long", {"script_timeout_ms": 60001}, "script_timeout_ms"),
    ("timeout-as-text", {"script_timeout_ms": "1000"}, "script_timeout_ms"),
    ("timeout-fraction", {"script_timeout_ms": 1000.5}, "script_timeout_ms"),
    ("timeout-null", {"script_timeout_ms": None}, "script_timeout_ms"),
    ("bad-policy-url", {"policy_url": "javascript:alert(1)"}, "policy_url"),
    ("relative-policy-url", {"policy_url": "/privacy"}, "policy_url"),
    ("duplicate-category", {"categories": [{"name": "analytics"}] * 2}, "categories"),
    ("bad-category-name", {"categories": [{"name": "Ads!"}]}, "categories.0.name"),
    (
        "consent-mode-not-bool",
        {"consent_mode": {"url_passthrough": "maybe"}},
        "consent_mode.url_passthrough",
    ),
    (
        "unknown-consent-mode",
        {"consent_mode": {"wait_for_update": 500}},
        "consent_mode.wait_for_update",
    ),
    ("unknown-top-level", {"sneaky": True}, "sneaky"),
    ("read-only-site-key", {"site_key": "mine"}, "site_key"),
    ("json-not-object", ["services"], "body"),
]


@pytest.mark.parametrize(
    ("name", "body", "field"), BAD_CONFIGS, ids=[case[0] for case in BAD_CONFIGS]
)
def test_bad_configuration_is_refused_and_changes_nothing(
    client: FlaskClient,
    make_site: SiteFactory,
    site: Site,
    name: str,
    body: Any,
    field: str,
) -> None:
    # A valid part alongside the bad one proves the change is all or nothing.
    patch_config(client, make_site, site, {"services": [GA4, META_PIXEL]})
    if isinstance(body, dict) and "name" not in body:
        body = {"name": "Half applied", **body}
    before, config_before = table_counts(), export_site_config(site)

    response = patch_config(client, make_site, site, body)

    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 422
    assert field in problem["errors"], problem["errors"]
    assert all(isinstance(message, str) for message in problem["errors"][field])
    assert table_counts() == before
    assert export_site_config(site) == config_before


def test_service_errors_name_the_right_entry(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    response = patch_config(
        client,
        make_site,
        site,
        {"services": [META_PIXEL, SESSION, {**GA4, "category": "ads"}]},
    )
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"services.2.category"}


def test_tracker_cookies_are_fine_outside_essential(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    ga_by_pattern = {
        **GA4,
        "name": "ga_pattern",
        "cookies": [{"name": "_ga.*", "match": "regex", "lifetime_days": 400}],
    }
    response = patch_config(client, make_site, site, {"services": [SESSION, GA4, ga_by_pattern]})
    assert response.status_code == 200, response.get_json()
    assert [s.name for s in service_rows(site)] == ["session", "ga4", "ga_pattern"]


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b'{"name": "Half', "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b'{"name": "Renamed"}', "text/plain", 415),
        (b"name=Renamed", "application/x-www-form-urlencoded", 415),
    ],
    ids=["malformed-json", "not-utf8", "text-plain", "form-encoded"],
)
def test_patch_needs_a_json_body(
    client: FlaskClient,
    make_site: SiteFactory,
    site: Site,
    data: bytes,
    content_type: str,
    status: int,
) -> None:
    before, config_before = table_counts(), export_site_config(site)
    response = client.patch(
        config_url(site),
        data=data,
        headers={**bearer(make_site, site), "Content-Type": content_type},
    )
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"]
    assert table_counts() == before
    assert export_site_config(site) == config_before


# The command line ---------------------------------------------------------------------------
# Site keys are random URL-safe text and may begin with "-", so "--" ends the options first.


def write_json(path: Path, value: Any) -> str:
    path.write_text(json.dumps(value), encoding="utf-8")
    return str(path)


def test_cli_configure_applies_the_file(runner: FlaskCliRunner, site: Site, tmp_path: Path) -> None:
    file = write_json(
        tmp_path / "shop.json",
        {
            "categories": [{"name": "analytics"}, {"name": "marketing"}, {"name": "preferences"}],
            "services": [GA4, META_PIXEL],
            "consent_mode": {"ads_data_redaction": True},
        },
    )
    result = runner.invoke(args=["sites", "configure", "--", site.site_key, file])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == export_site_config(site)
    assert [s["name"] for s in printed["services"]] == ["ga4", "meta_pixel"]
    assert printed["consent_mode"]["ads_data_redaction"] is True
    assert [s.name for s in service_rows(site)] == ["ga4", "meta_pixel"]
    assert [c.name for c in category_rows(site)][-1] == "preferences"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (json.dumps({"services": [{**GA4, "category": "essential"}]}), "services.0.category:"),
        (json.dumps({"services": [GA4], "consent_lifetime_days": 0}), "consent_lifetime_days:"),
        (json.dumps({"texts": {"en": {"titel": "Hi"}}}), "texts.en.titel:"),
        ("{not json", "body: Not valid JSON"),
    ],
    ids=["tracker-as-essential", "schema-error", "unknown-text", "not-json"],
)
def test_cli_configure_refuses_an_invalid_file(
    runner: FlaskCliRunner, site: Site, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    before, config_before = table_counts(), export_site_config(site)
    result = runner.invoke(args=["sites", "configure", "--", site.site_key, str(path)])
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ")
    assert message in line
    assert result.stdout == ""
    assert table_counts() == before
    assert export_site_config(site) == config_before


def test_cli_configure_unknown_site(runner: FlaskCliRunner, site: Site, tmp_path: Path) -> None:
    file = write_json(tmp_path / "c.json", {"name": "x"})
    result = runner.invoke(args=["sites", "configure", "--", "nosuchsite1", file])
    assert result.exit_code == 1
    assert result.stderr == "Error: no site with key 'nosuchsite1'\n"


def test_cli_show_prints_the_configuration(
    client: FlaskClient, runner: FlaskCliRunner, make_site: SiteFactory, site: Site
) -> None:
    patch_config(client, make_site, site, {"services": [GA4]})
    result = runner.invoke(args=["sites", "show", "--", site.site_key])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown == client.get(config_url(site), headers=bearer(make_site, site)).get_json()
    assert shown["services"][0]["cookies"][1]["name"] == "_ga_"
    missing = runner.invoke(args=["sites", "show", "--", "nosuchsite1"])
    assert missing.exit_code == 1


@pytest.mark.parametrize(
    "body",
    [
        {"consent_lifetime_days": "182"},
        {"retention_days": 30.5},
        {"consent_mode": {"ads_data_redaction": "yes"}},
        {"consent_mode": {"url_passthrough": 1}},
    ],
)
def test_numbers_and_switches_must_be_json_numbers_and_booleans(
    client: FlaskClient, make_site: SiteFactory, site: Site, body: dict[str, Any]
) -> None:
    before = client.get(config_url(site), headers=bearer(make_site, site)).get_json()
    response = client.patch(config_url(site), json=body, headers=bearer(make_site, site))
    assert response.status_code == 422
    assert any(field.startswith(next(iter(body))) for field in response.get_json()["errors"])
    assert client.get(config_url(site), headers=bearer(make_site, site)).get_json() == before


# Domains and the Public Suffix List ---------------------------------------------------------


def test_each_door_refuses_a_public_suffix_with_the_same_message(
    client: FlaskClient,
    runner: FlaskCliRunner,
    make_site: SiteFactory,
    site: Site,
    tmp_path: Path,
) -> None:
    before, config_before = table_counts(), export_site_config(site)
    response = patch_config(client, make_site, site, {"domains": ["shop.example", "*.co.uk"]})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert list(errors) == ["domains.1"]
    [message] = errors["domains.1"]
    assert message.startswith("'*.co.uk' is a wildcard on the public suffix co.uk")

    file = write_json(tmp_path / "c.json", {"domains": ["shop.example", "*.co.uk"]})
    configured = runner.invoke(args=["sites", "configure", "--", site.site_key, file])
    assert configured.exit_code == 1
    assert configured.stderr == f"Error: domains.1: {message}\n"

    created = runner.invoke(args=["sites", "create", "--name", "S", "--domain", "*.co.uk"])
    assert created.exit_code == 1
    assert created.stderr == f"Error: {message}\n"
    assert table_counts() == before
    assert export_site_config(site) == config_before


def store_domains_unchecked(site: Site, domains: list[str]) -> None:
    """Domains saved before the Public Suffix List check existed."""
    db.session.execute(sa.update(Site).where(Site.id == site.id).values(domains=domains))
    db.session.commit()


def test_domains_stored_before_the_check_keep_working(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    store_domains_unchecked(site, ["*.co.uk", "shop.example"])
    script = client.get(f"/c/{site.site_key}.js")
    assert script.status_code == 200
    response = client.post(
        f"/api/v1/sites/{site.site_key}/consents",
        json={"action": "accept_all"},
        headers={"Origin": "https://shop.co.uk"},
    )
    assert response.status_code == 201
    assert response.headers["Access-Control-Allow-Origin"] == "https://shop.co.uk"
    # Other settings change as before; only sending the domains again checks them.
    renamed = patch_config(client, make_site, site, {"name": "Renamed"})
    assert renamed.status_code == 200
    assert renamed.get_json()["domains"] == ["*.co.uk", "shop.example"]
    again = patch_config(client, make_site, site, {"domains": ["*.co.uk", "shop.example"]})
    assert again.status_code == 422
    assert list(again.get_json()["errors"]) == ["domains.0"]


def test_show_warns_of_stored_domains_the_check_now_refuses(
    runner: FlaskCliRunner, site: Site
) -> None:
    store_domains_unchecked(site, ["*.co.uk", "github.io", "shop.example"])
    result = runner.invoke(args=["sites", "show", "--", site.site_key])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["domains"] == ["*.co.uk", "github.io", "shop.example"]
    warnings = result.stderr.splitlines()
    assert len(warnings) == 2
    assert warnings[0].startswith("Warning: domains.0: '*.co.uk' is a wildcard on the public")
    assert warnings[1].startswith("Warning: domains.1: 'github.io' is a public suffix")


def test_show_of_a_sound_site_prints_no_warning(runner: FlaskCliRunner, site: Site) -> None:
    result = runner.invoke(args=["sites", "show", "--", site.site_key])
    assert result.exit_code == 0
    assert result.stderr == ""


# Cookie domain and script timeout ------------------------------------------------------------


@pytest.fixture
def test_site(make_site: SiteFactory) -> Site:
    """A site on example.test and its subdomains."""
    return make_site(domains=("example.test", "*.example.test"))


def stored_cookie_domain(site: Site) -> str | None:
    value: str | None = db.session.execute(
        sa.select(Site.cookie_domain).where(Site.id == site.id)
    ).scalar_one()
    return value


@pytest.mark.parametrize("sent", ["example.test", ".Example.TEST", " example.test "])
def test_cookie_domain_is_the_registrable_domain(
    client: FlaskClient, make_site: SiteFactory, test_site: Site, sent: str
) -> None:
    response = patch_config(client, make_site, test_site, {"cookie_domain": sent})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["cookie_domain"] == "example.test"
    assert stored_cookie_domain(test_site) == "example.test"


@pytest.mark.parametrize(
    "sent", ["www.example.test", "test", "other.test", "co.uk", "127.0.0.1", "localhost"]
)
def test_cookie_domain_must_be_one_of_the_sites_own(
    client: FlaskClient, make_site: SiteFactory, test_site: Site, sent: str
) -> None:
    before = table_counts()
    response = patch_config(client, make_site, test_site, {"cookie_domain": sent})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert list(errors) == ["cookie_domain"]
    [message] = errors["cookie_domain"]
    assert message.startswith(f"{sent!r} is not the registrable domain")
    assert "use 'example.test'" in message
    assert stored_cookie_domain(test_site) is None
    assert table_counts() == before


def test_cookie_domain_names_every_allowed_value(
    client: FlaskClient, make_site: SiteFactory
) -> None:
    site = make_site(domains=("shop.com.vn", "www.shop.test", "localhost"))
    response = patch_config(client, make_site, site, {"cookie_domain": "com.vn"})
    [message] = response.get_json()["errors"]["cookie_domain"]
    assert "use 'shop.com.vn' or 'shop.test'" in message


def test_a_site_of_addresses_has_no_cookie_domain(
    client: FlaskClient, make_site: SiteFactory
) -> None:
    site = make_site(domains=("localhost", "127.0.0.1:5000"))
    response = patch_config(client, make_site, site, {"cookie_domain": "localhost"})
    assert response.status_code == 422
    [message] = response.get_json()["errors"]["cookie_domain"]
    assert "none of the site's domains has a registrable domain" in message


def test_domains_may_not_leave_the_cookie_domain_behind(
    client: FlaskClient, make_site: SiteFactory, test_site: Site
) -> None:
    patch_config(client, make_site, test_site, {"cookie_domain": "example.test"})
    before, config_before = table_counts(), export_site_config(test_site)

    response = patch_config(client, make_site, test_site, {"domains": ["shop.test"]})

    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert list(errors) == ["cookie_domain"]
    assert "'example.test'" in errors["cookie_domain"][0]
    assert "use 'shop.test'" in errors["cookie_domain"][0]
    assert table_counts() == before
    assert export_site_config(test_site) == config_before

    # Both at once, or the cookie domain cleared, is fine.
    moved = {"domains": ["shop.test", "*.shop.test"], "cookie_domain": "shop.test"}
    assert patch_config(client, make_site, test_site, moved).status_code == 200
    assert stored_cookie_domain(test_site) == "shop.test"
    cleared = {"domains": ["localhost"], "cookie_domain": None}
    assert patch_config(client, make_site, test_site, cleared).status_code == 200
    assert stored_cookie_domain(test_site) is None


def test_other_changes_keep_the_cookie_domain(
    client: FlaskClient, make_site: SiteFactory, test_site: Site
) -> None:
    patch_config(client, make_site, test_site, {"cookie_domain": "example.test"})
    response = patch_config(client, make_site, test_site, {"name": "Renamed"})
    assert response.status_code == 200
    assert response.get_json()["cookie_domain"] == "example.test"
    # A subdomain of the same registrable domain keeps it fitting.
    response = patch_config(client, make_site, test_site, {"domains": ["www.example.test"]})
    assert response.status_code == 200
    assert stored_cookie_domain(test_site) == "example.test"


def test_the_widget_receives_cookie_domain_and_script_timeout(
    client: FlaskClient, make_site: SiteFactory, test_site: Site
) -> None:
    config = widget_config(test_site)
    assert (config["cookieDomain"], config["scriptTimeoutMs"]) == (None, 10000)
    patch_config(
        client,
        make_site,
        test_site,
        {"cookie_domain": "example.test", "script_timeout_ms": 2500},
    )
    db.session.expire_all()
    profile = SiteProfile.of(db.session.get(Site, test_site.id))
    assert profile.widget_config["cookieDomain"] == "example.test"
    assert profile.widget_config["scriptTimeoutMs"] == 2500


def test_cli_configure_sets_cookie_domain_and_timeout(
    runner: FlaskCliRunner, test_site: Site, tmp_path: Path
) -> None:
    file = write_json(
        tmp_path / "c.json", {"cookie_domain": ".example.test", "script_timeout_ms": 3000}
    )
    result = runner.invoke(args=["sites", "configure", "--", test_site.site_key, file])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (shown["cookie_domain"], shown["script_timeout_ms"]) == ("example.test", 3000)

    bad = write_json(tmp_path / "bad.json", {"cookie_domain": "www.example.test"})
    refused = runner.invoke(args=["sites", "configure", "--", test_site.site_key, bad])
    assert refused.exit_code == 1
    [line] = refused.stderr.splitlines()
    assert line.startswith("Error: cookie_domain: 'www.example.test' is not the registrable")


# Text limits --------------------------------------------------------------------------------


def banner_text(key: str) -> Any:
    return lambda text: {"texts": {"en": {key: text}}}


def category_text(key: str) -> Any:
    return lambda text: {
        "categories": [{"name": "analytics", "texts": {"en": {key: text}}}, {"name": "marketing"}]
    }


TEXT_LIMITS: list[tuple[str, Any, str, int]] = [
    ("button-label", banner_text("accept_all"), "texts.en.accept_all", 60),
    ("link-label", banner_text("policy_link"), "texts.en.policy_link", 60),
    ("title", banner_text("title"), "texts.en.title", 200),
    ("your-data-title", banner_text("your_data"), "texts.en.your_data", 200),
    ("description", banner_text("description"), "texts.en.description", 2000),
    ("receipt-text", banner_text("receipt_intro"), "texts.en.receipt_intro", 2000),
    ("category-title", category_text("title"), "categories.0.texts.en.title", 200),
    (
        "category-description",
        category_text("description"),
        "categories.0.texts.en.description",
        2000,
    ),
    ("service-label", lambda text: {"services": [{**GA4, "label": text}]}, "services.0.label", 200),
    (
        "service-description",
        lambda text: {"services": [{**GA4, "texts": {"en": {"description": text}}}]},
        "services.0.texts.en.description",
        2000,
    ),
]


@pytest.mark.parametrize(
    ("name", "body", "field", "limit"), TEXT_LIMITS, ids=[case[0] for case in TEXT_LIMITS]
)
def test_texts_up_to_their_limit_are_taken(
    client: FlaskClient,
    make_site: SiteFactory,
    site: Site,
    name: str,
    body: Any,
    field: str,
    limit: int,
) -> None:
    text = "é" * limit
    response = patch_config(client, make_site, site, body(text))
    assert response.status_code == 200, response.get_json()
    assert text in json.dumps(export_site_config(site), ensure_ascii=False)


@pytest.mark.parametrize(
    ("name", "body", "field", "limit"), TEXT_LIMITS, ids=[case[0] for case in TEXT_LIMITS]
)
def test_texts_over_their_limit_are_refused(
    client: FlaskClient,
    make_site: SiteFactory,
    site: Site,
    name: str,
    body: Any,
    field: str,
    limit: int,
) -> None:
    before, config_before = table_counts(), export_site_config(site)
    response = patch_config(client, make_site, site, body("x" * (limit + 1)))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"] == {field: [f"At most {limit} characters."]}
    assert table_counts() == before
    assert export_site_config(site) == config_before


def test_cli_configure_gives_the_apis_text_message(
    runner: FlaskCliRunner, site: Site, tmp_path: Path
) -> None:
    file = write_json(tmp_path / "c.json", {"texts": {"en": {"accept_all": "x" * 61}}})
    result = runner.invoke(args=["sites", "configure", "--", site.site_key, file])
    assert result.exit_code == 1
    assert result.stderr == "Error: texts.en.accept_all: At most 60 characters.\n"

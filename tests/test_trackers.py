"""Known trackers from the Open Cookie Database: never essential, and a category suggested.

The database travels in the package (cookieconsent/data); these tests pin what the project
makes of it: the examples that were once accepted under essential (Adobe, Matomo, Google Tag
Manager's ``_dc_gtm_``, YouTube), generic names judged by their domain, the suggestions the
admin API and the console show.
"""

from __future__ import annotations

import hashlib
import re
import time
from importlib import resources
from typing import Any

import pytest
from flask.testing import FlaskClient

from cookieconsent.extensions import db
from cookieconsent.models import Site, User
from cookieconsent.services.accounts import create_user, issue_token, set_role
from cookieconsent.services.site_config import export_site_config
from cookieconsent.services.trackers import (
    REGEX_BUDGET_SECONDS,
    SUPPLEMENT,
    cookie_database,
    suggest_category,
    tracker_cookie,
)

from .conftest import SiteFactory, table_counts
from .test_console_accounts import sign_in

PASSWORD = "correct horse battery staple"
DATA = resources.files("cookieconsent").joinpath("data")


def member(site: Site, email: str, role: str = "owner", language: str = "en") -> User:
    user = create_user(email, PASSWORD)
    set_role(user, site, role)
    user.language = language
    db.session.commit()
    return user


def bearer(user: User) -> dict[str, str]:
    _row, token = issue_token(user, "trackers")
    return {"Authorization": f"Bearer {token}"}


def essential_service(*cookies: dict[str, Any]) -> dict[str, Any]:
    """A site's own service under essential, with the given cookies."""
    return {
        "services": [
            {
                "name": "shop",
                "category": "essential",
                "label": "Shop",
                "cookies": [{"lifetime_days": 1, **cookie} for cookie in cookies],
            }
        ]
    }


# The data --------------------------------------------------------------------------------------


def test_the_packaged_database_is_the_one_its_notice_describes() -> None:
    csv_bytes = DATA.joinpath("open-cookie-database.csv").read_bytes()
    notice = DATA.joinpath("NOTICE.md").read_text("utf-8")
    assert hashlib.sha256(csv_bytes).hexdigest() in notice
    assert "Apache License, Version 2.0" in notice
    assert re.search(r"commit: `[0-9a-f]{40}`", notice)
    assert "Apache License" in DATA.joinpath("open-cookie-database.LICENSE").read_text("utf-8")
    # Every row of the file, and the corrections kept apart from it.
    assert len(cookie_database().entries) == csv_bytes.count(b"\n") - 1 + len(SUPPLEMENT)


def test_the_database_is_read_once() -> None:
    cookie_database.cache_clear()
    started = time.perf_counter()
    first = cookie_database()
    loaded = time.perf_counter() - started
    assert cookie_database() is first
    # About 45 to 90 ms on an idle 2-core machine, up to 0.7 s when it is busy; the bound only
    # catches a load that went quadratic.
    assert loaded < 5.0, loaded


# What the database says ------------------------------------------------------------------------

KNOWN = [
    # (declared name, match, domain) → (platform, the database's category, suggested category)
    (("AMCV_8F99@AdobeOrg", "exact", None), ("Adobe Audience Manager", "Marketing", "marketing")),
    (("AMCV_", "prefix", None), ("Adobe Audience Manager", "Marketing", "marketing")),
    (("s_cc", "exact", None), ("Adobe Analytics", "Analytics", "analytics")),
    (("_pk_id", "exact", None), ("Matomo", "Analytics", "analytics")),
    (("_dc_gtm_UA-1234567-1", "exact", None), ("Google Analytics", "Analytics", "analytics")),
    (("VISITOR_INFO1_LIVE", "exact", None), ("Youtube", "Marketing", "marketing")),
    # Functional in the database, but set from youtube.com with YouTube's marketing cookies.
    (("YSC", "exact", None), ("Youtube", "Functional", "marketing")),
    (("sessionid", "exact", ".instagram.com"), ("Instagram", "Marketing", "marketing")),
    (("sessionid", "exact", "www.instagram.com"), ("Instagram", "Marketing", "marketing")),
    (("token", "exact", ".adform.net"), ("Adform", "Marketing", "marketing")),
    (("PHPSESSID", "exact", None), ("PHP.net", "Functional", "essential")),
    (("_ga_.*", "regex", None), ("Google Analytics", "Analytics", "analytics")),
]  # fmt: skip


@pytest.mark.parametrize(("declared", "expected"), KNOWN, ids=[k[0][0][:20] for k in KNOWN])
def test_suggestion_names_the_platform_and_categories(
    declared: tuple[str, str, str | None], expected: tuple[str, str, str]
) -> None:
    name, match, domain = declared
    suggestion = suggest_category(name, domain, match)
    assert suggestion is not None
    entry = suggestion.entry
    assert (suggestion.platform, entry.category, suggestion.suggested_category) == expected


@pytest.mark.parametrize(
    ("name", "domain"),
    [
        ("sessionid", None),  # Instagram's, but a word any site uses
        ("sessionid", ".shop.vn"),  # a domain the database does not name
        ("token", None),  # Adform's and Xandr's
        ("lang", None),  # LinkedIn's, from linkedin.com only
        ("session", None),
        ("id", None),
        ("_session_id", None),  # would start with Shopify's wildcard "_s"
        ("captcha", None),  # would start with the wildcard "cap"
        ("cookieconsent_abc123", None),
    ],
)
def test_generic_and_unknown_names_get_no_suggestion(name: str, domain: str | None) -> None:
    assert suggest_category(name, domain) is None
    assert tracker_cookie(name, "exact", domain) is None


def test_a_generic_name_on_the_platforms_domain_is_judged_by_that_platform() -> None:
    linkedin = tracker_cookie("lang", "exact", ".linkedin.com")
    assert linkedin is not None and linkedin.platform == "LinkedIn"
    assert linkedin.refusal() == (
        "'lang' is a LinkedIn cookie set from linkedin.com together with its marketing cookies "
        "(Open Cookie Database: functional); it cannot be essential."
    )


def test_a_pattern_that_backtracks_badly_is_cut_short() -> None:
    started = time.perf_counter()
    suggest_category("(a|aa)*(b|bb)*(c|cc)*(d|dd)*(e|ee)*$!", None, "regex")
    assert time.perf_counter() - started < REGEX_BUDGET_SECONDS + 0.5


# Refused under essential, through the site API and the admin API -------------------------------

REFUSED = [
    # (cookie as declared, platform named in the message, the database's category named)
    ({"name": "AMCV_8F99160E571FC0427F000101@AdobeOrg"}, "Adobe Audience Manager", "marketing"),
    ({"name": "AMCV_", "match": "prefix"}, "Adobe Audience Manager", "marketing"),
    ({"name": "s_cc"}, "Adobe Analytics", "analytics"),
    ({"name": "_pk_id"}, "Matomo", "analytics"),
    ({"name": "_dc_gtm_UA-1234567-1"}, "Google Analytics", "analytics"),
    ({"name": "YSC"}, "Youtube", "functional"),
    ({"name": "VISITOR_INFO1_LIVE"}, "Youtube", "marketing"),
    ({"name": "sessionid", "domain": ".instagram.com"}, "Instagram", "marketing"),
]


@pytest.mark.parametrize(
    ("cookie", "platform", "category"), REFUSED, ids=[c[0]["name"][:20] for c in REFUSED]
)
def test_a_known_tracker_cannot_be_essential_on_the_site_api(
    client: FlaskClient,
    make_site: SiteFactory,
    site: Site,
    cookie: dict[str, Any],
    platform: str,
    category: str,
) -> None:
    before, config_before = table_counts(), export_site_config(site)
    response = client.patch(
        f"/api/v1/sites/{site.site_key}/config",
        json=essential_service({"name": "shop_cart"}, cookie),
        headers={"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
    )
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert list(errors) == ["services.0.cookies.1.name"]
    (message,) = errors["services.0.cookies.1.name"]
    assert f" {platform} " in message and "(Open Cookie Database" in message
    assert category in message and message.endswith("it cannot be essential.")
    assert table_counts() == before
    assert export_site_config(site) == config_before


def test_the_refusal_reads_as_the_issue_asks(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    response = client.patch(
        f"/api/v1/sites/{site.site_key}/config",
        json=essential_service({"name": "_pk_id"}),
        headers={"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
    )
    assert response.get_json()["errors"] == {
        "services.0.cookies.0.name": [
            "'_pk_id' is a Matomo analytics cookie (Open Cookie Database); it cannot be essential."
        ]
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [("PATCH", "config"), ("PATCH", "config/draft"), ("PUT", "config/draft")],
)
def test_a_known_tracker_cannot_be_essential_on_the_admin_api(
    client: FlaskClient, site: Site, method: str, path: str
) -> None:
    headers = bearer(member(site, "chu@shop.vn"))
    url = f"/api/v1/admin/sites/{site.site_key}/{path}"
    body = essential_service({"name": "VISITOR_INFO1_LIVE"}, {"name": "YSC"})
    if method == "PUT":
        live = client.get(f"/api/v1/admin/sites/{site.site_key}/config", headers=headers)
        body = {**live.get_json(), **body}
        body.pop("site_key", None)
        body.pop("policy_version", None)  # read-only in a draft
    before, config_before = table_counts(), export_site_config(site)

    response = client.open(url, method=method, json=body, headers=headers)

    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]
    assert set(errors) >= {"services.0.cookies.0.name", "services.0.cookies.1.name"}
    assert "Youtube marketing cookie" in errors["services.0.cookies.0.name"][0]
    assert "youtube.com together with its marketing" in errors["services.0.cookies.1.name"][0]
    assert table_counts() == before
    assert export_site_config(site) == config_before


def test_a_generic_name_is_fine_under_essential(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    response = client.patch(
        f"/api/v1/sites/{site.site_key}/config",
        json=essential_service(
            {"name": "sessionid"},
            {"name": "sessionid", "domain": ".shop.example"},
            {"name": "token"},
            {"name": "PHPSESSID"},
        ),
        headers={"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
    )
    assert response.status_code == 200, response.get_json()
    (shop,) = [s for s in export_site_config(site)["services"] if s["name"] == "shop"]
    assert shop["category"] == "essential"
    assert [c["name"] for c in shop["cookies"]] == ["sessionid", "sessionid", "token", "PHPSESSID"]


def test_known_trackers_are_fine_under_their_own_category(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    youtube = {
        "name": "youtube",
        "category": "marketing",
        "label": "YouTube videos",
        "cookies": [
            {"name": "YSC", "lifetime_days": 0},
            {"name": "VISITOR_INFO1_LIVE", "lifetime_days": 180},
            {"name": "sessionid", "domain": ".instagram.com", "lifetime_days": 365},
        ],
    }
    response = client.patch(
        f"/api/v1/sites/{site.site_key}/config",
        json={"services": [youtube]},
        headers={"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
    )
    assert response.status_code == 200, response.get_json()
    assert [s["name"] for s in export_site_config(site)["services"]] == ["youtube"]


def test_a_service_named_after_a_tracker_cannot_be_essential(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    service = {**essential_service({"name": "shop_cart"})["services"][0], "label": "YouTube"}
    response = client.patch(
        f"/api/v1/sites/{site.site_key}/config",
        json={"services": [service]},
        headers={"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "services.0.category": ["'YouTube' looks like a tracker (YouTube); it cannot be essential."]
    }


# The admin API's suggestion --------------------------------------------------------------------


def test_suggest_needs_a_personal_token(client: FlaskClient, site: Site) -> None:
    response = client.get("/api/v1/admin/cookies/suggest?name=_pk_id")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_suggest_answers_from_the_database(client: FlaskClient, site: Site) -> None:
    headers = bearer(member(site, "xem@shop.vn", "viewer"))
    response = client.get("/api/v1/admin/cookies/suggest?name=_pk_id.1.a1b2", headers=headers)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["found"] is True
    assert body["source"] == "open-cookie-database"
    assert (body["platform"], body["category"], body["suggested_category"]) == (
        "Piwik",
        "Analytics",
        "analytics",
    )
    assert (body["matched"], body["wildcard"]) == ("_pk_id.", True)

    generic = client.get("/api/v1/admin/cookies/suggest?name=sessionid", headers=headers)
    assert generic.status_code == 200
    assert generic.get_json() == {
        "name": "sessionid",
        "domain": None,
        "match": "exact",
        "found": False,
        "platform": None,
        "category": None,
        "suggested_category": None,
        "matched": None,
        "wildcard": None,
        "description": None,
        "source": "open-cookie-database",
    }

    on_instagram = client.get(
        "/api/v1/admin/cookies/suggest",
        query_string={"name": "sessionid", "domain": ".instagram.com"},
        headers=headers,
    ).get_json()
    assert (on_instagram["platform"], on_instagram["suggested_category"]) == (
        "Instagram",
        "marketing",
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "(_ga", "match": "regex"}, "name"),
        ({"name": "_ga", "match": "glob"}, "match"),
        ({"name": "_ga", "domain": "x" * 254}, "domain"),
    ],
    ids=["missing", "empty", "bad-regex", "bad-match", "long-domain"],
)
def test_suggest_refuses_bad_queries_by_field(
    client: FlaskClient, site: Site, query: dict[str, str], field: str
) -> None:
    headers = bearer(member(site, "chu@shop.vn"))
    response = client.get("/api/v1/admin/cookies/suggest", query_string=query, headers=headers)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_suggest_is_documented(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/admin/cookies/suggest"]["get"]
    assert operation["security"] == [{"bearerAuth": []}]
    assert {p["name"] for p in operation["parameters"]} >= {"name", "domain", "match"}


# The console -----------------------------------------------------------------------------------


def test_the_console_shows_the_suggestion_beside_each_cookie(
    console: FlaskClient, client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    matomo = {
        "name": "matomo",
        "category": "analytics",
        "label": "Matomo",
        "cookies": [
            {"name": "_pk_id", "match": "prefix", "lifetime_days": 393},
            {"name": "shop_visit", "lifetime_days": 1},
        ],
    }
    patched = client.patch(
        f"/api/v1/sites/{site.site_key}/config",
        json={"services": [matomo]},
        headers={"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
    )
    assert patched.status_code == 200, patched.get_json()
    member(site, "chu@shop.vn")
    sign_in(console, "chu@shop.vn")

    page = console.get(f"/admin/sites/{site.site_key}/banner").get_data(as_text=True)
    assert re.search(
        r"<code>_pk_id</code> <span [^>]*data-suggested-category=\"analytics\">"
        r"\(Matomo, analytics\)</span>, <code>shop_visit</code></td>",
        page,
    ), page
    assert "In brackets after a cookie: the platform that sets it" in page
    editing = console.get(f"/admin/sites/{site.site_key}/banner?service=matomo")
    assert re.search(
        r'<p class="hint" id="service-cookies-0-name-hint">Open Cookie Database: Matomo, '
        r"analytics</p>",
        editing.get_data(as_text=True),
    )
    assert "service-cookies-1-name-hint" not in editing.get_data(as_text=True)


def test_the_vietnamese_console_explains_the_refusal(console: FlaskClient, site: Site) -> None:
    member(site, "chu@shop.vn", language="vi")
    sign_in(console, "chu@shop.vn")
    page = console.get(f"/admin/sites/{site.site_key}/banner").get_data(as_text=True)
    csrf = re.search(r'name="service-csrf_token" type="hidden" value="([^"]+)"', page)
    assert csrf is not None
    response = console.post(
        f"/admin/sites/{site.site_key}/banner",
        data={
            "service-csrf_token": csrf.group(1),
            "action": "service",
            "service-name": "shop",
            "service-label": "Shop",
            "service-category": "essential",
            "service-cookies-0-name": "YSC",
            "service-cookies-0-match": "exact",
            "service-cookies-0-lifetime_days": "0",
        },
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    error = re.search(r'id="service-cookies-0-name-error">([^<]*)<', body)
    assert error is not None
    assert "Youtube" in error.group(1) and "youtube.com" in error.group(1)
    assert "it cannot be essential" not in error.group(1)  # said in Vietnamese
    hint = re.search(r'id="service-cookies-0-name-hint">([^<]*)<', body)
    assert hint is not None and "Youtube" in hint.group(1) and "marketing" in hint.group(1)


def test_a_short_wildcard_applies_when_the_name_carries_its_platform() -> None:
    """Mixpanel's ``mp_`` is too short to judge on its own, but ``mp_<token>_mixpanel`` is it."""
    found = tracker_cookie("mp_0a1b2c_mixpanel")
    assert found is not None and found.platform == "Mixpanel"
    assert tracker_cookie("mp_0a1b2c") is None
    assert tracker_cookie("mp_settings") is None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("_GA", "Google Analytics"),
        ("_Ga", "Google Analytics"),
        ("ysc", "Youtube"),
        ("__Host-_ga", "Google Analytics"),
        ("__Secure-_fbp", "Facebook"),
        ("%5Fga", "Google Analytics"),
        ("_\uff46bp", "Facebook"),
        ("_GA_ABC123", "Google Analytics"),
        ("_hjSessionUser_123", "Hotjar"),
        ("_fbp ", "Not a cookie name"),
        ("_fbp\u200b", "Not a cookie name"),
        ("\u200b_ga", "Not a cookie name"),
    ],
)
def test_a_tracker_in_disguise_is_still_refused_under_essential(
    client: FlaskClient, make_site: SiteFactory, site: Site, name: str, message: str
) -> None:
    """Case, cookie prefixes, escapes, full-width letters and invisible characters hide nothing."""
    before = table_counts()
    response = client.patch(
        f"/api/v1/sites/{site.site_key}/config",
        json=essential_service({"name": name}),
        headers={"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
    )
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]
    assert list(errors) == ["services.0.cookies.0.name"]
    assert message in errors["services.0.cookies.0.name"][0]
    assert table_counts() == before


def test_a_trackers_local_storage_key_is_refused_under_essential(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    body = essential_service({"name": "shop_cart"})
    body["services"][0]["local_storage"] = ["cart", "_hjid", "_hjSessionUser_*"]
    response = client.patch(
        f"/api/v1/sites/{site.site_key}/config",
        json=body,
        headers={"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
    )
    assert response.status_code == 422
    assert sorted(response.get_json()["errors"]) == [
        "services.0.local_storage.1",
        "services.0.local_storage.2",
    ]

"""Per-service choices, the Global Privacy Control opt-out, and lookup views for tag managers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from cookieconsent.extensions import db
from cookieconsent.models import ConsentEvent, ConsentState, Site
from cookieconsent.schemas import SiteConfigSchema
from cookieconsent.services.consent import ConsentInput, record_consent
from cookieconsent.services.signing import mint_visitor_id, verify_visitor_id
from cookieconsent.services.site_config import apply_site_config
from cookieconsent.services.sites import SiteProfile

from .conftest import SECRET_KEYS, SiteFactory, table_counts

SHOP_ORIGIN = "https://shop.example"
SERVICES: list[dict[str, Any]] = [
    {
        "name": "ga4",
        "category": "analytics",
        "label": "Google Analytics 4",
        "cookies": [{"name": "_ga", "lifetime_days": 400}],
    },
    {"name": "hotjar", "category": "analytics", "label": "Hotjar"},
    {
        "name": "meta_pixel",
        "category": "marketing",
        "label": "Meta Pixel",
        "cookies": [{"name": "_fbp", "lifetime_days": 90}],
    },
]
ALL_SERVICES_ON = {"ga4": True, "hotjar": True, "meta_pixel": True}
ALL_SERVICES_OFF = {"ga4": False, "hotjar": False, "meta_pixel": False}
ALL_ON = {"essential": True, "analytics": True, "marketing": True}
ALL_OFF = {"essential": True, "analytics": False, "marketing": False}


def configure(site: Site, config: dict[str, Any]) -> None:
    apply_site_config(site, SiteConfigSchema().load(config))


@pytest.fixture
def shop(site: Site) -> Site:
    """The site with GA4 and Hotjar under analytics and Meta Pixel under marketing."""
    configure(site, {"services": SERVICES})
    return site


def consents_url(site: Site) -> str:
    return f"/api/v1/sites/{site.site_key}/consents"


def post_choice(client: FlaskClient, site: Site, body: dict[str, Any], **headers: str) -> Any:
    headers.setdefault("Origin", SHOP_ORIGIN)
    return client.post(consents_url(site), json=body, headers=headers)


def decide(client: FlaskClient, site: Site, body: dict[str, Any], **headers: str) -> dict[str, Any]:
    response = post_choice(client, site, body, **headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def lookup(client: FlaskClient, site: Site, visitor_id: str) -> dict[str, Any]:
    response = client.get(f"{consents_url(site)}/{visitor_id}")
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]


def events() -> list[ConsentEvent]:
    return list(db.session.execute(sa.select(ConsentEvent).order_by(ConsentEvent.id)).scalars())


def state_of(site: Site, visitor_id: str) -> ConsentState:
    raw_id = verify_visitor_id(SECRET_KEYS, site.site_key, visitor_id)
    state = db.session.get(ConsentState, (site.id, raw_id), populate_existing=True)
    assert state is not None
    return state


# Per-service choices ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "categories", "services"),
    [
        ({"action": "accept_all"}, ALL_ON, ALL_SERVICES_ON),
        (
            {"action": "accept_all", "services": {"ga4": True, "meta_pixel": True}},
            ALL_ON,
            ALL_SERVICES_ON,
        ),
        ({"action": "reject_all"}, ALL_OFF, ALL_SERVICES_OFF),
        ({"action": "reject_all", "services": {"ga4": False}}, ALL_OFF, ALL_SERVICES_OFF),
        (
            {
                "action": "save",
                "categories": {"analytics": True, "marketing": False},
                "services": {"ga4": False},
            },
            {"essential": True, "analytics": True, "marketing": False},
            {"ga4": False, "hotjar": True, "meta_pixel": False},
        ),
        (
            {
                "action": "save",
                "categories": {"analytics": True, "marketing": True},
                "services": {"ga4": True, "hotjar": False, "meta_pixel": False},
            },
            # Refusing every service of a category one by one leaves the category itself allowed.
            ALL_ON,
            {"ga4": True, "hotjar": False, "meta_pixel": False},
        ),
        (
            {"action": "save", "categories": {"analytics": False, "marketing": True}},
            {"essential": True, "analytics": False, "marketing": True},
            {"ga4": False, "hotjar": False, "meta_pixel": True},
        ),
    ],
    ids=[
        "accept-all",
        "accept-all-explicit",
        "reject-all",
        "reject-all-explicit",
        "save-refusing-ga4",
        "save-refusing-a-whole-category-by-services",
        "save-marketing-only",
    ],
)
def test_service_choices_are_recorded_and_looked_up(
    client: FlaskClient,
    shop: Site,
    body: dict[str, Any],
    categories: dict[str, bool],
    services: dict[str, bool],
) -> None:
    recorded = decide(client, shop, body)
    assert recorded["categories"] == categories
    assert recorded["services"] == services

    found = lookup(client, shop, recorded["visitor_id"])
    assert found["categories"] == categories
    assert found["services"] == services

    [event] = events()
    assert event.categories == categories
    assert event.services == services
    assert state_of(shop, recorded["visitor_id"]).services == services


def test_a_later_choice_replaces_the_services(client: FlaskClient, shop: Site) -> None:
    visitor_id = decide(client, shop, {"action": "accept_all"})["visitor_id"]
    body = {
        "action": "save",
        "visitor_id": visitor_id,
        "categories": {"analytics": True, "marketing": True},
        "services": {"hotjar": False},
    }
    decide(client, shop, body)
    assert lookup(client, shop, visitor_id)["services"] == {
        "ga4": True,
        "hotjar": False,
        "meta_pixel": True,
    }
    assert [event.services for event in events()] == [
        ALL_SERVICES_ON,
        {"ga4": True, "hotjar": False, "meta_pixel": True},
    ]


def test_undecided_and_withdrawn_visitors_have_every_service_off(
    client: FlaskClient, shop: Site
) -> None:
    _, undecided = mint_visitor_id(SECRET_KEYS, shop.site_key)
    assert lookup(client, shop, undecided)["services"] == ALL_SERVICES_OFF

    visitor_id = decide(client, shop, {"action": "accept_all"})["visitor_id"]
    withdrawn = decide(client, shop, {"action": "withdraw", "visitor_id": visitor_id})
    assert withdrawn["services"] == ALL_SERVICES_OFF
    assert lookup(client, shop, visitor_id)["services"] == ALL_SERVICES_OFF


def test_a_service_added_later_was_never_agreed_to(client: FlaskClient, shop: Site) -> None:
    visitor_id = decide(client, shop, {"action": "accept_all"})["visitor_id"]
    configure(
        shop,
        {"services": [*SERVICES, {"name": "matomo", "category": "analytics", "label": "Matomo"}]},
    )
    assert lookup(client, shop, visitor_id)["services"] == {**ALL_SERVICES_ON, "matomo": False}


BAD_SERVICES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown-service", {"action": "accept_all", "services": {"tiktok": True}}, "services.tiktok"),
    (
        "non-boolean",
        {
            "action": "save",
            "categories": {"analytics": True, "marketing": False},
            "services": {"ga4": "no"},
        },
        "services.ga4",
    ),
    (
        "null",
        {
            "action": "save",
            "categories": {"analytics": True, "marketing": False},
            "services": {"hotjar": None},
        },
        "services.hotjar",
    ),
    (
        "allowed-while-category-refused",
        {
            "action": "save",
            "categories": {"analytics": True, "marketing": False},
            "services": {"meta_pixel": True},
        },
        "services.meta_pixel",
    ),
    (
        "allowed-with-reject-all",
        {"action": "reject_all", "services": {"ga4": True}},
        "services.ga4",
    ),
    (
        "refused-with-accept-all",
        {"action": "accept_all", "services": {"ga4": False}},
        "services.ga4",
    ),
    ("services-not-object", {"action": "accept_all", "services": ["ga4"]}, "services"),
    (
        "opt-out-with-categories",
        {"action": "opt_out", "categories": {"marketing": False}},
        "categories",
    ),
    ("opt-out-with-services", {"action": "opt_out", "services": {"meta_pixel": False}}, "services"),
    ("unknown-source", {"action": "opt_out", "source": "browser"}, "source"),
]


@pytest.mark.parametrize(("name", "body", "field"), BAD_SERVICES, ids=[c[0] for c in BAD_SERVICES])
def test_bad_services_are_refused_and_write_nothing(
    client: FlaskClient, shop: Site, name: str, body: dict[str, Any], field: str
) -> None:
    before = table_counts()
    response = post_choice(client, shop, body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert list(errors) == [field], errors
    assert table_counts() == before


def test_services_sent_to_a_site_without_services(client: FlaskClient, site: Site) -> None:
    before = table_counts()
    response = post_choice(client, site, {"action": "accept_all", "services": {"ga4": True}})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "services.ga4": ["Unknown service. This site has: none."]
    }
    assert table_counts() == before


# Lookup views -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("categories", "allowed_names"),
    [
        (
            {"analytics": True, "marketing": False, "preferences": True},
            ["essential", "analytics", "preferences"],
        ),
        ({"analytics": False, "marketing": True, "preferences": False}, ["essential", "marketing"]),
        ({"analytics": False, "marketing": False, "preferences": False}, ["essential"]),
    ],
)
def test_views_for_segment_tealium_and_google(
    client: FlaskClient, shop: Site, categories: dict[str, bool], allowed_names: list[str]
) -> None:
    configure(
        shop,
        {"categories": [{"name": "analytics"}, {"name": "marketing"}, {"name": "preferences"}]},
    )
    visitor_id = decide(client, shop, {"action": "save", "categories": categories})["visitor_id"]
    found = lookup(client, shop, visitor_id)
    every = {"essential": True, **categories}
    assert found["categories"] == every
    assert found["segment"] == {"categoryPreferences": every}
    assert found["tealium"] == {"consent_categories": allowed_names}

    def signal(category: str) -> str:
        return "granted" if every[category] else "denied"

    assert found["google_consent_mode"] == {
        "ad_storage": signal("marketing"),
        "ad_user_data": signal("marketing"),
        "ad_personalization": signal("marketing"),
        "analytics_storage": signal("analytics"),
        "functionality_storage": "granted",
        "personalization_storage": signal("preferences"),
        "security_storage": "granted",
    }


def test_personalization_stays_denied_without_a_preferences_category(
    client: FlaskClient, shop: Site
) -> None:
    visitor_id = decide(client, shop, {"action": "accept_all"})["visitor_id"]
    found = lookup(client, shop, visitor_id)
    assert found["google_consent_mode"]["personalization_storage"] == "denied"
    assert found["google_consent_mode"]["ad_storage"] == "granted"
    assert found["tealium"] == {"consent_categories": ["essential", "analytics", "marketing"]}


@pytest.mark.parametrize(
    ("category", "allowed"),
    [("essential", True), ("analytics", True), ("marketing", False)],
)
def test_allowed_endpoint_with_services(
    client: FlaskClient, shop: Site, category: str, allowed: bool
) -> None:
    body = {
        "action": "save",
        "categories": {"analytics": True, "marketing": False},
        "services": {"ga4": False},
    }
    visitor_id = decide(client, shop, body)["visitor_id"]
    response = client.get(f"{consents_url(shop)}/{visitor_id}/allowed/{category}")
    assert response.status_code == 200
    assert response.get_json() == {"allowed": allowed}


def test_a_service_is_not_a_category_for_allowed(client: FlaskClient, shop: Site) -> None:
    visitor_id = decide(client, shop, {"action": "accept_all"})["visitor_id"]
    response = client.get(f"{consents_url(shop)}/{visitor_id}/allowed/ga4")
    assert response.status_code == 404
    assert "category" in response.get_json()["errors"]


def test_batch_lookup_entries_carry_services(
    client: FlaskClient, make_site: SiteFactory, shop: Site
) -> None:
    body = {
        "action": "save",
        "categories": {"analytics": True, "marketing": True},
        "services": {"hotjar": False},
    }
    chosen = decide(client, shop, body)["visitor_id"]
    _, undecided = mint_visitor_id(SECRET_KEYS, shop.site_key)
    response = client.post(
        f"{consents_url(shop)}/lookup",
        json={"visitor_ids": [chosen, "garbage", undecided]},
        headers={"Authorization": f"Bearer {make_site.tokens[shop.site_key]}"},
    )
    assert response.status_code == 200
    first, bad, last = response.get_json()["results"]
    assert first["services"] == {"ga4": True, "hotjar": False, "meta_pixel": True}
    assert first["segment"] == {"categoryPreferences": ALL_ON}
    assert "services" not in bad and bad["visitor_id"] == "garbage"
    assert last["services"] == ALL_SERVICES_OFF


# Opt-out (Global Privacy Control) -----------------------------------------------------------


def test_opt_out_of_an_undecided_visitor(client: FlaskClient, shop: Site) -> None:
    response = post_choice(client, shop, {"action": "opt_out", "source": "gpc"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["decided"] is False
    assert body["categories"] == ALL_OFF
    assert body["services"] == ALL_SERVICES_OFF
    assert body["decided_at"] is None and body["expires_at"] is None

    found = lookup(client, shop, body["visitor_id"])
    assert found["decided"] is False
    assert found["categories"]["marketing"] is False
    assert found["gpc"] is True
    assert found["google_consent_mode"]["ad_storage"] == "denied"

    [event] = events()
    assert (event.action, event.source, event.gpc, event.decided) == ("opt_out", "gpc", True, False)
    assert event.categories == ALL_OFF
    assert event.services == ALL_SERVICES_OFF
    state = state_of(shop, body["visitor_id"])
    assert (state.decided, state.gpc, state.last_event_id) == (False, True, event.id)


def test_opt_out_keeps_an_earlier_decision_but_refuses_marketing(
    client: FlaskClient, shop: Site
) -> None:
    accepted = decide(client, shop, {"action": "accept_all"})
    visitor_id = accepted["visitor_id"]

    opted_out = decide(
        client, shop, {"action": "opt_out", "source": "gpc", "visitor_id": visitor_id}
    )
    assert opted_out["decided"] is True
    assert opted_out["categories"] == {"essential": True, "analytics": True, "marketing": False}
    assert opted_out["services"] == {"ga4": True, "hotjar": True, "meta_pixel": False}
    # The visitor did not decide anew: the original decision's dates stand.
    assert opted_out["decided_at"] == accepted["decided_at"]
    assert opted_out["expires_at"] == accepted["expires_at"]

    found = lookup(client, shop, visitor_id)
    assert found["decided"] is True
    assert found["gpc"] is True
    assert found["categories"] == opted_out["categories"]
    assert found["google_consent_mode"]["analytics_storage"] == "granted"
    assert found["google_consent_mode"]["ad_storage"] == "denied"
    assert [(e.action, e.source) for e in events()] == [
        ("accept_all", "banner"),
        ("opt_out", "gpc"),
    ]

    # An explicit choice later is the visitor's own and may allow marketing again.
    again = decide(client, shop, {"action": "accept_all", "visitor_id": visitor_id})
    assert again["categories"] == ALL_ON
    assert again["services"] == ALL_SERVICES_ON
    assert again["decided_at"] != accepted["decided_at"]
    assert lookup(client, shop, visitor_id)["categories"]["marketing"] is True


def test_opt_out_keeps_services_refused_one_by_one(client: FlaskClient, shop: Site) -> None:
    body = {
        "action": "save",
        "categories": {"analytics": True, "marketing": True},
        "services": {"hotjar": False},
    }
    visitor_id = decide(client, shop, body)["visitor_id"]
    opted_out = decide(client, shop, {"action": "opt_out", "visitor_id": visitor_id})
    assert opted_out["services"] == {"ga4": True, "hotjar": False, "meta_pixel": False}
    assert events()[-1].source == "banner"


def test_opt_out_grants_nothing_that_was_never_agreed_to(client: FlaskClient, shop: Site) -> None:
    visitor_id = decide(client, shop, {"action": "accept_all"})["visitor_id"]
    matomo = {"name": "matomo", "category": "analytics", "label": "Matomo"}
    configure(shop, {"services": [*SERVICES, matomo]})
    opted_out = decide(client, shop, {"action": "opt_out", "visitor_id": visitor_id})
    assert opted_out["services"]["matomo"] is False
    assert lookup(client, shop, visitor_id)["services"]["matomo"] is False


def test_opt_out_of_an_expired_decision_is_undecided(client: FlaskClient, shop: Site) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=400)
    expired = record_consent(
        SiteProfile.of(shop),
        ConsentInput(action="accept_all"),
        secret_keys=SECRET_KEYS,
        now=long_ago,
    )
    opted_out = decide(client, shop, {"action": "opt_out", "visitor_id": expired.visitor_id})
    assert opted_out["decided"] is False
    assert opted_out["categories"] == ALL_OFF
    assert opted_out["services"] == ALL_SERVICES_OFF


@pytest.mark.parametrize("action", ["accept_all", "opt_out"])
def test_sec_gpc_header_is_recorded(client: FlaskClient, shop: Site, action: str) -> None:
    body = decide(client, shop, {"action": action}, **{"Sec-GPC": "1"})
    assert lookup(client, shop, body["visitor_id"])["gpc"] is True
    assert events()[0].gpc is True
    # Without the header (nor the body flag) the next choice is not a GPC one.
    decide(client, shop, {"action": "reject_all", "visitor_id": body["visitor_id"]})
    assert lookup(client, shop, body["visitor_id"])["gpc"] is False

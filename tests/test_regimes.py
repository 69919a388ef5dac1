"""Regimes by strictness, their guardrails, the controller, purposes' legal flags, per-language
policy summaries and the consent-manager source (Law 91/2025/QH15, Decree 356/2025/ND-CP, UK
DUAA 2025, India's DPDP Act)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from cookieconsent.extensions import db
from cookieconsent.models import ConfigVersion, ConsentEvent, Site
from cookieconsent.services.chain import verify_chain
from cookieconsent.services.jurisdictions import (
    MODES,
    STRICTNESS,
    builtin_mode,
    needs_acknowledgement,
)
from cookieconsent.services.site_config import export_site_config
from cookieconsent.services.sites import widget_config

from .conftest import SECRET_KEYS, SiteFactory, table_counts

CONTROLLER = {
    "name": "Công ty Cổ phần OmiGroup",
    "address": "Tầng 5, 123 Nguyễn Huệ, Quận 1, TP. Hồ Chí Minh",
    "email": "privacy@omigroup.vn",
    "dpo_email": "dpo@omigroup.vn",
}
REASON = "Our counsel confirms that the law allows it in this region."


def patch(client: FlaskClient, sites: SiteFactory, site: Site, body: Any) -> Any:
    return client.patch(
        f"/api/v1/sites/{site.site_key}/config",
        json=body,
        headers={"Authorization": f"Bearer {sites.tokens[site.site_key]}"},
    )


# Strictness ------------------------------------------------------------------------------------


def test_regimes_are_ordered_by_strictness() -> None:
    assert MODES == ("opt-in-specific", "opt-in", "opt-in-stats-exempt", "opt-out", "notice")
    ranks = [STRICTNESS[mode] for mode in MODES]
    assert ranks == sorted(ranks, reverse=True)
    assert len(set(ranks)) == len(ranks)


@pytest.mark.parametrize(
    ("region", "builtin"),
    [
        ("VN", "opt-in-specific"),
        ("EU", "opt-in"),
        ("FR", "opt-in"),
        ("NO", "opt-in"),
        ("GB", "opt-in"),
        ("BR", "opt-in"),
        ("US-CA", "opt-out"),
        ("US-WA", "notice"),
        ("JP", "opt-in"),
        ("*", "opt-in"),
    ],
)
def test_each_region_has_a_builtin_regime(region: str, builtin: str) -> None:
    assert builtin_mode(region) == builtin


@pytest.mark.parametrize(
    ("region", "mode", "needed"),
    [
        ("VN", "opt-in", True),
        ("VN", "opt-out", True),
        ("VN", "notice", True),
        ("EU", "opt-out", True),
        ("EEA", "notice", True),
        ("BR", "opt-out", True),
        ("*", "notice", True),
        ("FR", "opt-in-stats-exempt", True),
        ("US-CA", "notice", True),
        # Lawful there, or stricter than the default.
        ("GB", "opt-in-stats-exempt", False),
        ("GB", "opt-in-specific", False),
        ("US", "opt-out", False),
        ("JP", "opt-in-specific", False),
        ("VN", "opt-in-specific", False),
    ],
)
def test_lowering_a_regime_needs_an_acknowledgement(region: str, mode: str, needed: bool) -> None:
    assert needs_acknowledgement(region, mode) is needed


# Guardrails through the API --------------------------------------------------------------------


@pytest.mark.parametrize(
    "rules",
    [{"VN": "opt-out"}, {"VN": "opt-in"}, {"EU": "notice"}, {"EEA": "opt-out"}, {"BR": "notice"},
     {"*": "notice"}],
    ids=["vn-opt-out", "vn-opt-in", "eu-notice", "eea-opt-out", "br-notice", "rest-notice"],
)  # fmt: skip
def test_a_weaker_rule_without_acknowledgement_is_refused_and_stores_nothing(
    client: FlaskClient, make_site: SiteFactory, rules: dict[str, str]
) -> None:
    site = make_site()
    before, config_before = table_counts(), export_site_config(site)
    response = patch(
        client, make_site, site, {"jurisdiction_rules": rules, "controller": CONTROLLER}
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    (region,) = rules
    errors = response.get_json()["errors"]
    assert list(errors) == [f"jurisdiction_rules.{region}"]
    assert (
        f"jurisdiction_acknowledgements.{region}.reason"
        in errors[f"jurisdiction_rules.{region}"][0]
    )
    assert table_counts() == before
    db.session.expire_all()
    assert export_site_config(site) == config_before


def test_an_acknowledged_weaker_rule_is_kept_with_who_and_when(
    client: FlaskClient, make_site: SiteFactory
) -> None:
    site = make_site()
    response = patch(
        client,
        make_site,
        site,
        {
            "jurisdiction_rules": {"BR": "opt-out"},
            "jurisdiction_acknowledgements": {"BR": {"reason": REASON}},
            "controller": CONTROLLER,
        },
    )
    assert response.status_code == 200, response.get_json()
    stored = response.get_json()["jurisdiction_acknowledgements"]["BR"]
    assert stored["reason"] == REASON
    assert stored["by"] == "api-token"
    assert stored["at"].startswith("20")
    # The configuration's history holds it too.
    version = (
        db.session.execute(
            db.select(ConfigVersion)
            .where(ConfigVersion.site_id == site.id)
            .order_by(ConfigVersion.number.desc())
        )
        .scalars()
        .first()
    )
    assert version is not None
    assert version.content["jurisdiction_acknowledgements"]["BR"]["reason"] == REASON
    # Sending the same reason again keeps the first stamp.
    again = patch(
        client, make_site, site, {"jurisdiction_acknowledgements": {"BR": {"reason": REASON}}}
    )
    assert again.get_json()["jurisdiction_acknowledgements"]["BR"]["at"] == stored["at"]
    # Withdrawing the acknowledgement while the rule stays is refused.
    withdrawn = patch(client, make_site, site, {"jurisdiction_acknowledgements": {"BR": None}})
    assert withdrawn.status_code == 422
    assert list(withdrawn.get_json()["errors"]) == ["jurisdiction_rules.BR"]


def test_a_short_reason_is_refused(client: FlaskClient, make_site: SiteFactory) -> None:
    site = make_site()
    response = patch(
        client,
        make_site,
        site,
        {
            "jurisdiction_rules": {"BR": "opt-out"},
            "jurisdiction_acknowledgements": {"BR": {"reason": "ok"}},
        },
    )
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["jurisdiction_acknowledgements.BR.value.reason"]


def test_stats_exempt_for_gb_needs_no_acknowledgement(
    client: FlaskClient, make_site: SiteFactory
) -> None:
    site = make_site()
    response = patch(
        client,
        make_site,
        site,
        {"jurisdiction_rules": {"GB": "opt-in-stats-exempt"}, "controller": CONTROLLER},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["jurisdiction_acknowledgements"] == {}


def test_a_stored_weaker_rule_keeps_working_until_the_rules_are_edited(
    client: FlaskClient, make_site: SiteFactory
) -> None:
    site = make_site()
    # Stored before the guardrail existed.
    site.jurisdiction_rules = {"VN": "notice"}
    db.session.commit()
    assert patch(client, make_site, site, {"name": "Renamed"}).status_code == 200
    edited = patch(
        client, make_site, site, {"jurisdiction_rules": {"VN": "notice", "US": "opt-out"}}
    )
    assert edited.status_code == 422
    assert "jurisdiction_rules.VN" in edited.get_json()["errors"]


# The controller --------------------------------------------------------------------------------


def test_opt_in_specific_rules_need_the_controllers_name_and_email(
    client: FlaskClient, make_site: SiteFactory
) -> None:
    site = make_site()
    response = patch(client, make_site, site, {"jurisdiction_rules": {"JP": "opt-in-specific"}})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"controller.name", "controller.email"}
    partial = patch(
        client,
        make_site,
        site,
        {"controller": {"name": "Công ty TNHH Ví Dụ"}},
    )
    assert partial.status_code == 422
    assert set(partial.get_json()["errors"]) == {"controller.email"}
    complete = patch(client, make_site, site, {"controller": CONTROLLER})
    assert complete.status_code == 200
    assert complete.get_json()["controller"] == CONTROLLER


@pytest.mark.parametrize(
    ("controller", "field"),
    [
        ({**CONTROLLER, "email": "not-an-email"}, "email"),
        ({**CONTROLLER, "dpo_email": "dpo@"}, "dpo_email"),
        ({**CONTROLLER, "name": "x" * 201}, "name"),
        ({**CONTROLLER, "name": "Evil\u001bCorp"}, "name"),
        ({**CONTROLLER, "address": "a" * 501}, "address"),
    ],
)
def test_a_bad_controller_field_is_named(
    client: FlaskClient, make_site: SiteFactory, controller: dict[str, str], field: str
) -> None:
    site = make_site()
    response = patch(client, make_site, site, {"controller": controller})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert any(path.startswith("controller") and field in path for path in errors) or (
        "controller" in errors and field in errors["controller"]
    ), errors


def test_the_widget_names_the_controller_or_else_the_site(
    client: FlaskClient, make_site: SiteFactory
) -> None:
    site = make_site(name="Cửa hàng Ví Dụ")
    assert widget_config(site)["controller"] == {"name": "Cửa hàng Ví Dụ"}
    patch(client, make_site, site, {"controller": CONTROLLER})
    db.session.expire_all()
    assert widget_config(site)["controller"] == {
        "name": CONTROLLER["name"],
        "address": CONTROLLER["address"],
        "email": CONTROLLER["email"],
        "dpoEmail": CONTROLLER["dpo_email"],
    }
    script = client.get(f"/c/{site.site_key}.js").get_data(as_text=True)
    assert "dpo@omigroup.vn" in script
    assert "OmiGroup" in script


# Purposes' legal flags -------------------------------------------------------------------------


def test_analytics_and_marketing_track_behaviour_by_default(make_site: SiteFactory) -> None:
    site = make_site()
    categories = {c["name"]: c for c in export_site_config(site)["categories"]}
    assert categories["analytics"]["tracks_behaviour"] is True
    assert categories["marketing"]["tracks_behaviour"] is True
    assert categories["essential"]["tracks_behaviour"] is False
    assert widget_config(site)["behaviour"] == ["analytics", "marketing"]
    assert widget_config(site)["statsOnly"] == []


def test_flags_are_stored_and_reach_the_widget(client: FlaskClient, make_site: SiteFactory) -> None:
    site = make_site()
    response = patch(
        client,
        make_site,
        site,
        {
            "categories": [
                {"name": "essential"},
                {"name": "analytics", "statistics_only": True, "tracks_behaviour": False},
                {"name": "marketing"},
            ]
        },
    )
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    config = widget_config(site)
    assert config["statsOnly"] == ["analytics"]
    assert config["behaviour"] == ["marketing"]


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"name": "essential", "tracks_behaviour": True}, "categories.0.tracks_behaviour"),
        ({"name": "essential", "statistics_only": True}, "categories.0.statistics_only"),
        ({"name": "marketing", "statistics_only": True}, "categories.0.statistics_only"),
        ({"name": "analytics", "statistics_only": "yes"}, "categories"),
    ],
)
def test_flags_that_the_law_forbids_are_refused(
    client: FlaskClient, make_site: SiteFactory, entry: dict[str, Any], field: str
) -> None:
    site = make_site()
    before = table_counts()
    response = patch(client, make_site, site, {"categories": [entry]})
    assert response.status_code == 422
    assert any(path.startswith(field) for path in response.get_json()["errors"]), (
        response.get_json()
    )
    assert table_counts() == before


# Per-language policy summaries -----------------------------------------------------------------


def test_a_version_says_what_changed_in_each_language(
    client: FlaskClient, make_site: SiteFactory
) -> None:
    site = make_site()
    headers = {"Authorization": f"Bearer {make_site.tokens[site.site_key]}"}
    response = client.post(
        f"/api/v1/sites/{site.site_key}/policy-versions",
        json={
            "version": "2.0",
            "summaries": {"vi": "Thêm đối tác quảng cáo mới.", "en": "A new advertising partner."},
        },
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["summaries"] == {
        "vi": "Thêm đối tác quảng cáo mới.",
        "en": "A new advertising partner.",
    }
    db.session.expire_all()
    assert widget_config(site)["policySummary"] == {
        "vi": "Thêm đối tác quảng cáo mới.",
        "en": "A new advertising partner.",
    }
    refused = client.post(
        f"/api/v1/sites/{site.site_key}/policy-versions",
        json={"version": "3.0", "summaries": {"fr": "Un nouveau partenaire."}},
        headers=headers,
    )
    assert refused.status_code == 422
    assert list(refused.get_json()["errors"]) == ["summaries.fr"]


def test_a_summary_alone_is_the_default_languages(
    client: FlaskClient, make_site: SiteFactory
) -> None:
    site = make_site(default_language="vi")
    headers = {"Authorization": f"Bearer {make_site.tokens[site.site_key]}"}
    response = client.post(
        f"/api/v1/sites/{site.site_key}/policy-versions",
        json={"version": "1.1", "summary": "Cập nhật thời hạn lưu."},
        headers=headers,
    )
    assert response.status_code == 201
    db.session.expire_all()
    assert widget_config(site)["policySummary"] == {"vi": "Cập nhật thời hạn lưu."}


# The consent-manager source (DPDP Act, s. 6(7) to 6(9)) ----------------------------------------


def consent_manager_post(
    client: FlaskClient, site: Site, body: dict[str, Any], token: str | None
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(
        f"/api/v1/sites/{site.site_key}/consents",
        json={"action": "accept_all", **body},
        headers=headers,
    )


def test_a_consent_manager_needs_the_sites_token(
    client: FlaskClient, make_site: SiteFactory
) -> None:
    site = make_site()
    before = table_counts()
    body = {"source": "consent_manager", "consent_manager": {"id": "cm-1", "artifact_id": "a-1"}}
    assert consent_manager_post(client, site, body, None).status_code == 401
    assert consent_manager_post(client, site, body, "wrong-token").status_code == 401
    assert table_counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"source": "consent_manager"}, "consent_manager"),
        ({"source": "api", "consent_manager": {"id": "cm-1", "artifact_id": "a-1"}}, "source"),
        ({"source": "consent_manager", "consent_manager": {"id": "cm-1"}}, "consent_manager"),
        (
            {"source": "consent_manager", "consent_manager": {"id": "", "artifact_id": "a"}},
            "consent_manager",
        ),
    ],
)
def test_a_consent_manager_write_must_be_whole(
    client: FlaskClient, make_site: SiteFactory, body: dict[str, Any], field: str
) -> None:
    site = make_site()
    before = table_counts()
    response = consent_manager_post(client, site, body, make_site.tokens[site.site_key])
    assert response.status_code == 422, response.get_json()
    assert any(path.startswith(field) for path in response.get_json()["errors"])
    assert table_counts() == before


def test_a_consent_managers_choice_is_stored_and_sealed(
    client: FlaskClient, make_site: SiteFactory, app: Any
) -> None:
    site = make_site()
    body = {
        "source": "consent_manager",
        "consent_manager": {"id": "cm-registered-7", "artifact_id": "artifact-2026-0001"},
    }
    response = consent_manager_post(client, site, body, make_site.tokens[site.site_key])
    assert response.status_code == 201, response.get_json()
    event = db.session.execute(
        db.select(ConsentEvent).where(ConsentEvent.site_id == site.id)
    ).scalar_one()
    assert event.source == "consent_manager"
    assert (event.consent_manager_id, event.consent_manager_artifact_id) == (
        "cm-registered-7",
        "artifact-2026-0001",
    )
    report = verify_chain(site.id, SECRET_KEYS)
    assert report.ok
    # The artifact is part of what the MAC covers: changing it breaks the chain.
    db.session.execute(
        sa.update(ConsentEvent)
        .where(ConsentEvent.id == event.id)
        .values(consent_manager_artifact_id="artifact-forged")
    )
    db.session.commit()
    assert not verify_chain(site.id, SECRET_KEYS).ok


def test_gpc_as_a_source_only_records_an_opt_out(
    client: FlaskClient, make_site: SiteFactory
) -> None:
    """A record saying GPC accepted everything would contradict itself: it is refused."""
    site = make_site()
    before = table_counts()
    for action in ("accept_all", "save", "reject_all", "withdraw"):
        body: dict[str, Any] = {"action": action, "source": "gpc"}
        if action == "save":
            body["categories"] = {"analytics": True, "marketing": True}
        response = client.post(f"/api/v1/sites/{site.site_key}/consents", json=body)
        assert response.status_code == 422, action
        assert list(response.get_json()["errors"]) == ["source"]
    assert table_counts() == before
    opt_out = client.post(
        f"/api/v1/sites/{site.site_key}/consents", json={"action": "opt_out", "source": "gpc"}
    )
    assert opt_out.status_code == 201


def test_the_receipt_history_and_request_pages_name_the_controller(
    client: FlaskClient, make_site: SiteFactory
) -> None:
    site = make_site()
    assert patch(client, make_site, site, {"controller": CONTROLLER}).status_code == 200
    recorded = client.post(
        f"/api/v1/sites/{site.site_key}/consents", json={"action": "reject_all"}
    ).get_json()
    visitor_id = recorded["visitor_id"]
    receipt = client.get(f"/api/v1/sites/{site.site_key}/consents/{visitor_id}/receipt")
    controller = (
        receipt.get_json()["receipt"]["pii_controller"]
        if "receipt" in (receipt.get_json() or {})
        else receipt.get_json()["pii_controller"]
    )
    assert controller["name"] == CONTROLLER["name"]
    assert controller["dpo_email"] == CONTROLLER["dpo_email"]
    for path in (
        f"/receipt/{site.site_key}/{visitor_id}?lang=vi",
        f"/history/{site.site_key}/{visitor_id}?lang=vi",
        f"/c/{site.site_key}/requests?lang=vi",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        text = page.get_data(as_text=True)
        assert "Bên kiểm soát dữ liệu: <bdi>Công ty Cổ phần OmiGroup</bdi>" in text, path
        assert 'href="mailto:dpo@omigroup.vn"' in text, path
        assert CONTROLLER["address"] in text, path


def test_a_hostile_controller_name_is_text_on_the_pages(
    client: FlaskClient, make_site: SiteFactory
) -> None:
    site = make_site()
    hostile = {**CONTROLLER, "name": '<img src=x onerror="alert(1)">'}
    assert patch(client, make_site, site, {"controller": hostile}).status_code == 200
    text = client.get(f"/c/{site.site_key}/requests?lang=en").get_data(as_text=True)
    assert "<img src=x" not in text
    assert "&lt;img src=x onerror=" in text


def test_an_acknowledgement_lapses_with_its_rule_and_its_regime(
    client: FlaskClient, make_site: SiteFactory
) -> None:
    """An acknowledgement for one weaker rule never covers a later, weaker one."""
    site = make_site()
    first = patch(
        client,
        make_site,
        site,
        {
            "controller": CONTROLLER,
            "jurisdiction_rules": {"*": "opt-out"},
            "jurisdiction_acknowledgements": {"*": {"reason": REASON}},
        },
    )
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["jurisdiction_acknowledgements"]["*"]["mode"] == "opt-out"
    # The rule goes: its acknowledgement goes with it.
    second = patch(
        client,
        make_site,
        site,
        {"jurisdiction_rules": {"US": "opt-out"}, "jurisdiction_acknowledgements": {}},
    )
    assert second.status_code == 200, second.get_json()
    assert second.get_json()["jurisdiction_acknowledgements"] == {}
    # A weaker rule for the same region later needs a reason again.
    third = patch(client, make_site, site, {"jurisdiction_rules": {"*": "notice"}})
    assert third.status_code == 422
    assert list(third.get_json()["errors"]) == ["jurisdiction_rules.*"]
    # An acknowledgement of opt-out does not cover notice.
    patch(
        client,
        make_site,
        site,
        {
            "jurisdiction_rules": {"BR": "opt-out"},
            "jurisdiction_acknowledgements": {"BR": {"reason": REASON}},
        },
    )
    weaker = patch(client, make_site, site, {"jurisdiction_rules": {"BR": "notice"}})
    assert weaker.status_code == 422
    assert list(weaker.get_json()["errors"]) == ["jurisdiction_rules.BR"]


@pytest.mark.parametrize("name", ["\u200b", "\u2060\u200b", "   ", "\ufeff"])
def test_an_invisible_controller_name_is_refused(
    client: FlaskClient, make_site: SiteFactory, name: str
) -> None:
    site = make_site()
    response = patch(client, make_site, site, {"controller": {**CONTROLLER, "name": name}})
    assert response.status_code == 422
    assert any(path.startswith("controller") for path in response.get_json()["errors"])

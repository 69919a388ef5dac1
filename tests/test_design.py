"""The banner's design: contrast checks, layouts and positions, and every door that sets it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner

from cookieconsent.extensions import db
from cookieconsent.models import Site
from cookieconsent.services.design import (
    DARK,
    LIGHT,
    button_text,
    contrast,
    design_errors,
    widget_design,
)
from cookieconsent.services.sites import widget_config

from .conftest import SiteFactory, table_counts
from .widget_script import embedded_config

BRAND = {"accent": "#c2410c", "background": "#fffbeb", "text": "#1c1917"}


def test_contrast_follows_wcag() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1)
    # Known pairs: WebAIM's checker gives 4.54:1 and 3.03:1.
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast("#949494", "#ffffff") == pytest.approx(3.03, abs=0.01)


def test_the_built_in_palettes_pass() -> None:
    assert design_errors({}) == {}
    assert design_errors({"colors": LIGHT, "dark": DARK}) == {}


def test_the_button_text_is_the_palettes_colour_that_stands_out_more() -> None:
    assert button_text("#1d4ed8", "#ffffff", "#1f2328") == "#ffffff"
    assert button_text("#fbbf24", "#ffffff", "#1f2328") == "#1f2328"
    # The widget carries exactly that colour for both Accept all and Reject all.
    design = widget_design({"colors": {"accent": "#fbbf24"}})
    assert "--cc-btn-text:#1f2328" in design["c"]
    assert "--cc-btn-bg:#fbbf24" in design["c"]


@pytest.mark.parametrize(
    ("design", "field", "message"),
    [
        (
            {"colors": {"text": "#949494"}},
            "design.colors.text",
            "Text on background has a contrast of 3:1; at least 4.5:1 is needed.",
        ),
        (
            {"colors": {"accent": "#f0f0f0"}},
            "design.colors.background",
            "Accent against background has a contrast of 1.1:1; at least 3:1 is needed.",
        ),
        (
            {"colors": {"accent": "#808080", "background": "#ffffff", "text": "#595959"}},
            "design.colors.accent",
            "Button text on accent has a contrast of 3.9:1; at least 4.5:1 is needed.",
        ),
        (
            {"colors": BRAND, "dark": {"text": "#3a3a3a"}},
            "design.dark.text",
            "Text on background has a contrast of 1.5:1; at least 4.5:1 is needed.",
        ),
    ],
)
def test_a_failing_pair_is_named_with_its_ratio(
    design: dict[str, Any], field: str, message: str
) -> None:
    errors = design_errors(design)
    assert message in errors[field], errors


def test_a_ratio_just_under_the_bar_is_not_rounded_up() -> None:
    # #777777 on white is 4.48:1: it must read 4.4, not 4.5.
    errors = design_errors({"colors": {"text": "#777777"}})
    assert errors["design.colors.text"] == [
        "Text on background has a contrast of 4.4:1; at least 4.5:1 is needed."
    ]


@pytest.mark.parametrize(
    ("layout", "position", "ok"),
    [
        ("bar", "top", True),
        ("bar", "bottom", True),
        ("bar", "bottom-left", False),
        ("bar", "center", False),
        ("box", "bottom-right", True),
        ("box", "center", True),
        ("dialog", "center", True),
        ("dialog", "top", False),
        (None, "bottom-left", True),
        ("dialog", None, True),
    ],
)
def test_layouts_take_only_their_positions(
    layout: str | None, position: str | None, ok: bool
) -> None:
    design = {key: value for key, value in (("layout", layout), ("position", position)) if value}
    errors = design_errors(design)
    assert (errors == {}) is ok, errors
    if not ok:
        assert errors["design.position"][0].startswith(f"A {layout} cannot be placed")


def test_the_widget_gets_nothing_for_the_built_in_look(site: Site) -> None:
    assert widget_design({}) == {}
    assert "design" not in widget_config(site)
    assert widget_design({"layout": "dialog"}) == {"l": "dialog", "p": "center"}
    assert widget_design({"layout": "bar", "position": "top"}) == {"l": "bar", "p": "top"}


def test_colours_without_a_dark_palette_stay_in_dark_mode() -> None:
    design = widget_design({"colors": BRAND})
    assert design["c"] == design["d"]
    dark_only = widget_design({"dark": {"accent": "#fdba74"}})
    assert "c" not in dark_only and "--cc-btn-bg:#fdba74" in dark_only["d"]


# The doors: the configuration API, sites configure -----------------------------------------


def config_url(site: Site) -> str:
    return f"/api/v1/sites/{site.site_key}/config"


def patch(client: FlaskClient, site: Site, token: str, body: dict[str, Any]) -> Any:
    return client.patch(config_url(site), json=body, headers={"Authorization": f"Bearer {token}"})


def test_the_config_api_sets_and_merges_the_design(
    client: FlaskClient, make_site: SiteFactory
) -> None:
    site = make_site()
    token = make_site.tokens[site.site_key]
    response = patch(client, site, token, {"design": {"layout": "bar", "position": "top"}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["design"] == {"layout": "bar", "position": "top"}
    response = patch(client, site, token, {"design": {"colors": {"accent": "#C2410C"}}})
    assert response.status_code == 200
    # Merged by key: the layout stays; colours are stored in lowercase.
    assert response.get_json()["design"] == {
        "layout": "bar",
        "position": "top",
        "colors": {"accent": "#c2410c"},
    }
    served = embedded_config(client.get(f"/c/{site.site_key}.js").get_data(as_text=True))
    assert served["design"]["l"] == "bar" and "--cc-btn-bg:#c2410c" in served["design"]["c"]
    response = patch(client, site, token, {"design": {"layout": None, "position": None}})
    assert response.get_json()["design"] == {"colors": {"accent": "#c2410c"}}


@pytest.mark.parametrize(
    ("design", "field"),
    [
        ({"colors": {"text": "#949494"}}, "design.colors.text"),
        ({"colors": {"accent": "blue"}}, "design.colors.accent"),
        ({"layout": "bar", "position": "center"}, "design.position"),
        ({"layout": "banner"}, "design.layout"),
        ({"shape": "round"}, "design.shape"),
    ],
)
def test_the_config_api_refuses_a_bad_design_with_the_field(
    client: FlaskClient, make_site: SiteFactory, design: dict[str, Any], field: str
) -> None:
    site = make_site()
    before = table_counts()
    response = patch(client, site, make_site.tokens[site.site_key], {"design": design})
    assert response.status_code == 422
    body = response.get_json()
    flat = json.dumps(body["errors"])
    assert field.split(".")[-1] in flat, body
    assert table_counts() == before
    db.session.expire_all()
    assert db.session.get(Site, site.id).design == {}


def test_the_contrast_message_reaches_the_api(client: FlaskClient, make_site: SiteFactory) -> None:
    site = make_site()
    response = patch(
        client, site, make_site.tokens[site.site_key], {"design": {"colors": {"text": "#949494"}}}
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["design.colors.text"] == [
        "Text on background has a contrast of 3:1; at least 4.5:1 is needed."
    ]


def test_sites_configure_takes_the_design(
    runner: FlaskCliRunner, site: Site, tmp_path: Path
) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"design": {"layout": "dialog", "colors": BRAND}}))
    result = runner.invoke(args=["sites", "configure", site.site_key, str(path)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Site, site.id).design == {"layout": "dialog", "colors": BRAND}
    path.write_text(json.dumps({"design": {"colors": {"text": "#949494"}}}))
    result = runner.invoke(args=["sites", "configure", site.site_key, str(path)])
    assert result.exit_code == 1
    assert "design.colors.text" in result.output and "3:1" in result.output

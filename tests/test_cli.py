"""Operator commands."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask.testing import FlaskCliRunner

from cookieconsent.extensions import db
from cookieconsent.models import Site
from cookieconsent.services.sites import check_api_token


def test_sites_create_prints_key_and_token_once(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=[
            "sites", "create", "--name", "Omi Group", "--domain", "omigroup.vn",
            "--domain", "*.omigroup.vn", "--domain", "127.0.0.1:8001",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert set(printed) >= {"site_key", "api_token"}
    site = db.session.execute(
        sa.select(Site).where(Site.site_key == printed["site_key"])
    ).scalar_one()
    assert site.name == "Omi Group"
    assert site.domains == ["*.omigroup.vn", "127.0.0.1:8001", "omigroup.vn"]
    assert [category.name for category in site.categories] == [
        "essential",
        "analytics",
        "marketing",
    ]
    assert site.categories[0].locked is True
    # Only a hash is kept: the token itself is shown once.
    assert printed["api_token"] not in site.api_token_hash
    assert check_api_token(site, printed["api_token"])
    listed = runner.invoke(args=["sites", "list"])
    assert json.loads(listed.output.splitlines()[0])["site_key"] == printed["site_key"]
    assert "api_token" not in listed.output


def test_sites_create_with_extra_categories(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["sites", "create", "--name", "S", "--domain", "s.example",
              "--category", "analytics", "--category", "preferences"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["categories"] == ["essential", "analytics", "preferences"]


def test_sites_create_refuses_bad_domain_and_writes_nothing(runner: FlaskCliRunner) -> None:
    for bad in ["https://omigroup.vn/", "*.vn", "bad domain"]:
        result = runner.invoke(args=["sites", "create", "--name", "Omi", "--domain", bad])
        assert result.exit_code == 2
        assert "Error" in result.output
    assert db.session.execute(sa.select(sa.func.count()).select_from(Site)).scalar() == 0


def test_sites_create_refuses_bad_category(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["sites", "create", "--name", "S", "--domain", "s.example", "--category", "Ads!"]
    )
    assert result.exit_code == 2
    assert "lowercase identifier" in result.output


def test_demo_is_idempotent(runner: FlaskCliRunner) -> None:
    first = runner.invoke(args=["demo"])
    second = runner.invoke(args=["demo"])
    assert first.exit_code == second.exit_code == 0
    assert '<script src="http://127.0.0.1:5000/c/demo-site-key.js"></script>' in first.output
    assert db.session.execute(sa.select(sa.func.count()).select_from(Site)).scalar() == 1

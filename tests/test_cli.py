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


def test_sites_texts_overrides_and_restores(runner: FlaskCliRunner) -> None:
    created = json.loads(
        runner.invoke(args=["sites", "create", "--name", "S", "--domain", "s.example"]).output
    )
    key = created["site_key"]
    result = runner.invoke(
        args=[
            "sites", "texts", key, "--language", "en", "title=Cookies at S",
            "category.analytics.description=Counting visits with Matomo.",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["title"] == "Cookies at S"
    assert shown["accept_all"] == "Accept all"
    assert shown["categories"]["analytics"]["description"] == "Counting visits with Matomo."
    site = db.session.execute(sa.select(Site).where(Site.site_key == key)).scalar_one()
    assert site.texts == {"en": {"title": "Cookies at S"}}

    restored = json.loads(
        runner.invoke(args=["sites", "texts", key, "--language", "en", "title="]).output
    )
    assert restored["title"] == "We respect your privacy"


def test_sites_texts_refuses_unknown_keys_and_changes_nothing(runner: FlaskCliRunner) -> None:
    created = json.loads(
        runner.invoke(args=["sites", "create", "--name", "S", "--domain", "s.example"]).output
    )
    key = created["site_key"]
    for bad in ["titel=x", "category.ads.title=x", "category.analytics.colour=x", "no-equals"]:
        result = runner.invoke(
            args=["sites", "texts", key, "--language", "vi", "title=Đã đổi", bad]
        )
        assert result.exit_code == 2, bad
    bad_language = runner.invoke(args=["sites", "texts", key, "--language", "<x>", "title=x"])
    assert bad_language.exit_code == 2
    site = db.session.execute(sa.select(Site).where(Site.site_key == key)).scalar_one()
    assert site.texts == {}
    assert all(category.texts == {} for category in site.categories)

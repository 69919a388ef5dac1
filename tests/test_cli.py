"""Operator commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask.testing import FlaskCliRunner

from cookieconsent.extensions import db
from cookieconsent.models import Site
from cookieconsent.services.sites import check_api_token

from .conftest import table_counts


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


def refused_in_one_line(result: Result) -> str:
    """An operator's mistake: one line on stderr, ``Error: …``, status 1, nothing on stdout."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ")
    return line.removeprefix("Error: ")


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("https://omigroup.vn/", "'https://omigroup.vn/': give a host name"),
        ("bad domain", "'bad domain' is not a host name"),
        ("*.vn", "'*.vn' is a wildcard on the public suffix vn"),
        ("com.vn", "'com.vn' is a public suffix"),
        ("*.com.vn", "'*.com.vn' is a wildcard on the public suffix com.vn"),
        ("*.co.uk", "'*.co.uk' is a wildcard on the public suffix co.uk"),
        ("*.github.io", "'*.github.io' is a wildcard on the public suffix github.io"),
        ("github.io", "'github.io' is a public suffix"),
        ("vn", "'vn' is a public suffix"),
    ],
)
def test_sites_create_refuses_bad_domain_and_writes_nothing(
    runner: FlaskCliRunner, domain: str, message: str
) -> None:
    before = table_counts()
    result = runner.invoke(
        args=["sites", "create", "--name", "Omi", "--domain", "omi.example", "--domain", domain]
    )
    assert refused_in_one_line(result).startswith(message)
    assert table_counts() == before


@pytest.mark.parametrize(
    "domain",
    [
        "example.test",
        "*.example.test",
        "shop.com.vn",
        "*.shop.com.vn",
        "localhost",
        "127.0.0.1",
        "[::1]:8080",
        "127.0.0.1:5000",
        "foo.github.io",
    ],
)
def test_sites_create_takes_own_domains_hosts_and_addresses(
    runner: FlaskCliRunner, domain: str
) -> None:
    result = runner.invoke(args=["sites", "create", "--name", "S", "--domain", domain])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["domains"] == [domain]


def test_sites_create_refuses_bad_category(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["sites", "create", "--name", "S", "--domain", "s.example", "--category", "Ads!"]
    )
    assert "lowercase identifier" in refused_in_one_line(result)


def test_click_usage_errors_keep_status_2(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["sites", "create", "--domain", "s.example"])
    assert result.exit_code == 2
    assert "Missing option '--name'" in result.stderr


@pytest.mark.parametrize("command", ["show", "texts", "configure"])
def test_sites_commands_refuse_an_unknown_site_in_one_line(
    runner: FlaskCliRunner, command: str, tmp_path: Path
) -> None:
    file = tmp_path / "c.json"
    file.write_text("{}", encoding="utf-8")
    options = ["--language", "en"] if command == "texts" else []
    files = [str(file)] if command == "configure" else []
    result = runner.invoke(args=["sites", command, *options, "--", "nosuchsite1", *files])
    assert refused_in_one_line(result) == "no site with key 'nosuchsite1'"


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
        assert bad.partition("=")[0] in refused_in_one_line(result), bad
    bad_language = runner.invoke(args=["sites", "texts", key, "--language", "<x>", "title=x"])
    assert refused_in_one_line(bad_language).startswith("texts.<x>: No built-in texts for '<x>'")
    site = db.session.execute(sa.select(Site).where(Site.site_key == key)).scalar_one()
    assert site.texts == {}
    assert all(category.texts == {} for category in site.categories)


@pytest.mark.parametrize(
    ("key", "limit"),
    [
        ("accept_all", 60),
        ("do_not_sell", 60),
        ("title", 200),
        ("your_data", 200),
        ("description", 2000),
        ("category.analytics.title", 200),
        ("category.analytics.description", 2000),
    ],
)
def test_sites_texts_keeps_each_text_within_its_limit(
    runner: FlaskCliRunner, key: str, limit: int
) -> None:
    created = json.loads(
        runner.invoke(args=["sites", "create", "--name", "S", "--domain", "s.example"]).output
    )
    site_key = created["site_key"]
    texts = ["sites", "texts", site_key, "--language", "en"]

    too_long = runner.invoke(args=[*texts, "title=Kept out", f"{key}={'x' * (limit + 1)}"])
    assert refused_in_one_line(too_long) == f"texts.en.{key}: At most {limit} characters."
    site = db.session.execute(sa.select(Site).where(Site.site_key == site_key)).scalar_one()
    assert site.texts == {}
    assert all(category.texts == {} for category in site.categories)

    at_limit = runner.invoke(args=[*texts, f"{key}={'é' * limit}"])
    assert at_limit.exit_code == 0, at_limit.output
    shown = json.loads(at_limit.stdout)
    if key.startswith("category."):
        _, name, text_key = key.split(".")
        assert shown["categories"][name][text_key] == "é" * limit
    else:
        assert shown[key] == "é" * limit

"""Regions from real MaxMind-format databases, and the regime each region gets."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from cookieconsent.services.geo import GeoResolver, Region, normalize_address
from cookieconsent.services.jurisdictions import (
    DEFAULT_RULES,
    effective_rules,
    resolve_mode,
    valid_region_key,
)

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


@pytest.fixture(scope="module")
def city_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_database(tmp_path_factory.mktemp("geo") / "city.mmdb", city=True)


@pytest.fixture(scope="module")
def country_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_database(tmp_path_factory.mktemp("geo") / "country.mmdb", city=False)


@pytest.mark.parametrize(
    ("address", "region"),
    [
        (VIETNAM_IP, Region("VN")),
        (GERMANY_IP, Region("DE", "BE")),
        (CALIFORNIA_IP, Region("US", "CA")),
        (TEXAS_IP, Region("US", "TX")),
        (JAPAN_IP, Region("JP", "13")),
        (f"::ffff:{CALIFORNIA_IP}", Region("US", "CA")),
        (UNKNOWN_IP, None),
        ("not-an-ip", None),
        (None, None),
    ],
)
def test_city_database_gives_subdivisions(
    city_db: Path, address: str | None, region: Region | None
) -> None:
    resolver = GeoResolver(str(city_db))
    try:
        assert resolver.city is True
        assert resolver.lookup(address) == region
    finally:
        resolver.close()


def test_country_database_gives_countries_only(country_db: Path) -> None:
    resolver = GeoResolver(str(country_db))
    try:
        assert resolver.city is False
        assert resolver.lookup(CALIFORNIA_IP) == Region("US")
        assert resolver.lookup(f"::ffff:{VIETNAM_IP}") == Region("VN")
    finally:
        resolver.close()


@pytest.mark.parametrize("problem", ["missing", "garbage"])
def test_unreadable_database_warns_and_knows_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, problem: str
) -> None:
    path = tmp_path / "geo.mmdb"
    if problem == "garbage":
        path.write_bytes(b"this is not a MaxMind database" * 10)
    with caplog.at_level(logging.WARNING, logger="cookieconsent.services.geo"):
        resolver = GeoResolver(str(path))
    assert resolver.lookup(VIETNAM_IP) is None
    assert "COOKIECONSENT_GEOIP_DB" in caplog.text
    assert "cannot be read" in caplog.text


def test_no_database_configured() -> None:
    assert GeoResolver(None).lookup(VIETNAM_IP) is None


@pytest.mark.parametrize(
    ("address", "expected"),
    [("::ffff:10.1.2.3", "10.1.2.3"), (" 2001:DB8::1 ", "2001:db8::1"), ("1.2.3", None)],
)
def test_normalize_address(address: str, expected: str | None) -> None:
    assert normalize_address(address) == expected


@pytest.mark.parametrize(
    ("region", "mode", "rule"),
    [
        (Region("VN"), "opt-in-specific", "VN"),
        (Region("DE", "BE"), "opt-in", "EU"),
        (Region("NO"), "opt-in", "EEA"),
        (Region("GB"), "opt-in", "GB"),
        (Region("US", "CA"), "opt-out", "US-CA"),
        (Region("US", "TX"), "opt-out", "US-TX"),
        (Region("US", "AL"), "notice", "US"),
        (Region("US"), "notice", "US"),
        (Region("JP", "13"), "opt-in", "*"),
        (None, "opt-in", "unknown"),
    ],
)
def test_default_rules(region: Region | None, mode: str, rule: str) -> None:
    assert resolve_mode(DEFAULT_RULES, region) == (mode, rule)


def test_site_rules_override_and_specific_wins() -> None:
    rules = effective_rules({"US": "opt-out", "US-AL": "opt-in", "*": "notice"})
    assert resolve_mode(rules, Region("US", "AL")) == ("opt-in", "US-AL")
    assert resolve_mode(rules, Region("US", "WY")) == ("opt-out", "US")
    assert resolve_mode(rules, Region("JP")) == ("notice", "*")
    assert resolve_mode(rules, Region("FR")) == ("opt-in", "EU")


@pytest.mark.parametrize(
    ("key", "valid"),
    [("VN", True), ("US-CA", True), ("EEA", True), ("*", True), ("unknown", True),
     ("us-ca", False), ("Vietnam", False), ("", False), ("U", False)],
)  # fmt: skip
def test_region_keys(key: str, valid: bool) -> None:
    assert valid_region_key(key) is valid


def test_alabama_address_in_city_database(city_db: Path) -> None:
    resolver = GeoResolver(str(city_db))
    try:
        assert resolve_mode(DEFAULT_RULES, resolver.lookup(ALABAMA_IP)) == ("notice", "US")
    finally:
        resolver.close()

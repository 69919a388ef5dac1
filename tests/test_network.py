"""IP truncation and matching a browser's Origin against a site's domains."""

from __future__ import annotations

import re
import socket
from typing import Any

import pytest

from cookieconsent.services import network
from cookieconsent.services.network import (
    normalize_domain,
    origin_allowed,
    registrable_domain,
    registrable_domains,
    truncate_ip,
)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:abcd:12:3456::1", "2001:db8:abcd::/48"),
        ("::ffff:198.51.100.9", "198.51.100.0/24"),
        ("not an ip", None),
        ("", None),
        (None, None),
    ],
)
def test_truncate_ip(address: str | None, expected: str | None) -> None:
    assert truncate_ip(address) == expected


@pytest.mark.parametrize(
    ("origin", "domains", "allowed"),
    [
        ("https://shop.example", ["shop.example"], True),
        ("http://shop.example:8080", ["shop.example"], True),
        ("https://www.shop.example", ["shop.example"], False),
        ("https://www.shop.example", ["*.shop.example"], True),
        ("https://a.b.shop.example", ["*.shop.example"], True),
        ("https://shop.example", ["*.shop.example"], False),
        ("https://evilshop.example", ["*.shop.example"], False),
        ("https://shop.example.evil", ["shop.example"], False),
        ("http://127.0.0.1:8001", ["127.0.0.1:8001"], True),
        ("http://127.0.0.1:8002", ["127.0.0.1:8001"], False),
        ("https://shop.example", ["shop.example:443"], True),
        ("http://shop.example", ["shop.example:443"], False),
        ("http://[::1]:8000", ["[::1]"], True),
        ("null", ["shop.example"], False),
        ("file://", ["shop.example"], False),
        ("https://SHOP.EXAMPLE", ["shop.example"], True),
    ],
)
def test_origin_allowed(origin: str, domains: list[str], allowed: bool) -> None:
    assert origin_allowed(origin, domains) is allowed


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Shop.Example.", "shop.example"), ("127.0.0.1:8001", "127.0.0.1:8001"), ("*.a.vn", "*.a.vn")],
)
def test_normalize_domain(value: str, expected: str) -> None:
    assert normalize_domain(value) == expected


@pytest.mark.parametrize(
    "value", ["https://shop.example", "shop.example/path", "*.com", "bad_host!", "a.vn:99999", ""]
)
def test_normalize_domain_refuses(value: str) -> None:
    with pytest.raises(ValueError):
        normalize_domain(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("com.vn", "'com.vn' is a public suffix"),
        ("*.com.vn", "'*.com.vn' is a wildcard on the public suffix com.vn"),
        ("*.co.uk", "'*.co.uk' is a wildcard on the public suffix co.uk"),
        # The list's private section counts too: github.io hosts unrelated owners' sites.
        ("*.github.io", "'*.github.io' is a wildcard on the public suffix github.io"),
        ("github.io", "'github.io' is a public suffix"),
        ("vn", "'vn' is a public suffix"),
        ("com", "'com' is a public suffix"),
        ("*.vn", "'*.vn' is a wildcard on the public suffix vn"),
        ("CO.UK.", "'co.uk' is a public suffix"),
        ("co.uk:8443", "'co.uk:8443' is a public suffix"),
        # A wildcard rule of the list (*.ck) makes every name under it a suffix.
        ("anything.ck", "'anything.ck' is a public suffix"),
    ],
)
def test_public_suffixes_are_refused(value: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        normalize_domain(value)


@pytest.mark.parametrize(
    "value",
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
        "*.foo.github.io",
        "intranet",
    ],
)
def test_own_domains_hosts_and_addresses_are_accepted(value: str) -> None:
    assert normalize_domain(value) == value


@pytest.mark.parametrize(
    ("domain", "registrable"),
    [
        ("example.test", "example.test"),
        ("*.example.test", "example.test"),
        ("www.example.test:8080", "example.test"),
        ("a.b.shop.com.vn", "shop.com.vn"),
        ("*.shop.co.uk", "shop.co.uk"),
        ("foo.github.io", "foo.github.io"),
        ("localhost", None),
        ("127.0.0.1:5000", None),
        ("[::1]", None),
        ("not a domain", None),
    ],
)
def test_registrable_domain(domain: str, registrable: str | None) -> None:
    assert registrable_domain(domain) == registrable


def test_registrable_domains_are_distinct_and_sorted() -> None:
    domains = ["*.shop.test", "shop.test", "b.example.test", "localhost", "127.0.0.1"]
    assert registrable_domains(domains) == ["example.test", "shop.test"]


def test_origins_still_match_domains_stored_before_the_check() -> None:
    # Refused for new settings, a stored one keeps working: reading never re-validates.
    assert origin_allowed("https://shop.co.uk", ["*.co.uk"])
    assert origin_allowed("https://github.io", ["github.io"])


def test_the_list_ships_with_the_package_and_is_never_fetched(monkeypatch: Any) -> None:
    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the Public Suffix List was fetched")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    network.public_suffix_list.cache_clear()
    try:
        assert network.public_suffix_list().is_public("com.vn")
    finally:
        network.public_suffix_list.cache_clear()

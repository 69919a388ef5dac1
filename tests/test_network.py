"""IP truncation and matching a browser's Origin against a site's domains."""

from __future__ import annotations

import pytest

from cookieconsent.services.network import normalize_domain, origin_allowed, truncate_ip


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

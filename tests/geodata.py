"""Real MaxMind-format databases built for the tests with mmdb-writer."""

from __future__ import annotations

from pathlib import Path

from mmdb_writer import MMDBWriter
from netaddr import IPSet

# Documentation and test ranges, one per place the tests need.
VIETNAM_IP = "14.160.1.20"
GERMANY_IP = "85.10.20.30"
CALIFORNIA_IP = "198.51.100.7"
TEXAS_IP = "203.0.113.9"
ALABAMA_IP = "192.0.2.44"
JAPAN_IP = "2001:db8:1::5"
UNKNOWN_IP = "100.64.0.1"

_PLACES = [
    ("14.160.0.0/16", "VN", None),
    ("85.10.0.0/16", "DE", "BE"),
    ("198.51.100.0/24", "US", "CA"),
    ("203.0.113.0/24", "US", "TX"),
    ("192.0.2.0/24", "US", "AL"),
    ("2001:db8:1::/48", "JP", "13"),
]


def build_database(path: Path, *, city: bool) -> Path:
    """Write a City (with subdivisions) or Country database covering the test addresses."""
    database_type = "GeoIP2-City" if city else "GeoLite2-Country"
    writer = MMDBWriter(
        ip_version=6, database_type=database_type, languages=["en"], ipv4_compatible=True
    )
    for network, country, subdivision in _PLACES:
        record: dict[str, object] = {"country": {"iso_code": country, "names": {"en": country}}}
        if city and subdivision:
            record["subdivisions"] = [{"iso_code": subdivision, "names": {"en": subdivision}}]
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file(str(path))
    return path

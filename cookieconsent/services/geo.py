"""Where a visitor is: a MaxMind-format database read with geoip2, and the request's client IP."""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from pathlib import Path

import geoip2.database
import geoip2.errors
from flask import Flask, current_app
from maxminddb import InvalidDatabaseError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Region:
    """A country, and its subdivision when the database knows it (``US`` and ``CA``)."""

    country: str
    subdivision: str | None = None

    @property
    def code(self) -> str:
        """``US-CA``, or just ``VN``."""
        return f"{self.country}-{self.subdivision}" if self.subdivision else self.country


def normalize_address(address: str | None) -> str | None:
    """A valid IP as text, with IPv4-mapped IPv6 (``::ffff:1.2.3.4``) turned into IPv4."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


class GeoResolver:
    """Looks addresses up in a Country or City database; knows nothing when it has none."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.reader: geoip2.database.Reader | None = None
        self.city = False
        if not path:
            return
        try:
            self.reader = geoip2.database.Reader(path)
        except (OSError, InvalidDatabaseError, ValueError) as error:
            log.warning(
                "COOKIECONSENT_GEOIP_DB=%s cannot be read (%s): regions are unknown, "
                "so every visitor gets the sites' rule for unknown regions",
                path,
                error,
            )
            return
        database_type = self.reader.metadata().database_type
        self.city = "City" in database_type or "Enterprise" in database_type
        log.info("GeoIP database %s (%s) loaded", Path(path).name, database_type)

    def lookup(self, address: str | None) -> Region | None:
        """The region of ``address``, or ``None`` when unknown."""
        normalized = normalize_address(address)
        if self.reader is None or normalized is None:
            return None
        try:
            if self.city:
                city = self.reader.city(normalized)
                country = city.country.iso_code
                subdivision = city.subdivisions.most_specific.iso_code
            else:
                country = self.reader.country(normalized).country.iso_code
                subdivision = None
        except (geoip2.errors.AddressNotFoundError, ValueError):
            return None
        if not country:
            return None
        return Region(
            country=country.upper(), subdivision=subdivision.upper() if subdivision else None
        )

    def close(self) -> None:
        """Release the database file."""
        if self.reader is not None:
            self.reader.close()


def init_app(app: Flask) -> None:
    """Open ``COOKIECONSENT_GEOIP_DB``; a missing or bad file is a warning, not a crash."""
    app.extensions["cookieconsent.geo"] = GeoResolver(app.config.get("COOKIECONSENT_GEOIP_DB"))


def resolver() -> GeoResolver:
    """The app's resolver."""
    return current_app.extensions["cookieconsent.geo"]  # type: ignore[no-any-return]

"""Client addresses and origins: truncating IPs, matching a browser's Origin to a site."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from .geo import normalize_address

# host, or host:port, or *.host; hosts are DNS names, IPv4 or [IPv6].
_DOMAIN = re.compile(
    r"^(?P<wild>\*\.)?(?P<host>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    r"|\[[0-9a-f:.]+\])(?::(?P<port>[0-9]{1,5}))?$"
)


def truncate_ip(address: str | None) -> str | None:
    """Keep only the network part of an address: /24 for IPv4, /48 for IPv6."""
    normalized = normalize_address(address)
    if normalized is None:
        return None
    prefix = 24 if ":" not in normalized else 48
    return str(ipaddress.ip_network(f"{normalized}/{prefix}", strict=False))


def normalize_domain(value: str) -> str:
    """Lower-case and check a site domain pattern, raising ``ValueError`` when invalid."""
    domain = value.strip().lower().rstrip(".")
    if "://" in domain or "/" in domain:
        raise ValueError(f"{value!r}: give a host name, optionally with :port, not a URL")
    match = _DOMAIN.match(domain)
    if not match:
        raise ValueError(f"{value!r} is not a host name, host:port or *.host")
    port = match.group("port")
    if port is not None and not 0 < int(port) < 65536:
        raise ValueError(f"{value!r}: port out of range")
    if match.group("wild") and port is None and "." not in match.group("host"):
        raise ValueError(f"{value!r}: a wildcard needs a registrable domain such as *.example.com")
    return domain


def _split_origin(origin: str) -> tuple[str, int] | None:
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    return parts.hostname.lower(), port


def origin_allowed(origin: str, domains: Sequence[str]) -> bool:
    """Whether a browser ``Origin`` header belongs to one of the site's domains."""
    split = _split_origin(origin)
    if split is None:
        return False
    host, port = split
    for domain in domains:
        match = _DOMAIN.match(domain)
        if not match:
            continue
        pattern_host = match.group("host").strip("[]")
        pattern_port = match.group("port")
        if pattern_port is not None and int(pattern_port) != port:
            continue
        if match.group("wild"):
            if host.endswith("." + pattern_host):
                return True
        elif host == pattern_host:
            return True
    return False

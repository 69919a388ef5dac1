"""Client addresses and origins: truncating IPs, matching a browser's Origin to a site."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from functools import cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

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


@cache
def public_suffix_list() -> PublicSuffixList:
    """The Public Suffix List (ICANN and private sections) as shipped with ``publicsuffixlist``."""
    return PublicSuffixList()


def _is_address(host: str) -> bool:
    if host.startswith("["):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _refuse_public_suffix(domain: str, host: str, wildcard: bool) -> None:
    # Only suffixes the list names: a host it does not know (localhost, shop.test) is fine, so
    # its default rule, which makes every unknown top-level name a suffix, is not applied here.
    if _is_address(host) or not public_suffix_list().is_public(host, accept_unknown=False):
        return
    if wildcard:
        raise ValueError(
            f"{domain!r} is a wildcard on the public suffix {host}, which covers sites of "
            f"unrelated owners; name your own domain, such as *.example.{host}"
        )
    raise ValueError(
        f"{domain!r} is a public suffix (on the Public Suffix List), under which unrelated "
        f"owners register their sites; name your own domain, such as example.{host}"
    )


def normalize_domain(value: str) -> str:
    """Lower-case and check a site domain pattern, raising ``ValueError`` when invalid.

    A public suffix (``com.vn``, ``github.io``) or a wildcard on one (``*.co.uk``) is refused.
    Every door that sets a site's domains goes through here, so each refuses alike.
    """
    domain = value.strip().lower().rstrip(".")
    if "://" in domain or "/" in domain:
        raise ValueError(f"{value!r}: give a host name, optionally with :port, not a URL")
    match = _DOMAIN.match(domain)
    if not match:
        raise ValueError(f"{value!r} is not a host name, host:port or *.host")
    port = match.group("port")
    if port is not None and not 0 < int(port) < 65536:
        raise ValueError(f"{value!r}: port out of range")
    _refuse_public_suffix(domain, match.group("host"), bool(match.group("wild")))
    if match.group("wild") and port is None and "." not in match.group("host"):
        raise ValueError(f"{value!r}: a wildcard needs a registrable domain such as *.example.com")
    return domain


def registrable_domain(domain: str) -> str | None:
    """The registrable domain (eTLD+1) of a site domain pattern, ignoring ``*.`` and ``:port``.

    ``*.shop.example.test:8080`` gives ``example.test``: a name the list does not know falls
    under its default rule ``*``. An address, or a name with no registrable part (``localhost``),
    gives ``None``.
    """
    match = _DOMAIN.match(domain)
    if not match or _is_address(match.group("host")):
        return None
    found: str | None = public_suffix_list().privatesuffix(match.group("host"))
    return found


def registrable_domains(domains: Iterable[str]) -> list[str]:
    """The distinct registrable domains of the site's domains, sorted."""
    return sorted({found for domain in domains if (found := registrable_domain(domain))})


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

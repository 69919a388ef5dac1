"""Signed visitor IDs: minted by the server, bound to one site, verified with every key."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence

from itsdangerous import BadSignature, Signer

VISITOR_SALT = "cookieconsent.visitor-id"
_RAW_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")


class InvalidVisitorId(ValueError):
    """The visitor ID is malformed, tampered with, or belongs to another site."""


def _signer(secret_keys: Sequence[str], site_key: str) -> Signer:
    # The site key is part of the salt, so an ID signed for one site never verifies at another.
    return Signer(
        list(secret_keys),
        salt=f"{VISITOR_SALT}:{site_key}",
        digest_method=hashlib.sha256,
    )


def mint_visitor_id(secret_keys: Sequence[str], site_key: str) -> tuple[str, str]:
    """Return a fresh ``(raw_id, signed_id)`` pair for a visitor of ``site_key``."""
    raw_id = secrets.token_urlsafe(16)
    return raw_id, _signer(secret_keys, site_key).sign(raw_id).decode("ascii")


def sign_visitor_id(secret_keys: Sequence[str], site_key: str, raw_id: str) -> str:
    """Sign an existing raw visitor ID with the newest key."""
    return _signer(secret_keys, site_key).sign(raw_id).decode("ascii")


def verify_visitor_id(secret_keys: Sequence[str], site_key: str, signed_id: str) -> str:
    """Return the raw ID inside ``signed_id``, or raise :class:`InvalidVisitorId`."""
    if not isinstance(signed_id, str) or len(signed_id) > 128 or not signed_id.isascii():
        raise InvalidVisitorId("not a visitor ID issued by this service")
    try:
        raw_id = _signer(secret_keys, site_key).unsign(signed_id).decode("ascii")
    except BadSignature:
        raise InvalidVisitorId(
            "signature does not match: tampered, or issued for another site"
        ) from None
    if not _RAW_ID.match(raw_id):
        raise InvalidVisitorId("not a visitor ID issued by this service")
    return raw_id

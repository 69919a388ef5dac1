"""Idempotency keys: a consent write sent again with the same key is answered, not repeated.

The widget retries a choice it could not confirm (a lost answer, a page closed mid-request);
with an ``Idempotency-Key`` the retry gets the original answer and writes nothing more. Keys are
kept per site for :data:`KEEP`, then ignored and purged.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import CursorResult, delete, select

from ..extensions import db
from ..models import IdempotencyKey, utcnow

HEADER = "Idempotency-Key"
KEEP = timedelta(days=7)
# Visible ASCII only (RFC 9110 VCHAR): no spaces, no control characters, nothing to normalise.
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
KEY_ERROR = "1 to 255 visible ASCII characters (no spaces)."

Result = TypeVar("Result")


class IdempotencyKeyReused(ValueError):
    """The key was used before with another body."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"{key!r} was already used with another body; send a new key for a new choice."
        )


@dataclass(frozen=True)
class IdempotentWrite(Generic[Result]):
    """A write's key, the digest of its body, and how its success is answered.

    ``respond`` turns what the write returns into the JSON body of its answer, sent with
    ``status_code``, so that the answer is stored in the same transaction as the write itself.
    """

    key: str
    digest: str
    status_code: int
    respond: Callable[[Result], dict[str, Any]]


def check_key(value: str) -> str:
    """The header's value, or ``ValueError`` when it is not 1 to 255 visible ASCII characters."""
    if not _KEY.match(value):
        raise ValueError(KEY_ERROR)
    return value


def body_digest(body: Any) -> str:
    """SHA-256 of the parsed JSON body, canonical: key order and spacing do not matter."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def stored_answer(
    site_id: int, key: str, digest: str, *, now: datetime | None = None
) -> IdempotencyKey | None:
    """The answer kept for this key, or ``None`` if there is none younger than :data:`KEEP`.

    Raises :class:`IdempotencyKeyReused` when the key came with another body. An expired row
    is deleted in the caller's transaction, so the key can be stored anew when the write commits.
    """
    now = now or utcnow()
    row = db.session.execute(
        select(IdempotencyKey).where(IdempotencyKey.site_id == site_id, IdempotencyKey.key == key)
    ).scalar_one_or_none()
    if row is None:
        return None
    if row.created_at <= now - KEEP:
        db.session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.site_id == site_id,
                IdempotencyKey.key == key,
                IdempotencyKey.created_at <= now - KEEP,
            )
        )
        db.session.expunge(row)
        return None
    if row.request_digest != digest:
        raise IdempotencyKeyReused(key)
    return row


def remember(
    site_id: int, write: IdempotentWrite[Result], result: Result, *, now: datetime
) -> None:
    """Add the answer to ``write`` to the session; it commits with the write it answers."""
    db.session.add(
        IdempotencyKey(
            site_id=site_id,
            key=write.key,
            request_digest=write.digest,
            status_code=write.status_code,
            response=write.respond(result),
            created_at=now,
        )
    )


def purge_expired(site_id: int, *, batch: int = 1000, now: datetime | None = None) -> int:
    """Delete the site's keys older than :data:`KEEP`, in short transactions; return how many."""
    cutoff = (now or utcnow()) - KEEP
    removed = 0
    while True:
        keys = (
            db.session.execute(
                select(IdempotencyKey.key)
                .where(IdempotencyKey.site_id == site_id, IdempotencyKey.created_at <= cutoff)
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if not keys:
            return removed
        result: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
            delete(IdempotencyKey).where(
                IdempotencyKey.site_id == site_id,
                IdempotencyKey.key.in_(keys),
                IdempotencyKey.created_at <= cutoff,
            )
        )
        db.session.commit()
        removed += result.rowcount

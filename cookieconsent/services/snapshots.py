"""What the banner showed: immutable snapshots of a site's configuration, stored once each."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import ConfigSnapshot


def snapshot_digest(content: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``content``."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def find_snapshot(site_id: int, digest: str) -> int | None:
    """The ID of the site's snapshot with this digest, if stored."""
    return db.session.execute(
        select(ConfigSnapshot.id).where(
            ConfigSnapshot.site_id == site_id, ConfigSnapshot.digest == digest
        )
    ).scalar_one_or_none()


def ensure_snapshot(site_id: int, content: Mapping[str, Any], digest: str | None = None) -> int:
    """Store ``content`` unless an identical snapshot exists; return its ID. Commits."""
    digest = digest or snapshot_digest(content)
    existing = find_snapshot(site_id, digest)
    if existing is not None:
        return existing
    snapshot = ConfigSnapshot(site_id=site_id, digest=digest, content=dict(content))
    try:
        with db.session.begin_nested():
            db.session.add(snapshot)
        db.session.commit()
    except IntegrityError:  # another worker stored it first
        db.session.rollback()
        found = find_snapshot(site_id, digest)
        if found is None:
            raise
        return found
    return snapshot.id

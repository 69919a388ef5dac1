"""Retention: events are purged once they have not been current for the site's retention window.

Idempotency keys older than their seven days go in the same run.

Purging works in batches and in short transactions, so it runs while traffic flows. A purged
event first becomes a tombstone (its content gone, its place and MAC kept); a run of tombstones
at the start of the chain is then deleted behind a checkpoint, from which verification starts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import ChainHead, ConsentEvent, ConsentState, Site, WebhookDelivery, utcnow
from .idempotency import purge_expired as purge_expired_keys


@dataclass
class PurgeResult:
    """What one purge did for one site."""

    site_key: str
    purged: int = 0
    deleted: int = 0
    checkpoint: int = 0
    idempotency_keys: int = 0


def _eligible_ids(
    site: Site, cutoff: datetime, batch: int, after_id: int
) -> tuple[list[int], int, int]:
    """IDs of events that stopped being current before ``cutoff``; the last ID examined, and
    how many were examined."""
    later = aliased(ConsentEvent)
    # When the visitor's next event replaced this one: found through the (site, visitor, id)
    # index in one step. Asking for the earliest time among all later events instead lets a
    # planner walk the site's whole (site, created_at) index for each row, which at a million
    # events made a purge take hours (bench/scale.py shows the plan).
    next_time = (
        select(later.created_at)
        .where(
            later.site_id == ConsentEvent.site_id,
            later.visitor_id == ConsentEvent.visitor_id,
            later.id > ConsentEvent.id,
        )
        .order_by(later.id)
        .limit(1)
        .correlate(ConsentEvent)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(
            ConsentEvent.id,
            ConsentEvent.created_at,
            ConsentEvent.erased_at,
            next_time,
            ConsentState.expires_at,
            ConsentState.decided,
        )
        .outerjoin(
            ConsentState,
            (ConsentState.site_id == ConsentEvent.site_id)
            & (ConsentState.last_event_id == ConsentEvent.id),
        )
        .where(
            ConsentEvent.site_id == site.id,
            ConsentEvent.purged_at.is_(None),
            ConsentEvent.created_at < cutoff,
            ConsentEvent.id > after_id,
        )
        .order_by(ConsentEvent.id)
        .limit(batch)
    ).all()
    eligible = []
    for event_id, created_at, erased_at, replaced_at, expires_at, decided in rows:
        # When the event stopped being the visitor's decision.
        if replaced_at is not None:
            ended = replaced_at
        elif erased_at is not None:
            ended = erased_at
        elif decided and expires_at is not None:
            ended = expires_at
        else:
            ended = created_at
        if ended < cutoff:
            eligible.append(event_id)
    return eligible, rows[-1][0] if rows else after_id, len(rows)


def _tombstone(site: Site, event_ids: list[int], now: datetime) -> None:
    db.session.execute(
        delete(ConsentState).where(
            ConsentState.site_id == site.id, ConsentState.last_event_id.in_(event_ids)
        )
    )
    db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.event_id.in_(event_ids)))
    db.session.execute(
        update(ConsentEvent)
        .where(ConsentEvent.id.in_(event_ids))
        .values(
            visitor_id="",
            url=None,
            user_agent=None,
            ip_prefix=None,
            language=None,
            categories={},
            services={},
            purged_at=now,
        )
    )
    db.session.commit()


def _compact(site: Site, batch: int) -> tuple[int, int]:
    """Delete the tombstones starting the chain, behind a checkpoint: (deleted, checkpoint)."""
    head = db.session.get(ChainHead, site.id)
    if head is None:
        return 0, 0
    first_live = db.session.execute(
        select(func.min(ConsentEvent.sequence)).where(
            ConsentEvent.site_id == site.id,
            ConsentEvent.purged_at.is_(None),
            ConsentEvent.sequence > head.checkpoint_sequence,
        )
    ).scalar_one_or_none()
    target = (first_live - 1) if first_live is not None else head.sequence
    if target <= head.checkpoint_sequence:
        return 0, head.checkpoint_sequence
    mac = db.session.execute(
        select(ConsentEvent.mac).where(
            ConsentEvent.site_id == site.id, ConsentEvent.sequence == target
        )
    ).scalar_one_or_none()
    if mac is None:
        return 0, head.checkpoint_sequence
    # The checkpoint moves first: verification then starts past what is about to go.
    db.session.execute(
        update(ChainHead)
        .where(ChainHead.site_id == site.id)
        .values(checkpoint_sequence=target, checkpoint_mac=mac)
    )
    db.session.commit()
    deleted = 0
    while True:
        ids = (
            db.session.execute(
                select(ConsentEvent.id)
                .where(
                    ConsentEvent.site_id == site.id,
                    ConsentEvent.sequence <= target,
                    ConsentEvent.purged_at.is_not(None),
                )
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if not ids:
            break
        db.session.execute(delete(ConsentEvent).where(ConsentEvent.id.in_(ids)))
        db.session.commit()
        deleted += len(ids)
    return deleted, target


# Rows ANALYZE samples per index on SQLite: statistics good enough to choose an index, in a
# bounded time however large the file (https://sqlite.org/lang_analyze.html#approx).
SQLITE_ANALYSIS_LIMIT = 1000


def refresh_planner_statistics() -> bool:
    """Give SQLite's query planner fresh table statistics; True when it did (SQLite only).

    Without statistics SQLite walks a site's whole (site, created_at) index to find one
    visitor's events in the log (54 ms at 100,000 events, 0.06 ms with them: bench/scale.py).
    PostgreSQL keeps its own statistics (autovacuum's ANALYZE), so nothing is done there. The
    daily ``consents purge`` runs this, after the purge has changed the tables.
    """
    if db.engine.dialect.name != "sqlite":
        return False
    with db.engine.begin() as connection:
        connection.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        connection.exec_driver_sql("ANALYZE")
    return True


def purge_candidates(site: Site, *, now: datetime | None = None) -> int:
    """How many events :func:`purge_site` examines: those older than the retention cutoff."""
    cutoff = (now or utcnow()) - timedelta(days=site.retention_days)
    return int(
        db.session.execute(
            select(func.count()).where(
                ConsentEvent.site_id == site.id,
                ConsentEvent.purged_at.is_(None),
                ConsentEvent.created_at < cutoff,
            )
        ).scalar_one()
    )


def purge_site(
    site: Site,
    *,
    batch: int = 1000,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> PurgeResult:
    """Purge one site's expired history.

    Examines ``batch`` events older than the cutoff per transaction, in ID order, so memory
    stays flat and traffic goes on; ``progress(n)`` hears of each batch of ``n`` examined.
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=site.retention_days)
    result = PurgeResult(site.site_key)
    after_id = 0
    while True:
        eligible, last_id, examined = _eligible_ids(site, cutoff, batch, after_id)
        if eligible:
            _tombstone(site, eligible, now)
            result.purged += len(eligible)
        if last_id == after_id:
            break
        if progress is not None:
            progress(examined)
        after_id = last_id
    result.deleted, result.checkpoint = _compact(site, batch)
    result.idempotency_keys = purge_expired_keys(site.id, batch=batch, now=now)
    return result

"""What the widget reports without identifying anyone: banners shown, and where it runs.

- **Banners shown.** Each time a visitor is shown the first layer, the widget sends one beacon
  with the region and the language; :func:`count_banner_shown` adds one to the site's count for
  that UTC day, region and language in a single atomic upsert (``INSERT … ON CONFLICT DO
  UPDATE``, on PostgreSQL and SQLite alike), so concurrent beacons never lose a count. Nothing
  else is stored: no visitor ID, no address, no time finer than the day.
- **Last seen.** The page origin the widget last ran on, and when (:func:`note_last_seen`),
  from the beacon and from the region request. At most one write per site per minute: the
  ``UPDATE`` only matches when the stored time is a minute old, and a process-local memo spares
  even that statement within the minute.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import BannerCount, Site

LAST_SEEN_EVERY = timedelta(minutes=1)

# Site ID -> when this process last wrote (or found fresh) its last-seen time (monotonic).
_last_seen_memo: dict[int, float] = {}
_memo_lock = threading.Lock()


def utc_day(now: datetime | None = None) -> date:
    """The UTC date banners are counted under."""
    return (now or datetime.now(UTC)).astimezone(UTC).date()


def count_banner_shown(site_id: int, region: str | None, language: str, day: date) -> None:
    """Add one banner shown to the site's count for ``day``, ``region`` and ``language``.

    One statement, atomic under concurrency; the caller commits. An unknown region counts as "".
    """
    values = {
        "site_id": site_id,
        "day": day,
        "region": region or "",
        "language": language,
        "shown": 1,
    }
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    statement = insert(BannerCount).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["site_id", "day", "region", "language"],
        set_={"shown": BannerCount.shown + 1},
    )
    db.session.execute(statement)


def note_last_seen(site_id: int, origin: str, now: datetime | None = None) -> bool:
    """Record ``origin`` as where the site's widget last ran, at most once a minute per site.

    Returns whether a row was written. The time check sits in the ``UPDATE``'s ``WHERE``, so
    several processes cannot write more often either; the caller commits. The site's own
    ``updated_at`` stays: being seen is not a change of its configuration.
    """
    moment = now or datetime.now(UTC)
    tick = time.monotonic()
    with _memo_lock:
        last = _last_seen_memo.get(site_id)
        if now is None and last is not None and tick - last < LAST_SEEN_EVERY.total_seconds():
            return False
        _last_seen_memo[site_id] = tick
        if len(_last_seen_memo) > 100_000:
            _last_seen_memo.clear()
    result = db.session.execute(
        update(Site)
        .where(
            Site.id == site_id,
            or_(Site.last_seen_at.is_(None), Site.last_seen_at <= moment - LAST_SEEN_EVERY),
        )
        .values(last_seen_at=moment, last_seen_origin=origin[:255], updated_at=Site.updated_at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def forget_last_seen_memo() -> None:
    """Forget this process's memo (tests, and after a site's last-seen time was reset)."""
    with _memo_lock:
        _last_seen_memo.clear()

"""An optional shared cache of visitors' current decisions in Redis (``COOKIECONSENT_REDIS_URL``).

Lookups read it first; every write, withdrawal and erasure replaces the visitor's entry with a
short-lived marker in the same request, after its transaction commits. A lookup only fills an
entry that does not exist (``SET … NX``), so one that read the database just before a change
and answers just after it cannot put the old decision back: the marker is there, and it reads
the database again until the marker expires. If Redis fails, lookups go to the database.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from typing import Any

import redis
from flask import Flask, current_app

from ..models import ConsentState, StateView

log = logging.getLogger(__name__)

_FIELDS = ("decided", "categories", "services", "policy_version", "gpc", "region", "mode")
_TIMES = ("decided_at", "expires_at", "updated_at")
# A visitor the database does not know, cached so that unknown IDs do not reach it either.
_NONE = "none"
# Left by a change: "read the database", and no lookup may fill the entry meanwhile. Longer
# than any lookup takes between its database read and its fill.
_CHANGED = "changed"
CHANGED_SECONDS = 10


class StateCache:
    """Current decisions by site and visitor, for ``ttl`` seconds at most."""

    def __init__(self, url: str, ttl: int = 300) -> None:
        self.ttl = ttl
        self.client = redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
        self._quiet_until = 0.0

    @staticmethod
    def key(site_id: int, raw_id: str) -> str:
        """The Redis key of one visitor's decision."""
        return f"cookieconsent:state:{site_id}:{raw_id}"

    def _failed(self, error: Exception) -> None:
        # One warning a minute is enough to notice an outage without flooding the log.
        if time.monotonic() > self._quiet_until:
            log.warning("lookup cache unavailable, reading the database: %s", error)
            self._quiet_until = time.monotonic() + 60

    def get(self, site_id: int, raw_id: str) -> tuple[bool, StateView | None]:
        """``(found, state)``; ``found`` is false on a miss or when Redis fails."""
        try:
            raw = self.client.get(self.key(site_id, raw_id))
        except redis.RedisError as error:
            self._failed(error)
            return False, None
        if raw is None:
            return False, None
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        if text == _CHANGED:
            return False, None
        if text == _NONE:
            return True, None
        data: dict[str, Any] = json.loads(text)
        for name in _TIMES:
            data[name] = datetime.fromisoformat(data[name]) if data[name] else None
        values: dict[str, Any] = {name: data.get(name) for name in StateView.__dataclass_fields__}
        return True, StateView(**values)

    def put(self, site_id: int, raw_id: str, state: ConsentState | StateView | None) -> None:
        """Remember what the database answered, unless a change left its marker since."""
        if state is None:
            value = _NONE
        else:
            data: dict[str, Any] = {name: getattr(state, name) for name in _FIELDS}
            for name in _TIMES:
                moment = getattr(state, name)
                data[name] = moment.isoformat() if moment else None
            value = json.dumps(data)
        try:
            self.client.set(self.key(site_id, raw_id), value, ex=self.ttl, nx=True)
        except redis.RedisError as error:
            self._failed(error)

    def forget(self, site_id: int, raw_id: str) -> None:
        """After the visitor's decision changed (committed): mark the entry changed, so that no
        lookup that read the database before the change can fill it with the old decision."""
        try:
            self.client.set(self.key(site_id, raw_id), _CHANGED, ex=CHANGED_SECONDS)
        except redis.RedisError as error:
            self._failed(error)


def init_app(app: Flask) -> None:
    """Connect the cache when ``COOKIECONSENT_REDIS_URL`` is set."""
    url = app.config.get("COOKIECONSENT_REDIS_URL")
    app.extensions["cookieconsent.state_cache"] = StateCache(url) if url else None


def state_cache() -> StateCache | None:
    """The app's cache, if one is configured."""
    return current_app.extensions.get("cookieconsent.state_cache")

"""Load realistic consent records in bulk, for benchmarks and scale tests.

    python bench/load_events.py --database URL [--sites 3] [--visitors 100000] [--events 300000]
        [--days 90] [--seed 1] [--ids-out ids.txt]

Creates sites (their keys and API tokens are printed), then for each site visitors and their
events in time order: first choices (accept all, reject all, a custom save), later changes,
withdrawals, Global Privacy Control opt-outs, from Vietnam, Europe and the United States, in
Vietnamese and English. Every event is sealed into the site's tamper-evident chain exactly as the
service seals it (`consents verify` passes afterwards), and each visitor's current decision is
written to consent_states. PostgreSQL is loaded with COPY, SQLite with batched inserts. The
secret keys come from COOKIECONSENT_SECRET_KEYS (the service must use the same ones).
``--ids-out`` writes signed visitor IDs, one per line, for lookups.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGIONS = [
    ("VN", "opt-in", 0.62),
    ("DE", "opt-in", 0.08),
    ("FR", "opt-in", 0.06),
    ("US-CA", "opt-out", 0.1),
    ("US-TX", "opt-out", 0.06),
    ("JP", "opt-in", 0.08),
]
USER_AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 15; SM-S921B) AppleWebKit/537.36 Chrome/141.0 Mobile Safari/537",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/141.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 15_1) AppleWebKit/605.1.15 Version/18.1 Safari/605.1",
]
PAGES = ["/", "/san-pham", "/gio-hang", "/khuyen-mai", "/blog/huong-dan-chon-size", "/lien-he"]
EVENT_COLUMNS = (
    "id",
    "site_id",
    "visitor_id",
    "action",
    "decided",
    "categories",
    "services",
    "policy_version",
    "language",
    "url",
    "user_agent",
    "ip_prefix",
    "gpc",
    "source",
    "created_at",
    "chosen_at",
    "snapshot_id",
    "region",
    "mode",
    "sequence",
    "personal_digest",
    "mac",
    "key_id",
)
STATE_COLUMNS = (
    "site_id",
    "visitor_id",
    "decided",
    "categories",
    "services",
    "policy_version",
    "decided_at",
    "expires_at",
    "gpc",
    "region",
    "mode",
    "last_event_id",
    "updated_at",
)


@dataclass
class Visitor:
    """One visitor's identity and current decision while their events are generated."""

    raw_id: str
    region: str
    mode: str
    language: str
    ip_prefix: str
    user_agent: str
    state: dict[str, Any] | None = None
    events: int = 0


@dataclass
class SiteLoad:
    """What is loaded for one site."""

    site_id: int
    site_key: str
    snapshot_id: int
    categories: list[str]
    services: list[tuple[str, str]]
    visitors: list[Visitor] = field(default_factory=list)


def pick_region(rng: random.Random) -> tuple[str, str]:
    roll, total = rng.random(), 0.0
    for code, mode, share in REGIONS:
        total += share
        if roll < total:
            return code, mode
    return REGIONS[0][0], REGIONS[0][1]


def choose(rng: random.Random, visitor: Visitor, names: list[str]) -> tuple[str, dict[str, bool]]:
    """The next action of a visitor and the categories it leaves them with."""
    optional = [name for name in names if name != "essential"]
    if visitor.state is None:
        roll = rng.random()
        action = "accept_all" if roll < 0.55 else "reject_all" if roll < 0.85 else "save"
    else:
        roll = rng.random()
        action = (
            "withdraw"
            if roll < 0.15
            else "save"
            if roll < 0.55
            else ("accept_all" if roll < 0.8 else "reject_all")
        )
    if action == "accept_all":
        values = dict.fromkeys(optional, True)
    elif action == "save":
        values = {name: rng.random() < 0.5 for name in optional}
    else:
        values = dict.fromkeys(optional, False)
    return action, {"essential": True, **values}


def generate(
    site: SiteLoad, count: int, visitors: int, start: datetime, days: int, rng: random.Random
) -> Iterator[dict[str, Any]]:
    """``count`` events of the site, in time order, over ``visitors`` visitors."""
    import secrets

    span = timedelta(days=days).total_seconds()
    for _ in range(visitors):
        region, mode = pick_region(rng)
        site.visitors.append(
            Visitor(
                raw_id=secrets.token_urlsafe(16),
                region=region,
                mode=mode,
                language="vi" if region == "VN" or rng.random() < 0.2 else "en",
                ip_prefix=f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.0/24",
                user_agent=rng.choice(USER_AGENTS),
            )
        )
    moments = sorted(rng.random() * span for _ in range(count))
    for index, offset in enumerate(moments):
        # Every visitor chooses once; the rest of the events are their later changes.
        visitor = (
            site.visitors[index]
            if index < visitors
            else site.visitors[int(rng.paretovariate(1.2)) % visitors]
        )
        created = start + timedelta(seconds=offset)
        gpc = visitor.mode == "opt-out" and rng.random() < 0.1
        if gpc and visitor.state is None:
            action, categories = (
                "opt_out",
                {
                    name: name == "essential" or (visitor.mode == "opt-out" and name != "marketing")
                    for name in site.categories
                },
            )
            decided = False
        else:
            action, categories = choose(rng, visitor, site.categories)
            decided = action != "withdraw"
        services = {name: categories[category] for name, category in site.services}
        lifetime = timedelta(days=182)
        event = {
            "site_id": site.site_id,
            "visitor_id": visitor.raw_id,
            "action": action,
            "decided": decided,
            "categories": categories,
            "services": services,
            "policy_version": "1.0",
            "language": visitor.language,
            "url": "https://omishop.vn" + rng.choice(PAGES),
            "user_agent": visitor.user_agent,
            "ip_prefix": visitor.ip_prefix,
            "gpc": gpc,
            "source": "gpc" if action == "opt_out" else "banner",
            "created_at": created,
            "chosen_at": created - timedelta(milliseconds=rng.randint(50, 900)),
            "snapshot_id": site.snapshot_id,
            "region": visitor.region,
            "mode": visitor.mode,
        }
        visitor.state = {
            "decided": decided,
            "categories": categories,
            "services": services,
            "decided_at": created if decided else None,
            "expires_at": created + lifetime if decided else None,
            "gpc": gpc,
            "region": visitor.region,
            "mode": visitor.mode,
            "updated_at": created,
        }
        visitor.events += 1
        yield event


def seal_all(
    events: Iterator[dict[str, Any]], secret_keys: list[str], first_id: int
) -> Iterator[dict[str, Any]]:
    """Number and seal each event as the service does; record the last event of each visitor."""
    from cookieconsent.services.chain import GENESIS, chain_keys, compute_mac, personal_digest

    signing = chain_keys(secret_keys)[-1]
    previous = GENESIS
    for sequence, event in enumerate(events, start=1):
        event["id"] = first_id + sequence - 1
        event["sequence"] = sequence
        # No consent manager relayed these (the columns stay NULL, outside the MAC).
        shape = SimpleNamespace(consent_manager_id=None, consent_manager_artifact_id=None, **event)
        event["personal_digest"] = shape.personal_digest = personal_digest(signing.key, shape)
        event["mac"] = compute_mac(signing.key, previous, shape)
        event["key_id"] = signing.key_id
        previous = event["mac"]
        yield event


def write_events(engine: Any, rows: Iterator[dict[str, Any]], bar: Any) -> tuple[int, str, int]:
    """Write the rows (COPY on PostgreSQL); return (count, last MAC, last sequence)."""
    count, last_mac, last_sequence = 0, "", 0
    if engine.dialect.name == "postgresql":
        from psycopg.types.json import Json

        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            with cursor.copy(
                f"COPY consent_events ({', '.join(EVENT_COLUMNS)}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(
                        [
                            Json(row[c]) if c in {"categories", "services"} else row[c]
                            for c in EVENT_COLUMNS
                        ]
                    )
                    count, last_mac, last_sequence = count + 1, row["mac"], row["sequence"]
                    bar.update(1)
            raw.commit()
        finally:
            raw.close()
        return count, last_mac, last_sequence
    import sqlalchemy as sa

    from cookieconsent.models import ConsentEvent

    batch: list[dict[str, Any]] = []
    with engine.begin() as connection:
        for row in rows:
            batch.append({c: row[c] for c in EVENT_COLUMNS})
            count, last_mac, last_sequence = count + 1, row["mac"], row["sequence"]
            if len(batch) >= 5000:
                connection.execute(sa.insert(ConsentEvent.__table__), batch)
                bar.update(len(batch))
                batch = []
        if batch:
            connection.execute(sa.insert(ConsentEvent.__table__), batch)
            bar.update(len(batch))
    return count, last_mac, last_sequence


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=os.environ.get("COOKIECONSENT_DATABASE_URL"))
    parser.add_argument("--sites", type=int, default=3)
    parser.add_argument("--visitors", type=int, default=100_000, help="per site")
    parser.add_argument("--events", type=int, default=300_000, help="per site")
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ids-out", type=Path, default=None)
    args = parser.parse_args()
    if not args.database:
        parser.error("--database (or COOKIECONSENT_DATABASE_URL) is required")
    if args.events < args.visitors:
        parser.error("--events must be at least --visitors: every visitor chooses once")
    keys = [
        k.strip() for k in os.environ.get("COOKIECONSENT_SECRET_KEYS", "").split(",") if k.strip()
    ]
    if not keys:
        parser.error("set COOKIECONSENT_SECRET_KEYS to the keys the service uses")

    import sqlalchemy as sa
    from flask_migrate import upgrade
    from tqdm import tqdm

    from cookieconsent import create_app
    from cookieconsent.extensions import db
    from cookieconsent.models import ChainHead, ConsentEvent, ConsentState
    from cookieconsent.services.signing import sign_visitor_id
    from cookieconsent.services.sites import SiteProfile, create_site
    from cookieconsent.services.snapshots import ensure_snapshot

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": args.database,
            "COOKIECONSENT_SECRET_KEYS": keys,
            "SECRET_KEY": keys[-1],
        }
    )
    rng = random.Random(args.seed)
    start = datetime.now(UTC) - timedelta(days=args.days)
    ids_out = args.ids_out.open("w") if args.ids_out else None
    with app.app_context():
        upgrade()
        engine = db.engine
        for number in range(args.sites):
            site, token = create_site(f"Bench shop {number + 1}", [f"shop{number + 1}.bench.test"])
            profile = SiteProfile.of(site)
            snapshot_id = ensure_snapshot(
                site.id, profile.snapshot_content, profile.snapshot_digest
            )
            load = SiteLoad(
                site_id=site.id,
                site_key=site.site_key,
                snapshot_id=snapshot_id,
                categories=[c.name for c in site.categories],
                services=[(s.name, s.category) for s in site.services],
            )
            print(f"site {site.site_key} (API token {token})", flush=True)
            first_id = (
                db.session.execute(sa.select(sa.func.max(ConsentEvent.id))).scalar() or 0
            ) + 1
            db.session.commit()
            with tqdm(
                total=args.events, unit="event", desc=f"site {number + 1}", mininterval=1
            ) as bar:
                count, last_mac, last_sequence = write_events(
                    engine,
                    seal_all(
                        generate(load, args.events, args.visitors, start, args.days, rng),
                        keys,
                        first_id,
                    ),
                    bar,
                )
            # Current decisions: the last event of each visitor.
            last_event: dict[str, int] = {}
            rows = db.session.execute(
                sa.select(ConsentEvent.visitor_id, sa.func.max(ConsentEvent.id))
                .where(ConsentEvent.site_id == site.id)
                .group_by(ConsentEvent.visitor_id)
            )
            last_event = dict(rows.all())
            states = [
                {
                    "site_id": site.id,
                    "visitor_id": visitor.raw_id,
                    "policy_version": "1.0",
                    "last_event_id": last_event[visitor.raw_id],
                    **(visitor.state or {}),
                }
                for visitor in load.visitors
                if visitor.raw_id in last_event
            ]
            with engine.begin() as connection:
                for offset in range(0, len(states), 5000):
                    connection.execute(
                        sa.insert(ConsentState.__table__), states[offset : offset + 5000]
                    )
                connection.execute(
                    sa.update(ChainHead.__table__)
                    .where(ChainHead.__table__.c.site_id == site.id)
                    .values(sequence=last_sequence, mac=last_mac)
                )
                if engine.dialect.name == "postgresql":
                    connection.execute(
                        sa.text(
                            "SELECT setval(pg_get_serial_sequence('consent_events', 'id'), "
                            "(SELECT max(id) FROM consent_events))"
                        )
                    )
            if ids_out:
                for visitor in load.visitors:
                    ids_out.write(
                        f"{site.site_key} {sign_visitor_id(keys, site.site_key, visitor.raw_id)}\n"
                    )
            print(f"  {count} events, {len(states)} visitors", flush=True)
    if ids_out:
        ids_out.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

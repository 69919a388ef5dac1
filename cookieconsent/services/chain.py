"""Tamper evidence: every event carries an HMAC over its content and the previous event's MAC.

The chain is per site. Personal fields (visitor ID, IP prefix, user agent, page) enter the MAC
through a keyed digest, so erasing them later leaves the chain verifiable. Purged events leave
a checkpoint behind, and verification starts from it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from sqlalchemy import select, text

from ..extensions import db
from ..models import ChainHead, ConsentEvent

GENESIS = "0" * 64
# Erasure gives a visitor's events this prefix and a random token instead of the visitor ID.
ERASED_PREFIX = "erased-"
_CHAIN_SALT = b"cookieconsent.consent-chain"


@dataclass(frozen=True)
class ChainKey:
    """A key derived from one of the service's secret keys, named by a short ID."""

    key_id: str
    key: bytes


def chain_keys(secret_keys: Sequence[str]) -> list[ChainKey]:
    """The chain keys, oldest first; the last one signs new events."""
    keys = []
    for secret in secret_keys:
        derived = hmac.new(secret.encode("utf-8"), _CHAIN_SALT, hashlib.sha256).digest()
        keys.append(ChainKey(hashlib.sha256(derived).hexdigest()[:16], derived))
    return keys


def personal_digest(key: bytes, event: ConsentEvent) -> str:
    """A keyed digest of the fields erasure removes."""
    personal = [event.visitor_id, event.ip_prefix, event.user_agent, event.url]
    return hmac.new(key, _canonical(personal), hashlib.sha256).hexdigest()


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_content(event: ConsentEvent) -> bytes:
    """Everything an event proves, except the personal fields, which enter through their digest."""
    content: dict[str, Any] = {
        "site_id": event.site_id,
        "sequence": event.sequence,
        "action": event.action,
        "decided": event.decided,
        "categories": event.categories,
        "services": event.services,
        "policy_version": event.policy_version,
        "language": event.language,
        "gpc": event.gpc,
        "source": event.source,
        "created_at": event.created_at.isoformat(timespec="milliseconds"),
        "snapshot_id": event.snapshot_id,
        "region": event.region,
        "mode": event.mode,
        "personal_digest": event.personal_digest,
    }
    # Only when reported: events sealed before the field existed keep their content, and MAC.
    if event.chosen_at is not None:
        content["chosen_at"] = event.chosen_at.astimezone(UTC).isoformat(timespec="microseconds")
    if event.consent_manager_id is not None:
        content["consent_manager"] = {
            "id": event.consent_manager_id,
            "artifact_id": event.consent_manager_artifact_id,
        }
    return _canonical(content)


def compute_mac(key: bytes, previous_mac: str, event: ConsentEvent) -> str:
    """HMAC-SHA256 over the previous MAC and this event's content."""
    return hmac.new(
        key, previous_mac.encode("ascii") + b"|" + event_content(event), hashlib.sha256
    ).hexdigest()


def start_site_chain(site_id: int) -> ChainHead:
    """The empty chain of a new site."""
    head = ChainHead(
        site_id=site_id, sequence=0, mac=GENESIS, checkpoint_sequence=0, checkpoint_mac=GENESIS
    )
    db.session.add(head)
    return head


def reserve_position(site_id: int) -> tuple[int, str]:
    """Take the next position in the site's chain, locking the head until the transaction ends.

    An UPDATE is the first statement so that SQLite takes its write lock here too: two writers
    can never read the same head.
    """
    row = db.session.execute(
        text(
            "UPDATE chain_heads SET sequence = sequence + 1 WHERE site_id = :site_id "
            "RETURNING sequence, mac"
        ),
        {"site_id": site_id},
    ).one_or_none()
    if row is None:
        start_site_chain(site_id)
        db.session.flush()
        return reserve_position(site_id)
    return int(row[0]), str(row[1])


def seal(event: ConsentEvent, previous_mac: str, secret_keys: Sequence[str]) -> None:
    """Fill in the event's digest and MAC, and move the head's MAC to it."""
    signing = chain_keys(secret_keys)[-1]
    event.key_id = signing.key_id
    event.personal_digest = personal_digest(signing.key, event)
    event.mac = compute_mac(signing.key, previous_mac, event)
    db.session.execute(
        text("UPDATE chain_heads SET mac = :mac WHERE site_id = :site_id"),
        {"mac": event.mac, "site_id": event.site_id},
    )


@dataclass
class ChainReport:
    """What verification found for one site.

    ``problems`` are breaks: the chain was edited. ``unverifiable`` counts, per key ID, the
    events sealed with a key not configured here (a retired key, after the rotation runbook's
    last step): their links to their neighbours are checked, but their own content cannot be
    until that key is at hand again.
    """

    site_id: int
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    unverifiable: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No break found (events that could not be checked are counted apart)."""
        return not self.problems

    @property
    def complete(self) -> bool:
        """No break found, and every event could be checked."""
        return self.ok and not self.unverifiable


def verify_chain(
    site_id: int,
    secret_keys: Sequence[str],
    batch: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> ChainReport:
    """Walk the site's chain from its checkpoint and report every break.

    Reads ``batch`` events at a time and lets each batch go before the next, so memory stays
    flat however long the chain; ``progress(n)`` hears of each batch of ``n`` events checked.
    """
    keys = {key.key_id: key.key for key in chain_keys(secret_keys)}
    report = ChainReport(site_id)
    head = db.session.get(ChainHead, site_id)
    if head is None:
        report.problems.append("the site has no chain head")
        return report
    expected, previous_mac = head.checkpoint_sequence + 1, head.checkpoint_mac
    last_id = 0
    after = head.checkpoint_sequence
    while True:
        events = (
            db.session.execute(
                select(ConsentEvent)
                .where(ConsentEvent.site_id == site_id, ConsentEvent.sequence > after)
                .order_by(ConsentEvent.sequence)
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if not events:
            break
        for event in events:
            report.checked += 1
            sequence = event.sequence or 0
            if sequence != expected:
                if sequence > expected:
                    report.problems.append(
                        f"events {expected}..{sequence - 1} are missing (deleted)"
                    )
                expected = sequence
            if event.id < last_id:
                report.problems.append(f"event {sequence} (id {event.id}) is out of order")
            last_id = event.id
            if event.purged_at is None:
                _check_event(event, previous_mac, keys, report)
            elif not _is_tombstone(event):
                # Otherwise marking an event purged would hide any edit from the check.
                report.problems.append(f"event {sequence} is marked purged but keeps its content")
            previous_mac = event.mac or ""
            expected += 1
        after = events[-1].sequence or after
        # Only this walk's rows leave the session; the caller's objects stay attached.
        for event in events:
            db.session.expunge(event)
        if progress is not None:
            progress(len(events))
    if expected - 1 != head.sequence:
        if expected - 1 < head.sequence:
            report.problems.append(
                f"events {expected}..{head.sequence} are missing (deleted from the end)"
            )
        else:
            report.problems.append(
                f"events after {head.sequence} are not in the chain head (inserted)"
            )
    elif previous_mac != head.mac:
        report.problems.append("the last event does not match the chain head (edited or replaced)")
    return report


def _check_event(
    event: ConsentEvent, previous_mac: str, keys: dict[str, bytes], report: ChainReport
) -> None:
    sequence = event.sequence
    key = keys.get(event.key_id or "")
    if key is None:
        # Not a break: the key that sealed it is not here. The next event's MAC still covers
        # this one's, so the chain's order and links stay checked.
        key_id = event.key_id or ""
        report.unverifiable[key_id] = report.unverifiable.get(key_id, 0) + 1
        return
    if event.erased_at is None:
        if event.personal_digest != personal_digest(key, event):
            report.problems.append(f"event {sequence} has edited personal fields")
    elif not _is_erased(event):
        # Erasure is not sealed, so an erased event may hold nothing that links it to anyone.
        report.problems.append(f"event {sequence} is marked erased but has personal fields")
    if not hmac.compare_digest(compute_mac(key, previous_mac, event), event.mac or ""):
        report.problems.append(f"event {sequence} was edited, inserted or moved")


def _is_erased(event: ConsentEvent) -> bool:
    return (
        event.visitor_id.startswith(ERASED_PREFIX)
        and event.url is None
        and event.user_agent is None
        and event.ip_prefix is None
    )


def _is_tombstone(event: ConsentEvent) -> bool:
    return (
        event.visitor_id == ""
        and not event.categories
        and not event.services
        and event.url is None
        and event.user_agent is None
        and event.ip_prefix is None
        and event.language is None
    )


def chain_length(site_id: int) -> int:
    """How many events :func:`verify_chain` walks for the site (from its checkpoint)."""
    head = db.session.get(ChainHead, site_id)
    if head is None:
        return 0
    return int(head.sequence - head.checkpoint_sequence)


def legacy_events(site_id: int) -> int:
    """Events recorded before the chain existed, which it cannot vouch for."""
    return int(
        db.session.execute(
            select(db.func.count())
            .select_from(ConsentEvent)
            .where(ConsentEvent.site_id == site_id, ConsentEvent.sequence.is_(None))
        ).scalar_one()
    )

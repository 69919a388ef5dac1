"""Data subject requests: filing, the inbox's actions, and the deadline check.

A visitor files a request (access, correction, deletion, withdrawal, restriction, objection)
and gets a reference and the date by which it will be acknowledged. The site's owners and
editors then acknowledge it, work on it, may extend it once, and complete or refuse it; every
step is logged with who and when. Deadlines come from :mod:`.deadlines` (Decree
356/2025/ND-CP, GDPR Art. 12(3), CCPA §1798.130(a)(2)).

These functions add to the caller's transaction; the view or command that owns it commits.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import DataSubjectRequest, RequestStep, Site, iso_utc, utcnow
from . import deadlines
from .validation import InvalidInput
from .webhooks import (
    EVENT_REQUEST_DUE_SOON,
    EVENT_REQUEST_OVERDUE,
    EVENT_REQUEST_RECEIVED,
    active_endpoint_ids,
    enqueue,
)

KINDS = ("access", "correction", "deletion", "withdrawal", "restriction", "objection")
STATUSES = ("received", "acknowledged", "in_progress", "completed", "refused")
OPEN_STATUSES = ("received", "acknowledged", "in_progress")
FLAGS = ("due_soon", "overdue")
ACTIONS = ("acknowledge", "start", "processors", "extend", "complete", "refuse")
REFERENCE_PREFIX = "DSR-"
DETAILS_LIMIT = 2000
NOTE_LIMIT = 2000
REASON_LIMIT = 500
VISITOR = "visitor"
SYSTEM = "system"
FLAG_EVENTS = {"due_soon": EVENT_REQUEST_DUE_SOON, "overdue": EVENT_REQUEST_OVERDUE}


@dataclass(frozen=True)
class Actor:
    """Who takes a step: ``"visitor"``, ``"system"``, or a console user (email and id)."""

    label: str
    user_id: int | None = None


def new_reference() -> str:
    """``DSR-`` and 16 base32 characters: 80 random bits, unguessable, easy to read aloud."""
    return REFERENCE_PREFIX + base64.b32encode(secrets.token_bytes(10)).decode("ascii")


def _log(
    request: DataSubjectRequest, actor: Actor, action: str, note: str | None, now: datetime
) -> None:
    request.steps.append(
        RequestStep(
            at=now, actor=actor.label, actor_user_id=actor.user_id, action=action, note=note
        )
    )


@dataclass(frozen=True)
class Filing:
    """What a visitor sends: the kind, and optionally who they are and how to reach them.

    ``visitor_id`` is the raw ID inside a verified signed visitor ID; ``region`` the region
    the request came from (``VN``, ``US-CA``; ``None`` unknown).
    """

    kind: str
    language: str
    visitor_id: str | None = None
    email: str | None = None
    details: str | None = None
    region: str | None = None


def payload(site_key: str, request: DataSubjectRequest, kind: str, now: datetime) -> dict[str, Any]:
    """A webhook body about a request: no email or details, only what tracks its deadlines."""
    return {
        "type": kind,
        "site_key": site_key,
        "reference": request.reference,
        "kind": request.kind,
        "status": request.status,
        "law": request.law,
        "received_at": iso_utc(request.received_at),
        "acknowledge_by": iso_utc(request.acknowledge_by),
        "due_by": iso_utc(effective_due(request)),
        "occurred_at": iso_utc(now),
    }


def _announce(site: Site, request: DataSubjectRequest, kind: str, now: datetime) -> None:
    enqueue(active_endpoint_ids(site.id), payload(site.site_key, request, kind, now), due=now)


def file_request(site: Site, filing: Filing, *, now: datetime | None = None) -> DataSubjectRequest:
    """Record a new request with its deadlines, log it, announce ``request.received``.

    The law is the region's (:func:`.deadlines.law_for_region`); processors are involved when
    the site says so (``Site.processors_involved``). Raises :class:`InvalidInput` on ``kind``
    or ``details``. Does not commit.
    """
    now = now or utcnow()
    if filing.kind not in KINDS:
        raise InvalidInput({"kind": [f"One of: {', '.join(KINDS)}."]})
    if filing.details is not None and len(filing.details) > DETAILS_LIMIT:
        raise InvalidInput({"details": [f"At most {DETAILS_LIMIT} characters."]})
    law = deadlines.law_for_region(filing.region)
    processors = bool(site.processors_involved)
    request = DataSubjectRequest(
        site_id=site.id,
        reference=new_reference(),
        kind=filing.kind,
        status="received",
        law=law,
        region=filing.region,
        visitor_id=filing.visitor_id,
        email=filing.email or None,
        details=(filing.details or "").strip() or None,
        language=filing.language,
        processors_involved=processors,
        received_at=now,
        acknowledge_by=deadlines.acknowledge_by(now),
        due_by=deadlines.due_by(now, law, processors_involved=processors),
    )
    _log(request, Actor(VISITOR), "received", None, now)
    db.session.add(request)
    db.session.flush()
    _announce(site, request, EVENT_REQUEST_RECEIVED, now)
    return request


def effective_due(request: DataSubjectRequest) -> datetime:
    """The completion deadline in force: the extended one, else the first."""
    return request.extended_to or request.due_by


def live_flag(request: DataSubjectRequest, now: datetime | None = None) -> str | None:
    """``overdue``, ``due_soon`` or ``None`` for an open request, at ``now``.

    The acknowledgement deadline counts until the request is acknowledged, the completion
    deadline (extended or not) until it is closed (see :func:`.deadlines.deadline_flag`).
    """
    if request.status not in OPEN_STATUSES:
        return None
    watched = [effective_due(request)]
    if request.acknowledged_at is None:
        watched.append(request.acknowledge_by)
    return deadlines.deadline_flag(watched, now or utcnow())


def find_request(site: Site, reference: str) -> DataSubjectRequest | None:
    """The site's request with this reference (another site's is not found)."""
    if not isinstance(reference, str) or len(reference) > 32:
        return None
    return db.session.execute(
        select(DataSubjectRequest).where(
            DataSubjectRequest.site_id == site.id, DataSubjectRequest.reference == reference
        )
    ).scalar_one_or_none()


@dataclass(frozen=True)
class InboxRow:
    """A request as the inbox lists it, with its flag now."""

    request: DataSubjectRequest
    flag: str | None


def inbox(
    site: Site,
    *,
    status: str | None = None,
    flag: str | None = None,
    limit: int = 200,
    now: datetime | None = None,
) -> list[InboxRow]:
    """The site's requests, newest first, by ``status`` and by flag (``due_soon``, ``overdue``,
    or ``none``); at most ``limit``. Raises :class:`InvalidInput` on an unknown filter."""
    if status is not None and status not in STATUSES:
        raise InvalidInput({"status": [f"One of: {', '.join(STATUSES)}."]})
    if flag is not None and flag not in (*FLAGS, "none"):
        raise InvalidInput({"flag": [f"One of: {', '.join((*FLAGS, 'none'))}."]})
    query = select(DataSubjectRequest).where(DataSubjectRequest.site_id == site.id)
    if status is not None:
        query = query.where(DataSubjectRequest.status == status)
    if flag in FLAGS:
        query = query.where(DataSubjectRequest.status.in_(OPEN_STATUSES))
    rows = db.session.execute(
        query.order_by(DataSubjectRequest.received_at.desc(), DataSubjectRequest.id.desc())
    ).scalars()
    found: list[InboxRow] = []
    for request in rows:
        current = live_flag(request, now)
        if flag is None or (current or "none") == flag:
            found.append(InboxRow(request, current))
        if len(found) >= limit:
            break
    return found


def _text(name: str, value: str | None, limit: int, *, required: bool) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput({name: ["Required: say why."]})
    if len(text) > limit:
        raise InvalidInput({name: [f"At most {limit} characters."]})
    return text or None


@dataclass
class Step:
    """An action on a request: its name, and the note, reason or days it needs."""

    action: str
    note: str | None = None
    days: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def take_step(
    site: Site,
    request: DataSubjectRequest,
    step: Step,
    actor: Actor,
    *,
    now: datetime | None = None,
) -> DataSubjectRequest:
    """Apply one action to an open request and log it with ``actor`` and the time.

    ``acknowledge`` (received → acknowledged); ``start`` (→ in_progress); ``processors``: mark
    processors involved, so that a Vietnamese deadline becomes 20 days (before any extension);
    ``extend``: once, by ``days`` (1 to 15 under vn, 45 us, two months gdpr) with a reason in
    ``note``; ``complete`` with a note; ``refuse`` with a reason. Raises :class:`InvalidInput`
    naming the field at fault (``action``, ``note``, ``days``). Does not commit.
    """
    now = now or utcnow()
    if step.action not in ACTIONS:
        raise InvalidInput({"action": [f"One of: {', '.join(ACTIONS)}."]})
    if request.status not in OPEN_STATUSES:
        raise InvalidInput({"action": [f"The request is already {request.status}."]})
    note: str | None = None
    if step.action == "acknowledge":
        if request.acknowledged_at is not None:
            raise InvalidInput({"action": ["The request is already acknowledged."]})
        request.acknowledged_at = now
        request.status = "acknowledged"
        note = _text("note", step.note, NOTE_LIMIT, required=False)
    elif step.action == "start":
        if request.status == "in_progress":
            raise InvalidInput({"action": ["The request is already in progress."]})
        _acknowledged(request, now)
        request.status = "in_progress"
        note = _text("note", step.note, NOTE_LIMIT, required=False)
    elif step.action == "processors":
        note = _processors(request, step)
    elif step.action == "extend":
        note = _extend(request, step)
    else:
        note = _text("note", step.note, NOTE_LIMIT, required=True)
        _acknowledged(request, now)
        request.status = "completed" if step.action == "complete" else "refused"
        request.closed_at = now
        request.resolution = note
        request.flag = None
    _log(request, actor, step.action, note, now)
    return request


def _acknowledged(request: DataSubjectRequest, now: datetime) -> None:
    # Working on a request, or answering it, acknowledges it too.
    if request.acknowledged_at is None:
        request.acknowledged_at = now


def _processors(request: DataSubjectRequest, step: Step) -> str | None:
    if request.processors_involved:
        raise InvalidInput({"action": ["Processors are already marked as involved."]})
    if request.extended_to is not None:
        raise InvalidInput({"action": ["Mark processors before extending the deadline."]})
    request.processors_involved = True
    request.due_by = deadlines.due_by(request.received_at, request.law, processors_involved=True)
    return _text("note", step.note, NOTE_LIMIT, required=False)


def _extend(request: DataSubjectRequest, step: Step) -> str | None:
    if request.extended_to is not None:
        raise InvalidInput({"action": ["The deadline was already extended once."]})
    reason = _text("note", step.note, REASON_LIMIT, required=True)
    limit = deadlines.max_extension_days(request.due_by, request.law)
    if not isinstance(step.days, int) or not 1 <= step.days <= limit:
        raise InvalidInput({"days": [f"From 1 to {limit} days."]})
    request.extended_to = deadlines.extended_due(request.due_by, step.days, request.law)
    request.extension_reason = reason
    return f"+{step.days} days: {reason}"


@dataclass
class CheckSummary:
    """What one run of :func:`check_requests` found and announced."""

    checked: int = 0
    due_soon: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)
    notified: int = 0


def check_requests(site: Site | None = None, *, now: datetime | None = None) -> CheckSummary:
    """Flag open requests due soon or overdue; announce each flag once per request.

    A request entering ``due_soon`` or ``overdue`` gets the flag stored, a ``system`` step,
    and one webhook event (``request.due_soon``, ``request.overdue``); a later run that finds
    the same flag announces nothing. Does not commit.
    """
    now = now or utcnow()
    query = select(DataSubjectRequest, Site).join(Site, Site.id == DataSubjectRequest.site_id)
    query = query.where(DataSubjectRequest.status.in_(OPEN_STATUSES), Site.deleted_at.is_(None))
    if site is not None:
        query = query.where(DataSubjectRequest.site_id == site.id)
    summary = CheckSummary()
    for request, owner in db.session.execute(query.order_by(DataSubjectRequest.id)).all():
        summary.checked += 1
        flag = live_flag(request, now)
        request.flag = flag
        if flag == "due_soon":
            summary.due_soon.append(request.reference)
        elif flag == "overdue":
            summary.overdue.append(request.reference)
        if flag is not None and flag != request.notified_flag:
            request.notified_flag = flag
            _log(request, Actor(SYSTEM), f"flagged_{flag}", None, now)
            _announce(owner, request, FLAG_EVENTS[flag], now)
            summary.notified += 1
    return summary

"""The consent log: a site's events as its owner searches, pages and exports them.

Events are only read here, never changed (they are sealed into the site's chain). Pages go
newest first by ``(created_at, id)`` and continue from a signed cursor (keyset pagination, never
OFFSET), so a page costs the same at the millionth event as at the first, and events recorded
while someone pages through never shift the pages still to come. Each common search is served
by an index of ``consent_events``: the site's events by time, by visitor, by action and by
region. Exports stream the same search in keyset batches: memory stays flat whatever the size.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app, has_request_context, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, or_, select

from ..extensions import db
from ..models import ConsentEvent, ConsentState, Site, iso_utc
from ..texts import recorded_codes
from .chain import ERASED_PREFIX
from .consent import ACTIONS, SOURCES
from .rights import visitor_events
from .signing import InvalidVisitorId, sign_visitor_id, verify_visitor_id

CURSOR_SALT = "cookieconsent.log-cursor"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Rows per query while exporting: large enough to amortise the round trip, small enough that
# a batch (and the text made of it) stays a few hundred kilobytes.
EXPORT_BATCH = 1000
EXPORT_FORMATS = ("csv", "ndjson")
# At most this many category conditions in one search.
MAX_CATEGORY_FILTERS = 20

# The filters' shapes, also stated in the admin API's schema (one rule, one place).
RAW_ID_PATTERN = r"^[A-Za-z0-9_-]{22}$"
SIGNED_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,64}$"
REGION_PATTERN = r"^[A-Za-z]{2}(?:-[A-Za-z0-9]{1,3})?$"
LANGUAGE_PATTERN = r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,3}$"
CATEGORY_PATTERN = r"^([a-z][a-z0-9_]{0,39})\s*[=:]\s*(true|false)$"
# A UTC date, or a time with an optional offset (whether the day exists is checked on parsing).
MOMENT_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})?)?$"
)
_RAW_ID = re.compile(RAW_ID_PATTERN)
_SIGNED_ID = re.compile(SIGNED_ID_PATTERN)
_REGION = re.compile(REGION_PATTERN)
_LANGUAGE = re.compile(LANGUAGE_PATTERN)
_CATEGORY = re.compile(CATEGORY_PATTERN)
# Spreadsheets run a cell starting with one of these as a formula (CSV injection, CWE-1236).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

audit = logging.getLogger("cookieconsent.audit")


class LogSearchError(ValueError):
    """A search the log cannot run; ``errors`` names each field, ``status`` is 400 or 422.

    400 for a cursor or a visitor ID that this service did not issue for this site (as the
    public API answers a bad visitor ID), 422 for a filter value that is not acceptable.
    """

    def __init__(self, errors: Mapping[str, list[str]], status: int = 422) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = dict(errors)
        self.status = status


@dataclass(frozen=True)
class LogFilters:
    """What a log search looks for; every field is optional and they combine with AND.

    ``created_from`` is inclusive, ``created_until`` exclusive (a date given as "to" is read
    as the whole of that day in UTC). ``visitor_id`` is as the owner typed it: a signed ID
    (as visitors and receipts show it) or the raw ID inside one.
    """

    visitor_id: str | None = None
    created_from: datetime | None = None
    created_until: datetime | None = None
    action: str | None = None
    categories: Mapping[str, bool] = field(default_factory=dict)
    region: str | None = None
    language: str | None = None
    source: str | None = None

    def describe(self) -> dict[str, Any]:
        """The filters that are set, as plain values (for the audit log and links)."""
        described: dict[str, Any] = {
            "visitor_id": self.visitor_id,
            "from": iso_utc(self.created_from),
            "until": iso_utc(self.created_until),
            "action": self.action,
            "region": self.region,
            "language": self.language,
            "source": self.source,
        }
        if self.categories:
            described["category"] = [
                f"{name}={'true' if value else 'false'}" for name, value in self.categories.items()
            ]
        return {key: value for key, value in described.items() if value}


@dataclass(frozen=True)
class LogEntry:
    """One event as the log shows it.

    ``visitor_id`` is the signed ID (what the visitor and their receipts show), ``None`` once
    the visitor's data was erased. ``receipt_path`` opens the printable receipt of this event.
    """

    sequence: int | None
    recorded_at: datetime
    visitor_id: str | None
    action: str
    decided: bool
    categories: dict[str, bool]
    services: dict[str, bool]
    policy_version: str
    region: str | None
    mode: str | None
    language: str | None
    source: str
    gpc: bool
    url: str | None
    receipt_path: str | None


@dataclass(frozen=True)
class LogPage:
    """A page of the log, newest first, and the cursor of the next (older) one if any."""

    items: list[LogEntry]
    next_cursor: str | None


@dataclass(frozen=True)
class VisitorDetail:
    """One visitor of a site: their current decision and their whole history, oldest first."""

    visitor_id: str
    decided: bool
    categories: dict[str, bool]
    policy_version: str | None
    decided_at: datetime | None
    expires_at: datetime | None
    events: list[LogEntry]
    receipt_path: str | None


# Reading filters ---------------------------------------------------------------------------------


def _text(values: Mapping[str, Any], name: str) -> str | None:
    value = values.get(name)
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _moment(value: str, *, end: bool) -> datetime:
    """A UTC date (the start of that day, or with ``end`` the start of the next) or datetime."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        day = date.fromisoformat(value)
        start = datetime.combine(day, time.min, tzinfo=UTC)
        return start + timedelta(days=1) if end else start
    moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    # Up to and including the moment given: times are stored to the microsecond at most.
    return moment + timedelta(microseconds=1) if end else moment


def parse_filters(values: Mapping[str, Any]) -> LogFilters:
    """Filters from query or form values (``from``, ``to``, ``category=analytics=true`` …).

    Raises :class:`LogSearchError` (422) naming each field that is not acceptable.
    """
    errors: dict[str, list[str]] = {}
    visitor_id = _text(values, "visitor_id")
    if visitor_id is not None and visitor_id.startswith("'"):
        # As a CSV export shows an ID that starts with "-" (see csv_safe), copied back.
        visitor_id = visitor_id[1:] or None
    if visitor_id is not None and not (_RAW_ID.match(visitor_id) or _SIGNED_ID.match(visitor_id)):
        errors["visitor_id"] = [
            "Not a visitor ID: paste it as the visitor or the receipt shows it."
        ]
    moments: dict[str, datetime | None] = {}
    for name, end in (("from", False), ("to", True)):
        given = _text(values, name)
        moments[name] = None
        if given is None:
            continue
        try:
            if len(given) > 40:
                raise ValueError(given)
            moments[name] = _moment(given, end=end)
        except (ValueError, OverflowError):
            errors[name] = ["Not a date (2026-01-31) or a time (2026-01-31T08:00:00Z) in UTC."]
    if moments["from"] and moments["to"] and moments["from"] >= moments["to"]:
        errors["to"] = ["Must come after 'from'."]
    action = _text(values, "action")
    if action is not None and action not in ACTIONS:
        errors["action"] = [f"Must be one of: {', '.join(ACTIONS)}."]
    source = _text(values, "source")
    if source is not None and source not in SOURCES:
        errors["source"] = [f"Must be one of: {', '.join(SOURCES)}."]
    region = _text(values, "region")
    if region is not None:
        if _REGION.match(region):
            region = region.upper()
        else:
            errors["region"] = ["Not a region code such as VN, DE or US-CA."]
    language = _text(values, "language")
    if language is not None and not _LANGUAGE.match(language):
        errors["language"] = ["Not a language tag such as 'vi' or 'en-US'."]
    categories: dict[str, bool] = {}
    getlist = getattr(values, "getlist", None)
    given_categories = getlist("category") if getlist else values.get("category") or []
    if isinstance(given_categories, str):
        given_categories = [given_categories]
    for given in given_categories:
        given = str(given).strip()
        if not given:
            continue
        match = _CATEGORY.match(given)
        if match is None:
            errors["category"] = ["Write a category and a value, such as analytics=true."]
            break
        categories[match.group(1)] = match.group(2) == "true"
    if len(categories) > MAX_CATEGORY_FILTERS:
        errors["category"] = [f"At most {MAX_CATEGORY_FILTERS} categories at once."]
    if errors:
        raise LogSearchError(errors)
    return LogFilters(
        visitor_id=visitor_id,
        created_from=moments["from"],
        created_until=moments["to"],
        action=action,
        categories=categories,
        region=region,
        language=language,
        source=source,
    )


def parse_limit(value: Any) -> int:
    """A page size from 1 to :data:`MAX_LIMIT`, :data:`DEFAULT_LIMIT` when not given."""
    if value is None or value == "":
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except (TypeError, ValueError):
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise LogSearchError({"limit": [f"Must be a whole number from 1 to {MAX_LIMIT}."]})
    return limit


# Searching ---------------------------------------------------------------------------------------


def _keys(secret_keys: Sequence[str] | None) -> list[str]:
    return list(secret_keys or current_app.config["COOKIECONSENT_SECRET_KEYS"])


def resolve_visitor(site: Site, given: str, secret_keys: Sequence[str] | None = None) -> str:
    """The raw ID for a signed or raw visitor ID; another site's signed ID is refused (400)."""
    if _RAW_ID.match(given):
        return given
    try:
        return verify_visitor_id(_keys(secret_keys), site.site_key, given)
    except InvalidVisitorId as error:
        raise LogSearchError(
            {"visitor_id": [f"Not a visitor of this site: {error}."]}, 400
        ) from None


_COLUMNS: tuple[Any, ...] = (
    ConsentEvent.id,
    ConsentEvent.created_at,
    ConsentEvent.sequence,
    ConsentEvent.visitor_id,
    ConsentEvent.action,
    ConsentEvent.decided,
    ConsentEvent.categories,
    ConsentEvent.services,
    ConsentEvent.policy_version,
    ConsentEvent.region,
    ConsentEvent.mode,
    ConsentEvent.language,
    ConsentEvent.source,
    ConsentEvent.gpc,
    ConsentEvent.url,
)


def _query(site: Site, filters: LogFilters, secret_keys: Sequence[str] | None) -> Select[Any]:
    """The search, newest first, without its cursor or limit.

    Columns, not ORM objects: nothing enters the session's identity map, so an export of a
    million rows holds one batch at a time. Purged events (tombstones past retention) are not
    part of the log.
    """
    query = select(*_COLUMNS).where(
        ConsentEvent.site_id == site.id, ConsentEvent.purged_at.is_(None)
    )
    if filters.visitor_id:
        raw_id = resolve_visitor(site, filters.visitor_id, secret_keys)
        query = query.where(ConsentEvent.visitor_id == raw_id)
    if filters.created_from is not None:
        query = query.where(ConsentEvent.created_at >= filters.created_from)
    if filters.created_until is not None:
        query = query.where(ConsentEvent.created_at < filters.created_until)
    if filters.action:
        query = query.where(ConsentEvent.action == filters.action)
    if filters.region:
        query = query.where(ConsentEvent.region == filters.region)
    if filters.language:
        # Events recorded before codes carried their region say "pt" for "pt-PT".
        query = query.where(ConsentEvent.language.in_(recorded_codes(filters.language)))
    if filters.source:
        query = query.where(ConsentEvent.source == filters.source)
    for name, value in filters.categories.items():
        query = query.where(ConsentEvent.categories[name].as_boolean() == value)
    return query.order_by(ConsentEvent.created_at.desc(), ConsentEvent.id.desc())


def _older_than(query: Select[Any], position: tuple[datetime, int]) -> Select[Any]:
    """Rows after ``position`` in newest-first order.

    Written as ``created_at <= t AND (created_at < t OR id < i)`` rather than a row comparison
    so that the first half is an index condition on every index that ends in ``created_at``.
    """
    moment, event_id = position
    return query.where(
        ConsentEvent.created_at <= moment,
        or_(ConsentEvent.created_at < moment, ConsentEvent.id < event_id),
    )


def _cursor_serializer(secret_keys: Sequence[str] | None) -> URLSafeSerializer:
    return URLSafeSerializer(_keys(secret_keys), salt=CURSOR_SALT)


def make_cursor(
    site: Site, position: tuple[datetime, int], secret_keys: Sequence[str] | None
) -> str:
    """An opaque, signed token for the position after which the next page starts."""
    moment, event_id = position
    return _cursor_serializer(secret_keys).dumps(
        [site.id, moment.astimezone(UTC).isoformat(timespec="microseconds"), event_id]
    )


def read_cursor(
    site: Site, token: str, secret_keys: Sequence[str] | None = None
) -> tuple[datetime, int]:
    """The position inside a cursor; a forged, altered or other site's cursor is refused (400)."""
    refused = LogSearchError(
        {"cursor": ["Not a cursor of this log: start from the first page."]}, 400
    )
    if len(token) > 512:
        raise refused
    try:
        site_id, moment, event_id = _cursor_serializer(secret_keys).loads(token)
        position = datetime.fromisoformat(moment), int(event_id)
    except (BadSignature, ValueError, TypeError):
        raise refused from None
    if site_id != site.id or position[0].tzinfo is None:
        raise refused
    return position


def receipt_path(site_key: str, signed_id: str, sequence: int | None) -> str:
    """The printable receipt of one event (its chain sequence), as a path of this service."""
    values: dict[str, Any] = {"site_key": site_key, "visitor_id": signed_id}
    if sequence is not None:
        values["event"] = sequence
    if has_request_context():
        return url_for("embed.receipt_page", **values)
    return current_app.url_map.bind("localhost").build("embed.receipt_page", values)


class _Entries:
    """Turns rows into entries, signing each visitor ID once per search."""

    def __init__(self, site: Site, secret_keys: Sequence[str] | None) -> None:
        self.site_key = site.site_key
        self.keys = _keys(secret_keys)
        self.signed: dict[str, str] = {}

    def entry(self, row: Any) -> LogEntry:
        raw = row.visitor_id
        signed = None
        if raw and not raw.startswith(ERASED_PREFIX):
            signed = self.signed.get(raw)
            if signed is None:
                if len(self.signed) > 10_000:
                    self.signed.clear()
                signed = self.signed[raw] = sign_visitor_id(self.keys, self.site_key, raw)
        return LogEntry(
            sequence=row.sequence,
            recorded_at=row.created_at,
            visitor_id=signed,
            action=row.action,
            decided=row.decided,
            categories=dict(row.categories or {}),
            services=dict(row.services or {}),
            policy_version=row.policy_version,
            region=row.region,
            mode=row.mode,
            language=row.language,
            source=row.source,
            gpc=row.gpc,
            url=row.url,
            receipt_path=receipt_path(self.site_key, signed, row.sequence) if signed else None,
        )


def search_query(
    site: Site,
    filters: LogFilters,
    after: str | None = None,
    limit: int = DEFAULT_LIMIT,
    *,
    secret_keys: Sequence[str] | None = None,
) -> Select[Any]:
    """The query of one page, with one row more than ``limit`` (is there an older page?)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise LogSearchError({"limit": [f"Must be a whole number from 1 to {MAX_LIMIT}."]})
    query = _query(site, filters, secret_keys)
    if after:
        query = _older_than(query, read_cursor(site, after, secret_keys))
    return query.limit(limit + 1)


def search_log(
    site: Site,
    filters: LogFilters,
    after: str | None = None,
    limit: int = DEFAULT_LIMIT,
    *,
    secret_keys: Sequence[str] | None = None,
) -> LogPage:
    """One page of the site's log, newest first, from the cursor ``after`` (or the newest).

    Raises :class:`LogSearchError` for a bad cursor, visitor ID or limit.
    """
    rows = db.session.execute(
        search_query(site, filters, after, limit, secret_keys=secret_keys)
    ).all()
    entries = _Entries(site, secret_keys)
    items = [entries.entry(row) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = make_cursor(site, (last.created_at, last.id), secret_keys)
    return LogPage(items=items, next_cursor=next_cursor)


def iter_log(
    site: Site,
    filters: LogFilters,
    *,
    secret_keys: Sequence[str] | None = None,
    batch: int = EXPORT_BATCH,
) -> Iterator[LogEntry]:
    """Every event of the search, newest first, read in keyset batches of ``batch`` rows.

    Between batches the transaction ends, so a slow download holds no connection and no
    snapshot while the client reads.
    """
    query = _query(site, filters, secret_keys)
    entries = _Entries(site, secret_keys)
    position: tuple[datetime, int] | None = None
    while True:
        page = query if position is None else _older_than(query, position)
        rows = db.session.execute(page.limit(batch)).all()
        db.session.rollback()
        for row in rows:
            yield entries.entry(row)
        if len(rows) < batch:
            return
        position = (rows[-1].created_at, rows[-1].id)


# Views of entries --------------------------------------------------------------------------------


def entry_view(entry: LogEntry, base_url: str = "") -> dict[str, Any]:
    """An entry as JSON: what the API answers and each line of an NDJSON export holds."""
    return {
        "sequence": entry.sequence,
        "recorded_at": iso_utc(entry.recorded_at),
        "visitor_id": entry.visitor_id,
        "action": entry.action,
        "decided": entry.decided,
        "categories": entry.categories,
        "services": entry.services,
        "policy_version": entry.policy_version,
        "region": entry.region,
        "mode": entry.mode,
        "language": entry.language,
        "source": entry.source,
        "gpc": entry.gpc,
        "url": entry.url,
        "receipt_url": base_url.rstrip("/") + entry.receipt_path if entry.receipt_path else None,
    }


CSV_COLUMNS = (
    "recorded_at",
    "visitor_id",
    "action",
    "decided",
    "policy_version",
    "region",
    "mode",
    "language",
    "source",
    "gpc",
    "url",
    "receipt_url",
    "sequence",
    "categories",
    "services",
)


def csv_safe(value: Any) -> str:
    """A cell as text that a spreadsheet shows and never runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        value = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def export_lines(
    entries: Iterator[LogEntry],
    export_format: str,
    *,
    category_names: Sequence[str],
    base_url: str = "",
    chunk_rows: int = EXPORT_BATCH,
) -> Iterator[str]:
    """The export as text chunks of about ``chunk_rows`` rows each.

    CSV starts with a UTF-8 byte order mark: Excel, which most site owners open it with, reads
    a CSV without one in the computer's legacy code page and garbles Vietnamese; LibreOffice,
    Google Sheets, pandas and Python's ``utf-8-sig`` read past it. After the fixed columns
    comes one column per category of the site (``category.analytics``: true, false, or empty
    when the event predates the category); ``categories`` keeps the event's own JSON.
    """
    buffer = io.StringIO()
    if export_format == "csv":
        writer = csv.writer(buffer, lineterminator="\r\n")
        buffer.write("\ufeff")
        writer.writerow([*CSV_COLUMNS, *(f"category.{name}" for name in category_names)])
    for count, entry in enumerate(entries, start=1):
        view = entry_view(entry, base_url)
        if export_format == "csv":
            writer.writerow(
                [csv_safe(view[column]) for column in CSV_COLUMNS]
                + [csv_safe(entry.categories.get(name)) for name in category_names]
            )
        else:
            buffer.write(json.dumps(view, ensure_ascii=False, separators=(",", ":")))
            buffer.write("\n")
        if count % chunk_rows == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def export_log(
    site: Site,
    filters: LogFilters,
    export_format: str,
    *,
    exported_by: str,
    base_url: str = "",
    secret_keys: Sequence[str] | None = None,
) -> Iterator[str]:
    """The search as a CSV or NDJSON stream, with an audit line of who exported what.

    The filters (and the visitor ID in them) are checked before this returns, so a refusal is
    an error answer and not a broken download; the audit line says who asked, then how many
    rows went out once the stream ends.
    """
    if export_format not in EXPORT_FORMATS:
        raise LogSearchError({"format": [f"Must be one of: {', '.join(EXPORT_FORMATS)}."]})
    if filters.visitor_id:
        resolve_visitor(site, filters.visitor_id, secret_keys)
    described = json.dumps(filters.describe(), sort_keys=True, ensure_ascii=False)
    audit.info(
        "consent log export: %s exported site %s as %s, filters %s",
        exported_by,
        site.site_key,
        export_format,
        described,
    )
    category_names = [category.name for category in site.categories]
    site_key = site.site_key

    def stream() -> Iterator[str]:
        sent = _Counted(iter_log(site, filters, secret_keys=secret_keys))
        yield from export_lines(
            sent, export_format, category_names=category_names, base_url=base_url
        )
        audit.info(
            "consent log export: %s finished site %s as %s, %d rows",
            exported_by,
            site_key,
            export_format,
            sent.count,
        )

    return stream()


class _Counted:
    """An iterator of entries that counts what went through."""

    def __init__(self, entries: Iterator[LogEntry]) -> None:
        self.entries = entries
        self.count = 0

    def __iter__(self) -> Iterator[LogEntry]:
        return self

    def __next__(self) -> LogEntry:
        entry = next(self.entries)
        self.count += 1
        return entry


def export_filename(site: Site, export_format: str, now: datetime) -> str:
    """``consent-log-<site key>-<UTC date>.csv`` or ``.ndjson``."""
    return f"consent-log-{site.site_key}-{now.astimezone(UTC):%Y%m%d-%H%M%S}.{export_format}"


# One visitor -------------------------------------------------------------------------------------


def visitor_detail(
    site: Site, visitor_id: str, *, secret_keys: Sequence[str] | None = None
) -> VisitorDetail | None:
    """A visitor's current decision and whole history with receipt links; None without events.

    ``visitor_id`` is signed (another site's is refused with :class:`LogSearchError`) or raw.
    """
    raw_id = resolve_visitor(site, visitor_id, secret_keys)
    events = visitor_events(site.id, raw_id)
    if not events:
        return None
    signed = sign_visitor_id(_keys(secret_keys), site.site_key, raw_id)
    entries = _Entries(site, secret_keys)
    history = [entries.entry(event) for event in events]
    state = db.session.get(ConsentState, (site.id, raw_id))
    latest = events[-1]
    return VisitorDetail(
        visitor_id=signed,
        decided=bool(state and state.decided),
        categories=dict(state.categories) if state else {},
        policy_version=state.policy_version if state else None,
        decided_at=state.decided_at if state else None,
        expires_at=state.expires_at if state and state.decided else None,
        events=history,
        receipt_path=receipt_path(site.site_key, signed, latest.sequence),
    )

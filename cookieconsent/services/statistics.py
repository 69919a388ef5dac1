"""A site's statistics for a period: banners shown, decisions by kind, opt-in rates per category.

Days are UTC calendar days, as every time the service stores and the API writes is UTC, and as
the banner beacon files its counts (``BannerCount.day``). A period runs from its first to its
last day, both included.

Decision kinds, from the consent events (``ConsentEvent.action`` and ``gpc``):

- ``accept_all``, ``reject_all``; ``custom`` is a ``save`` from the preferences dialog;
- ``withdraw``: the visitor took their consent back;
- ``gpc_opt_out``: an ``opt_out`` made under Global Privacy Control (the browser's signal);
- ``opt_out``: any other opt-out of sale and sharing (a "Do not sell" link calling ``optOut()``).

The opt-in rate of a category is the share of the period's *choices* (``accept_all``,
``reject_all`` and ``custom``) in which that category was allowed. Withdrawals and opt-outs are
counted as decisions but are not choices about a category: a withdrawal refuses everything by
definition and an opt-out keeps what was chosen before, so counting them would measure how
often people withdraw, not how they answer the banner. A rate is ``None`` when the period holds
no choice. Locked categories (``essential``) are always allowed and get no rate.

Everything is aggregated by the database in one query over the events (``GROUP BY`` UTC day,
region, language, action and GPC, with one ``SUM`` per category over its JSON value) and one over
the banner counts, on PostgreSQL and SQLite alike; no event is loaded into Python. The grouped
rows (at most one per day, region, language and kind) are then rolled up per day, region
and language.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, and_, case, cast, func, literal_column, select
from sqlalchemy.sql.elements import ColumnElement

from ..extensions import db
from ..models import BannerCount, Category, ConsentEvent, Site
from ..texts import canonical_language

# The longest period one request may ask for: a year, a leap day included.
MAX_PERIOD_DAYS = 366
DECISION_KINDS = ("accept_all", "reject_all", "custom", "withdraw", "gpc_opt_out", "opt_out")
# The decisions an opt-in rate is computed over (see the module's docstring).
CHOICE_KINDS = ("accept_all", "reject_all", "custom")
# Presets of the console's period picker: the last N days, today included.
PRESET_DAYS = (7, 30, 90)


class InvalidPeriod(ValueError):
    """A period that cannot be computed, with a message per field (``from``, ``to``)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Period:
    """From one UTC day to another, both included."""

    start: date
    end: date

    @property
    def days(self) -> list[date]:
        """Every day of the period, in order."""
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def length(self) -> int:
        """How many days the period holds."""
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """The first instant of the period and the first instant after it, in UTC."""
        return (
            datetime.combine(self.start, time.min, UTC),
            datetime.combine(self.end + timedelta(days=1), time.min, UTC),
        )


def today_utc() -> date:
    """Today's date in UTC, the calendar of the statistics."""
    return datetime.now(UTC).date()


def last_days(count: int, *, today: date | None = None) -> Period:
    """The last ``count`` days, today included."""
    end = today or today_utc()
    return Period(end - timedelta(days=count - 1), end)


def make_period(start: date | None, end: date | None, *, today: date | None = None) -> Period:
    """A period from optional bounds: a missing end is today, a missing start 30 days before it.

    Raises :class:`InvalidPeriod` naming ``from`` or ``to`` when the start is after the end or
    the period is longer than :data:`MAX_PERIOD_DAYS`.
    """
    end = end or today or today_utc()
    start = start or end - timedelta(days=29)
    if start > end:
        raise InvalidPeriod({"from": ["The first day must not be after the last day."]})
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidPeriod({"to": [f"A period is at most {MAX_PERIOD_DAYS} days long."]})
    return Period(start, end)


@dataclass
class Decisions:
    """How many decisions of each kind."""

    accept_all: int = 0
    reject_all: int = 0
    custom: int = 0
    withdraw: int = 0
    gpc_opt_out: int = 0
    opt_out: int = 0

    @property
    def total(self) -> int:
        """Every decision, of every kind."""
        return sum(getattr(self, kind) for kind in DECISION_KINDS)

    @property
    def choices(self) -> int:
        """The decisions opt-in rates are computed over: accept all, reject all, custom."""
        return sum(getattr(self, kind) for kind in CHOICE_KINDS)

    def as_dict(self) -> dict[str, int]:
        """Each kind's count, in :data:`DECISION_KINDS` order."""
        return {kind: getattr(self, kind) for kind in DECISION_KINDS}


@dataclass
class Tally:
    """The figures of one day, one region, one language or the whole period."""

    key: str
    banners_shown: int = 0
    decisions: Decisions = field(default_factory=Decisions)
    # How many choices allowed each category.
    allowed: dict[str, int] = field(default_factory=dict)

    def opt_in_rate(self, category: str) -> float | None:
        """The share of choices that allowed ``category``; None without any choice."""
        choices = self.decisions.choices
        return self.allowed.get(category, 0) / choices if choices else None

    def opt_in_rates(self, categories: Iterable[str]) -> dict[str, float | None]:
        """:meth:`opt_in_rate` for each of ``categories``."""
        return {name: self.opt_in_rate(name) for name in categories}


@dataclass(frozen=True)
class SiteStatistics:
    """A site's statistics for a period: every day (zeros included), totals, regions, languages."""

    period: Period
    categories: tuple[str, ...]
    days: list[Tally]
    totals: Tally
    by_region: list[Tally]
    by_language: list[Tally]

    @property
    def empty(self) -> bool:
        """Nothing was shown and nothing decided in the period."""
        return self.totals.banners_shown == 0 and self.totals.decisions.total == 0


def rated_categories(site: Site) -> tuple[str, ...]:
    """The site's categories that a visitor can refuse, in the banner's order."""
    rows = db.session.execute(
        select(Category.name)
        .where(Category.site_id == site.id, Category.locked.is_(False))
        .order_by(Category.position, Category.id)
    ).scalars()
    return tuple(rows)


def _event_day(dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of an event, in the database's own terms."""
    if dialect == "postgresql":
        # timestamptz → the wall time in UTC, whatever the session's time zone is.
        return cast(func.timezone("UTC", ConsentEvent.created_at), Date)
    # SQLite keeps UTC text (the column type converts before writing): its date() reads it.
    return func.date(ConsentEvent.created_at)


def _as_date(value: Any) -> date:
    """A day as the database returns it (a date on PostgreSQL, text on SQLite)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _kind(action: str, gpc: bool) -> str | None:
    """The decision kind of an event's action (None for an action this version does not know)."""
    if action == "save":
        return "custom"
    if action == "opt_out":
        return "gpc_opt_out" if gpc else "opt_out"
    return action if action in DECISION_KINDS else None


def site_statistics(site: Site, period: Period) -> SiteStatistics:
    """Count what the site's banner showed and what visitors decided, per day, region, language."""
    categories = rated_categories(site)
    start, stop = period.bounds()
    dialect = db.session.get_bind().dialect.name
    day = _event_day(dialect).label("day")
    region = func.coalesce(ConsentEvent.region, "").label("region")
    language = func.coalesce(ConsentEvent.language, "").label("language")
    allowed_sums = [
        func.sum(case((ConsentEvent.categories[name].as_boolean(), 1), else_=0)).label(f"c{n}")
        for n, name in enumerate(categories)
    ]
    events = (
        select(
            day,
            region,
            language,
            ConsentEvent.action,
            ConsentEvent.gpc,
            func.count().label("events"),
            *allowed_sums,
        )
        .where(
            ConsentEvent.site_id == site.id,
            ConsentEvent.created_at >= start,
            ConsentEvent.created_at < stop,
        )
        .group_by(literal_column("1"), literal_column("2"), literal_column("3"))
        .group_by(ConsentEvent.action, ConsentEvent.gpc)
    )
    shown = (
        select(
            BannerCount.day,
            BannerCount.region,
            BannerCount.language,
            func.sum(BannerCount.shown).label("shown"),
        )
        .where(
            and_(
                BannerCount.site_id == site.id,
                BannerCount.day >= period.start,
                BannerCount.day <= period.end,
            )
        )
        .group_by(BannerCount.day, BannerCount.region, BannerCount.language)
    )

    per_day = {d.isoformat(): Tally(d.isoformat()) for d in period.days}
    totals = Tally("total")
    per_region: dict[str, Tally] = {}
    per_language: dict[str, Tally] = {}

    def tallies(on: date, region_key: str, language_key: str) -> Sequence[Tally]:
        found = [totals]
        if (day_tally := per_day.get(on.isoformat())) is not None:
            found.append(day_tally)
        found.append(per_region.setdefault(region_key, Tally(region_key)))
        # Counted under today's code: "pt" recorded before codes carried their region is "pt-PT".
        language_key = canonical_language(language_key) if language_key else language_key
        found.append(per_language.setdefault(language_key, Tally(language_key)))
        return found

    for row in db.session.execute(events):
        kind = _kind(row.action, bool(row.gpc))
        if kind is None:
            continue
        for tally in tallies(_as_date(row.day), row.region, row.language):
            setattr(tally.decisions, kind, getattr(tally.decisions, kind) + int(row.events))
            if kind in CHOICE_KINDS:
                for n, name in enumerate(categories):
                    tally.allowed[name] = tally.allowed.get(name, 0) + int(row[6 + n] or 0)
    for row in db.session.execute(shown):
        for tally in tallies(_as_date(row.day), row.region, row.language):
            tally.banners_shown += int(row.shown or 0)

    def by_volume(tallies: Iterable[Tally]) -> list[Tally]:
        return sorted(tallies, key=lambda t: (-t.banners_shown - t.decisions.total, t.key))

    return SiteStatistics(
        period=period,
        categories=categories,
        days=list(per_day.values()),
        totals=totals,
        by_region=by_volume(per_region.values()),
        by_language=by_volume(per_language.values()),
    )


# Characters a spreadsheet reads as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A value for a CSV cell that a spreadsheet never runs as a formula.

    Numbers are written as they are (a negative number is still a number); any other text that
    starts like a formula gets a leading apostrophe, as OWASP advises.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def daily_rows(stats: SiteStatistics) -> Iterable[list[str]]:
    """The daily table as CSV rows, with a header: day, banners shown, decisions, opt-in rates."""
    yield [
        "day",
        "banners_shown",
        "decisions",
        *DECISION_KINDS,
        *(f"opt_in_rate_{name}" for name in stats.categories),
    ]
    for tally in [*stats.days, stats.totals]:
        rates = [
            None if rate is None else round(rate, 4)
            for rate in tally.opt_in_rates(stats.categories).values()
        ]
        cells: list[object] = [
            tally.key,
            tally.banners_shown,
            tally.decisions.total,
            *tally.decisions.as_dict().values(),
            *rates,
        ]
        yield [csv_cell(cell) for cell in cells]


def daily_csv(stats: SiteStatistics) -> str:
    """The daily table as CSV text (RFC 4180, CRLF), its last row the period's totals."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(daily_rows(stats))
    return buffer.getvalue()

"""The console's API for statistics: a period's figures as JSON, and its daily table as CSV.

Days are UTC calendar days; ``from`` and ``to`` are both included, at most a year apart. See
:mod:`cookieconsent.services.statistics` for what each figure counts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response
from marshmallow import Schema, ValidationError, fields, validates_schema

from .admin_api import BEARER, admin_site, blp, requires
from .services.statistics import (
    MAX_PERIOD_DAYS,
    InvalidPeriod,
    Period,
    SiteStatistics,
    Tally,
    daily_csv,
    make_period,
    site_statistics,
)


class PeriodQuerySchema(Schema):
    """``from`` and ``to`` (YYYY-MM-DD, UTC days, both included); the last 30 days by default."""

    start = fields.Date(
        data_key="from",
        metadata={"description": "First day (UTC), included; default: 29 days before `to`."},
    )
    end = fields.Date(
        data_key="to",
        metadata={"description": "Last day (UTC), included; default: today."},
    )

    @validates_schema
    def check_period(self, data: dict[str, Any], **kwargs: Any) -> None:
        """The first day is not after the last, and the period is at most a year long."""
        try:
            data["period"] = make_period(data.get("start"), data.get("end"))
        except InvalidPeriod as error:
            raise ValidationError(error.errors) from None


class DecisionsSchema(Schema):
    """Decisions by kind (see the service's documentation), and their sum."""

    total = fields.Integer()
    accept_all = fields.Integer()
    reject_all = fields.Integer()
    custom = fields.Integer(metadata={"description": "A save from the preferences dialog."})
    withdraw = fields.Integer()
    gpc_opt_out = fields.Integer(
        metadata={"description": "An opt-out under Global Privacy Control."}
    )
    opt_out = fields.Integer(metadata={"description": "Any other opt-out (a Do Not Sell link)."})


class FiguresSchema(Schema):
    """Banners shown, decisions, and the opt-in rate per category (null without a choice)."""

    banners_shown = fields.Integer()
    decisions = fields.Nested(DecisionsSchema)
    opt_in_rates = fields.Dict(
        keys=fields.String(),
        values=fields.Float(allow_none=True),
        metadata={
            "description": "Per category: the share of accept all, reject all and custom "
            "choices that allowed it, from 0 to 1; null when the period holds no choice."
        },
    )


class DayFiguresSchema(FiguresSchema):
    """One UTC day."""

    day = fields.Date()


class RegionFiguresSchema(FiguresSchema):
    """One region over the period ("" when unknown)."""

    region = fields.String()


class LanguageFiguresSchema(FiguresSchema):
    """One language over the period ("" when unknown)."""

    language = fields.String()


class StatisticsSchema(Schema):
    """A site's statistics for a period."""

    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    timezone = fields.String(metadata={"description": "Always UTC: days are UTC days."})
    categories = fields.List(fields.String(), metadata={"description": "Categories rated."})
    totals = fields.Nested(FiguresSchema)
    days = fields.List(fields.Nested(DayFiguresSchema))
    by_region = fields.List(fields.Nested(RegionFiguresSchema))
    by_language = fields.List(fields.Nested(LanguageFiguresSchema))


def figures(tally: Tally, categories: tuple[str, ...]) -> dict[str, Any]:
    """A tally as :class:`FiguresSchema` shows it."""
    return {
        "banners_shown": tally.banners_shown,
        "decisions": {"total": tally.decisions.total, **tally.decisions.as_dict()},
        "opt_in_rates": tally.opt_in_rates(categories),
    }


def statistics_view(stats: SiteStatistics) -> dict[str, Any]:
    """The statistics as :class:`StatisticsSchema` shows them."""
    names = stats.categories
    return {
        "start": stats.period.start,
        "end": stats.period.end,
        "timezone": "UTC",
        "categories": list(names),
        "totals": figures(stats.totals, names),
        "days": [{"day": date.fromisoformat(t.key), **figures(t, names)} for t in stats.days],
        "by_region": [{"region": t.key, **figures(t, names)} for t in stats.by_region],
        "by_language": [{"language": t.key, **figures(t, names)} for t in stats.by_language],
    }


def _period(query: dict[str, Any]) -> Period:
    return query["period"]  # type: ignore[no-any-return]


@blp.route("/sites/<site_key>/stats")
@requires("view")
@blp.arguments(PeriodQuerySchema, location="query", as_kwargs=False)
@blp.response(200, StatisticsSchema)
@blp.alt_response(
    422, description=f"A bad period: `from` after `to`, or over {MAX_PERIOD_DAYS} days"
)
@blp.doc(security=BEARER)
def site_stats(query: dict[str, Any], site_key: str) -> dict[str, Any]:
    """Banners shown, decisions by kind and opt-in rates: per day, in total, by region, language.

    Decision kinds: accept_all, reject_all, custom (a save), withdraw, gpc_opt_out, opt_out.
    """
    site, _role = admin_site(site_key, "view")
    return statistics_view(site_statistics(site, _period(query)))


@blp.route("/sites/<site_key>/stats.csv")
@requires("view")
@blp.arguments(PeriodQuerySchema, location="query", as_kwargs=False)
@blp.response(
    200,
    {"type": "string"},
    content_type="text/csv",
    description="The daily table: day, banners_shown, decisions, one column per kind, "
    "opt_in_rate_<category>; the last row is the period's totals (day `total`).",
)
@blp.alt_response(
    422, description=f"A bad period: `from` after `to`, or over {MAX_PERIOD_DAYS} days"
)
@blp.doc(security=BEARER)
def site_stats_csv(query: dict[str, Any], site_key: str) -> Response:
    """The period's daily figures as a CSV file (text that starts like a formula is quoted)."""
    site, _role = admin_site(site_key, "view")
    period = _period(query)
    response = Response(daily_csv(site_statistics(site, period)), mimetype="text/csv")
    name = f"{site.site_key}-stats-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

"""The console's statistics page: a period picker, charts, the numbers behind them, a CSV file.

Charts are SVG drawn on the server with pygal and served from an endpoint of their own as
``image/svg+xml``, shown with ``<img src>``. An SVG loaded as an image never runs a script and
never fetches anything, and the styles pygal writes inside it are ruled by the image's own
Content-Security-Policy, so the page keeps its strict policy (no inline style at all). The SVG
is stripped of pygal's configuration ``<script>`` all the same, and links no stylesheet or font.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import pygal
from babel import Locale
from babel.dates import format_skeleton
from flask import Response, abort, render_template, request, url_for
from flask_babel import format_date, format_percent, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from pygal.style import Style
from wtforms import DateField, RadioField
from wtforms.fields import SelectChoice
from wtforms.validators import Optional

from ..models import Site
from ..services.statistics import (
    DECISION_KINDS,
    MAX_PERIOD_DAYS,
    PRESET_DAYS,
    InvalidPeriod,
    Period,
    SiteStatistics,
    daily_csv,
    last_days,
    make_period,
    site_statistics,
)
from . import bp, site_view

# The chart's own policy: its inline styles, nothing else (an image runs no script anyway).
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
KIND_LABELS: dict[str, Any] = {
    "accept_all": _l("Accept all"),
    "reject_all": _l("Reject all"),
    "custom": _l("Custom choice"),
    "withdraw": _l("Withdrawal"),
    "gpc_opt_out": _l("GPC opt-out"),
    "opt_out": _l("Other opt-out"),
}
# Told apart by people with any colour vision (Okabe-Ito), and at 3:1 or more on white.
KIND_COLORS = ("#0072B2", "#D55E00", "#7B3FA0", "#5F6B7A", "#009E73", "#A66F00")
ACTIVITY_COLORS = ("#1D4ED8", "#0F766E")
CHART_CSS = (
    "inline:@media (prefers-color-scheme: dark) {"
    " text { fill: #d5dbe3 !important; }"
    " .guides .line, .axis .line { stroke: #3a414b !important; }"
    " .background, .plot .background { fill: transparent !important; } }"
)


class PeriodForm(FlaskForm):  # type: ignore[misc]
    """The period picker: the last 7, 30 or 90 days, or from one day to another.

    It is a GET form that only reads, so it carries no CSRF token (nothing to forge), and its
    address can be bookmarked and shared among the site's members.
    """

    class Meta:
        csrf = False

    range = RadioField(
        _l("Period"),
        choices=[
            SelectChoice("7", _l("Last 7 days")),
            SelectChoice("30", _l("Last 30 days")),
            SelectChoice("90", _l("Last 90 days")),
            SelectChoice("custom", _l("Custom")),
        ],
        default="30",
        validators=[Optional()],
    )
    start = DateField(_l("From"), validators=[Optional()], name="from")
    end = DateField(_l("To"), validators=[Optional()], name="to")


def chosen_period(form: PeriodForm) -> Period | None:
    """The period the form asks for, or None with messages on its fields."""
    if not form.validate():
        return None
    if form.start.data is None and form.end.data is None:
        chosen = form.range.data if form.range.data in {"7", "30", "90"} else "30"
        form.range.data = chosen
        return last_days(int(chosen))
    form.range.data = "custom"
    if form.start.data is None:
        form.start.errors = [_("Choose the first day of the period.")]
        return None
    if form.end.data is None:
        form.end.errors = [_("Choose the last day of the period.")]
        return None
    try:
        return make_period(form.start.data, form.end.data)
    except InvalidPeriod as error:
        if "from" in error.errors:
            form.start.errors = [_("The first day must not be after the last day.")]
        else:
            form.end.errors = [_("A period is at most %(days)s days long.", days=MAX_PERIOD_DAYS)]
        return None


def query_period() -> Period:
    """The period of a chart or a CSV address (``from`` and ``to``); 400 when it is not valid."""
    try:
        start = date.fromisoformat(request.args["from"]) if request.args.get("from") else None
        end = date.fromisoformat(request.args["to"]) if request.args.get("to") else None
        return make_period(start, end)
    except (ValueError, InvalidPeriod):
        abort(400)


def region_name(code: str) -> str:
    """A region as people say it (``VN`` → Vietnam, ``US-CA`` → United States (CA))."""
    if not code:
        return str(_("Unknown"))
    country, _sep, part = code.partition("-")
    name = Locale.parse(str(get_locale())).territories.get(country.upper(), country)
    return f"{name} ({part})" if part else str(name)


def language_name(code: str) -> str:
    """A language as people say it, in the console's language (``vi`` → Vietnamese)."""
    if not code:
        return str(_("Unknown"))
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(str(get_locale()))
    except (ValueError, TypeError, LookupError):
        return code
    return name or code


def day_label(day: date) -> str:
    """A short day for an axis: ``2 thg 12`` in Vietnamese, ``Dec 2`` in English."""
    return format_skeleton("MMMd", day, locale=str(get_locale()))


def format_day(key: str) -> str:
    """A day of the daily table (its ISO key) as the console's language writes it."""
    return str(format_date(date.fromisoformat(key), "medium"))


def _without_scripts(root: Any) -> Any:
    """pygal always writes a configuration ``<script>``; a chart here never carries one."""
    for parent in root.iter():
        for child in list(parent):
            # Comments too: pygal's name pygal.org and github.com, addresses that lead nowhere.
            if callable(child.tag) or str(child.tag).rpartition("}")[2] == "script":
                parent.remove(child)
    return root


def _titled(title: str) -> Callable[[Any], Any]:
    """Name the chart (pygal writes "Pygal" in its <title> unless a title is drawn)."""

    def rename(root: Any) -> Any:
        for element in root.iter():
            if str(element.tag).rpartition("}")[2] == "title":
                element.text = title
                break
        return root

    return rename


def _chart(kind: Callable[..., Any], colors: Sequence[str], title: str, **options: Any) -> Any:
    """A pygal chart in the console's type and colours, without scripts, light or dark."""
    style = Style(
        background="transparent",
        plot_background="transparent",
        foreground="#3a424d",
        foreground_strong="#1b1f24",
        foreground_subtle="#8b95a1",
        guide_stroke_color="#d9dde3",
        major_guide_stroke_color="#d9dde3",
        font_family='system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif',
        label_font_size=13,
        major_label_font_size=13,
        legend_font_size=13,
        value_font_size=14,
        value_label_font_size=14,
        no_data_font_size=20,
        colors=tuple(colors),
        opacity="0.9",
        opacity_hover="1",
        transition="0ms",
    )
    settings: dict[str, Any] = {
        "style": style,
        "js": [],
        "css": ["file://style.css", "file://graph.css", CHART_CSS],
        "explicit_size": False,
        "width": 640,
        "height": 330,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 3,
        "show_y_guides": True,
        "show_x_guides": False,
        "margin": 8,
        "spacing": 12,
        "no_data_text": _("No data in this period"),
        "pretty_print": False,
    }
    chart = kind(**{**settings, **options})
    chart.add_xml_filter(_without_scripts)
    chart.add_xml_filter(_titled(title))
    return chart


# Narrow charts for phones: the same figures, drawn to be read at 360 pixels.
NARROW = {"width": 380, "height": 300}


def _day_axis(stats: SiteStatistics, narrow: bool) -> dict[str, Any]:
    """Day labels on the x axis, a handful of them whatever the period's length."""
    labels = [day_label(date.fromisoformat(t.key)) for t in stats.days]
    every = max(1, math.ceil(len(labels) / (4 if narrow else 7)))
    return {
        "x_labels": labels,
        "x_labels_major_every": every,
        "show_minor_x_labels": every == 1,
        "truncate_label": -1,
        **(NARROW if narrow else {}),
    }


def activity_chart(stats: SiteStatistics, narrow: bool = False) -> bytes:
    """Banners shown and decisions, per day."""
    title = _("Banners shown and decisions per day")
    chart = _chart(
        pygal.Line,
        ACTIVITY_COLORS,
        title,
        dots_size=2.5,
        stroke_style={"width": 2.5},
        legend_at_bottom_columns=2,
        min_scale=2,
        **_day_axis(stats, narrow),
    )
    chart.add(_("Banners shown"), [t.banners_shown for t in stats.days])
    chart.add(_("Decisions"), [t.decisions.total for t in stats.days])
    return chart.render()  # type: ignore[no-any-return]


def decisions_chart(stats: SiteStatistics, narrow: bool = False) -> bytes:
    """Decisions per day, stacked by kind."""
    title = _("Decisions per day by kind")
    chart = _chart(
        pygal.StackedBar,
        KIND_COLORS,
        title,
        min_scale=2,
        legend_at_bottom_columns=2 if narrow else 3,
        **_day_axis(stats, narrow),
    )
    for kind in DECISION_KINDS:
        chart.add(str(KIND_LABELS[kind]), [getattr(t.decisions, kind) for t in stats.days])
    return chart.render()  # type: ignore[no-any-return]


def opt_in_chart(stats: SiteStatistics, narrow: bool = False) -> bytes:
    """The period's opt-in rate per category, in percent."""
    title = _("Opt-in rate per category")
    chart = _chart(
        pygal.HorizontalBar,
        ACTIVITY_COLORS[:1],
        title,
        range=(0, 100),
        y_labels=[0, 25, 50, 75, 100] if narrow else [0, 20, 40, 60, 80, 100],
        show_legend=False,
        print_values=True,
        value_formatter=lambda value: f"{value:.0f}%",
        width=380 if narrow else 560,
        height=max(150, 60 + 56 * len(stats.categories)),
    )
    # pygal draws the first label at the bottom: reversed, the banner's order reads downwards.
    names = list(reversed(stats.categories))
    rates = stats.totals.opt_in_rates(names)
    chart.x_labels = names
    chart.add(
        _("Opt-in rate"),
        [None if rates[name] is None else round(100 * (rates[name] or 0), 1) for name in names],
    )
    return chart.render()  # type: ignore[no-any-return]


CHARTS: dict[str, Callable[[SiteStatistics, bool], bytes]] = {
    "activity": activity_chart,
    "decisions": decisions_chart,
    "opt-in": opt_in_chart,
}


def period_args(period: Period) -> dict[str, Any]:
    """The query arguments that name a period in a chart's or the CSV file's address."""
    return {"from": period.start.isoformat(), "to": period.end.isoformat()}


@bp.get("/sites/<site_key>/stats", endpoint="site_stats")
@site_view("view")
def site_stats(site: Site) -> tuple[str, int] | str:
    """A period's banners shown, decisions and opt-in rates: charts, tables, a CSV file."""
    form = PeriodForm(formdata=request.args)
    period = chosen_period(form)
    if period is None:
        return render_template("admin/stats.html", site=site, form=form, stats=None), 422
    # The custom fields start from the period shown, to move one end of it.
    form.start.data, form.end.data = period.start, period.end
    stats = site_statistics(site, period)
    return render_template(
        "admin/stats.html",
        site=site,
        form=form,
        stats=stats,
        presets=PRESET_DAYS,
        kinds=DECISION_KINDS,
        kind_labels=KIND_LABELS,
        chart_urls={
            name: url_for(
                "admin.site_stats_chart", site_key=site.site_key, chart=name, **period_args(period)
            )
            for name in CHARTS
        },
        csv_url=url_for("admin.site_stats_csv", site_key=site.site_key, **period_args(period)),
        region_name=region_name,
        language_name=language_name,
        format_day=format_day,
        format_date=format_date,
        share=share,
        percent=percent,
        script_url=url_for("embed.widget", site_key=site.site_key, _external=True),
    )


def share(part: int, whole: int) -> float | None:
    """``part`` out of ``whole`` (None when there is no whole)."""
    return part / whole if whole else None


def percent(rate: float | None) -> str:
    """A rate as the console's language writes a percentage; a dash when there is none."""
    return "—" if rate is None else format_percent(rate, "#,##0.#%")


@bp.get("/sites/<site_key>/stats/<chart>.svg", endpoint="site_stats_chart")
@site_view("view")
def site_stats_chart(site: Site, chart: str) -> Response:
    """One chart of the period as an SVG image (``activity``, ``decisions`` or ``opt-in``).

    ``?size=narrow`` draws it for a phone's width, with fewer labels.
    """
    draw = CHARTS.get(chart)
    if draw is None:
        abort(404)
    svg = draw(site_statistics(site, query_period()), request.args.get("size") == "narrow")
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = SVG_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/sites/<site_key>/stats.csv", endpoint="site_stats_csv")
@site_view("view")
def site_stats_csv(site: Site) -> Response:
    """The daily table of the period as a CSV file, its last row the totals."""
    period = query_period()
    body = daily_csv(site_statistics(site, period))
    name = f"{site.site_key}-stats-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

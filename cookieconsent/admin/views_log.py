"""The console's consent log: search a site's choices, page back in time, export, open a visitor.

The search form is a GET form: it changes nothing, and its URL (filters and cursor) can be
bookmarked or shared with a colleague who has access. It carries no CSRF token on purpose: a
token in a URL leaks through history and Referer. The export is personal data leaving the
service, so it is a POST with a CSRF token and is written to the audit log.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, g, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth import signed_in_user
from ..models import Site, utcnow
from ..services.accounts import may
from ..services.consent_log import (
    EXPORT_FORMATS,
    LogFilters,
    LogSearchError,
    export_filename,
    export_log,
    parse_filters,
    search_log,
    visitor_detail,
)
from . import bp, site_view
from .forms import EmptyForm

PAGE_SIZE = 50
EXPORT_MIMETYPES = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}
# The filters' names in the query, the form and the API alike.
FILTER_NAMES = ("visitor_id", "from", "to", "action", "category", "region", "language", "source")

ACTION_LABELS: dict[str, Any] = {
    "accept_all": _l("Accept all"),
    "reject_all": _l("Reject all"),
    "save": _l("Custom choice"),
    "withdraw": _l("Withdrawal"),
    "opt_out": _l("Opt-out of sale or sharing"),
}
SOURCE_LABELS: dict[str, Any] = {
    "banner": _l("Banner"),
    "api": _l("API"),
    "gpc": _l("Global Privacy Control"),
}
# What the console says about a refused filter, field by field (the service's own messages
# name values that a translation cannot know in advance).
FIELD_MESSAGES: dict[str, Any] = {
    "visitor_id": _l(
        "This is not a visitor ID of this site. Paste it as the visitor or their receipt shows it."
    ),
    "from": _l("Enter a date such as 2026-01-31."),
    "to": _l("Enter a date such as 2026-01-31, on or after the first date."),
    "action": _l("Choose an action from the list."),
    "category": _l("Choose allowed or refused for each category."),
    "region": _l("Enter a region code such as VN, DE or US-CA."),
    "language": _l("Choose a language from the list."),
    "source": _l("Choose a source from the list."),
    "cursor": _l("This page link is no longer valid. Start again from the newest choices."),
    "format": _l("Choose CSV or NDJSON."),
}


def _messages(error: LogSearchError) -> dict[str, str]:
    return {
        field: str(FIELD_MESSAGES.get(field, _("This value is not valid.")))
        for field in error.errors
    }


def _filter_args(values: Any) -> dict[str, Any]:
    """The filters given, as lists of values, for links and hidden fields."""
    return {
        name: [value for value in values.getlist(name) if value]
        for name in FILTER_NAMES
        if any(values.getlist(name))
    }


def _page(site: Site, filters: LogFilters | None, errors: dict[str, str], **extra: Any) -> str:
    chosen = _filter_args(request.args)
    categories = [category.name for category in site.categories if category.name != "essential"]
    return render_template(
        "admin/log.html",
        site=site,
        role=g.role,
        filters=filters,
        chosen=chosen,
        chosen_categories={
            name: value
            for name, _sep, value in (item.partition("=") for item in chosen.get("category", []))
        },
        categories=categories,
        errors=errors,
        actions=ACTION_LABELS,
        sources=SOURCE_LABELS,
        may_export=may(g.role, "export_log"),
        export_form=EmptyForm(),
        export_formats=EXPORT_FORMATS,
        **extra,
    )


@bp.get("/sites/<site_key>/log")
@site_view("search_log")
def site_log(site: Site) -> str | tuple[str, int]:
    """Search the consent log; newest first, 50 a page, "Older" follows the cursor."""
    try:
        filters = parse_filters(request.args)
        page = search_log(site, filters, request.args.get("cursor") or None, PAGE_SIZE)
    except LogSearchError as error:
        return _page(site, None, _messages(error), page=None), error.status
    older = None
    if page.next_cursor:
        older = url_for(
            "admin.site_log",
            site_key=site.site_key,
            cursor=page.next_cursor,
            **_filter_args(request.args),
        )
    newest = None
    if request.args.get("cursor"):
        newest = url_for("admin.site_log", site_key=site.site_key, **_filter_args(request.args))
    return _page(site, filters, {}, page=page, older=older, newest=newest)


@bp.post("/sites/<site_key>/log/export")
@site_view("export_log")
def site_log_export(site: Site) -> Response | tuple[str, int]:
    """Download the search as CSV or NDJSON, streamed; who exported what goes to the audit log."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    export_format = request.form.get("format", "")
    user = signed_in_user()
    assert user is not None
    try:
        if export_format not in EXPORT_FORMATS:
            raise LogSearchError({"format": ["Unknown format."]})
        chunks = export_log(
            site,
            parse_filters(request.form),
            export_format,
            exported_by=f"user {user.id} <{user.email}> in the console",
            base_url=request.host_url,
        )
    except LogSearchError as error:
        return _page(site, None, _messages(error), page=None), error.status
    response = Response(stream_with_context(chunks), mimetype=EXPORT_MIMETYPES[export_format])
    filename = export_filename(site, export_format, utcnow())
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/sites/<site_key>/visitors/<visitor_id>")
@site_view("search_log")
def site_visitor(site: Site, visitor_id: str) -> str:
    """One visitor: their current decision, every choice they made, and each receipt."""
    try:
        detail = visitor_detail(site, visitor_id)
    except LogSearchError:
        abort(400)
    if detail is None:
        abort(404)
    return render_template(
        "admin/visitor.html",
        site=site,
        role=g.role,
        visitor=detail,
        actions=ACTION_LABELS,
        sources=SOURCE_LABELS,
    )

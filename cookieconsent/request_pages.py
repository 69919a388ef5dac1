"""The public page where a visitor files a request about their data: ``/c/{site_key}/requests``.

A plain HTML form that works without JavaScript, in the visitor's language (the receipt page's
choice: ``?lang=``, else the site's default, else the browser's), with the built-in texts
``request_*`` of the catalogs through the receipt page's helpers (the site's own texts win, and
a text that fell back to another language is marked with its ``lang``). It files through the
same service as ``POST /api/v1/sites/{site_key}/requests`` and answers with the reference and
the date by which the request will be acknowledged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from flask import Blueprint, Response, current_app, render_template, request
from markupsafe import Markup
from marshmallow import ValidationError

from .api import visitor_jurisdiction
from .embed import _page_context, _receipt_language
from .extensions import db, limiter
from .models import Site
from .requests_api import RequestCreateSchema, request_language
from .services.deadlines import local_date
from .services.network import origin_allowed
from .services.signing import InvalidVisitorId, verify_visitor_id
from .services.sites import SITE_KEY, find_site, load_site
from .services.subject_requests import KINDS, Filing, file_request
from .services.validation import InvalidInput

bp = Blueprint("request_pages", __name__)

# The page's styles are the declaration page's stylesheet; it runs no script at all, and its
# form posts to itself only.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def _limit() -> str:
    """Requests a client address may file (``COOKIECONSENT_RATELIMIT_REQUESTS``)."""
    return current_app.config["RATELIMIT_REQUESTS"]  # type: ignore[no-any-return]


def _long_date(moment: datetime, language: str) -> str:
    """The Vietnamese calendar date of ``moment`` as ``language`` writes dates (Babel)."""
    day = local_date(moment)
    try:
        return format_date(day, format="long", locale=Locale.parse(language, sep="-"))
    except (UnknownLocaleError, ValueError):
        return day.isoformat()


def _page(
    site: Site | None, language: str, status: int, **values: Any
) -> tuple[Response, int] | Response:
    body = render_template(
        "request_form.html",
        kinds=KINDS,
        errors=values.pop("errors", {}),
        form=values.pop("form", {}),
        **values,
        **_page_context(language, site),
    )
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.vary.add("Accept-Language")
    return response


def _same_origin(origin: str) -> bool:
    return origin.rstrip("/") == request.host_url.rstrip("/")


@bp.route("/c/<site_key>/requests", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
def request_page(site_key: str) -> Any:
    """The form (GET) and its submission (POST, form-encoded): 201 with the reference, 422 with
    the fields at fault marked, 400 for a tampered visitor ID, 403 from a foreign origin, 404
    for an unknown site; every answer a page in the visitor's language."""
    site = load_site(site_key) if SITE_KEY.match(site_key) else None
    language = _receipt_language(site)
    if site is None:
        return _page(None, language, 404, failure="not_found")
    visitor_id = (request.values.get("visitor_id") or "").strip() or None
    if request.method == "GET":
        return _page(site, language, 200, visitor_id=visitor_id)
    origin = request.headers.get("Origin")
    foreign = origin and origin != "null" and not _same_origin(origin)
    if foreign and not origin_allowed(str(origin), site.domains):
        return _page(site, language, 403, failure="error")
    form = {
        "kind": request.form.get("kind") or None,
        "email": (request.form.get("email") or "").strip() or None,
        "details": (request.form.get("details") or "").strip() or None,
        "visitor_id": visitor_id,
        "language": language,
    }
    try:
        payload = RequestCreateSchema().load(form)
    except ValidationError as error:
        fields = error.messages if isinstance(error.messages, dict) else {"form": []}
        return _page(site, language, 422, errors=fields, form=form, visitor_id=visitor_id)
    raw_id = None
    if visitor_id is not None:
        try:
            raw_id = verify_visitor_id(
                current_app.config["COOKIECONSENT_SECRET_KEYS"], site.site_key, visitor_id
            )
        except InvalidVisitorId:
            return _page(site, language, 400, errors={"visitor_id": []}, form=form)
    profile = find_site(site.site_key)
    region = visitor_jurisdiction(profile).region if profile is not None else None
    filing = Filing(
        kind=payload["kind"],
        language=request_language(payload["language"], site.default_language),
        visitor_id=raw_id,
        email=payload["email"],
        details=payload["details"],
        region=region.code if region else None,
    )
    try:
        filed = file_request(site, filing)
    except InvalidInput as error:
        db.session.rollback()
        return _page(site, language, 422, errors=error.errors, form=form, visitor_id=visitor_id)
    db.session.commit()
    texts = _page_context(language, site)["texts"]
    sent = (
        Markup.escape(texts["request_sent"])
        .replace(
            "{reference}", Markup('<strong data-field="reference">%s</strong>') % filed.reference
        )
        .replace(
            "{date}",
            Markup('<time datetime="%s">%s</time>')
            % (
                local_date(filed.acknowledge_by).isoformat(),
                _long_date(filed.acknowledge_by, language),
            ),
        )
    )
    return _page(site, language, 201, filed=filed, sent=sent)

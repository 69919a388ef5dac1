"""What pages load: the widget script (``/c/<site_key>.js``) and the demo host page."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response as WerkzeugResponse

from .errors import (
    database_unavailable,
    database_unavailable_response,
    problem_response,
    schema_missing,
    schema_missing_response,
)
from .extensions import db, limiter
from .models import Site, iso_utc
from .services.beacon import count_banner_shown, note_last_seen, utc_day
from .services.declaration import build_declaration, declaration_language, declaration_texts
from .services.network import origin_allowed
from .services.rights import build_receipt, decision_end, visitor_events
from .services.signing import InvalidVisitorId, verify_visitor_id
from .services.sites import SITE_KEY, bundled_config, find_site, load_site, widget_languages
from .services.snapshots import ensure_snapshot
from .services.validation import safe_http_url
from .services.visitor_texts import action_label, category_title, local_time, page_texts
from .services.widget import (
    WidgetBundle,
    build_widget,
    modules_version,
    unknown_site_script,
    widget_module,
)
from .texts import (
    SUPPORTED_LANGUAGES,
    negotiate_language,
    resolve_language,
    text_direction,
)

bp = Blueprint("embed", __name__)
# Pages for visitors set <html dir="{{ lang|text_direction }}">: rtl for Arabic and Hebrew.
bp.add_app_template_filter(text_direction, "text_direction")

DEMO_SITE_KEY = "demo-site-key"


@bp.get("/c/<site_key>.js")
def widget(site_key: str) -> Response:
    """The widget with this site's configuration inside; cacheable, conditional, gzipped."""
    site = find_site(site_key)
    if site is None:
        response = Response(unknown_site_script(site_key), status=404, mimetype="text/javascript")
        response.headers["Cache-Control"] = "no-store"
        return response
    if site.snapshot_digest not in site.snapshot_ids:
        # A visitor may choose after the site changed this configuration (the script is cached),
        # and the proof must still show what they saw: keep it from the moment it is served.
        site.snapshot_ids[site.snapshot_digest] = ensure_snapshot(
            site.id, site.snapshot_content, site.snapshot_digest
        )
    api_base = request.host_url.rstrip("/")
    # Global Privacy Control sent as a header counts even where the page cannot read it.
    gpc = request.headers.get("Sec-GPC") == "1"
    key = (api_base, gpc)
    bundle = site.bundles.get(key)
    if bundle is None:
        config = {
            **bundled_config(site.widget_config),
            "apiBase": api_base,
            "modules": f"/c/{site.site_key}/{{}}.js?v={modules_version()}",
        }
        if gpc:
            config["gpc"] = True
        bundle = build_widget(config)
        if len(site.bundles) < 16:
            site.bundles[key] = bundle
    # A returning visitor's browser may use its copy while it revalidates, or while the service
    # is down, so a slow or failed revalidation never holds up the host page.
    response = _script_response(
        bundle,
        f"public, max-age={current_app.config['COOKIECONSENT_WIDGET_MAX_AGE']}, "
        "stale-while-revalidate=86400, stale-if-error=604800",
    )
    response.vary.add("Sec-GPC")
    return response


def _script_response(bundle: WidgetBundle, cache_control: str) -> Response:
    """A script loaded cross-origin by design: conditional, and pre-compressed.

    Brotli when the browser takes it, else gzip, else plain (the client's q-values decide a
    tie), each with its own strong ETag; an ``If-None-Match`` naming any of them is a 304, since
    the browser holds the same script in whichever coding it was sent.
    """
    response = Response(mimetype="text/javascript")
    response.headers["Cache-Control"] = cache_control
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.vary.add("Accept-Encoding")
    coding = _content_coding()
    response.set_etag(bundle.etag_for(coding))
    # Weak comparison (RFC 9110, 13.1.2): a proxy that re-encodes marks the ETag weak (W/).
    if any(request.if_none_match.contains_weak(etag) for etag in bundle.etags()):
        response.status_code = 304
        return response
    response.set_data(bundle.encoded(coding))
    if coding != "identity":
        response.headers["Content-Encoding"] = coding
    return response


def _content_coding() -> str:
    """``br``, ``gzip`` or ``identity``: the best the request's Accept-Encoding takes."""
    accepted = request.accept_encodings
    best = max(("br", "gzip"), key=lambda coding: accepted[coding])
    return best if accepted[best] > 0 else "identity"


@bp.get("/c/<site_key>/<any(tags, prefs, declaration, layers):name>.js")
def widget_module_script(site_key: str, name: str) -> Response:
    """An ES module of the widget: ``tags`` (gating, clean-up), ``prefs`` (the dialog) or
    ``declaration`` (the cookie declaration in the host page).

    Its URL carries the modules' fingerprint (``?v=``): with the current one, browsers may keep
    it for a year; without it, or with an earlier one, only as long as the widget script.
    """
    if find_site(site_key) is None:
        response = Response(unknown_site_script(site_key), status=404, mimetype="text/javascript")
        response.headers["Cache-Control"] = "no-store"
        return response
    if request.args.get("v") == modules_version():
        cache_control = "public, max-age=31536000, immutable"
    else:
        # No fingerprint, or an old one: this content may change under the same URL.
        cache_control = (
            f"public, max-age={current_app.config['COOKIECONSENT_WIDGET_MAX_AGE']}, "
            "stale-while-revalidate=86400"
        )
    response = _script_response(widget_module(name), cache_control)
    # Module scripts are fetched with CORS from the site's own pages.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/c/<site_key>/texts/<language>.json")
def widget_texts(site_key: str, language: str) -> Response:
    """Every text of one language, for the dialog, other regimes and languages not carried.

    ``?v=<configuration digest>`` names one version of the texts, which may be kept for good.
    A language the site does not offer is answered with its nearest offered one (``pt`` with
    ``pt-PT``, ``pt-BR`` with ``pt-PT`` when the site has no ``pt-BR``), named in
    ``Content-Language``; one without any (``ja`` on a site in ``vi`` and ``en``) gets 404.
    """
    site = find_site(site_key)
    texts = None
    if site is not None:
        language = resolve_language(language, site.widget_config["languages"]) or ""
        texts = site.widget_config["texts"].get(language)
    if texts is None or site is None:
        response = problem_response(
            404, "No such site or language.", {"language": ["Not offered by this site."]}
        )
    else:
        response = Response(json.dumps(texts, ensure_ascii=False), mimetype="application/json")
        response.headers["Content-Language"] = language
        if request.args.get("v") == site.snapshot_digest:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        else:
            response.headers["Cache-Control"] = (
                f"public, max-age={current_app.config['COOKIECONSENT_WIDGET_MAX_AGE']}, "
                "stale-while-revalidate=86400"
            )
        response.add_etag()
        response.make_conditional(request)
    # Public texts, read by the widget from the site's own pages.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# A beacon is a few dozen bytes: {"region": "VN", "language": "vi"}.
BEACON_MAX_BYTES = 512
REGION = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$")


def _beacon_limit() -> str:
    return str(current_app.config.get("RATELIMIT_BEACON", "60 per minute"))


@bp.post("/c/<site_key>/shown")
@limiter.limit(_beacon_limit)
def banner_shown(site_key: str) -> Response:
    """The widget showed the first layer: count it (per UTC day, region and language).

    A light beacon (``text/plain`` JSON, so no preflight; sent without credentials) from a page
    on one of the site's domains: no visitor ID, no cookie, no address is stored. It also notes
    where the widget was last seen (at most one write per site per minute). Answers 204; an
    unknown site 404, a foreign or missing ``Origin`` 403, a body over 512 bytes 413, a body
    that is not ``{"region": "VN"|null, "language": "<one of the site's>"}`` 422.
    """
    site = find_site(site_key)
    if site is None:
        return problem_response(404, "No such site.", {"site_key": ["Unknown site."]})
    origin = request.headers.get("Origin")
    if origin is None or not origin_allowed(origin, site.domains):
        return problem_response(
            403,
            "This origin is not one of the site's domains.",
            {"origin": [f"{origin!r} is not allowed for this site."]},
        )
    if request.content_length is not None and request.content_length > BEACON_MAX_BYTES:
        return problem_response(
            413, f"The body is larger than {BEACON_MAX_BYTES} bytes.", {"body": ["Too large."]}
        )
    raw = request.stream.read(BEACON_MAX_BYTES + 1)
    if len(raw) > BEACON_MAX_BYTES:
        return problem_response(
            413, f"The body is larger than {BEACON_MAX_BYTES} bytes.", {"body": ["Too large."]}
        )
    read = _read_beacon(raw, site.widget_config["languages"])
    if isinstance(read, dict):
        return problem_response(422, "The beacon is not valid.", read)
    region, language = read
    count_banner_shown(site.id, region, language, utc_day())
    note_last_seen(site.id, origin)
    db.session.commit()
    response = Response(status=204)
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Origin")
    return response


def _read_beacon(raw: bytes, languages: list[str]) -> dict[str, list[str]] | tuple[str | None, str]:
    """The beacon's region and language, or what is wrong with it by field."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {"body": ["Must be a JSON object."]}
    if not isinstance(body, dict):
        return {"body": ["Must be a JSON object."]}
    errors: dict[str, list[str]] = {}
    for key in body:
        if key not in {"region", "language"}:
            errors[str(key)[:40]] = ["Unknown field."]
    region = body.get("region")
    if region is not None and not (isinstance(region, str) and REGION.match(region)):
        errors["region"] = ["A region such as VN or US-CA, or null."]
    language = body.get("language")
    if not isinstance(language, str) or language not in languages:
        errors["language"] = [f"One of the site's languages: {', '.join(languages)}."]
    if errors:
        return errors
    return region, str(language)


# The declaration page's own styles: a file, so that the page runs under a CSP without inline
# styles; no script at all.
DECLARATION_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'"
)
DECLARATION_CSS = """\
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  color: #1f2328; background: #fff; max-width: 960px; margin: 32px auto; padding: 0 16px;
  line-height: 1.5; }
h1 { font-size: 24px; margin-bottom: 8px; }
h2 { font-size: 19px; margin: 28px 0 4px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin-top: 8px; }
th, td { text-align: start; vertical-align: top; border-bottom: 1px solid #d0d7de;
  padding: 8px 6px; }
thead th { background: #f6f8fa; }
code { overflow-wrap: anywhere; }
.languages { list-style: none; display: flex; flex-wrap: wrap; gap: 8px; padding: 0; }
.languages a { color: #1d4ed8; }
.languages a[aria-current] { font-weight: 700; color: #1f2328; }
.error { background: #fef2f2; border: 1px solid #fca5a5; padding: 10px 12px; border-radius: 8px; }
"""


def _declaration_site(site_key: str) -> Site | None:
    return load_site(site_key) if SITE_KEY.match(site_key) else None


@bp.get("/c/<site_key>/declaration")
def declaration_page(site_key: str) -> Response:
    """The site's public cookie declaration (``?lang=``, else the site's default language).

    Every category with its services and cookies (name, domain, purpose, lifetime) and the date
    of the last change: the page a privacy policy's cookie section links to. An unknown site
    gets a 404 page in the language asked for (or English).
    """
    site = _declaration_site(site_key)
    if site is None:
        lang = negotiate_language([request.args.get("lang")], SUPPORTED_LANGUAGES, "en")
        page = render_template(
            "declaration.html",
            texts=declaration_texts(lang),
            lang=lang,
            site=None,
            declaration=None,
            languages=[],
        )
        response = Response(page, status=404, mimetype="text/html")
    else:
        lang = declaration_language(site, request)
        page = render_template(
            "declaration.html",
            texts=declaration_texts(lang),
            lang=lang,
            site=site,
            declaration=build_declaration(site, lang),
            languages=widget_languages(site),
        )
        response = Response(page, mimetype="text/html")
        response.headers["Cache-Control"] = "public, max-age=300"
        response.vary.add("Accept-Language")
    response.headers["Content-Security-Policy"] = DECLARATION_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/c/declaration.css")
def declaration_styles() -> Response:
    """The declaration page's stylesheet."""
    response = Response(DECLARATION_CSS, mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/c/<site_key>/declaration.json")
def declaration_data(site_key: str) -> Response:
    """The declaration as the widget's ``data-role="declaration"`` hook renders it (``?lang=``).

    Public and read cross-origin by the site's pages; ``?v=`` (the configuration digest) only
    versions the URL, so a change of configuration is seen at once by pages with the new script.
    """
    site = _declaration_site(site_key)
    if site is None:
        response = problem_response(404, "No such site.", {"site_key": ["Unknown site."]})
    else:
        data = build_declaration(site, declaration_language(site, request))
        response = Response(json.dumps(data, ensure_ascii=False), mimetype="application/json")
        response.headers["Cache-Control"] = "public, max-age=300"
        response.add_etag()
        response.make_conditional(request)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/")
@bp.get("/dashboard")
def console_entry() -> WerkzeugResponse:
    """The service's root and the address people guess lead to the console (``/admin/``)."""
    return redirect(url_for("admin.index"))


@bp.get("/demo/")
def demo() -> str:
    """A host page that embeds the demo site's banner exactly as a site owner would."""
    site = db.session.execute(select(Site).where(Site.site_key == DEMO_SITE_KEY)).scalar()
    if site is None:
        abort(404, description="No demo site: run 'flask --app app demo' first.")
    return render_template("demo.html", site=site, script_url=f"/c/{site.site_key}.js")


# The visitor's own pages (receipt, history): the visitor ID in their address is the visitor's
# only credential, so nothing of them is kept by caches, indexed, or sent on as a Referer; their
# styles and the print button's script are files, so no inline code runs (hostile site texts).
VISITOR_PAGE_CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
VISITOR_PAGE_CSS = """\
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  color: #1f2328; background: #fff; max-width: 960px; margin: 32px auto; padding: 0 16px;
  line-height: 1.5; }
h1 { font-size: 22px; margin-bottom: 4px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin-top: 12px; }
th, td { text-align: start; vertical-align: top; border-bottom: 1px solid #d0d7de;
  padding: 6px 4px; }
thead th { background: #f6f8fa; }
ul.purposes { list-style: none; margin: 0; padding: 0; }
.allowed { color: #1a7f37; }
.refused { color: #b42318; }
.withdrawal { background: #fff7ed; border: 1px solid #fdba74; padding: 10px 12px;
  border-radius: 8px; }
.integrity { color: #4a5059; font-size: 13px; overflow-wrap: anywhere; }
.error { background: #fef2f2; border: 1px solid #fca5a5; padding: 10px 12px; border-radius: 8px; }
button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid #8c959f;
  background: #f6f8fa; cursor: pointer; margin-top: 16px; }
@media print {
  body { margin: 0; max-width: none; }
  [data-role="print"] { display: none; }
  a { color: inherit; text-decoration: none; }
  tr { break-inside: avoid; }
}
"""
PRINT_SCRIPT = """\
for (const button of document.querySelectorAll('[data-role="print"]')) {
  button.addEventListener("click", () => window.print());
}
"""


@bp.get("/c/visitor-page.css")
def visitor_page_styles() -> Response:
    """The stylesheet of the printable receipt and history."""
    response = Response(VISITOR_PAGE_CSS, mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/c/print.js")
def print_script() -> Response:
    """The print button of the printable receipt and history."""
    response = Response(PRINT_SCRIPT, mimetype="text/javascript")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def _visitor_page(page: str, status: int = 200) -> Response:
    response = Response(page, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = VISITOR_PAGE_CSP
    response.vary.add("Accept-Language")
    return response


def _unavailable_page(error: SQLAlchemyError, template: str) -> Response:
    """The 503 page for a database that does not answer or is not migrated; else re-raise."""
    if schema_missing(error):
        answer = schema_missing_response(error)
    elif database_unavailable(error):
        answer = database_unavailable_response(error)
    else:
        raise error
    response = _visitor_error(503, "receipt_unavailable", _receipt_language(None), None, template)
    response.headers["Retry-After"] = answer.headers["Retry-After"]
    return response


@bp.get("/receipt/<site_key>/<visitor_id>")
def receipt_page(site_key: str, visitor_id: str) -> Response:
    """A printable receipt in the visitor's language (``?lang=vi``, ``?event=<sequence>``).

    Visitors read this page, so its errors are pages in their language too, never JSON: a
    link that is not valid gets 400, an unknown site or a choice not recorded 404, and a
    database that does not answer (or is not migrated yet) 503 with Retry-After. The action is
    named and the times written in the page's language (times in UTC, said so).
    """
    try:
        return _receipt_page(site_key, visitor_id)
    except SQLAlchemyError as error:
        return _unavailable_page(error, "receipt.html")


def _receipt_page(site_key: str, visitor_id: str) -> Response:
    site = load_site(site_key) if SITE_KEY.match(site_key) else None
    language = _receipt_language(site)
    if site is None:
        return _visitor_error(404, "receipt_not_found", language, site, "receipt.html")
    try:
        raw_id = verify_visitor_id(
            current_app.config["COOKIECONSENT_SECRET_KEYS"], site_key, visitor_id
        )
    except InvalidVisitorId:
        return _visitor_error(400, "receipt_invalid", language, site, "receipt.html")
    events = visitor_events(site.id, raw_id)
    wanted = request.args.get("event")
    chosen = [e for e in events if wanted is None or str(e.sequence) == wanted]
    if not chosen:
        return _visitor_error(404, "receipt_not_found", language, site, "receipt.html")
    event = chosen[-1]
    expires_at = decision_end(site, event)
    receipt = build_receipt(site, event, visitor_id, language, expires_at)
    page = render_template(
        "receipt.html",
        receipt=receipt,
        action=action_label(event.action, language),
        time=_time(event.created_at, language),
        expires=_time(expires_at, language) if event.decided and expires_at else None,
        **_page_context(language, site),
        # A policy URL stored before the check (javascript:…) is never a link.
        policy_url=safe_http_url(site.policy_url),
    )
    return _visitor_page(page)


@bp.get("/history/<site_key>/<visitor_id>")
def history_page(site_key: str, visitor_id: str) -> Response:
    """A printable page of every choice the visitor made on the site (``?lang=vi``).

    Oldest first: when, what (the action named in the page's language), each category allowed
    or refused (the site's titles, marked with their own ``lang`` where they fall back to
    another language), the policy version, the region, and a link to that choice's receipt.
    The signed visitor ID in the address is the credential, as for the receipt: a malformed,
    tampered or other site's ID gets a 400 page, an unknown site 404, a database that does not
    answer 503 with Retry-After; a visitor who never chose gets the page saying so (200).
    """
    try:
        return _history_page(site_key, visitor_id)
    except SQLAlchemyError as error:
        return _unavailable_page(error, "history.html")


def _history_page(site_key: str, visitor_id: str) -> Response:
    site = load_site(site_key) if SITE_KEY.match(site_key) else None
    language = _receipt_language(site)
    if site is None:
        return _visitor_error(404, "declaration_not_found", language, site, "history.html")
    try:
        raw_id = verify_visitor_id(
            current_app.config["COOKIECONSENT_SECRET_KEYS"], site_key, visitor_id
        )
    except InvalidVisitorId:
        return _visitor_error(400, "receipt_invalid", language, site, "history.html")
    titles = {category.name: category.texts for category in site.categories}
    rows = []
    for event in visitor_events(site.id, raw_id):
        purposes = [
            {
                "name": name,
                "title": category_title(name, titles.get(name), language, site.default_language),
                "allowed": bool(allowed),
            }
            for name, allowed in event.categories.items()
        ]
        receipt_url = None
        if event.sequence is not None:
            receipt_url = url_for(
                "embed.receipt_page",
                site_key=site.site_key,
                visitor_id=visitor_id,
                event=event.sequence,
                lang=language,
            )
        rows.append(
            {
                "sequence": event.sequence,
                "action_code": event.action,
                "action": action_label(event.action, language),
                "time": _time(event.created_at, language),
                "purposes": purposes,
                "policy_version": event.policy_version,
                "region": event.region,
                "receipt_url": receipt_url,
            }
        )
    page = render_template(
        "history.html",
        rows=rows,
        visitor_id=visitor_id,
        policy_url=safe_http_url(site.policy_url),
        **_page_context(language, site),
    )
    return _visitor_page(page)


def _time(moment: datetime, language: str) -> dict[str, str]:
    """A time for a ``<time>`` element: ISO 8601 in UTC, and as the page's language writes it."""
    return {"iso": iso_utc(moment) or "", "text": local_time(moment, language)}


def _receipt_language(site: Site | None) -> str:
    """``?lang=`` if built in (or its nearest built-in language: ``pt`` → ``pt-PT``), else the
    site's default, else the browser's, else English."""
    wanted = [request.args.get("lang")]
    if site is not None:
        wanted.append(site.default_language)
    wanted += [value for value, _ in request.accept_languages]
    return negotiate_language(wanted, SUPPORTED_LANGUAGES, "en")


def _page_context(language: str, site: Site | None) -> dict[str, Any]:
    """What every visitor page's template needs: its language, direction, texts and site."""

    def lang_attributes(text: str) -> Markup:
        # An element whose text fell back to another language says so (WCAG 2.2, 3.1.2).
        own = getattr(text, "lang", language)
        if own == language:
            return Markup("")
        attributes = Markup(' lang="{}"').format(own)
        if text_direction(own) != text_direction(language):
            attributes += Markup(' dir="{}"').format(text_direction(own))
        return attributes

    return {
        "lang": language,
        "dir": text_direction(language),
        "texts": page_texts(
            language,
            site.texts if site is not None else None,
            site.default_language if site is not None else None,
        ),
        "site": site,
        "lang_of": lang_attributes,
    }


def _visitor_error(
    status: int, text_key: str, language: str, site: Site | None, template: str
) -> Response:
    page = render_template(template, error=text_key, **_page_context(language, site))
    return _visitor_page(page, status)

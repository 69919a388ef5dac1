"""The site owners' console (``/admin/``): server-rendered pages in Vietnamese and English.

Every page sends a strict Content-Security-Policy (no inline script or style, nothing from
another origin, ``frame-ancestors 'none'``) and HSTS behind HTTPS. A page about a site answers
404 to someone who is not one of its members, and 403 when their role does not allow the action
(see :data:`cookieconsent.services.accounts.PERMISSIONS`); neither changes anything.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    render_template,
    request,
    session,
)
from flask_babel import Babel, format_datetime, format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from ..auth import signed_in_user
from ..extensions import db
from ..models import Site
from ..services.accounts import may, role_of

bp = Blueprint("admin", __name__, url_prefix="/admin", static_folder="static")
babel = Babel()

CONSOLE_LANGUAGES = ("vi", "en")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-src 'self'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)

View = TypeVar("View", bound=Callable[..., Any])


def console_language() -> str:
    """The signed-in user's choice, then the session's, then the browser's, then Vietnamese."""
    user = signed_in_user()
    if user is not None and user.language in CONSOLE_LANGUAGES:
        return user.language
    chosen = session.get("language")
    if chosen in CONSOLE_LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(CONSOLE_LANGUAGES) or "vi"


def site_view(permission: str) -> Callable[[View], View]:
    """A console page about ``<site_key>``: signed in, a member (else 404), allowed (else 403).

    The view receives the site as ``site`` (keyword) and finds the role in ``g.role``; the
    permission is declared on the view as ``view.permission``.
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        @login_required
        def wrapper(site_key: str, **kwargs: Any) -> Any:
            site = db.session.execute(
                db.select(Site).where(Site.site_key == site_key, Site.deleted_at.is_(None))
            ).scalar_one_or_none()
            role = role_of(signed_in_user(), site) if site is not None else None
            if site is None or role is None:
                abort(404)
            if not may(role, permission):
                abort(403)
            g.site, g.role = site, role
            return view(site=site, **kwargs)

        # Declared on the view, so that tests (the isolation matrix) read what each page needs.
        wrapper.permission = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


# A site's pages, in the order of its navigation: (endpoint, label, permission needed).
SITE_PAGES: list[tuple[str, Any, str]] = [
    ("admin.site_overview", _l("Overview"), "view"),
    ("admin.site_banner", _l("Banner"), "view"),
    ("admin.site_design", _l("Design"), "view"),
    ("admin.site_texts", _l("Texts"), "view"),
    ("admin.site_policy", _l("Privacy policy"), "view"),
    ("admin.site_versions", _l("History"), "view"),
    ("admin.site_log", _l("Consent log"), "search_log"),
    ("admin.site_stats", _l("Statistics"), "view"),
    ("admin.site_requests", _l("Requests"), "requests"),
    ("admin.site_webhooks", _l("Webhooks"), "webhooks"),
    ("admin.site_members", _l("Members"), "manage"),
    ("admin.site_settings", _l("Settings"), "view"),
]


@bp.context_processor
def navigation() -> dict[str, Any]:
    """The site's pages this user's role opens (those the console has)."""

    def site_nav_items() -> list[tuple[str, Any]]:
        role = g.get("role")
        return [
            (endpoint, label)
            for endpoint, label, permission in SITE_PAGES
            if endpoint in current_app.view_functions and may(role, permission)
        ]

    return {
        "site_nav_items": site_nav_items,
        "get_locale": get_locale,
        "format_datetime": format_datetime,
        "format_decimal": format_decimal,
    }


@bp.after_request
def console_headers(response: Response) -> Response:
    """A strict policy on every console page; nothing of it is cached by the browser."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


def error_page(status: int) -> Response:
    """The console's page for an error: what happened, in the console's language."""
    # Also for addresses no console route matched (a 405 from routing), where the blueprint's
    # context processor does not run: its names are given here.
    page = render_template("admin/error.html", status=status, **navigation())
    response = Response(page, status=status)
    return console_headers(response)


for _status in (400, 403, 404, 405, 429):
    bp.register_error_handler(_status, lambda error, status=_status: error_page(status))


def init_app(app: Flask) -> None:
    """Register the console: its language selector and its blueprint."""
    babel.init_app(app, locale_selector=console_language, default_locale="vi")
    app.register_blueprint(bp)


from . import (  # noqa: E402, F401  (the view modules register on the blueprint)
    views,  # the routes register on the blueprint
    views_config,  # banner, texts, policy, design, history, settings
    views_log,  # the consent log and a visitor's page
    views_members,  # members, invitations, webhooks
    views_requests,  # data subject requests: the inbox and its actions
    views_stats,  # the statistics pages
)

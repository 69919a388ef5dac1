"""The console's JSON API (``/api/v1/admin``), for automation: what the console does, by token.

Every request needs ``Authorization: Bearer <personal token>`` (created in the console or with
``users token``), checked by the blueprint's own request hook, so no view can be left open. The
token acts as its user: a site the user is not a member of answers 404, an action their role
does not allow answers 403 (see :data:`cookieconsent.services.accounts.PERMISSIONS`), and
neither changes anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from .errors import fail
from .extensions import db
from .inputs import BoundedJSONParser
from .models import Site, User, utcnow
from .schemas import BUILT_IN_LANGUAGE, DOMAIN_PATTERN, UTCTimestamp
from .services.accounts import (
    issue_token,
    may,
    revoke_token,
    role_of,
    set_role,
    tokens_of,
    user_for_token,
    visible_sites,
)
from .services.sites import create_site
from .services.validation import InvalidInput


class AdminBlueprint(Blueprint):  # type: ignore[misc]
    """A blueprint under ``/api/v1/admin`` whose every request needs a personal token."""

    ARGUMENTS_PARSER = BoundedJSONParser()


blp = AdminBlueprint(
    "admin_api",
    __name__,
    url_prefix="/api/v1/admin",
    description="The console's API, with a personal token: sites, configuration, members, "
    "tokens, the consent log and statistics.",
)

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
# The attribute on a view (function or MethodView method) that names the permission it needs.
PERMISSION_ATTRIBUTE = "permission"

View = TypeVar("View", bound=Callable[..., Any])


def requires(permission: str) -> Callable[[View], View]:
    """Declare the permission an operation on ``<site_key>`` needs (see ``PERMISSIONS``).

    The blueprint's request hook enforces it before the view runs (404 to non-members, 403 to
    roles without it), before the body is read; the isolation matrix test reads it.
    """

    def decorate(view: View) -> View:
        setattr(view, PERMISSION_ATTRIBUTE, permission)
        return view

    return decorate


def declared_permission() -> str | None:
    """The permission the requested operation declares with :func:`requires`, if any."""
    view: Any = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        method = "get" if request.method == "HEAD" else request.method.lower()
        view = getattr(view_class, method, None)
    permission = getattr(view, PERMISSION_ATTRIBUTE, None)
    return permission if isinstance(permission, str) else None


@blp.after_request
def never_cached(response: Response) -> Response:
    """Answers about a user's sites (logs, members, tokens) are kept by no cache or browser."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@blp.before_request
def require_personal_token() -> None:
    """Find the token's user before anything else, or answer 401."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    user = user_for_token(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        fail(
            401,
            "Send a personal API token as 'Authorization: Bearer <token>'.",
            errors={"authorization": ["Missing, wrong or revoked personal token."]},
            headers={"WWW-Authenticate": 'Bearer realm="cookieconsent-admin"'},
        )
    g.admin_user = user
    site_key = (request.view_args or {}).get("site_key")
    if site_key is not None and request.method != "OPTIONS":
        # Membership and role first: a stranger learns nothing from a 413, 415 or 422.
        admin_site(str(site_key), declared_permission())
    if request.method in {"POST", "PATCH", "PUT"}:
        limit = current_app.config["COOKIECONSENT_MAX_ADMIN_BYTES"]
        request.max_content_length = limit
        if request.content_length is not None and request.content_length > limit:
            fail(413, f"The body is larger than {limit} bytes.", {"body": [f"At most {limit}."]})
        if not request.is_json:
            fail(415, "Send the body as JSON.", {"content_type": ["Must be application/json."]})


def admin_user() -> User:
    """The user whose token this request carries."""
    return g.admin_user  # type: ignore[no-any-return]


def admin_site(site_key: str, permission: str | None) -> tuple[Site, str]:
    """The site and the user's role on it: 404 when not a member, 403 when not allowed.

    ``permission`` ``None`` checks membership only.
    """
    site = db.session.execute(
        select(Site).where(Site.site_key == site_key, Site.deleted_at.is_(None))
    ).scalar_one_or_none()
    role = role_of(admin_user(), site) if site is not None else None
    if site is None or role is None:
        fail(404, f"No site with key {site_key!r} among yours.", {"site_key": ["Unknown site."]})
    if permission is not None and not may(role, permission):
        fail(
            403,
            f"Your role on this site ({role}) does not allow this.",
            {"role": [f"'{role}' may not do this."]},
        )
    return site, role


def invalid(error: InvalidInput) -> None:
    """A service's refusal as a 422 naming the fields."""
    db.session.rollback()
    fail(422, None, error.errors)


# Schemas ---------------------------------------------------------------------------------------


class SiteSummarySchema(Schema):
    """A site as its member sees it in a list."""

    site_key = fields.String()
    name = fields.String()
    domains = fields.List(fields.String())
    role = fields.String(metadata={"description": "owner, editor or viewer"})
    script_path = fields.String()
    last_seen_at = UTCTimestamp(allow_none=True)
    last_seen_origin = fields.String(allow_none=True)


class SiteCreateSchema(Schema):
    """A new site; its creator becomes its owner."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    domains = fields.List(
        fields.String(validate=validate.Regexp(DOMAIN_PATTERN, error="Not a host name.")),
        required=True,
        validate=validate.Length(min=1, max=50),
    )
    default_language = fields.String(load_default="vi", validate=BUILT_IN_LANGUAGE)


class SiteCreatedSchema(SiteSummarySchema):
    """A site just created, with its API token, shown once."""

    api_token = fields.String()


class SiteDeleteSchema(Schema):
    """Deleting a site asks for its key, typed again."""

    confirm = fields.String(required=True, validate=validate.Length(min=1, max=64))


class TokenSchema(Schema):
    """A personal API token, without the secret."""

    id = fields.Integer()
    name = fields.String()
    created_at = UTCTimestamp()
    last_used_at = UTCTimestamp(allow_none=True)
    revoked_at = UTCTimestamp(allow_none=True)


class TokenCreateSchema(Schema):
    """A new token's name."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class TokenCreatedSchema(TokenSchema):
    """A token just created, with its secret, shown once."""

    token = fields.String()


class MeSchema(Schema):
    """The token's user."""

    id = fields.Integer()
    email = fields.String()
    language = fields.String(allow_none=True)


def summary(site: Site, role: str) -> dict[str, Any]:
    """A site as :class:`SiteSummarySchema` shows it."""
    return {
        "site_key": site.site_key,
        "name": site.name,
        "domains": list(site.domains),
        "role": role,
        "script_path": f"/c/{site.site_key}.js",
        "last_seen_at": site.last_seen_at,
        "last_seen_origin": site.last_seen_origin,
    }


# Views -----------------------------------------------------------------------------------------


@blp.route("/me")
@blp.response(200, MeSchema)
@blp.doc(security=BEARER)
def me() -> User:
    """The user the token belongs to."""
    return admin_user()


@blp.route("/sites")
class Sites(MethodView):
    """The sites the user is a member of."""

    @blp.response(200, SiteSummarySchema(many=True))
    @blp.doc(security=BEARER)
    def get(self) -> list[dict[str, Any]]:
        """Every site of the user's, with their role."""
        return [summary(site, role) for site, role in visible_sites(admin_user())]

    @blp.arguments(SiteCreateSchema)
    @blp.response(201, SiteCreatedSchema)
    @blp.doc(security=BEARER)
    def post(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Create a site; the user becomes its owner; the answer holds its API token once."""
        try:
            site, api_token = create_site(
                payload["name"], payload["domains"], default_language=payload["default_language"]
            )
        except InvalidInput as error:
            invalid(error)
        except ValueError as error:
            db.session.rollback()
            fail(422, None, {"domains": [str(error)]})
        set_role(admin_user(), site, "owner")
        db.session.commit()
        return {**summary(site, "owner"), "api_token": api_token}


@blp.route("/sites/<site_key>")
class SiteResource(MethodView):
    """One site."""

    @requires("view")
    @blp.response(200, SiteSummarySchema)
    @blp.doc(security=BEARER)
    def get(self, site_key: str) -> dict[str, Any]:
        """The site, with the user's role."""
        site, role = admin_site(site_key, "view")
        return summary(site, role)

    @requires("manage")
    @blp.arguments(SiteDeleteSchema)
    @blp.response(204)
    @blp.doc(security=BEARER)
    def delete(self, payload: dict[str, Any], site_key: str) -> None:
        """Delete the site (owners): it serves nothing more; its records stay for retention."""
        site, _role = admin_site(site_key, "manage")
        if payload["confirm"] != site.site_key:
            fail(422, None, {"confirm": ["Type the site key to confirm."]})
        site.deleted_at = utcnow()
        db.session.commit()


@blp.route("/tokens")
class Tokens(MethodView):
    """The user's personal API tokens."""

    @blp.response(200, TokenSchema(many=True))
    @blp.doc(security=BEARER)
    def get(self) -> list[Any]:
        """Every token of the user's, newest first."""
        return tokens_of(admin_user())

    @blp.arguments(TokenCreateSchema)
    @blp.response(201, TokenCreatedSchema)
    @blp.doc(security=BEARER)
    def post(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A new token; its secret is in this answer only."""
        try:
            row, token = issue_token(admin_user(), payload["name"])
        except InvalidInput as error:
            invalid(error)
        return {
            "id": row.id,
            "name": row.name,
            "created_at": row.created_at,
            "last_used_at": None,
            "revoked_at": None,
            "token": token,
        }


@blp.route("/tokens/<int:token_id>", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(404, description="No such token of yours")
@blp.doc(security=BEARER)
def revoke(token_id: int) -> None:
    """Revoke one of the user's tokens (it may be the one making this request)."""
    if not revoke_token(admin_user(), token_id):
        fail(404, "No such token of yours.", {"token_id": ["Unknown or revoked token."]})


from . import (  # noqa: E402, F401  (the view modules register on the blueprint)
    admin_api_config,  # configuration, drafts, versions
    admin_api_cookies,  # known cookies: the Open Cookie Database's suggestions
    admin_api_log,  # the consent log: search, export, visitors
    admin_api_members,  # members, invitations, webhooks
    admin_api_requests,  # data subject requests: inbox, steps, actions
    admin_api_stats,  # statistics operations on blp
)

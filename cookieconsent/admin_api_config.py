"""The console's API for a site's configuration: the live one, its draft, and its versions.

As in the console, a draft is checked whole on every save and changes nothing visitors get;
publishing it makes it live as a new version authored by the token's user. ``PATCH …/config``
publishes at once. Every operation sits on :data:`cookieconsent.admin_api.blp` and declares its
permission: reading needs ``view``, every change ``edit``.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from .admin_api import BEARER, admin_site, admin_user, blp, requires
from .errors import fail
from .extensions import db
from .models import ConfigDraft, ConfigVersion, Site, User
from .schemas import SiteConfigSchema, UTCTimestamp
from .services.config_versions import (
    Author,
    StaleDraft,
    compare_versions,
    current_document,
    discard_draft,
    draft_is_stale,
    draft_of,
    publish_changes,
    publish_draft,
    replace_draft,
    restore_version,
    save_draft,
    version_of,
    versions_of,
)
from .services.site_config import SiteConfigError, export_site_config

# Schemas ---------------------------------------------------------------------------------------


class DraftSchema(Schema):
    """The unpublished draft: a whole configuration, and who saved it last and when."""

    content = fields.Nested(SiteConfigSchema)
    updated_at = UTCTimestamp()
    updated_by = fields.String(allow_none=True, metadata={"description": "An email."})
    stale = fields.Boolean(
        metadata={
            "description": "A version was published after the draft was last saved; "
            "publishing the draft replaces it."
        }
    )


class VersionSummarySchema(Schema):
    """A published configuration: its number, who published it, when, and why."""

    number = fields.Integer()
    author_kind = fields.String(
        metadata={
            "description": "user, cli, api-token, or system (the configuration before "
            "its first recorded change)"
        }
    )
    author = fields.String(
        allow_none=True, attribute="author_label", metadata={"description": "An email, or null."}
    )
    note = fields.String(allow_none=True)
    created_at = UTCTimestamp()


class VersionSchema(VersionSummarySchema):
    """A published configuration with its content."""

    content = fields.Nested(SiteConfigSchema)


class PublishSchema(Schema):
    """Why this is published (shown in the history)."""

    note = fields.String(validate=validate.Length(max=500), allow_none=True)
    force = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Publish a stale draft anyway. A draft is stale when a version was "
            "published after it was last saved; publishing it replaces that version's changes, "
            "so without force the answer is 409 naming both versions."
        },
    )


class RestoreSchema(Schema):
    """Nothing to choose: send an empty JSON object."""


class CompareQuerySchema(Schema):
    """Two version numbers."""

    from_ = fields.Integer(
        data_key="from", required=True, validate=validate.Range(min=1, max=2**31 - 1)
    )
    to = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))


class ChangeSchema(Schema):
    """One field that differs."""

    path = fields.String(
        metadata={"description": "Like categories.analytics.texts.vi.title, or domains."}
    )
    before = fields.Raw(allow_none=True, metadata={"description": "null: not there."})
    after = fields.Raw(allow_none=True, metadata={"description": "null: not there."})


class ComparisonSchema(Schema):
    """What changed from one version to another, field by field."""

    from_ = fields.Integer(data_key="from")
    to = fields.Integer()
    changes = fields.List(fields.Nested(ChangeSchema))


# What the schemas show -------------------------------------------------------------------------


def draft_view(site: Site, draft: ConfigDraft) -> dict[str, Any]:
    """A draft as :class:`DraftSchema` shows it."""
    author = db.session.get(User, draft.updated_by) if draft.updated_by else None
    return {
        "content": current_document(site),
        "updated_at": draft.updated_at,
        "updated_by": author.email if author else None,
        "stale": draft_is_stale(site, draft),
    }


def no_draft() -> NoReturn:
    """404: the site has no draft."""
    fail(404, "This site has no unpublished draft.", {"draft": ["No draft."]})


def invalid_config(error: SiteConfigError) -> NoReturn:
    """A refused configuration: 422 naming the fields; nothing was written."""
    db.session.rollback()
    fail(422, None, error.errors)


def no_version(number: int) -> NoReturn:
    """404: no such version of this site's."""
    fail(404, f"This site has no version {number}.", {"number": ["Unknown version."]})


# The live configuration ------------------------------------------------------------------------


@blp.route("/sites/<site_key>/config")
class AdminSiteConfig(MethodView):
    """The live configuration."""

    @requires("view")
    @blp.response(200, SiteConfigSchema)
    @blp.doc(security=BEARER)
    def get(self, site_key: str) -> dict[str, Any]:
        """The configuration visitors get now."""
        site, _role = admin_site(site_key, "view")
        return export_site_config(site)

    @requires("edit")
    @blp.arguments(SiteConfigSchema)
    @blp.response(200, SiteConfigSchema)
    @blp.doc(security=BEARER)
    def patch(self, payload: dict[str, Any], site_key: str) -> dict[str, Any]:
        """Change the keys sent and publish at once, as a new version by the token's user."""
        site, _role = admin_site(site_key, "edit")
        try:
            publish_changes(site, payload, Author.of_user(admin_user()))
        except SiteConfigError as error:
            invalid_config(error)
        return export_site_config(site)


# The draft -------------------------------------------------------------------------------------


@blp.route("/sites/<site_key>/config/draft")
class AdminDraft(MethodView):
    """The draft: edits not yet published."""

    @requires("view")
    @blp.response(200, DraftSchema)
    @blp.alt_response(404, description="No draft (or no such site among yours)")
    @blp.doc(security=BEARER)
    def get(self, site_key: str) -> dict[str, Any]:
        """The draft, whole."""
        site, _role = admin_site(site_key, "view")
        draft = draft_of(site)
        if draft is None:
            no_draft()
        return draft_view(site, draft)

    @requires("edit")
    @blp.arguments(SiteConfigSchema)
    @blp.response(200, DraftSchema)
    @blp.doc(security=BEARER)
    def put(self, payload: dict[str, Any], site_key: str) -> dict[str, Any]:
        """Make a whole configuration the draft; checked as publishing would check it."""
        site, _role = admin_site(site_key, "edit")
        try:
            draft = replace_draft(site, payload, admin_user())
        except SiteConfigError as error:
            invalid_config(error)
        return draft_view(site, draft)

    @requires("edit")
    @blp.arguments(SiteConfigSchema)
    @blp.response(200, DraftSchema)
    @blp.doc(security=BEARER)
    def patch(self, payload: dict[str, Any], site_key: str) -> dict[str, Any]:
        """Merge changes into the draft (started from the live configuration if none)."""
        site, _role = admin_site(site_key, "edit")
        try:
            draft = save_draft(site, payload, admin_user())
        except SiteConfigError as error:
            invalid_config(error)
        return draft_view(site, draft)

    @requires("edit")
    @blp.response(204)
    @blp.alt_response(404, description="No draft (or no such site among yours)")
    @blp.doc(security=BEARER)
    def delete(self, site_key: str) -> None:
        """Discard the draft; the live configuration stays as it is."""
        site, _role = admin_site(site_key, "edit")
        if not discard_draft(site):
            no_draft()


@blp.route("/sites/<site_key>/config/draft/publish", methods=["POST"])
@requires("edit")
@blp.arguments(PublishSchema)
@blp.response(201, VersionSchema)
@blp.alt_response(404, description="No draft (or no such site among yours)")
@blp.alt_response(409, description="The draft is stale (send force: true to publish it anyway)")
@blp.doc(security=BEARER)
def publish(payload: dict[str, Any], site_key: str) -> ConfigVersion:
    """Make the draft the live configuration, as a new version by the token's user."""
    site, _role = admin_site(site_key, "edit")
    try:
        version = publish_draft(
            site, admin_user(), payload.get("note"), force=bool(payload.get("force"))
        )
    except SiteConfigError as error:
        invalid_config(error)
    except StaleDraft as stale:
        fail(
            409,
            f"The draft was based on version {stale.based_on}, but version {stale.current} "
            "has been published since; publishing the draft would undo its changes. "
            'Send {"force": true} to publish it anyway.',
            {"draft": [f"Based on version {stale.based_on}; version {stale.current} is live."]},
        )
    if version is None:
        no_draft()
    return version


# Versions --------------------------------------------------------------------------------------


@blp.route("/sites/<site_key>/config/versions")
@requires("view")
@blp.response(200, VersionSummarySchema(many=True))
@blp.doc(security=BEARER)
def list_versions(site_key: str) -> list[ConfigVersion]:
    """Every published configuration, newest first."""
    site, _role = admin_site(site_key, "view")
    return versions_of(site)


@blp.route("/sites/<site_key>/config/versions/compare")
@requires("view")
@blp.arguments(CompareQuerySchema, location="query")
@blp.response(200, ComparisonSchema)
@blp.alt_response(404, description="No such version (or no such site among yours)")
@blp.doc(security=BEARER)
def compare(query: dict[str, Any], site_key: str) -> dict[str, Any]:
    """What changed from version ``from`` to version ``to``, field by field."""
    site, _role = admin_site(site_key, "view")
    before, after = version_of(site, query["from_"]), version_of(site, query["to"])
    if before is None:
        no_version(query["from_"])
    if after is None:
        no_version(query["to"])
    return {
        "from_": before.number,
        "to": after.number,
        "changes": [
            {"path": path, "before": old, "after": new}
            for path, old, new in compare_versions(before.content, after.content)
        ],
    }


@blp.route("/sites/<site_key>/config/versions/<int:number>")
@requires("view")
@blp.response(200, VersionSchema)
@blp.alt_response(404, description="No such version (or no such site among yours)")
@blp.doc(security=BEARER)
def get_version(site_key: str, number: int) -> ConfigVersion:
    """One version, with its content."""
    site, _role = admin_site(site_key, "view")
    version = version_of(site, number)
    if version is None:
        no_version(number)
    return version


@blp.route("/sites/<site_key>/config/versions/<int:number>/restore", methods=["POST"])
@requires("edit")
@blp.arguments(RestoreSchema)
@blp.response(201, VersionSchema)
@blp.alt_response(404, description="No such version (or no such site among yours)")
@blp.doc(security=BEARER)
def restore(payload: dict[str, Any], site_key: str, number: int) -> ConfigVersion:
    """Make an earlier version live again, as a new version ("Restored version N")."""
    site, _role = admin_site(site_key, "edit")
    try:
        version = restore_version(site, number, admin_user())
    except SiteConfigError as error:
        invalid_config(error)
    if version is None:
        no_version(number)
    return version

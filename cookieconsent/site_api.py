"""The site's own servers' API: batch lookups, configuration, webhooks, policy versions.

Every view here sits on :data:`blp`, an :class:`~cookieconsent.api_base.ApiBlueprint` made
with ``token=True``: its request hook asks for the site's API token before any view runs, so a
view added here cannot be left public by mistake.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from .api_base import (
    ApiBlueprint,
    current_site,
    editable_site,
    large_body,
    lookup_view,
    secret_keys,
)
from .errors import fail
from .extensions import db
from .models import PolicyVersion, WebhookEndpoint
from .schemas import (
    BatchLookupRequestSchema,
    BatchLookupResponseSchema,
    LookupErrorSchema,
    LookupSchema,
    PolicyVersionCreateSchema,
    PolicyVersionSchema,
    SiteConfigSchema,
    WebhookCreatedSchema,
    WebhookCreateSchema,
    WebhookRotateSchema,
    WebhookSchema,
)
from .services.config_versions import API_TOKEN, publish_changes
from .services.consent import Decision, lookup_many
from .services.policy import PolicyVersionError, publish_policy_version
from .services.site_config import SiteConfigError, export_site_config
from .services.webhooks import WebhookError, add_endpoint, remove_endpoint, rotate_secret

blp = ApiBlueprint(
    "site_api",
    __name__,
    token=True,
    description="For the site's own servers, with its API token: batch lookups and settings.",
)


@blp.route("/sites/<site_key>/consents/lookup", methods=["POST"])
@large_body
@blp.arguments(BatchLookupRequestSchema)
@blp.response(200, BatchLookupResponseSchema)
def batch_lookup(payload: dict[str, Any], site_key: str) -> dict[str, Any]:
    """Look up to 1000 visitors at once, for server-side pipelines."""
    results = []
    for entry in lookup_many(
        current_site(), secret_keys=secret_keys(), visitor_ids=payload["visitor_ids"]
    ):
        if isinstance(entry, Decision):
            results.append(LookupSchema().dump(lookup_view(entry)))
        else:
            results.append(LookupErrorSchema().dump({"visitor_id": entry[0], "error": entry[1]}))
    return {"results": results}


@blp.route("/sites/<site_key>/config")
class SiteConfig(MethodView):
    """The site's banner configuration: categories, services, texts, Consent Mode options."""

    @blp.response(200, SiteConfigSchema)
    def get(self, site_key: str) -> dict[str, Any]:
        """The whole configuration."""
        return export_site_config(editable_site())

    @blp.arguments(SiteConfigSchema)
    @blp.response(200, SiteConfigSchema)
    def patch(self, payload: dict[str, Any], site_key: str) -> dict[str, Any]:
        """Change the top-level keys sent; all of it is checked before anything changes."""
        site = editable_site()
        try:
            # Published at once, as a version of the configuration's history.
            publish_changes(site, payload, API_TOKEN)
        except SiteConfigError as error:
            db.session.rollback()
            fail(422, None, error.errors)
        return export_site_config(site)


@blp.route("/sites/<site_key>/webhooks")
class Webhooks(MethodView):
    """URLs that receive every decision change, signed."""

    @blp.response(200, WebhookSchema(many=True))
    def get(self, site_key: str) -> list[WebhookEndpoint]:
        """The registered webhooks."""
        return list(editable_site().webhooks)

    @blp.arguments(WebhookCreateSchema)
    @blp.response(201, WebhookCreatedSchema)
    def post(self, payload: dict[str, Any], site_key: str) -> WebhookEndpoint:
        """Register a URL; the answer holds its signing secret, shown this once."""
        try:
            return add_endpoint(editable_site(), payload["url"])
        except WebhookError as error:
            fail(422, None, {"url": [str(error)]})


@blp.route("/sites/<site_key>/webhooks/<int:webhook_id>", methods=["DELETE"])
@blp.response(204)
def delete_webhook(site_key: str, webhook_id: int) -> None:
    """Stop sending to a webhook; its pending deliveries are dropped."""
    if not remove_endpoint(editable_site(), webhook_id):
        fail(404, "No such webhook.", errors={"webhook_id": ["Unknown webhook for this site."]})


@blp.route("/sites/<site_key>/webhooks/<int:webhook_id>/rotate", methods=["POST"])
@blp.arguments(WebhookRotateSchema)
@blp.response(200, WebhookCreatedSchema)
@blp.alt_response(404, description="No such webhook for this site")
def rotate_webhook(payload: dict[str, Any], site_key: str, webhook_id: int) -> WebhookEndpoint:
    """A new signing secret, shown this once; for 24 h the old one signs deliveries too."""
    endpoint = rotate_secret(editable_site(), webhook_id)
    if endpoint is None:
        fail(404, "No such webhook.", errors={"webhook_id": ["Unknown webhook for this site."]})
    return endpoint


@blp.route("/sites/<site_key>/policy-versions")
class PolicyVersions(MethodView):
    """The privacy policy's published versions; a new major one asks every visitor again."""

    @blp.response(200, PolicyVersionSchema(many=True))
    def get(self, site_key: str) -> list[PolicyVersion]:
        """Every published version, oldest first."""
        return list(editable_site().policy_versions)

    @blp.arguments(PolicyVersionCreateSchema)
    @blp.response(201, PolicyVersionSchema)
    @blp.alt_response(409, description="The version does not come after the latest one")
    def post(self, payload: dict[str, Any], site_key: str) -> PolicyVersion:
        """Publish a version with a summary of what changed and when it takes effect."""
        try:
            return publish_policy_version(
                editable_site(),
                payload["version"],
                summary=payload["summary"],
                summaries=payload["summaries"],
                effective_at=payload["effective_at"],
            )
        except PolicyVersionError as error:
            db.session.rollback()
            status = 409 if error.kind == "backwards" else 422
            fail(status, str(error), {error.field: [str(error)]})

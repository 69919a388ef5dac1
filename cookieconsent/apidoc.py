"""The OpenAPI description says what the code does: the statuses every operation can answer.

The request hooks of the API blueprints refuse requests the same way for every operation (an
unknown site, a foreign origin, a missing token, a body too large or not JSON, a NUL in a
parameter, a conditional GET). This apispec plugin documents each of those where it applies,
from the operation's path, method and blueprint, so that no view can forget one.
"""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin
from marshmallow import fields
from werkzeug.routing import Rule

from .errors import PROBLEM_MIMETYPE
from .schemas import HttpUrl

TOKEN_BLUEPRINT = "site_api"
# The console's API, opened by personal tokens (cookieconsent.admin_api).
ADMIN_BLUEPRINT = "admin_api"
WRITE_METHODS = frozenset({"post", "patch", "put", "delete"})
BODY_METHODS = frozenset({"post", "patch", "put"})
# GET endpoints whose 200 is private and short-lived instead of conditional.
UNCONDITIONAL = frozenset({"api.get_region", "meta.healthz"})
# Operations under a per-client rate limit (Flask-Limiter), by endpoint and method: the consent
# write, limited by COOKIECONSENT_RATELIMIT_WRITES.
RATE_LIMITED = frozenset({("api.Consents", "post"), ("requests_api.Requests", "post")})

IF_NONE_MATCH = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "The ETag of a copy the client holds: 304 when it is still current.",
}
ETAG_HEADER = {
    "description": "Identifies this answer; send it back in If-None-Match.",
    "schema": {"type": "string"},
}


# Request bodies with a NUL character are refused (PostgreSQL cannot store one): every string
# says so, unless its own pattern already keeps NUL out.
NO_NUL_PATTERN = "^[^\\u0000]*$"
# The width of the URL columns (pages, policies, webhooks).
URL_LIMIT = 2048


def string_constraints(
    converter: Any, field: fields.Field[Any], ret: dict[str, Any], **kwargs: Any
) -> dict[str, Any]:
    """An apispec attribute function: what the bounded body parser refuses, for every string."""
    extra: dict[str, Any] = {}
    if isinstance(field, HttpUrl):
        extra = {"format": "uri", "maxLength": URL_LIMIT, "pattern": "^https?://[^\\s]+$"}
    elif ret.get("type") == "string" and "pattern" not in ret and "enum" not in ret:
        extra = {"pattern": NO_NUL_PATTERN}
    return extra


def problem(description: str) -> dict[str, Any]:
    """A documented error response: problem JSON with a description."""
    return {"description": description, "content": {PROBLEM_MIMETYPE: {"schema": "Problem"}}}


def _add(responses: dict[str, Any], status: int, description: str) -> None:
    existing = responses.get(str(status))
    if existing is None:
        responses[str(status)] = problem(description)
        return
    if isinstance(existing, dict) and description not in existing.get("description", ""):
        existing["description"] = f"{existing['description']}; {description}"


class ProblemDocPlugin(BasePlugin):
    """Adds to each operation the error statuses the request hooks can answer."""

    def operation_helper(
        self,
        path: str | None = None,
        operations: dict[str, Any] | None = None,
        rule: Rule | None = None,
        **kwargs: Any,
    ) -> None:
        """Complete every operation of ``path`` (apispec calls this once per path)."""
        endpoint = rule.endpoint if rule is not None else ""
        for method, operation in (operations or {}).items():
            if not isinstance(operation, dict):
                continue
            self._complete(path or "", method, endpoint, operation)

    @staticmethod
    def _complete(path: str, method: str, endpoint: str, operation: dict[str, Any]) -> None:
        responses: dict[str, Any] = {
            str(status): response for status, response in operation.get("responses", {}).items()
        }
        operation["responses"] = responses
        if endpoint.startswith(f"{TOKEN_BLUEPRINT}."):
            operation["security"] = [{"bearerAuth": []}]
            _add(responses, 401, "Missing or wrong API token")
            responses["401"]["headers"] = {
                "WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}
            }
        if endpoint.startswith(f"{ADMIN_BLUEPRINT}."):
            # The console's API: a user's personal token, and that user's role on the site.
            operation["security"] = [{"bearerAuth": []}]
            _add(responses, 401, "Missing, wrong or revoked personal token")
            responses["401"]["headers"] = {
                "WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}
            }
            if "{site_key}" in path:
                _add(responses, 403, "The user's role on the site does not allow this")
        if "{" in path:
            _add(responses, 400, "A path or query parameter holds a NUL character")
        if "{site_key}" in path:
            _add(responses, 404, "Unknown site")
        if (
            method in WRITE_METHODS
            and "{site_key}" in path
            and not endpoint.startswith(f"{ADMIN_BLUEPRINT}.")
        ):
            _add(responses, 403, "The Origin header is not one of the site's domains")
        if method in BODY_METHODS and "requestBody" in operation:
            _add(
                responses,
                400,
                "The body is not acceptable JSON: malformed, not UTF-8, nested deeper than 32 "
                "levels, a duplicate key, a NUL character or an integer beyond 64 bits",
            )
            _add(responses, 413, "The body is too large")
            _add(responses, 415, "The body is not sent as application/json")
            _add(responses, 422, "A field is invalid; errors names each")
        if (endpoint, method) in RATE_LIMITED:
            _add(responses, 429, "Too many requests from this client; wait as Retry-After says")
            responses["429"]["headers"] = {
                "Retry-After": {
                    "schema": {"type": "integer", "minimum": 0},
                    "description": "Seconds until the client's limit lets a request through",
                }
            }
        if endpoint != "meta.healthz":
            _add(responses, 503, "The database is unavailable; send the request again later")
            responses["503"]["headers"] = {
                "Retry-After": {
                    "schema": {"type": "integer", "minimum": 0},
                    "description": "Seconds to wait before sending the request again",
                }
            }
        if (
            method == "get"
            and "200" in responses
            and endpoint not in UNCONDITIONAL
            # The console's API answers no-store: nothing of it is kept to revalidate.
            and not endpoint.startswith(f"{ADMIN_BLUEPRINT}.")
        ):
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name") == "If-None-Match" for p in parameters if isinstance(p, dict)):
                parameters.append(dict(IF_NONE_MATCH))
            responses["200"].setdefault("headers", {})["ETag"] = dict(ETAG_HEADER)
            responses.setdefault("304", {"description": "Not modified since the ETag sent"})
        for status, response in responses.items():
            if status.isdigit() and int(status) >= 400 and isinstance(response, dict):
                response["content"] = {PROBLEM_MIMETYPE: {"schema": "Problem"}}

"""The console's API for known cookies: what the Open Cookie Database says about a cookie name.

Read-only and the same for every site, so it needs a personal token but no site membership.
See :mod:`cookieconsent.services.trackers` for the data, its licence and the rules applied.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .admin_api import BEARER, blp
from .services.trackers import SOURCE, SuggestionDict, no_suggestion, suggest_category


class CookieQuerySchema(Schema):
    """A declared cookie: its name, how it is matched, and its domain when it has one."""

    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "The cookie's name, prefix or regular expression."},
    )
    match = fields.String(
        load_default="exact",
        validate=validate.OneOf(["exact", "prefix", "regex"]),
        metadata={"description": "How `name` is matched, as in a service's cookies."},
    )
    domain = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=253),
        metadata={
            "description": "The cookie's domain (`.instagram.com`): generic names such as "
            "`sessionid` are judged by it, and are unknown without it."
        },
    )

    @validates_schema
    def check_pattern(self, data: dict[str, Any], **kwargs: Any) -> None:
        """A regular expression must compile, as the configuration requires."""
        if data.get("match") == "regex":
            try:
                re.compile(data["name"])
            except (re.error, OverflowError, RecursionError) as error:
                raise ValidationError(
                    {"name": [f"Not a valid regular expression: {error}."]}
                ) from None


class CookieSuggestionSchema(Schema):
    """The database's entry that applies to the cookie, or ``found: false`` and nulls."""

    name = fields.String(metadata={"description": "As asked."})
    domain = fields.String(allow_none=True, metadata={"description": "As asked."})
    match = fields.String(metadata={"description": "As asked: exact, prefix or regex."})
    found = fields.Boolean(metadata={"description": "Whether an entry of the database applies."})
    platform = fields.String(allow_none=True, metadata={"description": "Such as `Matomo`."})
    category = fields.String(
        allow_none=True,
        metadata={
            "description": "The database's own category: Functional, Personalization, "
            "Analytics, Marketing, Security (or Necessary)."
        },
    )
    suggested_category = fields.String(
        allow_none=True,
        validate=validate.OneOf(["essential", "preferences", "analytics", "marketing"]),
        metadata={
            "description": "The category to declare it under. Functional, Necessary and "
            "Security give essential, Personalization preferences; a platform's third-party "
            "cookies take the strictest category among them. analytics and marketing cookies "
            "cannot be declared essential."
        },
    )
    matched = fields.String(
        allow_none=True, metadata={"description": "The database's name (a prefix if wildcard)."}
    )
    wildcard = fields.Boolean(
        allow_none=True, metadata={"description": "Whether `matched` is a prefix."}
    )
    description = fields.String(allow_none=True, metadata={"description": "The database's."})
    source = fields.String(metadata={"description": f"Always `{SOURCE}`."})


@blp.route("/cookies/suggest")
@blp.arguments(CookieQuerySchema, location="query")
@blp.response(200, CookieSuggestionSchema)
@blp.alt_response(400, description="A NUL character in a query parameter")
@blp.doc(security=BEARER)
def suggest_cookie(query: dict[str, Any]) -> SuggestionDict:
    """The Open Cookie Database's platform and category for a cookie, and the one to declare.

    A name the database does not know, or a generic one (``sessionid``) without a domain that
    one of its entries names, answers ``found: false``.
    """
    name, match, domain = query["name"], query["match"], query["domain"]
    suggestion = suggest_category(name, domain, match)
    if suggestion is None:
        return no_suggestion(name, domain, match)
    return suggestion.as_dict(domain)

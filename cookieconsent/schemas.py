"""Request and response shapes of the public API (marshmallow)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from .services.consent import ACTIONS

LANGUAGE_TAG = r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$"


class UTCTimestamp(fields.Field[datetime]):
    """An aware datetime written as ISO 8601 in UTC with a ``Z``, to the millisecond."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        text = value.astimezone(UTC).isoformat(timespec="milliseconds")
        return text.replace("+00:00", "Z")


class HttpUrl(fields.String):
    """A page address: http or https, at most 2048 characters."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > 2048:
            raise ValidationError("Longer than 2048 characters.")
        validate.URL(schemes={"http", "https"}, require_tld=False)(text)
        return text


class ConsentWriteSchema(Schema):
    """A visitor's choice, as the widget or a server sends it."""

    visitor_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=128),
        metadata={"description": "Signed visitor ID from an earlier response; omit for a new one."},
    )
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    categories = fields.Dict(
        keys=fields.String(),
        # Values are checked against the site's categories by the service, one message each.
        values=fields.Raw(allow_none=True),
        load_default=None,
        allow_none=True,
        metadata={"description": "Category name to true/false; required for 'save'."},
    )
    policy_version = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=32)
    )
    language = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(LANGUAGE_TAG, error="Not a language tag such as 'vi' or 'en-US'."),
    )
    url = HttpUrl(load_default=None, allow_none=True)
    gpc = fields.Boolean(
        load_default=False,
        metadata={"description": "The browser reported navigator.globalPrivacyControl."},
    )


class DecisionSchema(Schema):
    """A visitor's current decision."""

    visitor_id = fields.String(required=True)
    decided = fields.Boolean(required=True)
    categories = fields.Dict(keys=fields.String(), values=fields.Boolean(), required=True)
    policy_version = fields.String(required=True)
    decided_at = UTCTimestamp(allow_none=True)
    expires_at = UTCTimestamp(allow_none=True)


class RecordedConsentSchema(DecisionSchema):
    """The answer to a recorded choice."""

    recorded_at = UTCTimestamp()


class LookupSchema(DecisionSchema):
    """What a tag manager needs to know about a visitor."""

    gpc = fields.Boolean(required=True)
    google_consent_mode = fields.Dict(keys=fields.String(), values=fields.String())


class AllowedSchema(Schema):
    """Whether one category may fire now."""

    allowed = fields.Boolean(required=True)


class BatchLookupRequestSchema(Schema):
    """Up to 1000 signed visitor IDs."""

    visitor_ids = fields.List(
        fields.String(validate=validate.Length(max=128)),
        required=True,
        validate=validate.Length(min=1, max=1000),
    )


class LookupErrorSchema(Schema):
    """A visitor ID that could not be looked up."""

    visitor_id = fields.String()
    error = fields.String()


class BatchLookupResponseSchema(Schema):
    """Results in the order of the request: a lookup, or an error entry."""

    results = fields.List(fields.Raw())


class HealthSchema(Schema):
    """Service health."""

    status = fields.String()

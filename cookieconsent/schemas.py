"""Request and response shapes of the public API (marshmallow)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from .models import iso_utc
from .services.accounts import EMAIL
from .services.consent import ACTIONS
from .services.design import COLOR as DESIGN_COLOR
from .services.design import COLOR_MESSAGE as DESIGN_COLOR_MESSAGE
from .services.design import LAYOUTS as DESIGN_LAYOUTS
from .services.design import POSITIONS as DESIGN_POSITIONS
from .services.jurisdictions import MODES
from .services.policy import major as policy_major
from .services.validation import (
    POLICY_SUMMARY_LIMIT,
    POLICY_VERSION_MESSAGE,
    POLICY_VERSION_PATTERN,
    SITE_NAME_LIMIT,
    SITE_NAME_MESSAGE,
    UNKNOWN_LANGUAGE,
    control_character_error,
    http_url_error,
)
from .texts import SUPPORTED_LANGUAGES, TITLE_LIMIT, canonical_language

MAX_LIFETIME_DAYS = 395
LIFETIME_ERROR = "Between 1 and 395 days (13 months); a choice cannot be kept forever."
LIFETIME = validate.Range(min=1, max=MAX_LIFETIME_DAYS, error=LIFETIME_ERROR)

REGION_KEY = r"^(?:[A-Z]{2}(?:-[A-Z0-9]{1,3})?|EU|EEA|\*|unknown)$"
REGION_KEY_MESSAGE = "A region is VN, US-CA, EU, EEA, * or unknown."
LANGUAGE_TAG = r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$"


class LanguageCode(fields.String):
    """A BCP 47 language tag, read as stored: ``pt-br`` is ``pt-BR``, ``pt`` is ``pt-PT`` and
    ``zh`` is ``zh-CN`` (see :func:`~cookieconsent.texts.canonical_language`)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return canonical_language(super()._deserialize(value, attr, data, **kwargs))


class UTCTimestamp(fields.Field[datetime]):
    """An aware datetime written as ISO 8601 in UTC with a ``Z``, to the millisecond."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return iso_utc(value)


class StrictBoolean(fields.Boolean):
    """JSON true or false only: "yes", 1 or "on" are mistakes, not answers."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class AwareUTCDateTime(fields.AwareDateTime):
    """ISO 8601 with a time zone, turned into UTC; a moment UTC cannot hold is refused."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError("Out of range.") from None


# How far a reported click time may lie from the service's clock: the widget keeps an unsent
# choice for 7 days, and devices' clocks drift.
CLICK_TIME_PAST = timedelta(days=30)
CLICK_TIME_FUTURE = timedelta(days=1)


def plausible_click_time(moment: datetime) -> None:
    """Refuse a click time that cannot be one: more than 30 days ago or a day ahead."""
    now = datetime.now(UTC)
    if not now - CLICK_TIME_PAST <= moment <= now + CLICK_TIME_FUTURE:
        raise ValidationError("Not a plausible time for a click: more than 30 days ago or ahead.")


class HttpUrl(fields.String):
    """A page address: http or https, at most 2048 characters."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        # The same rule as the commands' (sites create --policy-url).
        if problem := http_url_error(text):
            raise ValidationError(problem)
        return text


class ConsentManagerSchema(Schema):
    """A consent manager registered with India's Data Protection Board, and its artifact."""

    id = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=128),
            validate.Regexp(r"^[!-~]+$", error="Visible ASCII only."),
        ],
    )
    artifact_id = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=128),
            validate.Regexp(r"^[!-~]+$", error="Visible ASCII only."),
        ],
    )


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
        values=fields.Raw(allow_none=True, metadata={"type": "boolean"}),
        load_default=None,
        allow_none=True,
        metadata={"description": "Category name to true/false; required for 'save'."},
    )
    services = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True, metadata={"type": "boolean"}),
        load_default=None,
        allow_none=True,
        metadata={"description": "Service name to true/false; a refused category refuses all."},
    )
    source = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["banner", "api", "gpc", "consent_manager"]),
        metadata={
            "description": "Who acted: the banner, a server, a Global Privacy Control, or a "
            "consent manager (India's DPDP Act, s. 6(7)); consent_manager needs the site's API "
            "token as 'Authorization: Bearer <token>' and the consent_manager object."
        },
    )
    consent_manager = fields.Nested(
        ConsentManagerSchema,
        load_default=None,
        allow_none=True,
        metadata={"description": "The consent manager and its consent artifact, both stored."},
    )
    policy_version = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=32)
    )
    language = LanguageCode(
        load_default=None,
        allow_none=True,
        validate=[
            validate.Regexp(LANGUAGE_TAG, error="Not a language tag such as 'vi' or 'en-US'."),
            # BCP 47's recommended longest tag, the column's width.
            validate.Length(max=35),
        ],
    )
    url = HttpUrl(load_default=None, allow_none=True)
    config_digest = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^[0-9a-f]{64}$", error="Not a configuration digest."),
        metadata={"description": "Digest of the configuration the banner showed (widget sets it)."},
    )
    gpc = StrictBoolean(
        load_default=False,
        metadata={"description": "The browser reported navigator.globalPrivacyControl."},
    )
    chosen_at = AwareUTCDateTime(
        load_default=None,
        allow_none=True,
        validate=plausible_click_time,
        metadata={
            "description": "When the visitor clicked, as the widget reports it (ISO 8601 with a "
            "time zone), at most 30 days ago and a day ahead of the service's clock; recorded as "
            "sent, beside the server's own time."
        },
    )


class DecisionSchema(Schema):
    """A visitor's current decision."""

    visitor_id = fields.String(required=True)
    decided = fields.Boolean(required=True)
    categories = fields.Dict(keys=fields.String(), values=fields.Boolean(), required=True)
    services = fields.Dict(keys=fields.String(), values=fields.Boolean())
    policy_version = fields.String(required=True)
    decided_at = UTCTimestamp(allow_none=True)
    expires_at = UTCTimestamp(allow_none=True)


class RecordedConsentSchema(DecisionSchema):
    """The answer to a recorded choice."""

    recorded_at = UTCTimestamp()


GRANTED = validate.OneOf(["granted", "denied"])


class GoogleConsentModeSchema(Schema):
    """The seven Google Consent Mode v2 signals."""

    ad_storage = fields.String(required=True, validate=GRANTED)
    ad_user_data = fields.String(required=True, validate=GRANTED)
    ad_personalization = fields.String(required=True, validate=GRANTED)
    analytics_storage = fields.String(required=True, validate=GRANTED)
    functionality_storage = fields.String(required=True, validate=GRANTED)
    personalization_storage = fields.String(required=True, validate=GRANTED)
    security_storage = fields.String(required=True, validate=GRANTED)


class SegmentSchema(Schema):
    """Segment's consent object."""

    categoryPreferences = fields.Dict(  # Segment's own name
        keys=fields.String(), values=fields.Boolean(), required=True
    )


class TealiumSchema(Schema):
    """Tealium's consent object: the categories allowed."""

    consent_categories = fields.List(fields.String(), required=True)


class LookupSchema(DecisionSchema):
    """What a tag manager needs to know about a visitor."""

    gpc = fields.Boolean(required=True)
    google_consent_mode = fields.Nested(GoogleConsentModeSchema, required=True)
    segment = fields.Nested(SegmentSchema, required=True)
    region = fields.String(allow_none=True, metadata={"description": "Region when decided."})
    mode = fields.String(
        allow_none=True,
        validate=validate.OneOf(MODES),
        metadata={"description": "The regime the choice was made under."},
    )
    tealium = fields.Nested(TealiumSchema, required=True)
    recorded_at = UTCTimestamp(
        allow_none=True,
        metadata={"description": "When the visitor's latest event was recorded (null: none)."},
    )


class RegionSchema(Schema):
    """The visitor's region and the regime that applies there."""

    region = fields.String(allow_none=True, metadata={"description": "VN, US-CA, … or null"})
    country = fields.String(allow_none=True)
    mode = fields.String(
        metadata={"description": "opt-in-specific, opt-in, opt-in-stats-exempt, opt-out or notice"}
    )
    rule = fields.String(metadata={"description": "The rule that decided: US-CA, EU, *, unknown"})
    consent_days = fields.Integer(
        metadata={"description": "How long a consent given here lasts, in days."}
    )
    refusal_days = fields.Integer(
        metadata={"description": "How long a refusal given here is remembered, in days."}
    )


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

    results = fields.List(
        fields.Raw(
            metadata={
                "oneOf": [
                    {"$ref": "#/components/schemas/Lookup"},
                    {"$ref": "#/components/schemas/LookupError"},
                ]
            }
        ),
        required=True,
    )


class HealthSchema(Schema):
    """Service health."""

    status = fields.String()


# Site configuration ---------------------------------------------------------------------------

# A host, host:port or *.host; whether it may be used (not a public suffix) the service says.
DOMAIN_PATTERN = r"^(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?$"


IDENTIFIER = validate.Regexp(
    r"^[a-z][a-z0-9_]{0,39}$", error="Must be a lowercase identifier such as 'analytics'."
)
BUILT_IN_LANGUAGE = validate.OneOf(SUPPORTED_LANGUAGES, error=UNKNOWN_LANGUAGE)


def _texts_field(inner: fields.Field[Any]) -> fields.Dict:
    # Languages are checked against the site's own by the service, with the commands' message.
    return fields.Dict(keys=LanguageCode(), values=inner)


class PlainText(fields.String):
    """A text shown to people: no control characters (see ``control_character_error``).

    Texts by language (``texts``) are checked by the service, which names them by language and
    key (``texts.en.title``).
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        message = control_character_error(text)
        if message is not None:
            raise ValidationError(message)
        return text


class TextPairSchema(Schema):
    """A title and a description in one language; "" or null restores the built-in text."""

    title = fields.String(allow_none=True)
    description = fields.String(allow_none=True)


class ServiceTextSchema(Schema):
    """A service's description in one language."""

    description = fields.String()


class CategoryConfigSchema(Schema):
    """A category and its texts."""

    name = fields.String(required=True, validate=IDENTIFIER)
    texts = _texts_field(fields.Nested(TextPairSchema, allow_none=True))
    tracks_behaviour = StrictBoolean(
        allow_none=True,
        metadata={
            "description": "The purpose records online behaviour, sensitive personal data under "
            "Decree 356/2025/ND-CP; null: true for analytics and marketing."
        },
    )
    statistics_only = StrictBoolean(
        metadata={
            "description": "Only measures use of the site to improve it: runs without consent, "
            "with a one-click objection, where the regime is opt-in-stats-exempt."
        }
    )


def _visible(value: str | None, message: str) -> bool:
    """Refuse a text without one letter or digit (only spaces or invisible characters)."""
    if value and not any(unicodedata.category(char)[0] in "LN" for char in value):
        raise ValidationError(message)
    return True


class ControllerSchema(Schema):
    """Who decides on the purposes and means of processing (Law 91/2025/QH15, Art. 9 and 11)."""

    name = PlainText(
        allow_none=True,
        validate=[
            validate.Length(max=TITLE_LIMIT, error="At most {max} characters."),
            lambda value: _visible(value, "A name visitors can read: letters or digits."),
        ],
        metadata={"description": "The legal name, as in the privacy policy."},
    )
    address = PlainText(
        allow_none=True, validate=validate.Length(max=500, error="At most {max} characters.")
    )
    email = fields.String(
        allow_none=True,
        validate=validate.Regexp(
            EMAIL.pattern, error="Not an email address such as dpo@congty.vn."
        ),
    )
    dpo_email = fields.String(
        allow_none=True,
        validate=validate.Regexp(
            EMAIL.pattern, error="Not an email address such as dpo@congty.vn."
        ),
        metadata={"description": "The data protection officer's contact; without it, email."},
    )


class RegionLifetimeSchema(Schema):
    """How long a choice made in one region lasts, in days (395 at most)."""

    consent_days = fields.Integer(strict=True, validate=LIFETIME)
    refusal_days = fields.Integer(strict=True, validate=LIFETIME)


class AcknowledgementSchema(Schema):
    """Why a region gets a regime less strict than its built-in one; stamped by and at."""

    reason = PlainText(
        required=True,
        validate=validate.Length(
            min=10, max=500, error="Between {min} and {max} characters: say which law allows it."
        ),
    )
    mode = fields.String(
        metadata={"description": "Set by the service: the regime acknowledged; it lapses with it."}
    )
    by = fields.String(metadata={"description": "Set by the service."})
    at = fields.String(metadata={"description": "Set by the service (ISO 8601, UTC)."})


class CookieConfigSchema(Schema):
    """A cookie a service sets: a name (exact, prefix or regex), a domain and a lifetime."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    match = fields.String(
        load_default="exact", validate=validate.OneOf(["exact", "prefix", "regex"])
    )
    domain = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=253)
    )
    lifetime_days = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=0, max=3650)
    )
    description = PlainText(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ServiceConfigSchema(Schema):
    """A service under a category."""

    name = fields.String(required=True, validate=IDENTIFIER)
    category = fields.String(required=True, validate=IDENTIFIER)
    label = PlainText(
        required=True,
        validate=[
            validate.Length(min=1),
            validate.Length(max=TITLE_LIMIT, error="At most {max} characters."),
        ],
    )
    texts = _texts_field(fields.Nested(ServiceTextSchema))
    cookies = fields.List(fields.Nested(CookieConfigSchema), validate=validate.Length(max=100))
    local_storage = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)), validate=validate.Length(max=100)
    )


class ConsentModeConfigSchema(Schema):
    """Google Consent Mode options sent with the default."""

    ads_data_redaction = StrictBoolean()
    url_passthrough = StrictBoolean()


class DesignColorsSchema(Schema):
    """A palette: each colour #rrggbb; one not given keeps the built-in colour."""

    accent = fields.String(
        allow_none=True,
        validate=validate.Regexp(DESIGN_COLOR.pattern, error=DESIGN_COLOR_MESSAGE),
        metadata={"description": "Accept all and Reject all alike (equal prominence)."},
    )
    background = fields.String(
        allow_none=True, validate=validate.Regexp(DESIGN_COLOR.pattern, error=DESIGN_COLOR_MESSAGE)
    )
    text = fields.String(
        allow_none=True, validate=validate.Regexp(DESIGN_COLOR.pattern, error=DESIGN_COLOR_MESSAGE)
    )


class DesignSchema(Schema):
    """The banner's layout, position and colours; contrast is checked by the service (WCAG 2.x)."""

    layout = fields.String(allow_none=True, validate=validate.OneOf(list(DESIGN_LAYOUTS)))
    position = fields.String(allow_none=True, validate=validate.OneOf(DESIGN_POSITIONS))
    colors = fields.Nested(DesignColorsSchema, allow_none=True)
    dark = fields.Nested(
        DesignColorsSchema,
        allow_none=True,
        metadata={"description": "The palette where the visitor's system is dark."},
    )


class SiteConfigSchema(Schema):
    """A site's whole configuration; a PATCH may send any subset of the top-level keys."""

    name = PlainText(validate=validate.Length(min=1, max=SITE_NAME_LIMIT, error=SITE_NAME_MESSAGE))
    domains = fields.List(
        fields.String(validate=validate.Regexp(DOMAIN_PATTERN, error="Not a host name.")),
        validate=validate.Length(min=1, max=50),
    )
    policy_url = HttpUrl(allow_none=True)
    default_language = LanguageCode(validate=BUILT_IN_LANGUAGE)
    # 13 months at most, as regulators expect; "never" is no lifetime.
    consent_lifetime_days = fields.Integer(strict=True, validate=LIFETIME)
    refusal_lifetime_days = fields.Integer(strict=True, validate=LIFETIME)
    retention_days = fields.Integer(strict=True, validate=validate.Range(min=30, max=3650))
    cookie_domain = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=253),
        metadata={
            "description": "Where the widget sets its cookie, to share the choice across "
            "subdomains: the registrable domain of one of the site's domains; null: each host."
        },
    )
    script_timeout_ms = fields.Integer(
        strict=True,
        validate=validate.Range(min=500, max=60000),
        metadata={
            "description": "How long a gated external script may hold back the gated scripts "
            "after it, in milliseconds."
        },
    )
    languages = fields.List(
        LanguageCode(validate=BUILT_IN_LANGUAGE),
        validate=validate.Length(min=1, max=len(SUPPORTED_LANGUAGES)),
    )
    jurisdiction_rules = fields.Dict(
        keys=fields.String(validate=validate.Regexp(REGION_KEY, error=REGION_KEY_MESSAGE)),
        values=fields.String(validate=validate.OneOf(MODES)),
        metadata={
            "description": "Regimes by region laid over the built-in ones. A regime less strict "
            "than a region's built-in one needs jurisdiction_acknowledgements for that region."
        },
    )
    jurisdiction_acknowledgements = fields.Dict(
        keys=fields.String(validate=validate.Regexp(REGION_KEY, error=REGION_KEY_MESSAGE)),
        values=fields.Nested(AcknowledgementSchema, allow_none=True),
        metadata={"description": "Merged by region; null withdraws a region's acknowledgement."},
    )
    lifetimes = fields.Dict(
        keys=fields.String(validate=validate.Regexp(REGION_KEY, error=REGION_KEY_MESSAGE)),
        values=fields.Nested(RegionLifetimeSchema),
        validate=validate.Length(max=300),
        metadata={
            "description": "Consent and refusal lifetimes per region, e.g. "
            '{"FR": {"consent_days": 182, "refusal_days": 182}}; others use the defaults.'
        },
    )
    controller = fields.Nested(ControllerSchema, allow_none=True)
    processors_involved = StrictBoolean(
        metadata={
            "description": "Processors act on visitors' data: Decree 356's deadlines for "
            "withdrawals and requests grow from 15 to 20 days."
        }
    )
    categories = fields.List(fields.Nested(CategoryConfigSchema), validate=validate.Length(max=20))
    services = fields.List(fields.Nested(ServiceConfigSchema), validate=validate.Length(max=100))
    consent_mode = fields.Nested(ConsentModeConfigSchema)
    # Merged by language and key: "" or null restores a built-in text, null a whole language's.
    texts = _texts_field(
        fields.Dict(keys=fields.String(), values=fields.String(allow_none=True), allow_none=True)
    )
    # Merged by key (layout, position, colors, dark); null restores a key's default.
    design = fields.Nested(DesignSchema, allow_none=True)
    site_key = fields.String(dump_only=True)
    policy_version = fields.String(dump_only=True)


class WebhookCreateSchema(Schema):
    """A URL to receive decision changes."""

    url = HttpUrl(required=True)


class WebhookRotateSchema(Schema):
    """Nothing to choose: send an empty JSON object."""


class WebhookSchema(Schema):
    """A registered webhook; the secret is shown only when it is created or rotated."""

    id = fields.Integer()
    url = fields.String()
    active = fields.Boolean()
    created_at = UTCTimestamp()
    previous_secret_expires_at = UTCTimestamp(
        allow_none=True,
        metadata={
            "description": "Until when the secret replaced by the last rotation also signs "
            "(it may be past); null if the secret was never rotated."
        },
    )


class WebhookCreatedSchema(WebhookSchema):
    """A webhook just registered or rotated, with its signing secret."""

    secret = fields.String(
        metadata={
            "description": "Shown once: verify the Standard Webhooks signatures with it "
            "(whsec_ and base64)."
        }
    )


class PolicyVersionCreateSchema(Schema):
    """A new version of the privacy policy."""

    version = fields.String(
        required=True,
        validate=validate.Regexp(POLICY_VERSION_PATTERN, error=POLICY_VERSION_MESSAGE),
        metadata={"description": "MAJOR.MINOR, after every version published before."},
    )
    summary = PlainText(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=POLICY_SUMMARY_LIMIT),
        metadata={
            "description": "What changed, in the site's default language; shown to visitors "
            "asked again."
        },
    )
    summaries = fields.Dict(
        keys=LanguageCode(),
        values=PlainText(allow_none=True, validate=validate.Length(max=POLICY_SUMMARY_LIMIT)),
        load_default=None,
        allow_none=True,
        metadata={
            "description": "What changed, per language of the site: each visitor reads it in "
            'the banner\'s language. {"vi": "…", "en": "…"}'
        },
    )
    effective_at = fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        default_timezone=UTC,
        metadata={"description": "When it takes effect; now when omitted."},
    )


class PolicyVersionSchema(Schema):
    """A published policy version."""

    version = fields.String()
    summary = fields.String(allow_none=True)
    summaries = fields.Dict(keys=fields.String(), values=fields.String())
    effective_at = UTCTimestamp()
    major = fields.Function(lambda entry: policy_major(entry.version))


class EventSchema(Schema):
    """One recorded choice, as the visitor sees it."""

    sequence = fields.Integer(allow_none=True, metadata={"description": "Place in the chain"})
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    source = fields.String(allow_none=True)
    decided = fields.Boolean(required=True)
    categories = fields.Dict(keys=fields.String(), values=fields.Boolean(), required=True)
    services = fields.Dict(keys=fields.String(), values=fields.Boolean(), required=True)
    policy_version = fields.String(required=True)
    language = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    mode = fields.String(allow_none=True)
    gpc = fields.Boolean(required=True)
    recorded_at = fields.String(required=True, metadata={"format": "date-time"})
    chosen_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    action_label = fields.String(
        metadata={"description": "The action named in ?lang= (Từ chối tất cả for reject_all)."}
    )
    recorded_at_local = fields.String(
        metadata={
            "description": "recorded_at as ?lang= writes it, in UTC and saying so "
            "(20:15:03 UTC 7 tháng 12, 2026)."
        }
    )


class PersonalEventSchema(EventSchema):
    """An event with what was stored about the visitor (export only)."""

    url = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)
    ip_prefix = fields.String(allow_none=True)


class HistorySchema(Schema):
    """A visitor's choices, oldest first."""

    visitor_id = fields.String(required=True)
    events = fields.List(fields.Nested(EventSchema), required=True)


class ExportSiteSchema(Schema):
    """The site the data was given to."""

    name = fields.String(required=True)
    site_key = fields.String(required=True)
    policy_url = fields.String(allow_none=True)


class CurrentDecisionSchema(Schema):
    """The decision in force when exported."""

    decided = fields.Boolean(required=True)
    categories = fields.Dict(keys=fields.String(), values=fields.Boolean(), required=True)
    services = fields.Dict(keys=fields.String(), values=fields.Boolean(), required=True)
    policy_version = fields.String(required=True)
    decided_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    expires_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    decided_at_local = fields.String(
        allow_none=True, metadata={"description": "decided_at as the export's language writes it"}
    )
    expires_at_local = fields.String(
        allow_none=True, metadata={"description": "expires_at as the export's language writes it"}
    )


class ExportSchema(Schema):
    """Everything stored about a visitor (a download)."""

    site = fields.Nested(ExportSiteSchema, required=True)
    visitor_id = fields.String(required=True)
    exported_at = fields.String(required=True, metadata={"format": "date-time"})
    language = fields.String(
        metadata={"description": "The language of the labels (?lang=, else the site's default)"}
    )
    current = fields.Nested(CurrentDecisionSchema, allow_none=True, required=True)
    category_titles = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "Each category of the events, as the site titles it"},
    )
    events = fields.List(fields.Nested(PersonalEventSchema), required=True)
    notes = fields.String(
        required=True, metadata={"description": "What is kept and how, in plain words."}
    )


class ErasedSchema(Schema):
    """What erasure did."""

    visitor_id = fields.String()
    erased_events = fields.Integer()


class PurposeSchema(Schema):
    """One category of the receipt and what became of it."""

    purpose = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(
        required=True, validate=validate.OneOf(["given", "refused", "withdrawn"])
    )
    lawful_basis = fields.String(required=True)
    services = fields.List(fields.String(), required=True)


class ReceiptControllerSchema(Schema):
    """Who holds the data: the controller the owner named, else the site's name."""

    name = fields.String(required=True)
    domains = fields.List(fields.String(), required=True)
    address = fields.String()
    email = fields.String()
    dpo_email = fields.String()


class ReceiptNoticeSchema(Schema):
    """The notice the visitor was shown."""

    policy_url = fields.String(allow_none=True)
    policy_version = fields.String(required=True)
    language = fields.String(allow_none=True)
    shown_configuration_digest = fields.String(allow_none=True)
    shown_configuration = fields.Dict(allow_none=True)


class ReceiptEventSchema(Schema):
    """The act of consent."""

    type = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    time = fields.String(required=True, metadata={"format": "date-time"})
    source = fields.String(allow_none=True)
    jurisdiction = fields.String(allow_none=True)
    regime = fields.String(allow_none=True)
    global_privacy_control = fields.Boolean(required=True)


class ReceiptWithdrawalSchema(Schema):
    """How to withdraw, and what withdrawing changed."""

    how = fields.String(required=True)
    explanation = fields.String(allow_none=True)


class ReceiptIntegritySchema(Schema):
    """Where the event sits in the tamper-evident chain."""

    chain_sequence = fields.Integer(allow_none=True)
    mac = fields.String(allow_none=True)


class ReceiptBodySchema(Schema):
    """A consent record after ISO/IEC TS 27560's fields, where they apply."""

    schema = fields.String(required=True)
    record_id = fields.String(required=True)
    language = fields.String(required=True)
    pii_principal_id = fields.String(required=True)
    pii_controller = fields.Nested(ReceiptControllerSchema, required=True)
    notice = fields.Nested(ReceiptNoticeSchema, required=True)
    event = fields.Nested(ReceiptEventSchema, required=True)
    purposes = fields.List(fields.Nested(PurposeSchema), required=True)
    valid_until = fields.String(allow_none=True, metadata={"format": "date-time"})
    withdrawal = fields.Nested(ReceiptWithdrawalSchema, required=True)
    integrity = fields.Nested(ReceiptIntegritySchema, required=True)


class ReceiptSchema(Schema):
    """A consent receipt and its signed token."""

    receipt = fields.Nested(ReceiptBodySchema, required=True)
    token = fields.String(metadata={"description": "The receipt, signed by this service"})


class ReceiptTokenSchema(Schema):
    """A receipt token to check."""

    # A consent write's body limit (8 KB) bounds the token, with room for the JSON around it.
    token = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=8000),
            validate.Regexp(r"^[A-Za-z0-9_.-]+$", error="Not a receipt token."),
        ],
    )


class ReceiptCheckSchema(Schema):
    """Whether a receipt token is genuine."""

    valid = fields.Boolean(required=True)
    receipt = fields.Nested(ReceiptBodySchema, allow_none=True, required=True)

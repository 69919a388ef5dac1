"""Database tables: sites and their categories, and the append-only consent history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a real 64-bit key.
EventKey = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, to the millisecond, as the API writes every time."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always reads them back aware.

    SQLite has no time zones, so without this a value would come back naive there
    and aware on PostgreSQL.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Site(db.Model):  # type: ignore[name-defined,misc]
    """A website that embeds the banner."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_key: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    api_token_hash: Mapped[str] = mapped_column(String(64))
    default_language: Mapped[str] = mapped_column(String(16), default="vi")
    policy_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    policy_version: Mapped[str] = mapped_column(String(32), default="1.0")
    consent_lifetime_days: Mapped[int] = mapped_column(Integer, default=182)
    texts: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    # Google Consent Mode options pushed with the default: redact ad data, pass click IDs in URLs.
    ads_data_redaction: Mapped[bool] = mapped_column(Boolean, default=False)
    url_passthrough: Mapped[bool] = mapped_column(Boolean, default=False)
    # Languages the widget carries; the visitor's pick falls back to default_language.
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["vi", "en"])
    # {"EU": "opt-in", "US-CA": "opt-out", "*": "notice"} laid over the built-in rules.
    jurisdiction_rules: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    refusal_lifetime_days: Mapped[int] = mapped_column(Integer, default=182)
    # Events are kept this long after they stop being the visitor's current decision.
    retention_days: Mapped[int] = mapped_column(Integer, default=365)
    # Where the widget sets its own cookie, so that it is shared across subdomains; None: the host.
    cookie_domain: Mapped[str | None] = mapped_column(String(253), nullable=True)
    # How long a gated external script may hold back the gated scripts after it.
    script_timeout_ms: Mapped[int] = mapped_column(Integer, default=10000)
    # {"layout": "bar", "position": "bottom", "colors": {…}, "dark": {…}}; empty: the defaults.
    design: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Who decides on the purposes and means (Law 91/2025/QH15, Art. 2 and 9): {"name", "address",
    # "email", "dpo_email"}; the banner names it. None: not given yet.
    controller: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    # Lifetimes per region, {"FR": {"consent_days": 182, "refusal_days": 182}}; other regions
    # take consent_lifetime_days and refusal_lifetime_days.
    region_lifetimes: Mapped[dict[str, dict[str, int]]] = mapped_column(JSON, default=dict)
    # Rules less strict than a region's built-in regime, each acknowledged:
    # {"VN": {"reason": …, "by": "owner@example.com", "at": "2026-12-07T20:00:00+00:00"}}.
    jurisdiction_acknowledgements: Mapped[dict[str, dict[str, str]]] = mapped_column(
        JSON, default=dict
    )
    # Processors act on the visitors' data for this site: Decree 356's deadlines grow to 20 days.
    processors_involved: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where the widget was last seen running (page origin), at most one write a minute.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_seen_origin: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # A deleted site serves nothing; its records stay for their retention period.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    categories: Mapped[list[Category]] = relationship(
        back_populates="site", order_by="Category.position", cascade="all, delete-orphan"
    )
    policy_versions: Mapped[list[PolicyVersion]] = relationship(
        back_populates="site", order_by="PolicyVersion.id", cascade="all, delete-orphan"
    )
    services: Mapped[list[Service]] = relationship(
        back_populates="site", order_by="Service.position", cascade="all, delete-orphan"
    )
    webhooks: Mapped[list[WebhookEndpoint]] = relationship(
        order_by="WebhookEndpoint.id", cascade="all, delete-orphan"
    )


class Category(db.Model):  # type: ignore[name-defined,misc]
    """A purpose a visitor can allow or refuse; ``essential`` is locked on."""

    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("site_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    # {"vi": {"title": …, "description": …}, "en": {…}}; built-in texts fill the gaps.
    texts: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    # The purpose records online behaviour, sensitive personal data under Decree 356/2025/ND-CP;
    # None: the default for the name (analytics and marketing do).
    tracks_behaviour: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # Only measures use of the site to improve it: may run without consent, with a one-click
    # objection, where the regime is opt-in-stats-exempt (UK Data (Use and Access) Act 2025).
    statistics_only: Mapped[bool] = mapped_column(Boolean, default=False)

    site: Mapped[Site] = relationship(back_populates="categories")


class Service(db.Model):  # type: ignore[name-defined,misc]
    """A tool under a category (Google Analytics 4, Meta Pixel) with the cookies it sets."""

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("site_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # {"vi": {"description": …}, …}
    texts: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    # [{"name": "_ga", "match": "prefix", "domain": ".shop.vn", "lifetime_days": 400}, …]
    cookies: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # localStorage keys, exact names or prefixes ending in "*".
    local_storage: Mapped[list[str]] = mapped_column(JSON, default=list)

    site: Mapped[Site] = relationship(back_populates="services")


class PolicyVersion(db.Model):  # type: ignore[name-defined,misc]
    """A published version of the site's privacy policy."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("site_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    # What changed, per language: {"vi": …, "en": …}; ``summary`` is the default language's.
    summaries: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship(back_populates="policy_versions")


class ConsentEvent(db.Model):  # type: ignore[name-defined,misc]
    """One choice a visitor made. Rows are only ever inserted."""

    __tablename__ = "consent_events"
    __table_args__ = (
        Index("ix_consent_events_site_visitor", "site_id", "visitor_id", "id"),
        # The consent log: a site's events newest first, and by time.
        Index("ix_consent_events_site_id_id", "site_id", "id"),
        Index("ix_consent_events_site_id_created_at", "site_id", "created_at"),
        # Log searches by action or region, newest first, without scanning the other rows.
        Index("ix_consent_events_site_action_created_at", "site_id", "action", "created_at"),
        Index("ix_consent_events_site_region_created_at", "site_id", "region", "created_at"),
        # Sources other than the banner are rare: a partial index finds them without a scan.
        Index(
            "ix_consent_events_site_source_created_at",
            "site_id",
            "source",
            "created_at",
            postgresql_where=text("source <> 'banner'"),
            sqlite_where=text("source <> 'banner'"),
        ),
        UniqueConstraint("site_id", "sequence", name="uq_consent_events_site_sequence"),
    )

    id: Mapped[int] = mapped_column(EventKey, primary_key=True, autoincrement=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    visitor_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    decided: Mapped[bool] = mapped_column(Boolean)
    categories: Mapped[dict[str, bool]] = mapped_column(JSON)
    services: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict)
    policy_version: Mapped[str] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(35), nullable=True)
    url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(512), nullable=True)
    ip_prefix: Mapped[str | None] = mapped_column(String(64), nullable=True)
    gpc: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(16), default="banner")
    # A consent manager registered under India's DPDP Act, s. 6(7) to 6(9), that relayed the choice.
    consent_manager_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    consent_manager_artifact_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # When the visitor clicked, as the widget reports it; a queued choice is sent later.
    chosen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # What the visitor was shown, and under which regime.
    snapshot_id: Mapped[int | None] = mapped_column(
        ForeignKey("config_snapshots.id"), nullable=True
    )
    region: Mapped[str | None] = mapped_column(String(16), nullable=True)
    mode: Mapped[str | None] = mapped_column(String(24), nullable=True)
    # Tamper evidence: position in the site's chain and an HMAC over this event and the last.
    sequence: Mapped[int | None] = mapped_column(EventKey, nullable=True)
    personal_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    mac: Mapped[str | None] = mapped_column(String(64), nullable=True)
    key_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ConsentState(db.Model):  # type: ignore[name-defined,misc]
    """The visitor's current decision, rewritten in the same transaction as each event."""

    __tablename__ = "consent_states"
    # The purge asks whether an event is still someone's current decision (migration 0010).
    __table_args__ = (Index("ix_consent_states_last_event_id", "last_event_id"),)

    site_id: Mapped[int] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )
    visitor_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    decided: Mapped[bool] = mapped_column(Boolean)
    categories: Mapped[dict[str, bool]] = mapped_column(JSON)
    services: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict)
    policy_version: Mapped[str] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    gpc: Mapped[bool] = mapped_column(Boolean, default=False)
    region: Mapped[str | None] = mapped_column(String(16), nullable=True)
    mode: Mapped[str | None] = mapped_column(String(24), nullable=True)
    last_event_id: Mapped[int] = mapped_column(EventKey, ForeignKey("consent_events.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True, slots=True)
class StateView:
    """A visitor's current decision as stored in ``consent_states``, read without the ORM.

    The lookups' hot path (:func:`~.services.consent.read_state`, the Redis cache) builds these
    instead of :class:`ConsentState` objects: same names, no identity map, no instrumentation.
    Fields follow :data:`STATE_VIEW_COLUMNS`' order.
    """

    decided: bool
    categories: dict[str, bool]
    services: dict[str, bool]
    policy_version: str
    decided_at: datetime | None
    expires_at: datetime | None
    gpc: bool
    region: str | None
    mode: str | None
    updated_at: datetime | None


STATE_VIEW_COLUMNS = tuple(
    ConsentState.__table__.c[name] for name in StateView.__dataclass_fields__
)


class WebhookEndpoint(db.Model):  # type: ignore[name-defined,misc]
    """A URL of the site owner's that hears of every decision change."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    # Standard Webhooks form, ``whsec_`` and base64; the previous one still signs until it expires.
    secret: Mapped[str] = mapped_column(String(128))
    previous_secret: Mapped[str | None] = mapped_column(String(128), nullable=True)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(db.Model):  # type: ignore[name-defined,misc]
    """The outbox: one row per event and endpoint, written in the event's transaction."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        # The purge removes an event's deliveries with it (migration 0010).
        Index("ix_webhook_deliveries_event_id", "event_id"),
    )

    id: Mapped[int] = mapped_column(EventKey, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    # The recorded event announced; none for an erasure, which unlinks the visitor's events.
    event_id: Mapped[int | None] = mapped_column(
        EventKey, ForeignKey("consent_events.id"), nullable=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ConfigSnapshot(db.Model):  # type: ignore[name-defined,misc]
    """An immutable copy of what the banner showed, stored once per distinct content."""

    __tablename__ = "config_snapshots"
    __table_args__ = (UniqueConstraint("site_id", "digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChainHead(db.Model):  # type: ignore[name-defined,misc]
    """The end of a site's event chain, and where verification starts after a purge."""

    __tablename__ = "chain_heads"

    site_id: Mapped[int] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )
    sequence: Mapped[int] = mapped_column(EventKey, default=0)
    mac: Mapped[str] = mapped_column(String(64))
    checkpoint_sequence: Mapped[int] = mapped_column(EventKey, default=0)
    checkpoint_mac: Mapped[str] = mapped_column(String(64))


class IdempotencyKey(db.Model):  # type: ignore[name-defined,misc]
    """A consent write's ``Idempotency-Key`` and the answer it got, kept to answer a repeat."""

    __tablename__ = "idempotency_keys"

    site_id: Mapped[int] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    # SHA-256 of the request body's JSON, canonical: a repeat must send the same body.
    request_digest: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


# Site owners' console -----------------------------------------------------------------------

ROLES = ("owner", "editor", "viewer")


class User(db.Model):  # type: ignore[name-defined,misc]
    """A console account: an email, an argon2 password hash and a language."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # The console's language as the user chose it; None: the browser's, then Vietnamese.
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    # Bumped when the password changes or every session is signed out: older sessions end.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class Membership(db.Model):  # type: ignore[name-defined,misc]
    """A user's role on a site: owner, editor or viewer."""

    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[int] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    site: Mapped[Site] = relationship()


class Invitation(db.Model):  # type: ignore[name-defined,misc]
    """A one-time link that makes whoever opens it (signed in) a member of a site."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(8))
    # SHA-256 of the link's token; the token itself is shown once.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    accepted_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class PersonalToken(db.Model):  # type: ignore[name-defined,misc]
    """A user's API token for /api/v1/admin; shown once, stored hashed."""

    __tablename__ = "personal_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ConfigVersion(db.Model):  # type: ignore[name-defined,misc]
    """A published configuration, as it was, with who published it and when."""

    __tablename__ = "config_versions"
    __table_args__ = (UniqueConstraint("site_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    # "user" (author_user_id), "cli" or "api-token".
    author_kind: Mapped[str] = mapped_column(String(16))
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    # The author as they were named then (an email), kept if the account goes.
    author_label: Mapped[str | None] = mapped_column(String(254), nullable=True)
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConfigDraft(db.Model):  # type: ignore[name-defined,misc]
    """The configuration being edited in the console, not yet published."""

    __tablename__ = "config_drafts"

    site_id: Mapped[int] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BannerCount(db.Model):  # type: ignore[name-defined,misc]
    """How many times the first layer was shown, per site, day, region and language.

    Counts only: the beacon carries no visitor ID, and no address is stored.
    """

    __tablename__ = "banner_counts"

    site_id: Mapped[int] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # "" when unknown, so that the key has no NULLs.
    region: Mapped[str] = mapped_column(String(16), primary_key=True, default="")
    language: Mapped[str] = mapped_column(String(16), primary_key=True, default="")
    shown: Mapped[int] = mapped_column(Integer, default=0)


# Data subject requests ------------------------------------------------------------------------


class DataSubjectRequest(db.Model):  # type: ignore[name-defined,misc]
    """A visitor's request about their data (access, deletion…), with its legal deadlines.

    Deadlines are computed by :mod:`cookieconsent.services.deadlines` when the request is
    received and stored, so that a later change of calendar or law never moves them silently.
    """

    __tablename__ = "data_subject_requests"
    __table_args__ = (Index("ix_data_subject_requests_site_received", "site_id", "received_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    # "DSR-" and 16 base32 characters (80 random bits): the visitor's only handle on it.
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    # received, acknowledged, in_progress, completed, refused.
    status: Mapped[str] = mapped_column(String(16), default="received")
    # Whose deadlines: "vn", "gdpr" or "us", from the region at filing.
    law: Mapped[str] = mapped_column(String(8))
    region: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # The raw visitor ID inside the signed one, as consent events store it; None without one.
    visitor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    details: Mapped[str | None] = mapped_column(Text, nullable=True)
    language: Mapped[str] = mapped_column(String(35))
    processors_involved: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledge_by: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    due_by: Mapped[datetime] = mapped_column(UTCDateTime)
    extended_to: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    extension_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # When it was completed or refused, and the note or the reason given.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolution: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The flag `requests check` last set ("due_soon", "overdue") and the last one announced.
    flag: Mapped[str | None] = mapped_column(String(16), nullable=True)
    notified_flag: Mapped[str | None] = mapped_column(String(16), nullable=True)

    steps: Mapped[list[RequestStep]] = relationship(
        order_by="RequestStep.id", cascade="all, delete-orphan"
    )


class RequestStep(db.Model):  # type: ignore[name-defined,misc]
    """One logged step of a request: who did what, when, and why."""

    __tablename__ = "request_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("data_subject_requests.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "visitor", "system", or the console user's email as it was then.
    actor: Mapped[str] = mapped_column(String(254))
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    action: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

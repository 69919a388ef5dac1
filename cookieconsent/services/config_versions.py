"""Drafts and versions of a site's configuration.

The configuration is the document of :func:`~.site_config.export_site_config`. The console edits
a *draft* (one per site), checked on every save exactly as :func:`~.site_config.apply_site_config`
would check it, without touching what visitors get. *Publishing* applies the draft and records a
:class:`~cookieconsent.models.ConfigVersion`; the configuration API, ``sites configure`` and
``sites texts`` publish at once and record one too, so every live configuration is a version with
who made it (a user, ``cli`` or ``api-token``) and when.

A site's history starts lazily: the first time its configuration changes through any door, the
configuration as it stood is recorded first as version 1 (author ``system``, "The configuration
before its first recorded change"), so that it can be compared and restored like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import delete, func, select

from ..errors import flatten_errors
from ..extensions import db
from ..models import (
    Category,
    ConfigDraft,
    ConfigVersion,
    PolicyVersion,
    Service,
    Site,
    User,
    utcnow,
)
from ..schemas import SiteConfigSchema
from .site_config import SiteConfigError, apply_site_config, export_site_config

# Keys of the document that describe the site but are not changed through it.
READ_ONLY_KEYS = ("site_key", "policy_version")
BASELINE_NOTE = "The configuration before its first recorded change"


@dataclass(frozen=True)
class Author:
    """Who publishes: ``user`` (with the account), ``cli``, ``api-token`` or ``system``."""

    kind: str
    user_id: int | None = None
    label: str | None = None

    @classmethod
    def of_user(cls, user: User) -> Author:
        """A console or admin API user, named by their email as it is now."""
        return cls("user", user.id, user.email)


CLI = Author("cli", None, "cli")
API_TOKEN = Author("api-token", None, "api-token")
SYSTEM = Author("system", None, None)


# Reading ---------------------------------------------------------------------------------------


def draft_of(site: Site) -> ConfigDraft | None:
    """The site's unpublished draft, if any."""
    return db.session.get(ConfigDraft, site.id)


def live_document(site: Site) -> dict[str, Any]:
    """The live configuration."""
    return export_site_config(site)


def current_document(site: Site) -> dict[str, Any]:
    """What the console edits: the draft if there is one, else the live configuration.

    The read-only keys (site key, policy version) are always the live ones.
    """
    draft = draft_of(site)
    if draft is None:
        return live_document(site)
    return {**draft.content, **{key: getattr(site, key) for key in READ_ONLY_KEYS}}


def versions_of(site: Site) -> list[ConfigVersion]:
    """The site's versions, newest first."""
    return list(
        db.session.execute(
            select(ConfigVersion)
            .where(ConfigVersion.site_id == site.id)
            .order_by(ConfigVersion.number.desc())
        ).scalars()
    )


def version_of(site: Site, number: int) -> ConfigVersion | None:
    """One version of the site's, by number."""
    return db.session.execute(
        select(ConfigVersion).where(
            ConfigVersion.site_id == site.id, ConfigVersion.number == number
        )
    ).scalar_one_or_none()


# Checking changes without applying them --------------------------------------------------------


def load_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """``changes`` loaded by the configuration API's schema; refused: :class:`SiteConfigError`."""
    try:
        loaded: dict[str, Any] = SiteConfigSchema().load(
            {key: value for key, value in changes.items() if key not in READ_ONLY_KEYS}
        )
    except ValidationError as error:
        raise SiteConfigError(flatten_errors(error.messages)) from None
    return loaded


def scratch_site(site: Site, document: Mapping[str, Any] | None = None) -> Site:
    """A copy of ``site`` outside the session, holding ``document`` (default: the live one).

    Changes are tried on it with the real :func:`apply_site_config`, so a draft is checked and
    merged exactly as publishing would; nothing it holds is ever written. Every related object is
    a new copy: attaching a live one would move it to the copy.
    """
    document = document if document is not None else live_document(site)
    consent_mode = document.get("consent_mode") or {}
    copy = Site(
        id=site.id,
        site_key=site.site_key,
        name=document["name"],
        domains=list(document["domains"]),
        api_token_hash=site.api_token_hash,
        default_language=document["default_language"],
        policy_url=document["policy_url"],
        policy_version=site.policy_version,
        consent_lifetime_days=document["consent_lifetime_days"],
        refusal_lifetime_days=document["refusal_lifetime_days"],
        retention_days=document["retention_days"],
        cookie_domain=document["cookie_domain"],
        script_timeout_ms=document["script_timeout_ms"],
        languages=list(document["languages"]),
        jurisdiction_rules=dict(document["jurisdiction_rules"]),
        texts=dict(document.get("texts") or {}),
        ads_data_redaction=bool(consent_mode.get("ads_data_redaction", False)),
        url_passthrough=bool(consent_mode.get("url_passthrough", False)),
        design=dict(document.get("design") or site.design or {}),
        created_at=site.created_at,
    )
    copy.categories = [
        Category(
            name=entry["name"],
            position=position,
            locked=entry["name"] == "essential",
            texts=dict(entry.get("texts") or {}),
        )
        for position, entry in enumerate(document["categories"])
    ]
    copy.services = [
        Service(
            name=entry["name"],
            category=entry["category"],
            label=entry["label"],
            position=position,
            texts=dict(entry.get("texts") or {}),
            cookies=list(entry.get("cookies") or []),
            local_storage=list(entry.get("local_storage") or []),
        )
        for position, entry in enumerate(document["services"])
    ]
    copy.policy_versions = [
        PolicyVersion(
            version=entry.version,
            summary=entry.summary,
            effective_at=entry.effective_at,
            created_at=entry.created_at,
        )
        for entry in site.policy_versions
    ]
    return copy


def merged_document(
    site: Site, base: Mapping[str, Any], changes: Mapping[str, Any]
) -> dict[str, Any]:
    """``base`` with ``changes`` applied, checked whole; raise :class:`SiteConfigError`."""
    loaded = load_changes(changes)
    copy = scratch_site(site, base)
    apply_site_config(copy, loaded, commit=False)
    return export_site_config(copy)


def replacement(site: Site, document: Mapping[str, Any]) -> dict[str, Any]:
    """Changes that make ``site`` hold exactly ``document``.

    Texts merge by key when applied, so an override the document no longer has is sent as
    ``None`` (the built-in text again); everything else in a whole document replaces.
    """
    changes = {key: value for key, value in document.items() if key not in READ_ONLY_KEYS}
    offered = set(document.get("languages") or []) | {document.get("default_language")}
    changes["texts"] = _text_replacement(site.texts, document.get("texts") or {}, offered)
    live_categories = {category.name: category.texts or {} for category in site.categories}
    changes["categories"] = [
        {
            **entry,
            "texts": _text_replacement(
                live_categories.get(entry["name"], {}), entry.get("texts") or {}, offered
            ),
        }
        for entry in document.get("categories") or []
    ]
    if "design" in document:
        # The design merges by key too: a key the document no longer has goes back to default.
        wanted = dict(document.get("design") or {})
        changes["design"] = {
            **{key: None for key in (site.design or {}) if key not in wanted},
            **wanted,
        }
    return changes


def _text_replacement(
    stored: Mapping[str, Mapping[str, str]],
    wanted: Mapping[str, Mapping[str, str]],
    offered: set[Any],
) -> dict[str, dict[str, str | None]]:
    result: dict[str, dict[str, str | None]] = {}
    for language in {*stored, *wanted}:
        # Languages no longer offered lose their overrides when the change is applied.
        if language not in offered and language not in wanted:
            continue
        values: dict[str, str | None] = {key: None for key in stored.get(language, {})}
        values.update(wanted.get(language) or {})  # null: no overrides in that language
        if values:
            result[language] = values
    return result


# Drafts ----------------------------------------------------------------------------------------


def save_draft(site: Site, changes: Mapping[str, Any], user: User | None) -> ConfigDraft:
    """Merge ``changes`` into the draft (or the live configuration) and keep it as the draft.

    Checked whole as :func:`apply_site_config` would; a refusal raises :class:`SiteConfigError`
    naming the fields, and nothing is written. The live configuration does not change. Commits.
    """
    merged = merged_document(site, current_document(site), changes)
    draft = draft_of(site)
    if draft is None:
        draft = ConfigDraft(site_id=site.id, content=merged)
        db.session.add(draft)
    draft.content = merged
    draft.updated_by = user.id if user is not None else None
    draft.updated_at = utcnow()
    db.session.commit()
    return draft


def replace_draft(site: Site, document: Mapping[str, Any], user: User | None) -> ConfigDraft:
    """Make ``document`` (a whole configuration) the draft, checked as publishing would. Commits."""
    base = live_document(site)
    changes = load_changes(document)
    missing = [key for key in base if key not in READ_ONLY_KEYS and key not in changes]
    if missing:
        raise SiteConfigError(
            {key: ["Missing: a draft is a whole configuration."] for key in missing}
        )
    merged = merged_document(site, base, replacement(site, changes))
    draft = draft_of(site) or ConfigDraft(site_id=site.id, content=merged)
    db.session.add(draft)
    draft.content = merged
    draft.updated_by = user.id if user is not None else None
    draft.updated_at = utcnow()
    db.session.commit()
    return draft


def discard_draft(site: Site) -> bool:
    """Forget the draft; ``False`` when there was none. Commits."""
    draft = draft_of(site)
    if draft is None:
        return False
    db.session.delete(draft)
    db.session.commit()
    return True


def draft_is_stale(site: Site, draft: ConfigDraft) -> bool:
    """A version was published after the draft was last saved: publishing would replace it."""
    return draft_is_stale_at(site, draft.updated_at)


def draft_is_stale_at(site: Site, saved_at: Any) -> bool:
    """A version (not the ``system`` baseline) was published after ``saved_at``."""
    newest = db.session.execute(
        select(func.max(ConfigVersion.created_at)).where(
            ConfigVersion.site_id == site.id, ConfigVersion.author_kind != SYSTEM.kind
        )
    ).scalar()
    return newest is not None and newest > saved_at


# Publishing ------------------------------------------------------------------------------------


def _lock(site: Site) -> None:
    # Two publishers of one site take numbers one after the other (PostgreSQL; SQLite
    # serializes writers anyway).
    db.session.execute(select(Site.id).where(Site.id == site.id).with_for_update())


def _next_number(site: Site) -> int:
    newest = db.session.execute(
        select(func.max(ConfigVersion.number)).where(ConfigVersion.site_id == site.id)
    ).scalar()
    return int(newest or 0) + 1


def _record(site: Site, author: Author, note: str | None) -> ConfigVersion:
    db.session.flush()
    db.session.refresh(site)
    version = ConfigVersion(
        site_id=site.id,
        number=_next_number(site),
        content=export_site_config(site),
        author_kind=author.kind,
        author_user_id=author.user_id,
        author_label=author.label,
        note=(note or "").strip()[:500] or None,
        created_at=utcnow(),
    )
    db.session.add(version)
    db.session.flush()
    return version


def start_history(site: Site) -> None:
    """Record the live configuration as version 1 when the site has none yet (not committed)."""
    _lock(site)
    if _next_number(site) == 1:
        _record(site, SYSTEM, BASELINE_NOTE)


def publish_changes(
    site: Site, changes: Mapping[str, Any], author: Author, note: str | None = None
) -> ConfigVersion:
    """Apply ``changes`` (already loaded by the schema) to the live configuration as a version.

    One transaction: nothing is written when the changes are refused. Commits.
    """
    try:
        start_history(site)
        apply_site_config(site, changes, commit=False, actor=author.label or author.kind)
        version = _record(site, author, note)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return version


def record_change(site: Site, author: Author, note: str | None = None) -> ConfigVersion:
    """Record the live configuration as a version after a change made another way. Commits."""
    version = _record(site, author, note)
    db.session.commit()
    return version


class StaleDraft(Exception):
    """The draft was saved before a version that publishing it would silently replace."""

    def __init__(self, based_on: int | None, current: int) -> None:
        super().__init__(f"The draft was based on version {based_on}; version {current} is live.")
        self.based_on = based_on
        self.current = current


def draft_base(site: Site, saved_at: Any) -> tuple[int | None, int | None]:
    """The version live when a draft was last saved at ``saved_at``, and the newest version.

    Versions recorded by ``system`` (the baseline) do not make a draft stale; the base is the
    newest version created at or before ``saved_at``, or the baseline (recorded lazily, so
    possibly after the draft, but holding the configuration the draft started from).
    """
    based_on = db.session.execute(
        select(func.max(ConfigVersion.number)).where(
            ConfigVersion.site_id == site.id,
            (ConfigVersion.created_at <= saved_at) | (ConfigVersion.author_kind == SYSTEM.kind),
        )
    ).scalar()
    current = db.session.execute(
        select(func.max(ConfigVersion.number)).where(ConfigVersion.site_id == site.id)
    ).scalar()
    return based_on, current


def publish_draft(
    site: Site, user: User, note: str | None = None, *, force: bool = True
) -> ConfigVersion | None:
    """Make the draft the live configuration, as a new version by ``user``; drop the draft.

    ``None`` when there is no draft, or when another publisher claimed it first. The draft is
    claimed atomically inside the publishing transaction (the site row is locked first on
    PostgreSQL, and the draft's row is deleted with its row count checked), so two concurrent
    publishers of one draft make one version. Unless ``force``, a stale draft (a version was
    published after it was saved) raises :class:`StaleDraft` and nothing changes. One
    transaction; a draft that no longer fits (refused by :func:`apply_site_config`) raises
    :class:`SiteConfigError` and nothing changes.
    """
    try:
        _lock(site)
        # Read after the lock: a publisher that waited sees the draft gone.
        row = db.session.execute(
            select(ConfigDraft.content, ConfigDraft.updated_at).where(
                ConfigDraft.site_id == site.id
            )
        ).one_or_none()
        if row is None:
            db.session.rollback()
            return None
        content, saved_at = row
        if not force and draft_is_stale_at(site, saved_at):
            based_on, current = draft_base(site, saved_at)
            raise StaleDraft(based_on, int(current or 0))
        claimed = db.session.execute(  # type: ignore[attr-defined]
            delete(ConfigDraft)
            .where(ConfigDraft.site_id == site.id)
            .execution_options(synchronize_session="fetch")
        ).rowcount
        if claimed != 1:
            db.session.rollback()
            return None
        changes = replacement(site, content)
        start_history(site)
        apply_site_config(site, changes, commit=False, actor=user.email)
        version = _record(site, Author.of_user(user), note)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return version


def restore_version(site: Site, number: int, user: User) -> ConfigVersion | None:
    """Make an earlier version live again, as a new version ("Restored version N").

    ``None`` when the site has no such version. The draft, if any, stays.
    """
    earlier = version_of(site, number)
    if earlier is None:
        return None
    content = {key: value for key, value in earlier.content.items() if key not in READ_ONLY_KEYS}
    try:
        loaded = load_changes(content)
        start_history(site)
        apply_site_config(site, replacement(site, loaded), commit=False, actor=user.email)
        version = _record(site, Author.of_user(user), f"Restored version {number}")
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return version


# Comparing -------------------------------------------------------------------------------------


_MISSING: Any = object()


def _named(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, Mapping) and isinstance(item.get("name"), str) for item in value)
    )


def _nested(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value)


def _diff(path: str, before: Any, after: Any, out: list[tuple[str, Any, Any]]) -> None:
    if before == after:
        return
    if _MISSING in (before, after) and (before in ({}, []) or after in ({}, [])):
        return  # An empty object or list beside nothing says nothing to a reader.
    # An object on one side only (a service added, a language's texts removed) is spelled out
    # field by field against nothing, so every row holds a plain value.
    if _nested(before) or _nested(after):
        old = before if isinstance(before, Mapping) else {}
        new = after if isinstance(after, Mapping) else {}
        if (before is _MISSING or isinstance(before, Mapping)) and (
            after is _MISSING or isinstance(after, Mapping)
        ):
            for key in [*old, *(key for key in new if key not in old)]:
                where = f"{path}.{key}" if path else str(key)
                _diff(where, old.get(key, _MISSING), new.get(key, _MISSING), out)
            return
    if (_named(before) or _named(after)) and all(
        side is _MISSING or side == [] or _named(side) for side in (before, after)
    ):
        old_items = {item["name"]: item for item in before} if _named(before) else {}
        new_items = {item["name"]: item for item in after} if _named(after) else {}
        common_old = [name for name in old_items if name in new_items]
        common_new = [name for name in new_items if name in old_items]
        if common_old != common_new:
            out.append((path, list(old_items), list(new_items)))
        for name in [*old_items, *(name for name in new_items if name not in old_items)]:
            _diff(
                f"{path}.{name}",
                old_items.get(name, _MISSING),
                new_items.get(name, _MISSING),
                out,
            )
        return
    out.append((path, None if before is _MISSING else before, None if after is _MISSING else after))


def compare_versions(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[tuple[str, Any, Any]]:
    """What differs between two configurations, field by field: ``(path, before, after)``.

    Objects nest by key and lists of named objects (categories, services, cookies) by name, so
    paths read like ``categories.analytics.texts.vi.title``; other lists (``domains``) are one
    field. Something on one side only is ``None`` on the other; an object there (a service
    added) is spelled out field by field, so no value is a nested object. A changed order of
    named objects shows at the list's path as the lists of names.
    """
    changes: list[tuple[str, Any, Any]] = []
    _diff("", dict(before), dict(after), changes)
    return changes

"""Privacy policy versions: MAJOR.MINOR, published with an effective date and a summary.

A new major version asks every visitor again; a minor one does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from ..extensions import db
from ..models import PolicyVersion, Site, utcnow
from .validation import (
    policy_major,
    policy_summary_error,
    policy_version_error,
    policy_version_order,
)


class PolicyVersionError(ValueError):
    """A version that is malformed (``format``) or does not move forward (``backwards``).

    ``field`` names the input at fault; the message is what every door reports for it.
    """

    def __init__(self, kind: str, message: str, field: str = "version") -> None:
        super().__init__(message)
        self.kind = kind
        self.field = field


def major(version: str) -> int:
    """The major number of a version; a malformed one counts as 0."""
    return policy_major(version)


def in_force(site: Site, now: datetime | None = None) -> list[PolicyVersion]:
    """Published versions already effective, oldest first."""
    now = now or utcnow()
    effective = [entry for entry in site.policy_versions if entry.effective_at <= now]
    return sorted(effective, key=lambda entry: policy_version_order(entry.version))


def current_version(site: Site, now: datetime | None = None) -> PolicyVersion | None:
    """The newest version in force."""
    versions = in_force(site, now)
    return versions[-1] if versions else None


def publish_policy_version(
    site: Site,
    version: str,
    *,
    summary: str | None = None,
    summaries: Mapping[str, str | None] | None = None,
    effective_at: datetime | None = None,
) -> PolicyVersion:
    """Publish ``version`` (``MAJOR.MINOR``); it must come after every version published before.

    Versions compare by their numbers, so 2.10 comes after 2.9. ``summaries`` says what changed
    per language (``{"vi": …, "en": …}``, in the site's languages), so that each visitor reads
    it in the banner's language; ``summary`` alone is the site's default language's. Raises
    :class:`PolicyVersionError` (field ``version``, ``summary`` or ``summaries.LANG``).
    """
    if problem := policy_version_error(version):
        raise PolicyVersionError("format", problem)
    if problem := policy_summary_error(summary):
        raise PolicyVersionError("format", problem, field="summary")
    by_language = {
        language: text.strip()
        for language, text in (summaries or {}).items()
        if text is not None and text.strip()
    }
    offered = set(site.languages or ()) | {site.default_language}
    for language, text in by_language.items():
        if language not in offered:
            raise PolicyVersionError(
                "format",
                f"The site does not offer {language!r}: {', '.join(sorted(offered))}.",
                field=f"summaries.{language}",
            )
        if problem := policy_summary_error(text):
            raise PolicyVersionError("format", problem, field=f"summaries.{language}")
    if summary and summary.strip():
        by_language.setdefault(site.default_language, summary.strip())
    newest = max(
        site.policy_versions, key=lambda entry: policy_version_order(entry.version), default=None
    )
    if newest is not None and policy_version_order(version) <= policy_version_order(newest.version):
        raise PolicyVersionError(
            "backwards",
            f"{version} does not come after the latest published version {newest.version}.",
        )
    now = utcnow()
    entry = PolicyVersion(
        version=version,
        summary=(summary or "").strip() or by_language.get(site.default_language),
        summaries=by_language,
        effective_at=effective_at or now,
    )
    site.policy_versions.append(entry)
    if entry.effective_at <= now:
        site.policy_version = version
    db.session.commit()
    return entry

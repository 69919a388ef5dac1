"""Privacy policy versions: MAJOR.MINOR, published with an effective date and a summary.

A new major version asks every visitor again; a minor one does not.
"""

from __future__ import annotations

import re
from datetime import datetime

from ..extensions import db
from ..models import PolicyVersion, Site, utcnow

VERSION = re.compile(r"^(0|[1-9][0-9]{0,5})(?:\.(0|[1-9][0-9]{0,5})){0,2}$")


class PolicyVersionError(ValueError):
    """A version that is malformed (``format``) or does not move forward (``backwards``)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def parse_version(version: str) -> tuple[int, ...]:
    """``"2.1"`` → ``(2, 1, 0)``; raise :class:`PolicyVersionError` when malformed."""
    if not VERSION.match(version or ""):
        raise PolicyVersionError("format", "a version is MAJOR.MINOR, such as 2.0 or 2.1")
    parts = [int(part) for part in version.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def major(version: str) -> int:
    """The major number of a version; a malformed one counts as 0."""
    try:
        return parse_version(version)[0]
    except PolicyVersionError:
        return 0


def in_force(site: Site, now: datetime | None = None) -> list[PolicyVersion]:
    """Published versions already effective, oldest first."""
    now = now or utcnow()
    effective = [entry for entry in site.policy_versions if entry.effective_at <= now]
    return sorted(effective, key=lambda entry: parse_version(entry.version))


def current_version(site: Site, now: datetime | None = None) -> PolicyVersion | None:
    """The newest version in force."""
    versions = in_force(site, now)
    return versions[-1] if versions else None


def publish_policy_version(
    site: Site, version: str, *, summary: str | None = None, effective_at: datetime | None = None
) -> PolicyVersion:
    """Publish ``version``; it must be greater than every version published before."""
    parsed = parse_version(version)
    newest = max((parse_version(entry.version) for entry in site.policy_versions), default=None)
    if newest is not None and parsed <= newest:
        shown = ".".join(str(part) for part in newest[:2])
        raise PolicyVersionError(
            "backwards", f"{version} does not come after the latest published version {shown}"
        )
    now = utcnow()
    entry = PolicyVersion(
        version=version,
        summary=(summary or "").strip() or None,
        effective_at=effective_at or now,
    )
    site.policy_versions.append(entry)
    if entry.effective_at <= now:
        site.policy_version = version
    db.session.commit()
    return entry

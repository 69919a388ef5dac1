"""Console accounts: users, their roles on sites, invitations and personal API tokens.

Passwords are hashed with argon2 (argon2-cffi, its default parameters: Argon2id). Invitation
links and personal tokens are random and shown once; only their SHA-256 is stored.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select

from ..extensions import db
from ..models import ROLES, Invitation, Membership, PersonalToken, Site, User, utcnow
from .validation import InvalidInput

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s.]{2,63}$")
PASSWORD_MIN = 12
PASSWORD_MAX = 1024
INVITATION_LIFETIME = timedelta(days=7)
TOKEN_PREFIX = "ccp_"
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Compared against when the email is unknown, so a wrong email costs as a wrong password.

    Made on the first sign-in, not at import: argon2 takes 64 MiB while it hashes, which every
    process (web workers, the webhook worker, each command) would otherwise pay at start.
    """
    return _hasher.hash("cookieconsent: no such account")


# What each role may do on a site (issue table: owner, editor, viewer).
PERMISSIONS: dict[str, frozenset[str]] = {
    "view": frozenset(ROLES),
    "search_log": frozenset(ROLES),
    "export_log": frozenset({"owner", "editor"}),
    "edit": frozenset({"owner", "editor"}),
    "publish_policy": frozenset({"owner", "editor"}),
    "webhooks": frozenset({"owner", "editor"}),
    "requests": frozenset({"owner", "editor"}),
    "manage": frozenset({"owner"}),
}


def normalize_email(email: str) -> str:
    """Lower-case and check an email address; raise :class:`InvalidInput` on the ``email`` field."""
    value = (email or "").strip().lower()
    if not EMAIL.match(value) or len(value) > 254:
        raise InvalidInput({"email": ["Not an email address such as ten@congty.vn."]})
    return value


def check_password(password: str) -> None:
    """Refuse a password shorter than 12 characters (or absurdly long), on ``password``."""
    if not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidInput(
            {"password": [f"Use {PASSWORD_MIN} to {PASSWORD_MAX} characters; a phrase is best."]}
        )


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def create_user(email: str, password: str, *, language: str | None = None) -> User:
    """A new account; refuses a taken email (``email``) or a weak password. Commits."""
    address = normalize_email(email)
    check_password(password)
    if db.session.execute(select(User.id).where(User.email == address)).scalar() is not None:
        raise InvalidInput({"email": ["An account with this email already exists."]})
    user = User(email=address, password_hash=hash_password(password), language=language)
    db.session.add(user)
    db.session.commit()
    return user


def find_user(email: str) -> User | None:
    """The account with this email (any case), or ``None``."""
    return db.session.execute(
        select(User).where(User.email == (email or "").strip().lower())
    ).scalar_one_or_none()


def authenticate(email: str, password: str) -> User | None:
    """The account whose password this is, or ``None``; rehashes an outdated hash."""
    user = find_user(email)
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_signed_in_at = utcnow()
    db.session.commit()
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one; every other session ends."""
    try:
        _hasher.verify(user.password_hash, current)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise InvalidInput({"current_password": ["This is not your current password."]}) from None
    check_password(new)
    user.password_hash = hash_password(new)
    user.session_epoch += 1
    db.session.commit()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


# Roles -----------------------------------------------------------------------------------------


def role_of(user: User | None, site: Site) -> str | None:
    """The user's role on the site, or ``None`` when they are not a member."""
    if user is None:
        return None
    return db.session.execute(
        select(Membership.role).where(Membership.user_id == user.id, Membership.site_id == site.id)
    ).scalar_one_or_none()


def may(role: str | None, permission: str) -> bool:
    """Whether ``role`` allows ``permission`` (see :data:`PERMISSIONS`)."""
    return role is not None and role in PERMISSIONS[permission]


def set_role(user: User, site: Site, role: str) -> Membership:
    """Make the user a member with ``role`` (or change their role). Does not commit."""
    if role not in ROLES:
        raise InvalidInput({"role": [f"One of: {', '.join(ROLES)}."]})
    membership = db.session.get(Membership, (user.id, site.id))
    if membership is None:
        membership = Membership(user_id=user.id, site_id=site.id, role=role)
        db.session.add(membership)
    else:
        membership.role = role
    return membership


def owners(site: Site) -> int:
    """How many owners the site has."""
    return int(
        db.session.execute(
            select(func.count()).where(Membership.site_id == site.id, Membership.role == "owner")
        ).scalar_one()
    )


def visible_sites(user: User) -> list[tuple[Site, str]]:
    """The sites the user is a member of, with their role, by name; deleted sites are left out."""
    rows = db.session.execute(
        select(Site, Membership.role)
        .join(Membership, Membership.site_id == Site.id)
        .where(Membership.user_id == user.id, Site.deleted_at.is_(None))
        .order_by(Site.name, Site.id)
    ).all()
    return [(site, role) for site, role in rows]


# Invitations -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedInvitation:
    """An invitation and its link's token, shown once."""

    invitation: Invitation
    token: str


def invite(site: Site, role: str, by: User, now: datetime | None = None) -> IssuedInvitation:
    """A one-time link valid for 7 days that makes its taker a member with ``role``. Commits."""
    if role not in ROLES:
        raise InvalidInput({"role": [f"One of: {', '.join(ROLES)}."]})
    token = secrets.token_urlsafe(32)
    moment = now or utcnow()
    invitation = Invitation(
        site_id=site.id,
        role=role,
        token_hash=_digest(token),
        created_by=by.id,
        created_at=moment,
        expires_at=moment + INVITATION_LIFETIME,
    )
    db.session.add(invitation)
    db.session.commit()
    return IssuedInvitation(invitation, token)


def open_invitation(token: str, now: datetime | None = None) -> Invitation | None:
    """The invitation for a link's token, when it is unused, unexpired and its site not deleted."""
    invitation = db.session.execute(
        select(Invitation).where(Invitation.token_hash == _digest(token or ""))
    ).scalar_one_or_none()
    if invitation is None or invitation.accepted_at is not None:
        return None
    site = db.session.get(Site, invitation.site_id)
    if site is None or site.deleted_at is not None:
        return None
    if invitation.expires_at <= (now or utcnow()):
        return None
    return invitation


def accept_invitation(invitation: Invitation, user: User) -> Membership:
    """Use the invitation: the user becomes a member (an owner keeps a higher role). Commits."""
    site = db.session.get(Site, invitation.site_id)
    if site is None or site.deleted_at is not None:
        raise InvalidInput({"invitation": ["This site no longer exists."]})
    current = role_of(user, site)
    rank = {role: index for index, role in enumerate(ROLES)}
    # A member keeps a higher role than the invitation's; ROLES run from owner down.
    role = invitation.role if current is None or rank[invitation.role] < rank[current] else current
    membership = set_role(user, site, role)
    invitation.accepted_at = utcnow()
    invitation.accepted_by = user.id
    db.session.commit()
    return membership


# Personal API tokens ---------------------------------------------------------------------------


def issue_token(user: User, name: str) -> tuple[PersonalToken, str]:
    """A new personal API token named ``name``; returns the row and the token, shown once."""
    label = (name or "").strip()
    if not 1 <= len(label) <= 100:
        raise InvalidInput({"name": ["Name the token (1 to 100 characters)."]})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = PersonalToken(user_id=user.id, name=label, token_hash=_digest(token))
    db.session.add(row)
    db.session.commit()
    return row, token


def user_for_token(token: str) -> User | None:
    """The user a personal token belongs to, when it is not revoked; notes its use."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    row = db.session.execute(
        select(PersonalToken).where(PersonalToken.token_hash == _digest(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    # At most one write a minute for a busy token.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
        db.session.commit()
    return db.session.get(User, row.user_id)


def revoke_token(user: User, token_id: int) -> bool:
    """Revoke one of the user's tokens; False when it is not theirs or already revoked."""
    row = db.session.get(PersonalToken, token_id)
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    db.session.commit()
    return True


def tokens_of(user: User) -> list[PersonalToken]:
    """The user's tokens, newest first (revoked ones included, marked)."""
    return list(
        db.session.execute(
            select(PersonalToken)
            .where(PersonalToken.user_id == user.id)
            .order_by(PersonalToken.id.desc())
        ).scalars()
    )

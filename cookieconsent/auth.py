"""Who is asking: console sessions (Flask-Login, Flask-WTF CSRF) and personal API tokens.

- Sessions: Flask's signed cookie, ``HttpOnly``, ``SameSite=Lax``, ``Secure`` in production, for
  12 hours; renewed at sign-in; sessions from before a password change or a sign-out end (the
  user's ``session_epoch``), so a copied cookie dies with the sign-out.
- Every console form carries a CSRF token (Flask-WTF); the JSON APIs, which browsers reach with
  an ``Origin`` check or a bearer token and no cookie, are exempt.
- Sign-in attempts: at most 5 a minute per email and 20 a minute per address (Flask-Limiter).
- ``Authorization: Bearer <personal token>`` opens /api/v1/admin for that user.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request, session
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect

from .extensions import db
from .models import User
from .services.accounts import user_for_token

login_manager = LoginManager()
csrf = CSRFProtect()

SIGN_IN_PER_EMAIL = "5 per minute"
SIGN_IN_PER_ADDRESS = "20 per minute"


class SessionUser:
    """The signed-in user as Flask-Login sees them."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.id = user.id
        self.is_authenticated = True
        self.is_active = True
        self.is_anonymous = False

    def get_id(self) -> str:
        """The session's identity: the user and their session epoch."""
        return f"{self.user.id}:{self.user.session_epoch}"


def signed_in_user() -> User | None:
    """The console's signed-in user, or ``None``."""
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.user  # type: ignore[no-any-return]
    return None


@login_manager.user_loader
def load_user(identity: str) -> SessionUser | None:
    """A session names a user and an epoch; a stale epoch (password changed) ends it."""
    user_id, _, epoch = identity.partition(":")
    if not user_id.isdigit() or not epoch.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_epoch != int(epoch):
        return None
    return SessionUser(user)


def sign_in(user: User) -> None:
    """Start a new session for the user: nothing from the session before survives."""
    language = session.get("language")
    session.clear()
    # A CSRF token made for the old session is no longer valid, even within this request.
    g.pop("csrf_token", None)
    if language:
        session["language"] = language
    session.permanent = True
    login_user(SessionUser(user))


def sign_out() -> None:
    """End the session, and make every copy of its cookie worthless.

    The session is a signed cookie the server does not keep, so forgetting it in this browser
    would leave a copied cookie (a shared office computer, a proxy's log) valid for its 12 hours.
    Signing out therefore moves the user's ``session_epoch`` on: every session of the account
    ends, on every device, as after a password change.
    """
    user = signed_in_user()
    if user is not None:
        user.session_epoch += 1
        db.session.commit()
    logout_user()
    session.clear()


def bearer_user() -> User | None:
    """The user of the request's ``Authorization: Bearer`` personal token, or ``None``."""
    if "bearer_user" not in g:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        g.bearer_user = user_for_token(token.strip()) if scheme.lower() == "bearer" else None
    return g.bearer_user  # type: ignore[no-any-return]


def init_app(app: Flask) -> None:
    """Sessions, the user loader and CSRF protection for the console.

    The session settings are set in :func:`cookieconsent.config.load_config`; a test may pass
    its own.
    """
    login_manager.init_app(app)
    login_manager.login_view = "admin.sign_in"
    # Flask-Login's own message is English; the console's is in the console's language.
    login_manager.login_message = _l("Sign in to open the console.")
    login_manager.login_message_category = "info"
    login_manager.needs_refresh_message = _l("Sign in again to continue.")
    login_manager.needs_refresh_message_category = "info"
    login_manager.session_protection = "basic"
    csrf.init_app(app)


def exempt_from_csrf(*blueprints: Any) -> None:
    """JSON APIs authenticate without cookies; their requests need no CSRF token."""
    for blueprint in blueprints:
        csrf.exempt(blueprint)

"""The console's forms (Flask-WTF: every one carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length

from ..models import ROLES
from ..texts import LANGUAGE_NAMES, SUPPORTED_LANGUAGES


class SignInForm(FlaskForm):  # type: ignore[misc]
    """Email and password."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class SiteForm(FlaskForm):  # type: ignore[misc]
    """A new site: its name, its domains (one a line) and the banner's default language."""

    name = StringField(_l("Site name"), validators=[DataRequired(), Length(max=200)])
    domains = TextAreaField(
        _l("Domains"),
        validators=[DataRequired()],
        description=_l("One a line: example.vn, *.example.vn, or 127.0.0.1:8001."),
    )
    language = SelectField(
        _l("Default language of the banner"),
        # Each language by its own name, as its speakers look for it (Português (Brasil)).
        choices=[
            SelectChoice(code, f"{LANGUAGE_NAMES[code]} ({code})", render_kw={"lang": code})
            for code in SUPPORTED_LANGUAGES
        ],
        default="vi",
    )


class TokenForm(FlaskForm):  # type: ignore[misc]
    """A personal API token's name."""

    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])


class PasswordForm(FlaskForm):  # type: ignore[misc]
    """Change of password."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=12, max=1024)]
    )


class LanguageForm(FlaskForm):  # type: ignore[misc]
    """The console's language."""

    language = SelectField(
        _l("Language"), choices=[SelectChoice("vi", "Tiếng Việt"), SelectChoice("en", "English")]
    )


class InvitationForm(FlaskForm):  # type: ignore[misc]
    """An invitation: the role it gives."""

    role = SelectField(
        _l("Role"), choices=[SelectChoice(role, role) for role in ROLES], default="editor"
    )


class DeleteSiteForm(FlaskForm):  # type: ignore[misc]
    """Deleting a site asks for its key to be typed."""

    confirm = StringField(_l("Type the site key to confirm"), validators=[DataRequired()])


class EmptyForm(FlaskForm):  # type: ignore[misc]
    """A button that posts (sign out, revoke, accept): only the CSRF token."""

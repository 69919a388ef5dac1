"""The console's forms for a site's configuration (Flask-WTF: every one carries a CSRF token).

Each form edits one part of the configuration document; the view turns it into changes for
:func:`cookieconsent.services.config_versions.save_draft`, which checks them as publishing would.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    ColorField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..services.design import DARK, LIGHT
from ..services.jurisdictions import MODES
from ..texts import text_limit

WHOLE_NUMBER = re.compile(r"\s*[+-]?[0-9]+\s*")


class WholeNumberField(IntegerField):  # type: ignore[misc]
    """A whole number written in digits; ``1e5``, ``3.5`` or ``12 days`` are refused as such.

    With :class:`~wtforms.validators.InputRequired` (not ``DataRequired``, which would replace
    the message with "This field is required."), the refusal says what is wrong.
    """

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        if not WHOLE_NUMBER.fullmatch(str(valuelist[0])):
            self.data = None
            raise ValueError(str(_l("Not a whole number: write it in digits only, such as 365.")))
        self.data = int(valuelist[0])


# The texts of the banner's first layer come first on the texts page; the rest follow.
FIRST_TEXTS = (
    "title",
    "description",
    "accept_all",
    "reject_all",
    "preferences",
    "policy_link",
    "reopen",
)


# What each text is, for people who do not read keys; the key is shown beside it.
TEXT_LABELS = {
    "title": _l("Title"),
    "description": _l("Description"),
    "accept_all": _l("Accept all button"),
    "reject_all": _l("Reject all button"),
    "preferences": _l("Preferences button"),
    "policy_link": _l("Privacy policy link"),
    "reopen": _l("Button to reopen the banner"),
    "preferences_title": _l("Preferences title"),
    "preferences_description": _l("Preferences description"),
    "save": _l("Save button"),
    "close": _l("Close button"),
    "always_on": _l("Label of essential cookies"),
    "withdraw": _l("Withdraw button"),
    "gpc_honored": _l("Global Privacy Control notice"),
    "error": _l("Error message"),
    "queued": _l("Choice waiting to be sent"),
    "opt_out_description": _l("Description where visitors opt out"),
    "do_not_sell": _l("Do not sell or share link"),
    "notice_description": _l("Description where a notice is enough"),
    "dismiss": _l("Dismiss button"),
    "policy_updated": _l("Policy updated notice"),
    "your_data": _l("Your data title"),
    "history": _l("History button"),
    "export": _l("Export button"),
    "erase": _l("Erase button"),
    "erase_confirm": _l("Erase confirmation"),
    "erased": _l("Erased message"),
    "receipt": _l("Receipt link"),
}


def lines(value: str | None) -> list[str]:
    """The non-empty lines of a text area, trimmed."""
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class DomainsForm(FlaskForm):  # type: ignore[misc]
    """Where the banner may run, and where its cookie is set."""

    domains = TextAreaField(
        _l("Domains"),
        validators=[DataRequired()],
        description=_l("One a line: example.vn, *.example.vn, or 127.0.0.1:8001."),
    )
    cookie_domain = StringField(
        _l("Shared cookie domain"),
        validators=[Optional(), Length(max=253)],
        description=_l(
            "To share the visitor's choice across subdomains, the registrable domain "
            "(example.vn). Leave empty to keep it on each host."
        ),
    )


class CategoryForm(FlaskForm):  # type: ignore[misc]
    """A new category."""

    name = StringField(
        _l("Category name"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("A lowercase identifier, such as preferences or social_media."),
    )


class CookieRowForm(Form):  # type: ignore[misc]
    """One cookie a service sets; an empty name leaves the row out."""

    name = StringField(_l("Cookie name"), validators=[Optional(), Length(max=200)])
    match = SelectField(
        _l("Match"),
        choices=[
            SelectChoice("exact", _l("Exact name")),
            SelectChoice("prefix", _l("Starts with")),
            SelectChoice("regex", _l("Regular expression")),
        ],
        default="exact",
    )
    domain = StringField(_l("Domain"), validators=[Optional(), Length(max=253)])
    lifetime_days = IntegerField(
        _l("Lifetime (days)"), validators=[Optional(), NumberRange(min=0, max=3650)]
    )


class ServiceForm(FlaskForm):  # type: ignore[misc]
    """A service (a tool such as Google Analytics 4) under a category, with its cookies."""

    original = StringField(validators=[Optional()])
    name = StringField(
        _l("Identifier"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("Lowercase, such as ga4 or meta_pixel; used in data-service attributes."),
    )
    label = StringField(_l("Name shown to visitors"), validators=[DataRequired(), Length(max=200)])
    category = SelectField(_l("Category"))
    local_storage = TextAreaField(
        _l("Local storage keys"),
        validators=[Optional()],
        description=_l("One a line; end with * to match a prefix."),
    )
    cookies = FieldList(FormField(CookieRowForm), min_entries=1)


class PolicyUrlForm(FlaskForm):  # type: ignore[misc]
    """The privacy policy's address."""

    policy_url = StringField(
        _l("Privacy policy URL"),
        validators=[Optional(), Length(max=2048)],
        description=_l("An http or https address; the banner links to it."),
    )


class PolicyVersionForm(FlaskForm):  # type: ignore[misc]
    """A new version of the privacy policy, with what changed."""

    version = StringField(
        _l("Version"),
        validators=[DataRequired(), Length(max=32)],
        description=_l("MAJOR.MINOR, such as 2.0. A new major version asks every visitor again."),
    )
    summary = TextAreaField(
        _l("What changed"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Shown to visitors who are asked again."),
    )


class DesignForm(FlaskForm):  # type: ignore[misc]
    """Layout, position and the two palettes."""

    layout = SelectField(
        _l("Layout"),
        choices=[
            SelectChoice("box", _l("Box")),
            SelectChoice("bar", _l("Bar")),
            SelectChoice("dialog", _l("Dialog")),
        ],
        default="box",
    )
    position = SelectField(
        _l("Position"),
        choices=[
            SelectChoice("bottom", _l("Bottom")),
            SelectChoice("top", _l("Top")),
            SelectChoice("bottom-left", _l("Bottom left")),
            SelectChoice("bottom-right", _l("Bottom right")),
            SelectChoice("center", _l("Center")),
        ],
        default="bottom",
    )
    custom_colors = BooleanField(_l("Use my own colours"))
    accent = ColorField(_l("Accent (Accept all and Reject all)"), default=LIGHT["accent"])
    background = ColorField(_l("Background"), default=LIGHT["background"])
    text = ColorField(_l("Text"), default=LIGHT["text"])
    custom_dark = BooleanField(_l("Use my own colours in dark mode"))
    dark_accent = ColorField(_l("Dark accent"), default=DARK["accent"])
    dark_background = ColorField(_l("Dark background"), default=DARK["background"])
    dark_text = ColorField(_l("Dark text"), default=DARK["text"])


# Each regime in :data:`~cookieconsent.services.jurisdictions.MODES`, as the console names it.
MODE_LABELS: dict[str, Any] = {
    "opt-in-specific": _l("Specific opt-in (a switch per purpose; Vietnam)"),
    "opt-in": _l("Opt-in (ask before any tracking)"),
    "opt-in-stats-exempt": _l("Opt-in, statistics exempt (UK)"),
    "opt-out": _l("Opt-out (tracking until the visitor refuses)"),
    "notice": _l("Notice only"),
}


class RuleRowForm(Form):  # type: ignore[misc]
    """One region rule; an empty region leaves the row out."""

    region = StringField(_l("Region"), validators=[Optional(), Length(max=16)])
    mode = SelectField(
        _l("Regime"),
        choices=[SelectChoice(mode, MODE_LABELS.get(mode, mode)) for mode in MODES],
        validate_choice=False,
    )
    reason = StringField(
        _l("Why the law allows it"),
        validators=[Optional(), Length(max=500)],
        description=_l("Needed when the regime is less strict than the built-in one."),
    )


class LifetimeRowForm(Form):  # type: ignore[misc]
    """Lifetimes in one region; an empty region leaves the row out."""

    region = StringField(_l("Region"), validators=[Optional(), Length(max=16)])
    consent_days = WholeNumberField(_l("Consent lasts (days)"), validators=[Optional()])
    refusal_days = WholeNumberField(_l("Refusal lasts (days)"), validators=[Optional()])


class PurposeFlagsForm(Form):  # type: ignore[misc]
    """What the law says about one category."""

    name = HiddenField()
    tracks_behaviour = BooleanField(_l("Tracks online behaviour (sensitive data)"))
    statistics_only = BooleanField(_l("Statistics only (may run until the visitor objects)"))


class SettingsForm(FlaskForm):  # type: ignore[misc]
    """The site's name, lifetimes, retention and region rules."""

    name = StringField(_l("Site name"), validators=[DataRequired(), Length(max=200)])
    consent_lifetime_days = WholeNumberField(
        _l("Consent lasts (days)"),
        validators=[InputRequired()],
        description=_l("How long a choice that allows something is kept: 13 months at most."),
    )
    refusal_lifetime_days = WholeNumberField(
        _l("Refusal lasts (days)"),
        validators=[InputRequired()],
        description=_l("How long a refusal is kept before the banner asks again."),
    )
    retention_days = WholeNumberField(
        _l("Keep consent records (days)"),
        validators=[InputRequired()],
        description=_l("After a record stops being the visitor's current choice: 30 to 3650."),
    )
    rules = FieldList(FormField(RuleRowForm), min_entries=1)
    lifetimes = FieldList(FormField(LifetimeRowForm), min_entries=1)
    purposes = FieldList(FormField(PurposeFlagsForm))
    controller_name = StringField(
        _l("Controller's legal name"),
        validators=[Optional(), Length(max=200)],
        description=_l("As in your privacy policy; the banner names it."),
    )
    controller_address = StringField(
        _l("Controller's address"), validators=[Optional(), Length(max=500)]
    )
    controller_email = StringField(_l("Contact email"), validators=[Optional(), Length(max=254)])
    controller_dpo_email = StringField(
        _l("Data protection officer's email"),
        validators=[Optional(), Length(max=254)],
        description=_l("Shown to visitors; without it, the contact email is."),
    )
    processors_involved = BooleanField(
        _l("Processors act on visitors' data"),
        description=_l("Withdrawals and requests then have 20 days instead of 15 (Decree 356)."),
    )


class PublishForm(FlaskForm):  # type: ignore[misc]
    """Publish the draft, with an optional note for the history."""

    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    force = BooleanField(_l("Publish anyway and replace the newer version"))


def texts_form(keys: list[str], categories: list[str], data: dict[str, Any]) -> FlaskForm:
    """A form with one field per banner text and per category title and description.

    Field names: ``t-KEY`` for banner texts, ``c-NAME-title`` and ``c-NAME-description``.
    """

    class TextsForm(FlaskForm):  # type: ignore[misc]
        """The site's texts in one language; empty fields show the built-in text."""

    for key in keys:
        field_class = TextAreaField if text_limit(key) > 200 else StringField
        setattr(
            TextsForm,
            f"t-{key}",
            field_class(TEXT_LABELS.get(key, key), validators=[Optional()]),
        )
    for name in categories:
        setattr(TextsForm, f"c-{name}-title", StringField(_l("Title"), validators=[Optional()]))
        setattr(
            TextsForm,
            f"c-{name}-description",
            TextAreaField(_l("Description"), validators=[Optional()]),
        )
    return TextsForm(data=data)

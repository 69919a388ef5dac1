"""Messages the console shows but does not write itself, in the console's language.

The services (``services/validation.py``, ``services/design.py``, the configuration schemas) and
WTForms refuse values with English messages, some of them with values inside ("At most 300
characters."). They stay English in the admin API and the commands; in the console,
:func:`translate` finds each message's msgid here and shows it through Flask-Babel. Messages with
values are matched by pattern and translated with their values as placeholders. A message not
listed here is shown as it is.

The msgids are marked with ``N_`` (a no-op the extractor knows: ``scripts/i18n`` passes
``-k N_``), so that ``bash scripts/i18n update`` puts them in the catalogs.
"""

from __future__ import annotations

import re
from typing import Any

from flask import request
from flask_babel import get_translations
from flask_babel import gettext as _

from . import bp


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated when shown (see :func:`translate`)."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a message with a plural for extraction (``-k Nn_:1,2``)."""
    return singular, plural


# Messages shown exactly as the services and WTForms write them.
EXACT: frozenset[str] = frozenset(
    {
        # marshmallow, in the configuration's schemas
        N_("Missing data for required field."),
        N_("Field may not be null."),
        N_("Not a valid URL."),
        N_("Not a valid string."),
        N_("Not a valid integer."),
        N_("Not a valid boolean."),
        N_("Not a valid list."),
        N_("Not a valid email address."),
        N_("Not a valid number."),
        N_("Not a valid mapping type."),
        N_("Unknown field."),
        N_("Invalid input type."),
        N_("Invalid value."),
        # services/validation.py and services/design.py
        N_("Must be MAJOR.MINOR: two whole numbers without leading zeros, such as 1.0 or 2.10."),
        N_("A colour is written #rrggbb, for example #1d4ed8."),
        N_("A category has a title and a description."),
        N_("Unknown field. Fields: layout, position, colors, dark."),
        N_("Between 1 and 395 days (13 months); a choice cannot be kept forever."),
        N_("A region is VN, US-CA, EU, EEA, * or unknown."),
        N_("Not a language tag such as 'vi' or 'en-US'."),
        N_("Not a configuration digest."),
        N_("Not a host name."),
        # services/site_config.py: the compliance guardrails
        N_(
            "Required where a region's regime is opt-in-specific (Vietnam by default): the banner "
            "names the controller and how to reach it."
        ),
        N_("Essential cookies cannot track online behaviour: such a purpose needs consent."),
        N_("Essential is always on; it has no objection."),
        N_("Marketing is not statistics: it stays opt-in under every regime."),
        N_("Between 10 and 500 characters: say which law allows it."),
        N_("Not an email address such as dpo@congty.vn."),
        N_("Not a cookie name: it holds a space or an invisible character."),
        N_("A name visitors can read: letters or digits."),
        N_("Must be an object with accent, background and text."),
        # services/accounts.py and services/members.py; roles as pages show them (``_(role)``)
        N_("owner"),
        N_("editor"),
        N_("viewer"),
        N_("Not an email address such as ten@congty.vn."),
        N_("An account with this email already exists."),
        N_("This is not your current password."),
        N_("Name the token (1 to 100 characters)."),
        N_("This site no longer exists."),
        # WTForms' validators (their own catalogs have no Vietnamese)
        N_("This field is required."),
        N_("Not a valid choice."),
        N_("Not a valid integer value."),
        N_("Not a valid decimal value."),
        N_("Invalid email address."),
        N_("Invalid Choice: could not coerce."),
        N_("Field must be between %(min)d and %(max)d characters long."),
        N_("Number must be at least %(min)s."),
        N_("Number must be at most %(max)s."),
        N_("Number must be between %(min)s and %(max)s."),
        # Flask-WTF's CSRF check
        N_("The CSRF token is missing."),
        N_("The CSRF token has expired."),
        N_("The CSRF tokens do not match."),
        N_("The CSRF session token is missing."),
    }
)

# WTForms' messages with a plural (``ngettext``); the catalog holds them as plural entries.
PLURALS: tuple[tuple[str, str], ...] = (
    Nn_(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
    ),
    Nn_(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
    ),
)

# A cookie name as Python's repr() quotes it, quotes kept (services/trackers.py).
_NAME = r"(?P<name>'[^']*'|\"[^\"]*\")"
_COVERED = r"(?P<covered>'[^']*'|\"[^\"]*\")"

# Messages with values: a pattern for the English text, and the msgid with the same values.
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"Holds the invisible control character (?P<code>U\+[0-9A-F]{4,6}) "
            r"at position (?P<position>\d+)\."
        ),
        N_("Holds the invisible control character %(code)s at position %(position)s."),
    ),
    (re.compile(r"At most (?P<limit>\d+) characters\."), N_("At most %(limit)s characters.")),
    (
        re.compile(
            r"'(?P<mode>[a-z-]+)' is less strict than the built-in '(?P<builtin>[a-z-]+)' for "
            r"(?P<region>[A-Z0-9*-]+|EU|EEA|unknown)\. If the law allows it there, say why in "
            r"jurisdiction_acknowledgements\.(?P=region)\.reason\."
        ),
        N_(
            "%(mode)s is less strict than the built-in %(builtin)s for %(region)s. If the law "
            "allows it there, say why in the field beside the rule."
        ),
    ),
    (
        re.compile(r"Longer than (?P<limit>\d+) characters\."),
        N_("Longer than %(limit)s characters."),
    ),
    (
        re.compile(r"Longer than maximum length (?P<limit>\d+)\."),
        N_("Longer than %(limit)s characters."),
    ),
    (
        re.compile(r"Shorter than minimum length (?P<limit>\d+)\."),
        N_("Shorter than %(limit)s characters."),
    ),
    (
        re.compile(
            r"(?:Length must be between|Between) (?P<min>\d+) and (?P<max>\d+)(?: characters)?\."
        ),
        N_("Between %(min)s and %(max)s characters."),
    ),
    (
        re.compile(
            r"No built-in texts for '(?P<language>[^']*)'; "
            r"the built-in languages are (?P<choices>.*)\."
        ),
        N_("There are no built-in texts for %(language)s; the built-in languages are %(choices)s."),
    ),
    (
        re.compile(
            r"The site offers (?P<offered>.*); add (?P<language>\S+) to its languages "
            r"first, with `sites configure` \(or the configuration API\)\."
        ),
        N_("The site offers %(offered)s; add %(language)s to its languages first."),
    ),
    (
        re.compile(
            r"Text on background has a contrast of (?P<ratio>[\d.]+):1; "
            r"at least (?P<needed>[\d.]+):1 is needed\."
        ),
        N_("Text on background has a contrast of %(ratio)s:1; at least %(needed)s:1 is needed."),
    ),
    (
        re.compile(
            r"Button text on accent has a contrast of (?P<ratio>[\d.]+):1; "
            r"at least (?P<needed>[\d.]+):1 is needed\."
        ),
        N_("Button text on accent has a contrast of %(ratio)s:1; at least %(needed)s:1 is needed."),
    ),
    (
        re.compile(
            r"Accent against background has a contrast of (?P<ratio>[\d.]+):1; "
            r"at least (?P<needed>[\d.]+):1 is needed\."
        ),
        N_(
            "Accent against background has a contrast of %(ratio)s:1; at least %(needed)s:1 is "
            "needed."
        ),
    ),
    (
        re.compile(
            r"A (?P<layout>\w+) cannot be placed '(?P<position>[^']*)'; "
            r"its positions: (?P<positions>.*)\."
        ),
        N_("A %(layout)s cannot be placed at %(position)s; its positions: %(positions)s."),
    ),
    (re.compile(r"(?:Must be one|One) of: (?P<choices>.*)\."), N_("One of: %(choices)s.")),
    # marshmallow's Range, with both bounds or one
    (
        re.compile(
            r"Must be greater than or equal to (?P<min>-?[\d.]+) "
            r"and less than or equal to (?P<max>-?[\d.]+)\."
        ),
        N_("Between %(min)s and %(max)s."),
    ),
    (
        re.compile(r"Must be greater than or equal to (?P<min>-?[\d.]+)\."),
        N_("At least %(min)s."),
    ),
    (
        re.compile(r"Must be less than or equal to (?P<max>-?[\d.]+)\."),
        N_("At most %(max)s."),
    ),
    (
        re.compile(r"The site has no category '(?P<name>[^']*)'\."),
        N_("The site has no category %(name)s."),
    ),
    # services/network.py: a domain that is not one an owner can name.
    (
        re.compile(
            r"'(?P<domain>[^']*)' is a wildcard on the public suffix (?P<suffix>\S+), which "
            r"covers sites of unrelated owners; name your own domain, such as \S+"
        ),
        N_(
            "%(domain)s is a wildcard on the public suffix %(suffix)s, which covers sites of "
            "unrelated owners; name your own domain, such as *.example.%(suffix)s"
        ),
    ),
    (
        re.compile(
            r"'(?P<domain>[^']*)' is a public suffix \(on the Public Suffix List\), under which "
            r"unrelated owners register their sites; name your own domain, such as example\."
            r"(?P<suffix>\S+)"
        ),
        N_(
            "%(domain)s is a public suffix (on the Public Suffix List), under which unrelated "
            "owners register their sites; name your own domain, such as example.%(suffix)s"
        ),
    ),
    (
        re.compile(r"'(?P<domain>[^']*)': give a host name, optionally with :port, not a URL"),
        N_("%(domain)s: give a host name, optionally with :port, not a URL."),
    ),
    (
        re.compile(r"'(?P<domain>[^']*)' is not a host name, host:port or \*\.host"),
        N_("%(domain)s is not a host name, host:port or *.host."),
    ),
    (
        re.compile(r"'(?P<domain>[^']*)': port out of range"),
        N_("%(domain)s: the port is out of range."),
    ),
    (
        re.compile(
            r"'(?P<domain>[^']*)': a wildcard needs a registrable domain such as \*\.example\.com"
        ),
        N_("%(domain)s: a wildcard needs a registrable domain such as *.example.com."),
    ),
    # services/trackers.py: a known tracker (Open Cookie Database) declared essential.
    (
        re.compile(
            rf"{_NAME} is an? (?P<platform>.+) (?P<category>[a-z]+) cookie "
            r"\(Open Cookie Database\); it cannot be essential\."
        ),
        N_(
            "%(name)s is a %(platform)s %(category)s cookie (Open Cookie Database); it cannot "
            "be essential."
        ),
    ),
    (
        re.compile(
            rf"{_NAME} is an? (?P<platform>.+) cookie set from (?P<domain>\S+) together with "
            r"its (?P<suggested>[a-z]+) cookies \(Open Cookie Database: (?P<category>[a-z]+)\); "
            r"it cannot be essential\."
        ),
        N_(
            "%(name)s is a %(platform)s cookie set from %(domain)s together with its "
            "%(suggested)s cookies (Open Cookie Database: %(category)s); it cannot be essential."
        ),
    ),
    (
        re.compile(
            rf"{_NAME} \((?P<match>prefix|regex)\) covers {_COVERED}, an? (?P<platform>.+) "
            r"(?P<category>[a-z]+) cookie \(Open Cookie Database\); it cannot be essential\."
        ),
        N_(
            "%(name)s (%(match)s) covers %(covered)s, a %(platform)s %(category)s cookie (Open "
            "Cookie Database); it cannot be essential."
        ),
    ),
    (
        re.compile(
            rf"{_NAME} \((?P<match>prefix|regex)\) covers {_COVERED}, an? (?P<platform>.+) "
            r"cookie set from (?P<domain>\S+) together with its (?P<suggested>[a-z]+) cookies "
            r"\(Open Cookie Database: (?P<category>[a-z]+)\); it cannot be essential\."
        ),
        N_(
            "%(name)s (%(match)s) covers %(covered)s, a %(platform)s cookie set from %(domain)s "
            "together with its %(suggested)s cookies (Open Cookie Database: %(category)s); it "
            "cannot be essential."
        ),
    ),
)


def translate(message: Any) -> str:
    """``message`` in the console's language when it is one of the known ones, else as it is."""
    text = str(message)
    if text in EXACT:
        return str(_(text))
    for pattern, msgid in PATTERNS:
        match = pattern.fullmatch(text)
        if match is not None:
            return str(_(msgid, **match.groupdict()))
    return text


@bp.before_request
def use_console_catalog_for_wtforms() -> None:
    """WTForms' own messages ("This field is required.") from the console's catalog.

    Flask-WTF looks for WTForms' catalogs, which have no Vietnamese; it keeps what it found on
    the request, so the console's catalog (which holds those msgids, see :data:`EXACT`) is put
    there first.
    """
    request.wtforms_translations = get_translations()  # type: ignore[attr-defined]

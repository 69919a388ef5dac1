"""Operator input, checked in one place for every door.

The ``sites`` and ``policy`` commands, the configuration API (its schemas and services) and the
admin console ask the same functions, so that a value is accepted or refused alike everywhere and
with the same message. Each check returns the message for a refused value, or ``None``; a door
names the field (``policy_version``, ``texts.de``) and reports ``field: message``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from marshmallow import ValidationError, validate

from ..texts import (
    BANNER_TEXT_KEYS,
    RECEIPT_TEXT_KEYS,
    SUPPORTED_LANGUAGES,
    canonical_language,
    text_length_error,
)


class InvalidInput(ValueError):
    """Refused input; ``errors`` maps each field at fault to its messages."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__(
            "; ".join(f"{field}: {' '.join(items)}" for field, items in errors.items())
        )
        self.errors = dict(errors)


def refuse(field: str, message: str | None) -> None:
    """Raise :class:`InvalidInput` for ``field`` when a check returned a ``message``."""
    if message is not None:
        raise InvalidInput({field: [message]})


# Free text ------------------------------------------------------------------------------------

# Characters no text shown to visitors may hold: C0 and C1 controls other than tab and line
# breaks (they render as nothing, or garble the receipt and exports), and the bidirectional
# embeddings, overrides and isolates, which can make a text read differently from what it holds
# (CVE-2021-42574, "Trojan Source").
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
CONTROL_MESSAGE = "Holds the invisible control character U+{code:04X} at position {position}."


def control_character_error(value: str | None) -> str | None:
    """The message for a text holding a control character, naming the first one, or ``None``.

    Positions count characters from 1.
    """
    match = _CONTROL.search(value or "")
    if match is None:
        return None
    return CONTROL_MESSAGE.format(code=ord(match.group()), position=match.start() + 1)


# Policy versions -------------------------------------------------------------------------------

# Two whole numbers without leading zeros; six digits each is more than any policy will need.
POLICY_VERSION_PATTERN = r"^(?:0|[1-9][0-9]{0,5})\.(?:0|[1-9][0-9]{0,5})$"
POLICY_VERSION_MESSAGE = (
    "Must be MAJOR.MINOR: two whole numbers without leading zeros, such as 1.0 or 2.10."
)
_POLICY_VERSION = re.compile(POLICY_VERSION_PATTERN)
# Versions stored before the format was enforced ("3", "6.0.1") still order by their numbers.
_STORED_VERSION = re.compile(r"^[0-9]{1,9}(?:\.[0-9]{1,9})*$")
POLICY_SUMMARY_LIMIT = 2000


def policy_version_error(version: str) -> str | None:
    """The message for a version that is not ``MAJOR.MINOR``, or ``None``."""
    return None if _POLICY_VERSION.match(version) else POLICY_VERSION_MESSAGE


def policy_version_order(version: str) -> tuple[int, ...]:
    """Sort key of a stored version, compared by numbers: 2.10 comes after 2.9.

    Versions stored before the format was enforced keep working: ``3`` is ``3.0``, ``6.0.1``
    comes after ``6.0``, and a version without numbers (``banana``) comes before every other.
    """
    if not _STORED_VERSION.match(version):
        return (-1,)
    parts = tuple(int(part) for part in version.split("."))
    return parts + (0,) * (3 - len(parts))


def policy_major(version: str) -> int:
    """The major number of a stored version; one without numbers counts as 0."""
    return max(policy_version_order(version)[0], 0)


def policy_summary_error(summary: str | None) -> str | None:
    """The message for a policy summary longer than visitors should be asked to read."""
    if summary is not None and len(summary) > POLICY_SUMMARY_LIMIT:
        return f"At most {POLICY_SUMMARY_LIMIT} characters."
    return control_character_error(summary)


# Addresses -------------------------------------------------------------------------------------

URL_LIMIT = 2048
_HTTP_URL = validate.URL(schemes={"http", "https"}, require_tld=False)


def http_url_error(url: str) -> str | None:
    """The message for anything but an absolute http(s) address of at most 2048 characters."""
    if len(url) > URL_LIMIT:
        return f"Longer than {URL_LIMIT} characters."
    try:
        _HTTP_URL(url)
    except ValidationError as error:
        return " ".join(str(message) for message in error.messages)
    return None


def safe_http_url(url: str | None) -> str | None:
    """``url`` when it may be rendered as a link (http or https), else ``None``.

    Values stored before the check existed (``javascript:…``) are never shown as links.
    """
    return url if url is not None and http_url_error(url) is None else None


# Names -----------------------------------------------------------------------------------------

SITE_NAME_LIMIT = 200
# In the shape of marshmallow's Length error, so that a schema can give the same message.
SITE_NAME_MESSAGE = "Between {min} and {max} characters."


def site_name_error(name: str) -> str | None:
    """The message for a site name that is empty or too long once trimmed."""
    if not 1 <= len(name.strip()) <= SITE_NAME_LIMIT:
        return SITE_NAME_MESSAGE.format(min=1, max=SITE_NAME_LIMIT)
    return control_character_error(name)


# Languages -------------------------------------------------------------------------------------

# In the shape of marshmallow's OneOf error, so that a schema can give the same message.
UNKNOWN_LANGUAGE = "No built-in texts for {input!r}; the built-in languages are {choices}."


def language_error(language: str, offered: Sequence[str] | None = None) -> str | None:
    """The message for a language without built-in texts, or one the site does not offer.

    ``offered`` is the site's languages; ``None`` checks only for built-in texts. A code is
    compared as stored (:func:`~cookieconsent.texts.canonical_language`): ``pt`` stands for
    ``pt-PT``, ``zh`` for ``zh-CN``, and case does not matter (``pt-br`` is ``pt-BR``).
    """
    code = canonical_language(language)
    if code not in SUPPORTED_LANGUAGES:
        return UNKNOWN_LANGUAGE.format(input=language, choices=", ".join(SUPPORTED_LANGUAGES))
    if offered is not None and code not in offered:
        return (
            f"The site offers {', '.join(offered)}; add {code} to its languages first, "
            "with `sites configure` (or the configuration API)."
        )
    return None


# Texts -----------------------------------------------------------------------------------------

CATEGORY_TEXT_KEYS = ("title", "description")


def site_text_error(key: str, value: str | None) -> str | None:
    """The message for a banner or receipt text override: an unknown key or a value too long."""
    if key not in BANNER_TEXT_KEYS and key not in RECEIPT_TEXT_KEYS:
        return f"Unknown text. Texts: {', '.join(BANNER_TEXT_KEYS)}."
    return control_character_error(value) or text_length_error(key, (value or "").strip())


def category_text_error(key: str, value: str | None) -> str | None:
    """The message for a category's own text: a title or a description, each within its limit."""
    if key not in CATEGORY_TEXT_KEYS:
        return "A category has a title and a description."
    return control_character_error(value) or text_length_error(key, (value or "").strip())


def merge_texts(
    stored: Mapping[str, Mapping[str, str]],
    changes: Mapping[str, Mapping[str, str | None] | None],
) -> dict[str, dict[str, str]]:
    """Overrides after ``changes``, merged by language and then by key.

    Languages and keys not named stay as they are. A value of ``""`` or ``None`` removes the
    override, so the built-in text shows again; a language given as ``None`` loses all of its.
    """
    merged = {language: dict(values) for language, values in stored.items()}
    for language, values in changes.items():
        current = {} if values is None else merged.get(language, {})
        for key, value in (values or {}).items():
            text = (value or "").strip()
            if text:
                current[key] = text
            else:
                current.pop(key, None)
        if current:
            merged[language] = current
        else:
            merged.pop(language, None)
    return merged

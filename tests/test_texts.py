"""Text limits: one table of how long a site's text may be, and the built-in texts within it."""

from __future__ import annotations

import pytest

from cookieconsent.texts import (
    BANNER_TEXT_KEYS,
    BANNER_TEXTS,
    CATEGORY_TEXTS,
    LABEL_TEXT_KEYS,
    RECEIPT_TEXT_KEYS,
    TITLE_TEXT_KEYS,
    text_length_error,
    text_limit,
)

LABELS = [
    "accept_all",
    "reject_all",
    "preferences",
    "save",
    "close",
    "reopen",
    "withdraw",
    "do_not_sell",
    "dismiss",
    "history",
    "export",
    "erase",
    "receipt",
    "policy_link",
    "always_on",
]


@pytest.mark.parametrize("key", LABELS)
def test_button_labels_are_at_most_60(key: str) -> None:
    assert text_limit(key) == 60


@pytest.mark.parametrize("key", ["title", "preferences_title", "your_data"])
def test_titles_are_at_most_200(key: str) -> None:
    assert text_limit(key) == 200


@pytest.mark.parametrize(
    "key", ["description", "preferences_description", "gpc_honored", "receipt_withdrawal"]
)
def test_everything_else_is_at_most_2000(key: str) -> None:
    assert text_limit(key) == 2000


def test_the_limited_keys_are_real_texts() -> None:
    assert set(LABELS) == LABEL_TEXT_KEYS
    assert (LABEL_TEXT_KEYS | TITLE_TEXT_KEYS).issubset(BANNER_TEXT_KEYS)


@pytest.mark.parametrize(
    ("key", "length", "message"),
    [
        ("accept_all", 60, None),
        ("accept_all", 61, "At most 60 characters."),
        ("title", 200, None),
        ("title", 201, "At most 200 characters."),
        ("description", 2000, None),
        ("description", 2001, "At most 2000 characters."),
    ],
)
def test_text_length_error(key: str, length: int, message: str | None) -> None:
    assert text_length_error(key, "x" * length) == message


@pytest.mark.parametrize("language", sorted(BANNER_TEXTS))
def test_built_in_texts_keep_within_the_limits(language: str) -> None:
    texts = BANNER_TEXTS[language]
    for key in (*BANNER_TEXT_KEYS, *RECEIPT_TEXT_KEYS):
        assert text_length_error(key, texts[key]) is None, (language, key, texts[key])
    for category, by_language in CATEGORY_TEXTS.items():
        for key, value in by_language.get(language, {}).items():
            assert text_length_error(key, value) is None, (language, category, key)

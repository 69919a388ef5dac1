"""The built-in texts: one JSON catalog per language, complete, in its own script, within limits.

The catalogs are read here from the files themselves (not through ``BANNER_TEXTS``, which fills a
missing key with English), so that a catalog that lacks a key, loses a placeholder or is written
in the wrong script fails by name. Language codes: aliases, casing, and the fallback from a
visitor's language to one a site offers, in the service and through ``/c/<key>/texts/<lang>.json``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from importlib import resources
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from cookieconsent.texts import (
    BANNER_TEXT_KEYS,
    BANNER_TEXTS,
    CATEGORY_TEXTS,
    DECLARATION_TEXT_KEYS,
    LABEL_TEXT_KEYS,
    LANGUAGE_NAMES,
    RECEIPT_TEXT_KEYS,
    RTL_LANGUAGES,
    SUPPORTED_LANGUAGES,
    TITLE_TEXT_KEYS,
    canonical_language,
    negotiate_language,
    recorded_codes,
    resolve_language,
    text_direction,
    text_length_error,
    text_limit,
)

from .conftest import SiteFactory

FOLDER = resources.files("cookieconsent").joinpath("catalogs")
CATALOGS: dict[str, dict[str, Any]] = {
    entry.name.removesuffix(".json"): json.loads(entry.read_text(encoding="utf-8"))
    for entry in FOLDER.iterdir()
    if entry.name.endswith(".json")
}
ENGLISH = CATALOGS["en"]
OTHERS = sorted(code for code in CATALOGS if code != "en")

# The languages the service promises (README, context of the compliance pass).
REQUIRED = (
    "vi", "en", "fr", "de", "es", "pt-PT", "pt-BR", "it", "nl", "ja", "ko", "zh-CN", "zh-TW",
    "th", "id", "hi", "ar", "he", "ru", "uk", "pl", "tr", "ms", "km", "lo", "sv", "da", "cs",
    "el", "ro",
)  # fmt: skip

# The script(s) each language is written in (Unicode script names; Kana is Hiragana and Katakana).
LATIN = ("Latin",)
LATIN_LANGUAGES = (
    "vi", "en", "fr", "de", "es", "pt-PT", "pt-BR", "it", "nl", "id", "pl", "tr", "ms", "sv",
    "da", "cs", "ro",
)  # fmt: skip
SCRIPTS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(LATIN_LANGUAGES, LATIN),
    "ru": ("Cyrillic",),
    "uk": ("Cyrillic",),
    "el": ("Greek",),
    "ar": ("Arabic",),
    "he": ("Hebrew",),
    "hi": ("Devanagari",),
    "th": ("Thai",),
    "km": ("Khmer",),
    "lo": ("Lao",),
    "zh-CN": ("Han",),
    "zh-TW": ("Han",),
    "ja": ("Kana", "Han"),
    "ko": ("Hangul", "Han"),
}
# Unicode character names start with their script's name (LATIN SMALL LETTER A, CJK UNIFIED
# IDEOGRAPH-4F60, HIRAGANA LETTER A).
_NAME_SCRIPTS = (
    ("LATIN", "Latin"),
    ("CYRILLIC", "Cyrillic"),
    ("GREEK", "Greek"),
    ("ARABIC", "Arabic"),
    ("HEBREW", "Hebrew"),
    ("DEVANAGARI", "Devanagari"),
    ("THAI", "Thai"),
    ("KHMER", "Khmer"),
    ("LAO", "Lao"),
    ("CJK UNIFIED IDEOGRAPH", "Han"),
    ("CJK COMPATIBILITY IDEOGRAPH", "Han"),
    ("HIRAGANA", "Kana"),
    ("KATAKANA", "Kana"),
    ("HANGUL", "Hangul"),
)
# Written in Latin letters whatever the language: names of standards and formats, and the word
# cookie, which many languages borrow as it is.
BORROWED = re.compile(
    r"Global Privacy Control"
    r"|(?<![A-Za-z])(?:JSON|IP|ID|GPC|OK|e-?mail|Email|[Cc]ookies?)(?![A-Za-z])"
)
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def script(character: str) -> str:
    """The Unicode script of a letter, by its name; ``Other`` for any script not listed."""
    name = unicodedata.name(character, "")
    return next((found for prefix, found in _NAME_SCRIPTS if name.startswith(prefix)), "Other")


def letters_by_script(text: str) -> Counter[str]:
    """How many letters of each script ``text`` holds, placeholders and borrowed words left out."""
    text = BORROWED.sub(" ", PLACEHOLDER.sub(" ", text))
    return Counter(script(character) for character in text if character.isalpha())


def all_texts(catalog: dict[str, Any]) -> dict[str, str]:
    """Every text of a catalog under one flat key (``category.essential.title``)."""
    flat = dict(catalog["texts"])
    for name, values in catalog["categories"].items():
        for key, value in values.items():
            flat[f"category.{name}.{key}"] = value
    return flat


# The catalogs ---------------------------------------------------------------------------------


def test_every_promised_language_has_a_catalog() -> None:
    assert len(CATALOGS) >= 30
    assert set(REQUIRED) <= set(CATALOGS), sorted(set(REQUIRED) - set(CATALOGS))
    assert set(SUPPORTED_LANGUAGES) == set(CATALOGS)
    # The default and the reference first, in the error messages and pickers.
    assert SUPPORTED_LANGUAGES[:2] == ("vi", "en")


@pytest.mark.parametrize("code", sorted(CATALOGS))
def test_a_catalog_names_its_language(code: str) -> None:
    language = CATALOGS[code]["language"]
    assert set(language) == {"code", "name", "dir"}
    assert language["code"] == code
    assert language["name"].strip() and LANGUAGE_NAMES[code] == language["name"]
    assert language["dir"] == ("rtl" if code in {"ar", "he"} else "ltr")
    assert text_direction(code) == language["dir"]


def test_exactly_arabic_and_hebrew_are_written_right_to_left() -> None:
    assert {"ar", "he"} & set(CATALOGS) == RTL_LANGUAGES
    assert text_direction("ar-EG") == "rtl" and text_direction("he-IL") == "rtl"
    assert text_direction("en") == text_direction("fa") == "ltr"  # fa has no catalog


@pytest.mark.parametrize("code", OTHERS)
def test_a_catalog_carries_every_key_of_english(code: str) -> None:
    catalog = CATALOGS[code]
    assert sorted(set(ENGLISH["texts"]) - set(catalog["texts"])) == [], "missing"
    assert sorted(set(catalog["texts"]) - set(ENGLISH["texts"])) == [], "not in en.json"
    assert set(catalog["categories"]) == set(ENGLISH["categories"])
    for name, values in catalog["categories"].items():
        assert set(values) == {"title", "description"}, name


@pytest.mark.parametrize("code", OTHERS)
def test_a_catalog_keeps_the_placeholders_of_english(code: str) -> None:
    english = all_texts(ENGLISH)
    wrong = {
        key: sorted(set(PLACEHOLDER.findall(text)))
        for key, text in all_texts(CATALOGS[code]).items()
        if key in english
        and set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(english[key]))
    }
    assert wrong == {}
    # Only {name} placeholders: a brace that is not one would be shown as it is.
    for key, text in all_texts(CATALOGS[code]).items():
        assert PLACEHOLDER.sub("", text).count("{") == 0, key


@pytest.mark.parametrize("code", sorted(CATALOGS))
def test_every_text_is_written_and_trimmed(code: str) -> None:
    for key, text in all_texts(CATALOGS[code]).items():
        assert isinstance(text, str) and text.strip(), key
        assert text == text.strip(), key


@pytest.mark.parametrize("code", sorted(CATALOGS))
def test_a_catalog_is_written_in_its_script(code: str) -> None:
    expected = set(SCRIPTS[code])
    for key, text in all_texts(CATALOGS[code]).items():
        counts = letters_by_script(text)
        total = sum(counts.values())
        if total == 0:  # only placeholders and borrowed words, e.g. "JSON"
            continue
        own = sum(counts[name] for name in expected)
        # Latin scripts: every letter. Others: most letters, as brand names stay in Latin.
        share = 1.0 if expected == set(LATIN) else 0.75
        assert own >= share * total, (key, text, dict(counts))


@pytest.mark.parametrize("code", OTHERS)
def test_a_catalog_does_not_copy_english_sentences(code: str) -> None:
    english = all_texts(ENGLISH)
    copied = [
        key
        for key, text in all_texts(CATALOGS[code]).items()
        if len(text) > 30 and text == english.get(key)
    ]
    assert copied == []


# Limits ---------------------------------------------------------------------------------------

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
    "more",
    "object_statistics",
    "statistics_exempt",
    "requests",
    "request_submit",
    "request_kind_access",
    "request_kind_correction",
    "request_kind_deletion",
    "request_kind_withdrawal",
    "request_kind_restriction",
    "request_kind_objection",
    "print_history",
    "action_accept_all",
    "action_reject_all",
    "action_save",
    "action_withdraw",
    "action_opt_out",
]


@pytest.mark.parametrize("key", LABELS)
def test_button_labels_are_at_most_60(key: str) -> None:
    assert text_limit(key) == 60


@pytest.mark.parametrize("key", ["title", "preferences_title", "your_data", "request_title"])
def test_titles_are_at_most_200(key: str) -> None:
    assert text_limit(key) == 200


@pytest.mark.parametrize(
    "key",
    ["description", "preferences_description", "gpc_honored", "receipt_withdrawal", "rights"],
)
def test_everything_else_is_at_most_2000(key: str) -> None:
    assert text_limit(key) == 2000


def test_the_limited_keys_are_real_texts() -> None:
    assert set(LABELS) == LABEL_TEXT_KEYS
    assert (LABEL_TEXT_KEYS | TITLE_TEXT_KEYS).issubset({*BANNER_TEXT_KEYS, *RECEIPT_TEXT_KEYS})


def test_every_english_key_belongs_to_the_widget_the_pages_or_the_declaration() -> None:
    grouped = [*BANNER_TEXT_KEYS, *RECEIPT_TEXT_KEYS, *DECLARATION_TEXT_KEYS]
    assert len(grouped) == len(set(grouped))
    assert set(grouped) == set(ENGLISH["texts"])


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


def test_a_key_a_catalog_lacks_is_shown_in_english() -> None:
    # Every language answers every key, whatever its catalog holds.
    for language in SUPPORTED_LANGUAGES:
        assert set(BANNER_TEXTS[language]) == set(ENGLISH["texts"])
        for name in ENGLISH["categories"]:
            assert set(CATEGORY_TEXTS[name][language]) == {"title", "description"}
    assert BANNER_TEXTS["en"] == ENGLISH["texts"]
    assert BANNER_TEXTS["vi"]["accept_all"] == CATALOGS["vi"]["texts"]["accept_all"]


# Language codes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("pt", "pt-PT"),
        ("zh", "zh-CN"),
        ("PT", "pt-PT"),
        ("pt-br", "pt-BR"),
        ("pt_BR", "pt-BR"),
        ("ZH-tw", "zh-TW"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        (" vi ", "vi"),
        ("en-US-x-Twain", "en-US-x-twain"),
        ("not a tag", "not a tag"),
    ],
)
def test_canonical_language(tag: str, code: str) -> None:
    assert canonical_language(tag) == code


@pytest.mark.parametrize(
    ("tag", "offered", "found"),
    [
        # Exact, whatever the case.
        ("pt-BR", ["vi", "pt-BR", "pt-PT"], "pt-BR"),
        ("pt-br", ["vi", "pt-BR"], "pt-BR"),
        # Aliases.
        ("pt", ["vi", "pt-BR", "pt-PT"], "pt-PT"),
        ("zh", ["vi", "zh-TW", "zh-CN"], "zh-CN"),
        # A region without its own catalog: its base language through its alias.
        ("pt-AO", ["vi", "pt-BR", "pt-PT"], "pt-PT"),
        ("pt-BR", ["vi", "pt-PT"], "pt-PT"),
        ("fr-CA", ["vi", "fr"], "fr"),
        ("en-US", ["vi", "en"], "en"),
        # Chinese by script: Hong Kong and Macao read Traditional, Singapore Simplified.
        ("zh-HK", ["vi", "zh-CN", "zh-TW"], "zh-TW"),
        ("zh-MO", ["vi", "zh-CN", "zh-TW"], "zh-TW"),
        ("zh-Hant", ["vi", "zh-CN", "zh-TW"], "zh-TW"),
        ("zh-SG", ["vi", "zh-CN", "zh-TW"], "zh-CN"),
        ("zh-Hans-HK", ["vi", "zh-CN", "zh-TW"], "zh-CN"),
        # Another variant of the same language rather than none.
        ("pt", ["vi", "pt-BR"], "pt-BR"),
        ("zh-HK", ["vi", "zh-CN"], "zh-CN"),
        # Nothing near: the caller's default.
        ("ja", ["vi", "en"], None),
        ("", ["vi", "en"], None),
        ("<script>", ["vi", "en"], None),
    ],
)
def test_resolve_language(tag: str, offered: list[str], found: str | None) -> None:
    assert resolve_language(tag, offered) == found


def test_negotiate_language_takes_the_first_that_resolves() -> None:
    assert negotiate_language(["ja", "pt-BR", "en"], ["vi", "en", "pt-PT"], "vi") == "pt-PT"
    assert negotiate_language([None, "de"], ["vi", "en"], "vi") == "vi"


def test_events_recorded_under_an_alias_are_read_as_its_full_code() -> None:
    assert recorded_codes("pt-PT") == ["pt-PT", "pt"]
    assert recorded_codes("zh") == ["zh-CN", "zh"]
    assert recorded_codes("pt-BR") == ["pt-BR"]


# Through the service ---------------------------------------------------------------------------


def test_a_site_stores_aliases_under_their_full_codes(make_site: SiteFactory) -> None:
    site = make_site(default_language="pt", languages=["vi", "zh", "pt-br"])
    assert site.default_language == "pt-PT"
    assert site.languages == ["vi", "zh-CN", "pt-BR", "pt-PT"]


def test_texts_files_answer_aliases_and_regional_variants(
    client: FlaskClient, make_site: SiteFactory
) -> None:
    site = make_site(default_language="vi", languages=["vi", "en", "pt-PT", "pt-BR", "zh-TW"])
    key = site.site_key

    def texts(language: str) -> tuple[int, str | None, Any]:
        response = client.get(f"/c/{key}/texts/{language}.json")
        return response.status_code, response.headers.get("Content-Language"), response.get_json()

    status, language, body = texts("pt-BR")
    assert (status, language) == (200, "pt-BR")
    assert body["accept_all"] == BANNER_TEXTS["pt-BR"]["accept_all"]
    assert body["accept_all"] != BANNER_TEXTS["en"]["accept_all"]
    assert texts("pt")[:2] == (200, "pt-PT")
    assert texts("pt")[2]["title"] == BANNER_TEXTS["pt-PT"]["title"]
    assert texts("pt-AO")[:2] == (200, "pt-PT")
    assert texts("zh-HK")[:2] == (200, "zh-TW")
    assert texts("zh-HK")[2]["accept_all"] == BANNER_TEXTS["zh-TW"]["accept_all"]
    assert texts("zh")[:2] == (200, "zh-TW")  # zh-CN is not offered: the other Chinese
    assert texts("en-GB")[:2] == (200, "en")
    status, _, body = texts("ja")
    assert status == 404 and body["errors"] == {"language": ["Not offered by this site."]}


def test_the_configuration_api_stores_aliases_under_their_full_codes(
    client: FlaskClient, make_site: SiteFactory
) -> None:
    site = make_site()
    response = client.patch(
        f"/api/v1/sites/{site.site_key}/config",
        json={
            "default_language": "zh",
            "languages": ["vi", "PT", "zh"],
            "texts": {"pt": {"title": "Olá"}},
            "categories": [
                {"name": "essential"},
                {"name": "analytics", "texts": {"zh": {"title": "分析"}}},
            ],
        },
        headers={"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
    )
    assert response.status_code == 200, response.get_json()
    document = response.get_json()
    assert document["default_language"] == "zh-CN"
    assert document["languages"] == ["vi", "pt-PT", "zh-CN"]
    assert document["texts"] == {"pt-PT": {"title": "Olá"}}
    assert document["categories"][1]["texts"] == {"zh-CN": {"title": "分析"}}
    assert (
        client.get(f"/c/{site.site_key}/texts/zh.json").get_json()["categories"]["analytics"][
            "title"
        ]
        == "分析"
    )
    # A language without a catalog is still refused, named as sent.
    response = client.patch(
        f"/api/v1/sites/{site.site_key}/config",
        json={"languages": ["vi", "xx"]},
        headers={"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "languages.1": [
            f"No built-in texts for 'xx'; the built-in languages are "
            f"{', '.join(SUPPORTED_LANGUAGES)}."
        ]
    }


def test_a_choice_sent_under_an_alias_is_recorded_under_the_full_code(
    client: FlaskClient, make_site: SiteFactory
) -> None:
    from cookieconsent.extensions import db
    from cookieconsent.models import ConsentEvent

    site = make_site(languages=["vi", "pt-PT"])
    response = client.post(
        f"/api/v1/sites/{site.site_key}/consents",
        json={"action": "accept_all", "language": "pt"},
    )
    assert response.status_code == 201, response.get_json()
    response = client.post(
        f"/api/v1/sites/{site.site_key}/consents",
        json={"action": "reject_all", "language": "zh_hk"},
    )
    assert response.status_code == 201, response.get_json()
    recorded = db.session.execute(
        sa.select(ConsentEvent.language)
        .where(ConsentEvent.site_id == site.id)
        .order_by(ConsentEvent.id)
    ).scalars()
    assert list(recorded) == ["pt-PT", "zh-HK"]


def test_events_recorded_under_an_alias_count_and_filter_as_the_full_code(
    make_site: SiteFactory,
) -> None:
    from datetime import UTC, date, datetime

    from cookieconsent.extensions import db
    from cookieconsent.models import ConsentEvent
    from cookieconsent.services.consent_log import LogFilters, search_log
    from cookieconsent.services.statistics import Period, site_statistics

    site = make_site(languages=["vi", "pt-PT"])
    day = date(2026, 3, 1)
    for number, language in enumerate(["pt", "pt-PT", "vi"]):
        db.session.add(
            ConsentEvent(
                site_id=site.id,
                visitor_id=f"visitor{number}",
                action="accept_all",
                decided=True,
                categories={"essential": True, "analytics": True, "marketing": True},
                services={},
                policy_version="1.0",
                language=language,
                source="banner",
                created_at=datetime(2026, 3, 1, 12, number, tzinfo=UTC),
            )
        )
    db.session.commit()
    stats = site_statistics(site, Period(day, day))
    assert {t.key: t.decisions.total for t in stats.by_language} == {"pt-PT": 2, "vi": 1}
    found = search_log(site, LogFilters(language="pt-PT")).items
    assert sorted(entry.language or "" for entry in found) == ["pt", "pt-PT"]


def test_the_console_edits_right_to_left_texts_right_to_left(
    console: FlaskClient, make_site: SiteFactory
) -> None:
    from .test_console_accounts import member, sign_in

    site = make_site(languages=["vi", "ar", "pt"])
    member(site, "chu@shop.vn", "owner")
    sign_in(console, "chu@shop.vn")
    page = console.get(f"/admin/sites/{site.site_key}/texts?lang=ar").get_data(as_text=True)
    title = re.search(r'<input[^>]*name="t-title"[^>]*>', page)
    assert title is not None and 'dir="rtl"' in title.group()
    assert f'<span lang="ar" dir="rtl">{BANNER_TEXTS["ar"]["title"]}</span>' in page
    # ?lang=pt is the page of pt-PT, the code the site stores.
    response = console.get(f"/admin/sites/{site.site_key}/texts?lang=pt")
    assert response.status_code == 200
    title = re.search(r'<input[^>]*name="t-title"[^>]*>', response.get_data(as_text=True))
    assert title is not None and 'dir="ltr"' in title.group()
    assert console.get(f"/admin/sites/{site.site_key}/texts?lang=ja").status_code == 404


def test_a_new_site_picks_its_default_language_by_name(
    console: FlaskClient, make_site: SiteFactory
) -> None:
    from .test_console_accounts import member, sign_in

    site = make_site()
    member(site, "chu@shop.vn", "owner")
    sign_in(console, "chu@shop.vn")
    page = console.get("/admin/sites/new").get_data(as_text=True)
    assert '<option lang="pt-BR" value="pt-BR">Português (Brasil) (pt-BR)</option>' in page
    assert '<option lang="ar" value="ar">العربية (ar)</option>' in page


@pytest.mark.parametrize(
    ("lang", "html"),
    [
        ("ar", '<html lang="ar" dir="rtl">'),
        ("he-IL", '<html lang="he" dir="rtl">'),
        ("pt", '<html lang="pt-PT" dir="ltr">'),
        ("zh-HK", '<html lang="zh-TW" dir="ltr">'),
    ],
)
def test_visitor_pages_carry_the_language_and_its_direction(
    client: FlaskClient, make_site: SiteFactory, lang: str, html: str
) -> None:
    site = make_site(languages=["vi", "ar", "he", "pt-PT", "zh-TW"])
    response = client.post(f"/api/v1/sites/{site.site_key}/consents", json={"action": "accept_all"})
    visitor = response.get_json()["visitor_id"]
    key = site.site_key
    for path in (
        f"/c/{key}/declaration",
        f"/c/{key}/requests",
        f"/receipt/{key}/{visitor}",
        f"/history/{key}/{visitor}",
    ):
        response = client.get(path, query_string={"lang": lang})
        assert response.status_code == 200, path
        assert html in response.get_data(as_text=True), path


def test_the_declaration_is_served_in_every_built_in_language(
    client: FlaskClient, make_site: SiteFactory
) -> None:
    site = make_site(languages=list(SUPPORTED_LANGUAGES))
    for language in SUPPORTED_LANGUAGES:
        response = client.get(f"/c/{site.site_key}/declaration", query_string={"lang": language})
        assert response.status_code == 200, language
        page = response.get_data(as_text=True)
        assert f'<html lang="{language}" dir="{text_direction(language)}">' in page
        assert BANNER_TEXTS[language]["declaration_title"] in page, language
        data = client.get(
            f"/c/{site.site_key}/declaration.json", query_string={"lang": language}
        ).get_json()
        assert data["language"] == language


def test_the_widget_knows_the_same_directions_and_fallbacks_as_the_service() -> None:
    source = resources.files("cookieconsent").joinpath("widget/src/banner.js").read_text("utf-8")
    rtl = re.search(r"const RTL = \[([^\]]*)\]", source)
    assert rtl is not None
    assert set(re.findall(r'"([a-z]+)"', rtl.group(1))) >= RTL_LANGUAGES
    near = re.search(r"const NEAR = \{([^}]*)\}", source)
    assert near is not None
    pairs = re.findall(r'"?([a-z-]+)"?: "([a-z-]+)"', near.group(1))
    assert len(pairs) >= 8
    for tag, code in pairs:
        # The widget's table answers as the service does for a site offering every catalog.
        found = resolve_language(tag, SUPPORTED_LANGUAGES)
        assert found is not None and found.lower() == code, (tag, code, found)

"""The printable history (``/history/<site_key>/<visitor_id>``) and the texts of visitor pages:
actions named and times written in the page's language, ``lang`` and ``dir`` on every element
whose text is in another language, errors as pages, nothing kept or indexed."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from cookieconsent import create_app
from cookieconsent.models import Site
from cookieconsent.services import visitor_texts
from cookieconsent.services.consent import ConsentInput, record_consent
from cookieconsent.services.signing import mint_visitor_id, sign_visitor_id, verify_visitor_id
from cookieconsent.services.sites import SiteProfile
from cookieconsent.services.visitor_texts import (
    action_label,
    category_title,
    fallback_languages,
    local_time,
)
from cookieconsent.texts import BANNER_TEXTS, SUPPORTED_LANGUAGES, load_catalogs

from .conftest import SECRET_KEYS, SiteFactory, _config
from .test_rights import BAD_IDS, all_events, bad_visitor_id

HOSTILE = "<img src=x onerror=alert(1)>"
# Three choices a day apart, the first at a time whose local spelling the tests know.
FIRST = datetime(2026, 12, 7, 20, 15, 3, tzinfo=UTC)


def history(client: FlaskClient, site_key: str, visitor_id: str, **query: str) -> TestResponse:
    return client.get(f"/history/{site_key}/{visitor_id}", query_string=query)


def page_of(response: TestResponse) -> str:
    text: str = response.get_data(as_text=True)
    return text


def configure(
    client: FlaskClient, make_site: SiteFactory, site_key: str, body: dict[str, Any]
) -> None:
    response = client.patch(
        f"/api/v1/sites/{site_key}/config",
        json=body,
        headers={"Authorization": f"Bearer {make_site.tokens[site_key]}"},
    )
    assert response.status_code == 200, response.get_json()


@pytest.fixture
def shop(make_site: SiteFactory, client: FlaskClient) -> Site:
    """A site in Vietnamese and English whose third category, ``loyalty``, the site titled in
    English only, and whose analytics title is hostile in English (never shown on vi pages)."""
    site = make_site(name="Cửa hàng <b>Lan</b>", policy_url="https://shop.example/privacy")
    configure(
        client,
        make_site,
        site.site_key,
        {
            "categories": [
                {"name": "essential"},
                {"name": "analytics", "texts": {"vi": {"title": "Thống kê"}}},
                {"name": "loyalty", "texts": {"en": {"title": HOSTILE}}},
            ]
        },
    )
    return site


@pytest.fixture
def visitor(shop: Site) -> str:
    """Rejected all, then saved analytics only, then withdrew: one day apart."""
    profile = SiteProfile.of(shop)
    first = record_consent(
        profile, ConsentInput(action="reject_all"), secret_keys=SECRET_KEYS, now=FIRST
    )
    record_consent(
        profile,
        ConsentInput(
            action="save",
            categories={"analytics": True, "loyalty": False},
            visitor_id=first.visitor_id,
            region="VN",
        ),
        secret_keys=SECRET_KEYS,
        now=FIRST + timedelta(days=1),
    )
    record_consent(
        profile,
        ConsentInput(action="withdraw", visitor_id=first.visitor_id),
        secret_keys=SECRET_KEYS,
        now=FIRST + timedelta(days=2),
    )
    return first.visitor_id


def rows(page: str) -> list[str]:
    return re.findall(r"<tr data-event=.*?</tr>", page, flags=re.S)


# The page ---------------------------------------------------------------------------------------


def test_history_in_vietnamese_lists_every_choice_oldest_first(
    client: FlaskClient, shop: Site, visitor: str
) -> None:
    response = history(client, shop.site_key, visitor, lang="vi")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = page_of(response)
    assert '<html lang="vi" dir="ltr">' in page
    assert f"<h1>{BANNER_TEXTS['vi']['history_title']}</h1>" in page
    assert len(rows(page)) == 3 == len(all_events())
    first, second, third = rows(page)
    # The actions as the catalog names them, the codes kept for machines.
    assert 'data-action="reject_all">Từ chối tất cả</td>' in first
    assert 'data-action="save">Lưu lựa chọn từng mục đích</td>' in second
    assert 'data-action="withdraw">Rút lại sự đồng ý</td>' in third
    # Babel's long Vietnamese date, in UTC and saying so, the ISO time for machines.
    assert '<time datetime="2026-12-07T20:15:03.000Z">20:15:03 UTC 7 tháng 12, 2026</time>' in first
    assert (
        '<time datetime="2026-12-08T20:15:03.000Z">20:15:03 UTC 8 tháng 12, 2026</time>' in second
    )
    # Each category, allowed or refused, as the site titles it in Vietnamese.
    assert re.search(
        r'data-purpose="analytics" data-allowed="true"><span data-field="title">Thống kê</span>: '
        r'<span class="allowed">Đồng ý</span>',
        second,
    )
    assert (
        'data-purpose="essential" data-allowed="true"><span data-field="title">Cần thiết' in first
    )
    assert 'data-purpose="analytics" data-allowed="false"' in first
    assert 'data-purpose="analytics" data-allowed="false"' in third
    assert '<td data-field="policy">1.0</td>' in first
    assert '<td data-field="region">VN</td>' in second
    assert '<td data-field="region"></td>' in first
    assert f">{BANNER_TEXTS['vi']['print_history']}</button>" in page
    assert 'data-role="print"' in page
    assert f'<dd data-field="visitor"><bdi>{visitor}</bdi></dd>' in page


def test_every_row_links_to_that_choices_receipt(
    client: FlaskClient, shop: Site, visitor: str
) -> None:
    page = page_of(history(client, shop.site_key, visitor, lang="vi"))
    links = [
        html.unescape(href)
        for href in re.findall(r'<a href="([^"]+)" data-field="receipt-link"', page)
    ]
    events = all_events()
    assert links == [
        f"/receipt/{shop.site_key}/{visitor}?event={event.sequence}&lang=vi" for event in events
    ]
    for link, code in zip(links, ["reject_all", "save", "withdraw"], strict=True):
        receipt = client.get(link)
        assert receipt.status_code == 200
        assert f'data-field="action" data-action="{code}"' in page_of(receipt)


def test_a_title_in_another_language_says_so_and_is_escaped(
    client: FlaskClient, shop: Site, visitor: str
) -> None:
    page = page_of(history(client, shop.site_key, visitor, lang="vi"))
    # loyalty has an English title only: shown, marked lang="en", and inert.
    assert HOSTILE not in page and "<img" not in page
    assert f'<span data-field="title" lang="en">{html.escape(HOSTILE)}</span>' in page
    # The Vietnamese texts around it carry no lang of their own.
    assert '<span data-field="title">Thống kê</span>' in page
    assert "Cửa hàng &lt;b&gt;Lan&lt;/b&gt;" in page and "<b>Lan</b>" not in page
    # On an English page, the same title is in the page's language: no lang on it.
    english = page_of(history(client, shop.site_key, visitor, lang="en"))
    assert f'<span data-field="title">{html.escape(HOSTILE)}</span>' in english
    assert '<span data-field="title">Analytics</span>' in english


def test_a_text_missing_from_a_catalog_falls_back_to_english_marked_en(
    client: FlaskClient, shop: Site, visitor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(load_catalogs()["vi"]["texts"], "action_withdraw")
    monkeypatch.delitem(load_catalogs()["vi"]["texts"], "print_history")
    visitor_texts._built_in_texts.cache_clear()
    try:
        page = page_of(history(client, shop.site_key, visitor, lang="vi"))
    finally:
        visitor_texts._built_in_texts.cache_clear()
    english = load_catalogs()["en"]["texts"]
    assert f'data-action="withdraw" lang="en">{english["action_withdraw"]}</td>' in page
    assert f'lang="en">{english["print_history"]}</button>' in page
    assert 'data-action="save">Lưu lựa chọn từng mục đích</td>' in page


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_built_in_language_sets_lang_and_dir(
    client: FlaskClient, shop: Site, visitor: str, language: str
) -> None:
    response = history(client, shop.site_key, visitor, lang=language)
    assert response.status_code == 200
    direction = load_catalogs()[language]["language"]["dir"]
    assert f'<html lang="{language}" dir="{direction}">' in page_of(response)


@pytest.mark.parametrize(
    ("asked", "served"),
    [
        ("pt", "pt-PT"),
        ("pt-br", "pt-BR"),
        ("PT_BR", "pt-BR"),
        ("zh", "zh-CN"),
        ("zh-TW", "zh-TW"),
        ("en-GB", "en"),
        ("xx", "vi"),
        ("", "vi"),
    ],
)
def test_language_tags_with_regions_and_aliases(
    client: FlaskClient, shop: Site, visitor: str, asked: str, served: str
) -> None:
    if served not in SUPPORTED_LANGUAGES:
        pytest.fail(f"{served} has no catalog")
    page = page_of(history(client, shop.site_key, visitor, lang=asked))
    assert f'<html lang="{served}" ' in page
    assert f"?event=1&amp;lang={served}" in page


def test_headers_keep_the_page_private(client: FlaskClient, shop: Site, visitor: str) -> None:
    for response in (
        history(client, shop.site_key, visitor),
        client.get(f"/receipt/{shop.site_key}/{visitor}"),
        history(client, shop.site_key, "tampered"),
    ):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        page = page_of(response)
        assert '<meta name="robots" content="noindex, nofollow">' in page
        # No inline script or style for the CSP to block.
        assert "onclick" not in page and "<style" not in page
        assert re.findall(r"<script[^>]*>", page) == ['<script src="/c/print.js" defer>']
    styles = client.get("/c/visitor-page.css")
    assert styles.status_code == 200 and styles.mimetype == "text/css"
    assert '[data-role="print"] { display: none; }' in page_of(styles)
    script = client.get("/c/print.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert "window.print()" in page_of(script)


def test_a_visitor_who_never_chose_sees_an_empty_history(client: FlaskClient, shop) -> None:
    _, visitor_id = mint_visitor_id(SECRET_KEYS, shop.site_key)
    response = history(client, shop.site_key, visitor_id, lang="en")
    assert response.status_code == 200
    page = page_of(response)
    assert f'<p data-field="empty">{BANNER_TEXTS["en"]["history_empty"]}</p>' in page
    assert "<table" not in page


# Errors are pages in the visitor's language ------------------------------------------------------


@pytest.mark.parametrize("kind", BAD_IDS)
def test_a_bad_visitor_id_is_a_400_page_that_shows_nothing(
    client: FlaskClient, shop: Site, make_site: SiteFactory, visitor: str, kind: str
) -> None:
    visitor_id = bad_visitor_id(kind, shop, visitor, make_site)
    response = history(client, shop.site_key, visitor_id, lang="en")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    page = page_of(response)
    assert '<html lang="en" dir="ltr">' in page
    assert 'data-error="receipt_invalid"' in page
    assert html.escape(BANNER_TEXTS["en"]["receipt_invalid"]) in page
    assert "data-event" not in page and "Rejected" not in page


def test_another_sites_visitor_cannot_read_this_sites_history(
    client: FlaskClient, shop: Site, make_site: SiteFactory, visitor: str
) -> None:
    other = make_site(name="Other", domains=("other.example",))
    # The same random ID, signed for the other site: refused on this one, empty on its own.
    raw = verify_visitor_id(SECRET_KEYS, shop.site_key, visitor)
    theirs = sign_visitor_id(SECRET_KEYS, other.site_key, raw)
    assert history(client, shop.site_key, theirs).status_code == 400
    own = history(client, other.site_key, theirs, lang="en")
    assert own.status_code == 200
    assert 'data-field="empty"' in page_of(own)


def test_an_unknown_site_is_a_404_page_in_the_browsers_language(
    client: FlaskClient, visitor: str
) -> None:
    response = client.get(
        f"/history/nosuchsite1/{visitor}", headers={"Accept-Language": "vi-VN,vi;q=0.9"}
    )
    assert response.status_code == 404
    page = page_of(response)
    assert '<html lang="vi" dir="ltr">' in page
    assert 'data-error="declaration_not_found"' in page
    assert BANNER_TEXTS["vi"]["declaration_not_found"] in page
    assert client.get(f"/history/{'k' * 500}/{visitor}").status_code == 404


def test_history_is_a_page_when_the_database_does_not_answer() -> None:
    app = create_app(_config("sqlite:////nonexistent-folder/cookieconsent.sqlite3"))
    visitor = sign_visitor_id(SECRET_KEYS, "outagesite0001", "A" * 22)
    response = app.test_client().get(f"/history/outagesite0001/{visitor}?lang=vi")
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert response.headers["Retry-After"] == "5"
    assert response.headers["Cache-Control"] == "no-store"
    page = page_of(response)
    assert 'data-error="receipt_unavailable"' in page
    assert '<html lang="vi" dir="ltr">' in page
    assert "Traceback" not in page


# The texts behind them -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("vi", "20:15:03 UTC 7 tháng 12, 2026"),
        ("en", "December 7, 2026, 8:15:03\u202fPM UTC"),
        ("de", "7. Dezember 2026, 20:15:03 UTC"),
        ("pt-BR", "7 de dezembro de 2026 20:15:03 UTC"),
    ],
)
def test_times_are_written_in_the_language_in_utc(language: str, expected: str) -> None:
    assert local_time(FIRST, language) == expected
    # A naive time (SQLite) is UTC too; another zone is converted.
    assert local_time(FIRST.replace(tzinfo=None), language) == expected
    in_hanoi = FIRST.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert local_time(in_hanoi, language) == expected


def test_action_labels_come_from_the_catalog() -> None:
    for language in SUPPORTED_LANGUAGES:
        for action in ("accept_all", "reject_all", "save", "withdraw", "opt_out"):
            label = action_label(action, language)
            texts = load_catalogs()[label.lang]["texts"]
            assert label == texts[f"action_{action}"]
            assert (
                label.lang == language
                or f"action_{action}" not in (load_catalogs()[language]["texts"])
            )
    assert action_label("reject_all", "vi") == "Từ chối tất cả"
    # An action the catalogs do not know yet is shown as its code.
    assert action_label("future_action", "vi") == "future_action"


def test_category_titles_fall_back_language_by_language() -> None:
    assert fallback_languages("pt-BR", "vi") == ["pt-BR", "pt-PT", "vi", "en"]
    assert fallback_languages("en", "en") == ["en"]
    own = {"en": {"title": "Club"}, "pt": {"title": "Clube"}}
    title = category_title("loyalty", own, "vi", "en")
    assert (title, title.lang) == ("Club", "en")
    # Texts stored under the alias (pt) serve its catalog's code (pt-PT), and pt-BR after it.
    title = category_title("loyalty", own, "pt-BR", "vi")
    assert (title, title.lang) == ("Clube", "pt-PT")
    title = category_title("analytics", {}, "vi")
    assert (title, title.lang) == ("Phân tích", "vi")
    title = category_title("loyalty", {}, "vi")
    assert (title, title.lang) == ("Loyalty", "vi")


@pytest.fixture(autouse=True)
def _fresh_label_cache() -> Iterator[None]:
    yield
    visitor_texts._built_in_texts.cache_clear()

"""The public cookie declaration (``/c/<key>/declaration``) and its JSON for the widget's hook."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from markupsafe import escape

from cookieconsent.extensions import db
from cookieconsent.models import ConfigVersion, Site
from cookieconsent.schemas import SiteConfigSchema
from cookieconsent.services.site_config import apply_site_config
from cookieconsent.texts import BANNER_TEXTS, DECLARATION_TEXT_KEYS, SUPPORTED_LANGUAGES

from .conftest import SiteFactory

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'

CONFIG: dict[str, Any] = {
    "languages": ["vi", "en", "fr"],
    "categories": [
        {"name": "essential"},
        {"name": "analytics", "texts": {"en": {"title": "Audience " + HOSTILE}}},
        {"name": "marketing"},
    ],
    "services": [
        {
            "name": "shop_session",
            "category": "essential",
            "label": "Shop session",
            "cookies": [
                {"name": "sid", "lifetime_days": 0, "description": "Keeps the basket."},
            ],
        },
        {
            "name": "google_analytics",
            "category": "analytics",
            "label": "Google Analytics " + HOSTILE,
            "texts": {"vi": {"description": "Đo lượt truy cập."}},
            "cookies": [
                {"name": "_ga", "domain": ".shop.example", "lifetime_days": 400 - 5},
                {"name": "_ga_", "match": "prefix", "lifetime_days": 1, "description": HOSTILE},
            ],
        },
    ],
}


def esc(text: str) -> str:
    """As Jinja escapes it."""
    return str(escape(text))


@pytest.fixture
def declared(make_site: SiteFactory) -> Site:
    site = make_site(policy_url="https://shop.example/privacy")
    apply_site_config(site, SiteConfigSchema().load(CONFIG))
    return site


def page(client: FlaskClient, site_key: str, lang: str | None = None) -> Any:
    query = f"?lang={lang}" if lang else ""
    return client.get(f"/c/{site_key}/declaration{query}")


@pytest.mark.parametrize("lang", ["vi", "en", "fr"])
def test_a_page_per_language_the_site_offers(
    client: FlaskClient, declared: Site, lang: str
) -> None:
    response = page(client, declared.site_key, lang)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert f'<html lang="{lang}" dir="ltr">' in body
    texts = BANNER_TEXTS[lang]
    for key in ("declaration_title", "declaration_cookie", "declaration_lifetime"):
        assert esc(texts[key]) in body
    # Every category, its services' cookies with their lifetimes in words.
    for name in ("essential", "analytics", "marketing"):
        assert f'data-category="{name}"' in body
    assert esc(texts["declaration_days"].replace("{n}", "395")) in body
    assert esc(texts["declaration_day"]) in body
    assert esc(texts["declaration_session"]) in body
    assert esc(texts["declaration_no_cookies"]) in body
    # The date of the last change.
    assert declared.updated_at.date().isoformat() in body
    # Strict: no script, styles from a file.
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "<style" not in body and "<script" not in body


def test_the_vietnamese_page_speaks_the_sites_vietnamese_texts(
    client: FlaskClient, declared: Site
) -> None:
    body = page(client, declared.site_key, "vi").get_data(as_text=True)
    assert "Công bố về cookie" in body
    assert "Phân tích" in body  # built-in category title
    assert "Đo lượt truy cập." in body  # the service's own Vietnamese description
    assert "Keeps the basket." in body
    assert "shop.example" in body


def test_every_site_text_is_escaped(client: FlaskClient, declared: Site) -> None:
    body = page(client, declared.site_key, "en").get_data(as_text=True)
    assert "<script>alert" not in body
    assert "<img src=x" not in body
    assert esc(HOSTILE) in body
    data = client.get(f"/c/{declared.site_key}/declaration.json?lang=en").get_json()
    # JSON carries the texts as data; the widget writes them as text nodes.
    assert data["categories"][1]["title"] == "Audience " + HOSTILE


@pytest.mark.parametrize("lang", [None, "de", "xx", "", "../../etc"])
def test_an_unknown_language_falls_back_to_the_sites_default(
    client: FlaskClient, declared: Site, lang: str | None
) -> None:
    response = page(client, declared.site_key, lang)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert '<html lang="vi" dir="ltr">' in body
    assert "Công bố về cookie" in body


def test_a_regional_variant_takes_its_base_language(client: FlaskClient, declared: Site) -> None:
    assert '<html lang="fr" dir="ltr">' in page(client, declared.site_key, "fr-CA").get_data(
        as_text=True
    )


@pytest.mark.parametrize("lang", ["en", "vi", None])
def test_an_unknown_site_gets_a_404_page(client: FlaskClient, site: Site, lang: str | None) -> None:
    for key in ("nosuchsite1", "<script>"):
        response = page(client, key, lang)
        assert response.status_code == 404
        assert response.mimetype == "text/html"
        body = response.get_data(as_text=True)
        assert esc(BANNER_TEXTS[lang or "en"]["declaration_not_found"]) in body
        assert "<script>" not in body
    assert client.get("/c/nosuchsite1/declaration.json").status_code == 404


def test_a_deleted_site_has_no_declaration(client: FlaskClient, declared: Site) -> None:
    from datetime import UTC, datetime

    declared.deleted_at = datetime.now(UTC)
    db.session.commit()
    assert page(client, declared.site_key).status_code == 404


def test_the_last_change_is_the_latest_published_version(
    client: FlaskClient, declared: Site
) -> None:
    from datetime import UTC, datetime

    db.session.add(
        ConfigVersion(
            site_id=declared.id,
            number=1,
            content={},
            author_kind="cli",
            created_at=datetime(2031, 5, 17, 9, 0, tzinfo=UTC),
        )
    )
    db.session.commit()
    english = page(client, declared.site_key, "en").get_data(as_text=True)
    assert '<time datetime="2031-05-17">' in english
    assert "May 17, 2031" in english
    # Each language writes the date its own way.
    assert "17 tháng 5, 2031" in page(client, declared.site_key, "vi").get_data(as_text=True)
    data = client.get(f"/c/{declared.site_key}/declaration.json?lang=en").get_json()
    assert data["updated"] == "2031-05-17"
    assert "May 17, 2031" in data["updated_text"]


def test_the_json_for_the_widget(client: FlaskClient, declared: Site) -> None:
    response = client.get(f"/c/{declared.site_key}/declaration.json?lang=fr&v=abc")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    data = response.get_json()
    assert data["language"] == "fr"
    assert set(data["texts"]) == set(DECLARATION_TEXT_KEYS)
    assert [category["name"] for category in data["categories"]] == [
        "essential",
        "analytics",
        "marketing",
    ]
    cookies = data["categories"][1]["cookies"]
    assert cookies[0] == {
        "name": "_ga",
        "service": "Google Analytics " + HOSTILE,
        "domain": ".shop.example",
        # No description of its own, none for its service in French: the purpose is the category.
        "description": data["categories"][1]["title"],
        "lifetime": "395 jours",
    }
    assert cookies[1]["name"] == "_ga_…"
    assert cookies[1]["lifetime"] == "1 jour"
    again = client.get(
        f"/c/{declared.site_key}/declaration.json?lang=fr&v=abc",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_language_has_the_declarations_texts(language: str) -> None:
    texts = BANNER_TEXTS[language]
    for key in DECLARATION_TEXT_KEYS:
        assert texts[key].strip(), key
    assert "{date}" in texts["declaration_updated"]
    assert "{n}" in texts["declaration_days"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_consent_services_own_cookies_are_declared_as_essential(
    client: FlaskClient, declared: Site, lang: str
) -> None:
    """The page a privacy policy links to must list the cookies the banner itself sets."""
    declared.consent_lifetime_days = 182
    declared.refusal_lifetime_days = 30
    db.session.commit()
    data = client.get(f"/c/{declared.site_key}/declaration.json?lang={lang}").get_json()
    essential = data["categories"][0]
    assert essential["name"] == "essential"
    own = {cookie["name"]: cookie for cookie in essential["cookies"]}
    choice = own[f"cookieconsent_{declared.site_key}"]
    session = own[f"cookieconsent_{declared.site_key}_s"]
    texts = data["texts"]
    assert choice["service"] == session["service"] == texts["declaration_consent_service"]
    assert choice["description"] == texts["declaration_consent_cookie"]
    assert choice["lifetime"] == texts["declaration_days"].replace("{n}", "182")
    assert session["lifetime"] == texts["declaration_session"]
    assert own["sid"]["service"] == "Shop session"
    # Only under the essential category: never counted as analytics or marketing.
    for category in data["categories"][1:]:
        assert not any(c["name"].startswith("cookieconsent_") for c in category["cookies"])
    html = page(client, declared.site_key, lang).get_data(as_text=True)
    assert f"cookieconsent_{declared.site_key}_s" in html
    assert texts["declaration_consent_cookie"] in html

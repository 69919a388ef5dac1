"""The widget script: one cacheable, gzipped response per site, with its configuration inside."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import brotli
import pytest
from flask.testing import FlaskClient

from cookieconsent.extensions import db
from cookieconsent.models import Site
from cookieconsent.schemas import SiteConfigSchema
from cookieconsent.services.site_config import apply_site_config
from cookieconsent.services.sites import FIRST_LAYER_TEXT_KEYS
from cookieconsent.services.widget import modules_version
from tests.conftest import SiteFactory
from tests.widget_script import embedded_config

WIDGET_BUDGET_GZIP_BYTES = 10_000
REFERENCE_SITE = Path(__file__).resolve().parent.parent / "bench" / "fixtures" / "widget-site.json"


def test_widget_is_javascript_with_the_sites_configuration(client: FlaskClient, site: Site) -> None:
    response = client.get(f"/c/{site.site_key}.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    config = embedded_config(response.get_data(as_text=True))
    assert config["siteKey"] == site.site_key
    assert config["policyVersion"] == "1.0"
    assert config["policyUrl"] == "https://shop.example/privacy"
    assert config["categories"] == ["essential", "analytics", "marketing"]
    texts = config["texts"]
    assert texts["vi"]["accept_all"] == "Chấp nhận tất cả"
    assert texts["en"]["reject_all"] == "Reject all"
    # The script carries the opt-in first layer; the rest comes with the language's text file.
    assert set(texts["en"]) == set(FIRST_LAYER_TEXT_KEYS)
    full = client.get(f"/c/{site.site_key}/texts/en.json").get_json()
    assert full["categories"]["analytics"]["title"] == "Analytics"
    assert full["do_not_sell"] == "Do Not Sell or Share My Personal Information"
    assert config["modules"] == f"/c/{site.site_key}/{{}}.js?v={modules_version()}"


def test_widget_fits_the_gzip_budget(client: FlaskClient, make_site: SiteFactory) -> None:
    """The script a first layer needs stays within 10,000 bytes gzipped for the reference site."""
    reference = json.loads(REFERENCE_SITE.read_text(encoding="utf-8"))
    site = make_site(name=reference["name"], domains=tuple(reference["domains"]))
    apply_site_config(site, SiteConfigSchema().load(reference))
    response = client.get(f"/c/{site.site_key}.js", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert len(response.data) <= WIDGET_BUDGET_GZIP_BYTES, len(response.data)
    plain = client.get(f"/c/{site.site_key}.js").data
    assert gzip.decompress(response.data) == plain
    assert len(embedded_config(plain.decode())["services"]) == 6
    # Browsers that take brotli get the smaller copy of the same script.
    smaller = client.get(f"/c/{site.site_key}.js", headers={"Accept-Encoding": "gzip, br"})
    assert smaller.headers["Content-Encoding"] == "br"
    assert brotli.decompress(smaller.data) == plain
    assert len(smaller.data) < len(response.data)


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        ("gzip, deflate, br, zstd", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("gzip;q=0, br;q=0", "identity"),
        ("br;q=0", "identity"),
        ("identity", "identity"),
        ("*", "br"),
        ("*;q=0.1, gzip", "gzip"),
        ("", "identity"),
    ],
)
def test_widget_is_served_pre_compressed_as_the_browser_asks(
    client: FlaskClient, site: Site, accept: str, coding: str
) -> None:
    url = f"/c/{site.site_key}.js"
    plain = client.get(url, headers={"Accept-Encoding": "identity"}).data
    response = client.get(url, headers={"Accept-Encoding": accept})
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding", "identity") == coding
    decode = {"br": brotli.decompress, "gzip": gzip.decompress, "identity": bytes}[coding]
    assert decode(response.data) == plain
    # A strong ETag of its own per content coding (RFC 9110, 8.8.3), never a weak one.
    etag = response.headers["ETag"]
    assert not etag.startswith("W/")
    assert etag.endswith({"br": '-br"', "gzip": '-gz"', "identity": '"'}[coding])
    assert "Accept-Encoding" in response.headers["Vary"]


def test_any_codings_etag_revalidates_the_widget(client: FlaskClient, site: Site) -> None:
    """A browser that kept the gzip copy and now asks with brotli still gets a 304."""
    url = f"/c/{site.site_key}.js"
    etags = {
        coding: client.get(url, headers={"Accept-Encoding": coding}).headers["ETag"]
        for coding in ("br", "gzip", "identity")
    }
    assert len(set(etags.values())) == 3
    for etag in etags.values():
        again = client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": etag})
        assert again.status_code == 304
        assert again.data == b""
        assert again.headers["ETag"] == etags["br"]
    # Compared weakly, as RFC 9110 (13.1.2) asks of If-None-Match: a proxy may mark it W/.
    weak = client.get(
        url, headers={"Accept-Encoding": "gzip", "If-None-Match": f"W/{etags['gzip']}"}
    )
    assert weak.status_code == 304
    other = client.get(url, headers={"If-None-Match": '"0123456789abcdef"'})
    assert other.status_code == 200


@pytest.mark.parametrize("name", ["tags", "prefs", "layers"])
def test_widget_modules_are_immutable_cross_origin_scripts(
    client: FlaskClient, site: Site, name: str
) -> None:
    url = f"/c/{site.site_key}/{name}.js?v={modules_version()}"
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Content-Encoding"] == "gzip"
    # ES modules are fetched with CORS by the site's pages.
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    body = gzip.decompress(response.data).decode()
    assert body.startswith("/*! cookieconsent widget")
    assert "export" in body
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get(f"/c/nosuchsite1/{name}.js").status_code == 404
    assert client.get(f"/c/{site.site_key}/other.js").status_code == 404


def test_widget_is_cacheable_and_conditional(client: FlaskClient, site: Site) -> None:
    first = client.get(f"/c/{site.site_key}.js")
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert "stale-if-error" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    again = client.get(f"/c/{site.site_key}.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag


def test_site_change_changes_the_etag(client: FlaskClient, site: Site) -> None:
    etag = client.get(f"/c/{site.site_key}.js").headers["ETag"]
    site.texts = {"en": {"title": "Cookies at Shop"}}
    db.session.commit()
    response = client.get(f"/c/{site.site_key}.js", headers={"If-None-Match": etag})
    assert response.status_code == 200
    config = embedded_config(response.get_data(as_text=True))
    assert config["texts"]["en"]["title"] == "Cookies at Shop"  # type: ignore[index]
    # Untouched keys keep the built-in text.
    assert config["texts"]["en"]["accept_all"] == "Accept all"  # type: ignore[index]


def test_hostile_site_text_stays_data(client: FlaskClient, site: Site) -> None:
    hostile = '</script><script>alert(1)</script>\u2028"'
    site.texts = {"en": {"title": hostile}}
    db.session.commit()
    script = client.get(f"/c/{site.site_key}.js").get_data(as_text=True)
    assert embedded_config(script)["texts"]["en"]["title"] == hostile  # type: ignore[index]
    assert "\u2028" not in script


def test_unknown_site_gets_a_script_that_only_warns(client: FlaskClient) -> None:
    response = client.get("/c/nosuchsite1.js")
    assert response.status_code == 404
    assert response.mimetype == "text/javascript"
    body = response.get_data(as_text=True)
    assert body.startswith("window.console&&console.warn(")
    assert "nosuchsite1" in body
    assert response.headers["Cache-Control"] == "no-store"


def test_unknown_site_key_cannot_inject_script(client: FlaskClient) -> None:
    key = '<b>");alert(1);"'
    response = client.get("/c/%3Cb%3E%22%29%3Balert%281%29%3B%22.js")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    match = re.fullmatch(r'window\.console&&console\.warn\(("[^"\\]*(?:\\.[^"\\]*)*")\);\n', body)
    assert match, body
    assert key in json.loads(match.group(1))
    assert "<" not in body


def test_demo_page_embeds_the_demo_site(client: FlaskClient, runner: object) -> None:
    assert client.get("/demo/").status_code == 404
    result = runner.invoke(args=["demo"])  # type: ignore[attr-defined]
    assert result.exit_code == 0
    page = client.get("/demo/").get_data(as_text=True)
    assert '<script src="/c/demo-site-key.js"></script>' in page
    assert page.index("/c/demo-site-key.js") < page.index("<meta charset")

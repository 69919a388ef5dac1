"""The widget script: one cacheable, gzipped response per site, with its configuration inside."""

from __future__ import annotations

import gzip
import json
import re

from flask.testing import FlaskClient

from cookieconsent.extensions import db
from cookieconsent.models import Site

WIDGET_BUDGET_GZIP_BYTES = 12 * 1024


def embedded_config(script: str) -> dict[str, object]:
    match = re.search(r"\}\)\((\{.*\}),(\".*\")\);\s*$", script, re.S)
    assert match, "the widget ends by calling itself with (config, css)"
    config: dict[str, object] = json.loads(match.group(1))
    return config


def test_widget_is_javascript_with_the_sites_configuration(client: FlaskClient, site: Site) -> None:
    response = client.get(f"/c/{site.site_key}.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    config = embedded_config(response.get_data(as_text=True))
    assert config["siteKey"] == site.site_key
    assert config["policyVersion"] == "1.0"
    assert config["policyUrl"] == "https://shop.example/privacy"
    assert [c["name"] for c in config["categories"]] == ["essential", "analytics", "marketing"]  # type: ignore[index, union-attr]
    texts = config["texts"]
    assert texts["vi"]["accept_all"] == "Chấp nhận tất cả"  # type: ignore[index]
    assert texts["en"]["reject_all"] == "Reject all"  # type: ignore[index]
    assert texts["en"]["categories"]["analytics"]["title"] == "Analytics"  # type: ignore[index]


def test_widget_fits_the_gzip_budget(client: FlaskClient, site: Site) -> None:
    response = client.get(f"/c/{site.site_key}.js", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert len(response.data) <= WIDGET_BUDGET_GZIP_BYTES, len(response.data)
    plain = client.get(f"/c/{site.site_key}.js").data
    assert gzip.decompress(response.data) == plain


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

"""What an operator's review of a running install found: each answer the service gives is right.

Retry-After only where it means "send again", 429 documented, errors never cached, module URLs
cacheable for good only with their fingerprint, a receipt page (not JSON) when the database is
down, a database without schema answering 503 on real pages, control characters and texts of
removed languages, webhook URLs that plainly lead to a private address, numbers out of range in
the CLI, and `consents verify` on events sealed by a retired key.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from cookieconsent import create_app
from cookieconsent.extensions import db
from cookieconsent.models import ConsentEvent, Site, WebhookEndpoint
from cookieconsent.services.signing import sign_visitor_id
from cookieconsent.services.widget import modules_version

from .conftest import SECRET_KEYS, SiteFactory, _config, table_counts

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = {"Origin": "https://shop.example"}
WRITE = {"action": "accept_all", "url": "https://shop.example/"}


def consents(site: Site) -> str:
    return f"/api/v1/sites/{site.site_key}/consents"


# Retry-After and 429 ------------------------------------------------------------------------


def test_retry_after_only_on_a_refusal(database_url: str) -> None:
    app = create_app(
        _config(database_url, RATELIMIT_ENABLED=True, RATELIMIT_CONSENT_WRITES="2 per minute")
    )
    with app.app_context():
        site = SiteFactory()(domains=("shop.example",))
        client = app.test_client()
        try:
            first = client.post(consents(site), json=WRITE, headers=ORIGIN)
            assert first.status_code == 201
            assert "Retry-After" not in first.headers
            assert first.headers["X-RateLimit-Limit"] == "2"
            client.post(consents(site), json=WRITE, headers=ORIGIN)
            refused = client.post(consents(site), json=WRITE, headers=ORIGIN)
            assert refused.status_code == 429
            assert refused.mimetype == "application/problem+json"
            assert 0 < int(refused.headers["Retry-After"]) <= 60
        finally:
            db.session.remove()
            with db.engine.begin() as connection:
                for table in reversed(db.metadata.sorted_tables):
                    connection.execute(table.delete())
            db.engine.dispose()


def test_openapi_documents_429_where_a_rate_limit_applies(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    write = spec["paths"]["/api/v1/sites/{site_key}/consents"]["post"]["responses"]
    assert "application/problem+json" in write["429"]["content"]
    assert "Retry-After" in write["429"]["headers"]
    lookup = spec["paths"]["/api/v1/sites/{site_key}/consents/{visitor_id}"]["get"]["responses"]
    assert "429" not in lookup


# Caching ------------------------------------------------------------------------------------------


def test_region_errors_are_never_cached(client: FlaskClient, site: Site) -> None:
    found = client.get(f"/api/v1/sites/{site.site_key}/region", headers=ORIGIN)
    assert found.status_code == 200
    assert found.headers["Cache-Control"] == "private, max-age=3600"
    missing = client.get("/api/v1/sites/nosuchsite0001/region")
    assert missing.status_code == 404
    assert missing.headers["Cache-Control"] == "no-store"


def test_modules_are_immutable_only_under_their_fingerprint(
    client: FlaskClient, site: Site
) -> None:
    base = f"/c/{site.site_key}/prefs.js"
    current = client.get(f"{base}?v={modules_version()}")
    assert current.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for url in (base, f"{base}?v=000000000000"):
        response = client.get(url)
        assert response.status_code == 200
        assert "immutable" not in response.headers["Cache-Control"]
        assert "max-age=" in response.headers["Cache-Control"]


# The database down or not migrated --------------------------------------------------------------


def test_receipt_is_a_page_when_the_database_does_not_answer() -> None:
    app = create_app(_config("sqlite:////nonexistent-folder/cookieconsent.sqlite3"))
    visitor = sign_visitor_id(SECRET_KEYS, "outagesite0001", "A" * 22)
    response = app.test_client().get(
        f"/receipt/outagesite0001/{visitor}?lang=vi", headers={"Accept-Language": "vi"}
    )
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert response.headers["Retry-After"] == "5"
    page = response.get_data(as_text=True)
    assert 'data-error="receipt_unavailable"' in page
    assert "Hiện chưa thể hiển thị biên nhận" in page
    assert "Traceback" not in page


# Texts --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "Shop\x07"}, "name"),
        ({"texts": {"en": {"title": "Hello\u202eworld"}}}, "texts.en.title"),
        ({"categories": [{"name": "analytics", "texts": {"en": {"title": "A\x00"}}}]}, None),
    ],
)
def test_control_characters_are_refused_with_the_field(
    client: FlaskClient, make_site: SiteFactory, change: dict, field: str | None
) -> None:
    site = make_site()
    before = table_counts()
    response = client.patch(
        f"/api/v1/sites/{site.site_key}/config",
        json=change,
        headers={"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
    )
    # A NUL is refused by the body parser (400), any other control character by the field (422).
    assert response.status_code in (400, 422), response.get_json()
    problem = response.get_json()
    if field is not None:
        assert response.status_code == 422
        assert "control character U+" in problem["errors"][field][0], problem
    assert table_counts() == before
    db.session.expire_all()
    assert db.session.get(Site, site.id).name == "Shop"


def test_control_characters_are_refused_by_the_commands(runner: FlaskCliRunner, site: Site) -> None:
    result = runner.invoke(
        args=["sites", "texts", site.site_key, "--language", "en", "title=Hi\x1b[31m"]
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: texts.en.title: Holds the invisible control character U+001B at position 3."
    ]


def test_texts_of_a_removed_language_go_with_it(
    client: FlaskClient, make_site: SiteFactory
) -> None:
    site = make_site(languages=["vi", "en", "de"], default_language="vi")
    auth = {"Authorization": f"Bearer {make_site.tokens[site.site_key]}"}
    url = f"/api/v1/sites/{site.site_key}/config"
    set_texts = client.patch(
        url,
        json={
            "texts": {"de": {"title": "Hallo"}, "en": {"title": "Hello"}},
            "categories": [
                {"name": "analytics", "texts": {"de": {"title": "Statistik"}}},
                {"name": "marketing"},
            ],
        },
        headers=auth,
    )
    assert set_texts.status_code == 200, set_texts.get_json()
    assert set_texts.get_json()["texts"]["de"] == {"title": "Hallo"}
    removed = client.patch(url, json={"languages": ["vi", "en"]}, headers=auth)
    assert removed.status_code == 200, removed.get_json()
    config = removed.get_json()
    assert config["texts"] == {"en": {"title": "Hello"}}
    analytics = next(c for c in config["categories"] if c["name"] == "analytics")
    assert "de" not in analytics.get("texts", {})
    # Added again later, the language starts from the built-in texts.
    again = client.patch(url, json={"languages": ["vi", "en", "de"]}, headers=auth)
    assert "de" not in again.get_json()["texts"]
    assert client.get(f"/c/{site.site_key}/texts/de.json").get_json()["title"] != "Hallo"


# Webhooks -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://[::1]/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/hook",
        "http://[fd00::1]/hook",
        "http://localhost/hook",
        "https://db.internal/hook",
        "https://printer.local./hook",
    ],
)
def test_webhook_urls_that_lead_to_a_private_address_are_refused_when_added(
    database_url: str, url: str
) -> None:
    app = create_app(_config(database_url, COOKIECONSENT_WEBHOOK_ALLOW_PRIVATE=False))
    with app.app_context():
        factory = SiteFactory()
        site = factory()
        try:
            response = app.test_client().post(
                f"/api/v1/sites/{site.site_key}/webhooks",
                json={"url": url},
                headers={"Authorization": f"Bearer {factory.tokens[site.site_key]}"},
            )
            assert response.status_code == 422, response.get_json()
            assert "public addresses" in response.get_json()["errors"]["url"][0]
            assert db.session.query(WebhookEndpoint).count() == 0
            result = app.test_cli_runner().invoke(args=["webhooks", "add", site.site_key, url])
            assert result.exit_code == 1
            assert len(result.output.strip().splitlines()) == 1
            assert "public addresses" in result.output
            public = app.test_client().post(
                f"/api/v1/sites/{site.site_key}/webhooks",
                json={"url": "https://hooks.shop.example/consent"},
                headers={"Authorization": f"Bearer {factory.tokens[site.site_key]}"},
            )
            assert public.status_code == 201
        finally:
            db.session.remove()
            with db.engine.begin() as connection:
                for table in reversed(db.metadata.sorted_tables):
                    connection.execute(table.delete())
            db.engine.dispose()


# The CLI ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["consents", "purge", "--batch", "99999999999999999999999"],
        ["consents", "purge", "--batch", "0"],
        ["webhooks", "run", "--once", "--batch", "-5"],
        ["webhooks", "run", "--once", "--interval", "nan"],
        ["webhooks", "run", "--once", "--interval", "1e300"],
        ["demo", "--port", "70000"],
    ],
)
def test_numbers_out_of_range_are_one_line(runner: FlaskCliRunner, args: list[str]) -> None:
    result = runner.invoke(args=args)
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1


def test_webhook_ids_beyond_the_database_integer_are_unknown(
    runner: FlaskCliRunner, site: Site
) -> None:
    result = runner.invoke(
        args=["webhooks", "remove", site.site_key, "257513283274767630250016768"]
    )
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert len(result.output.strip().splitlines()) == 1


def test_verify_tells_a_retired_key_from_tampering(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient, site: Site
) -> None:
    for _ in range(3):
        assert client.post(consents(site), json=WRITE, headers=ORIGIN).status_code == 201
    ok = runner.invoke(args=["consents", "verify", "--site", site.site_key])
    assert ok.exit_code == 0, ok.output
    # The rotation runbook's last step: the key that sealed these events is no longer configured.
    app.config["COOKIECONSENT_SECRET_KEYS"] = ["a-brand-new-signing-key-" + "n" * 32]
    try:
        retired = runner.invoke(args=["consents", "verify", "--site", site.site_key])
    finally:
        app.config["COOKIECONSENT_SECRET_KEYS"] = SECRET_KEYS
    assert retired.exit_code == 3, retired.output
    assert "UNVERIFIABLE" in retired.output
    assert "TAMPERED" not in retired.output
    assert "add it back to COOKIECONSENT_SECRET_KEYS" in retired.output
    # A real edit is still TAMPERED, with the key at hand.
    event = (
        db.session.query(ConsentEvent).filter_by(site_id=site.id).order_by(ConsentEvent.id).first()
    )
    event.action = "reject_all"
    db.session.commit()
    tampered = runner.invoke(args=["consents", "verify", "--site", site.site_key])
    assert tampered.exit_code == 1
    assert "TAMPERED" in tampered.output


# Start-up -----------------------------------------------------------------------------------------


def test_gunicorn_on_the_bare_factory_refuses_in_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "COOKIECONSENT_INSTANCE_PATH": str(tmp_path),
        "COOKIECONSENT_SECRET_KEYS": "too-short",
    }
    env.pop("COOKIECONSENT_ENV", None)
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "1",
            "cookieconsent:create_app()",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "every key needs at least 32 characters" in result.stderr
    assert "Traceback" not in result.stderr
    assert "too-short" not in result.stderr

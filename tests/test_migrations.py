"""Migrations upgrade a database that already holds data, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from standardwebhooks import Webhook

from cookieconsent import create_app
from cookieconsent.extensions import db
from cookieconsent.services.webhooks import new_secret

from .conftest import _config, throwaway_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    with throwaway_postgres("cookieconsent_migrate") as url:
        yield url


def test_upgrade_keeps_existing_sites_and_gives_them_a_chain(empty_database: str) -> None:
    app = create_app(_config(empty_database))
    with app.app_context():
        try:
            upgrade(revision="0001")
            db.session.execute(
                sa.text(
                    "INSERT INTO sites (site_key, name, domains, api_token_hash, default_language,"
                    " policy_url, policy_version, consent_lifetime_days, texts, created_at,"
                    " updated_at) VALUES ('oldsite01', 'Old', :domains, 'h', 'vi',"
                    " NULL, '1.0', 182, '{}', :now, :now)"
                ),
                {"now": "2026-01-01 00:00:00+00:00", "domains": '["old.example"]'},
            )
            db.session.commit()
            upgrade()
            row = db.session.execute(
                sa.text(
                    "SELECT s.languages, s.jurisdiction_rules, s.retention_days,"
                    " s.ads_data_redaction, h.sequence, h.mac FROM sites s"
                    " JOIN chain_heads h ON h.site_id = s.id WHERE s.site_key = 'oldsite01'"
                )
            ).one()
            languages, rules, retention, redaction, sequence, mac = row
            # SQLite hands JSON back as text, PostgreSQL as objects.
            assert (
                json.loads(languages)
                if isinstance(languages, str)
                else languages
                == [
                    "vi",
                    "en",
                ]
            )
            assert (json.loads(rules) if isinstance(rules, str) else rules) == {}
            assert retention == 365
            assert not redaction
            assert (sequence, mac) == (0, "0" * 64)
            cookie_domain, timeout = db.session.execute(
                sa.text("SELECT cookie_domain, script_timeout_ms FROM sites")
            ).one()
            assert (cookie_domain, timeout) == (None, 10000)
            # And back down, for an operator who must roll back; the read above ends first, or
            # PostgreSQL would make the DROP wait on this session's locks.
            db.session.rollback()
            downgrade(revision="0001")
            tables = sa.inspect(db.engine).get_table_names()
            assert "chain_heads" not in tables and "services" not in tables
            assert db.session.execute(sa.text("SELECT count(*) FROM sites")).scalar_one() == 1
        finally:
            db.session.remove()
            db.engine.dispose()


def test_models_match_the_migrations(empty_database: str) -> None:
    """What ``flask db check`` asks: the migrated schema is the one the models describe."""
    app = create_app(_config(empty_database))
    with app.app_context():
        try:
            upgrade()
            with db.engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                assert compare_metadata(context, db.metadata) == []
        finally:
            db.session.remove()
            db.engine.dispose()


def test_0004_rolls_back_with_its_data(empty_database: str) -> None:
    app = create_app(_config(empty_database))
    with app.app_context():
        try:
            upgrade()
            site_id = db.session.execute(
                sa.text(
                    "INSERT INTO sites (site_key, name, domains, api_token_hash, default_language,"
                    " policy_version, consent_lifetime_days, texts, ads_data_redaction,"
                    " url_passthrough, languages, jurisdiction_rules, refusal_lifetime_days,"
                    " retention_days, cookie_domain, created_at, updated_at) VALUES ('site0004',"
                    " 'S', '[]', 'h', 'vi', '1.0', 182, '{}', false, false, '[]', '{}', 182, 365,"
                    " 'example.test', :now, :now) RETURNING id"
                ),
                {"now": "2026-01-01 00:00:00+00:00"},
            ).scalar_one()
            db.session.execute(
                sa.text(
                    "INSERT INTO idempotency_keys (site_id, key, request_digest, status_code,"
                    " response, created_at) VALUES (:site, 'k', :digest, 201, '{}', :now)"
                ),
                {"site": site_id, "digest": "0" * 64, "now": "2026-01-01 00:00:00+00:00"},
            )
            db.session.commit()
            downgrade(revision="0003")
            inspector = sa.inspect(db.engine)
            assert "idempotency_keys" not in inspector.get_table_names()
            assert "cookie_domain" not in {c["name"] for c in inspector.get_columns("sites")}
            assert "chosen_at" not in {c["name"] for c in inspector.get_columns("consent_events")}
            assert db.session.execute(sa.text("SELECT count(*) FROM sites")).scalar_one() == 1
            db.session.rollback()
            upgrade()
            assert (
                db.session.execute(sa.text("SELECT script_timeout_ms FROM sites")).scalar_one()
                == 10000
            )
        finally:
            db.session.remove()
            db.engine.dispose()


def test_0005_keeps_webhook_signing_keys_and_rolls_back(empty_database: str) -> None:
    legacy = "Qx3_legacy-secret-from-token_urlsafe-0123456"
    app = create_app(_config(empty_database))
    with app.app_context():
        try:
            upgrade(revision="0004")
            now = {"now": "2026-01-01 00:00:00+00:00"}
            site_id = db.session.execute(
                sa.text(
                    "INSERT INTO sites (site_key, name, domains, api_token_hash, default_language,"
                    " policy_version, consent_lifetime_days, texts, ads_data_redaction,"
                    " url_passthrough, languages, jurisdiction_rules, refusal_lifetime_days,"
                    " retention_days, created_at, updated_at) VALUES ('site0005', 'S', '[]',"
                    " 'h', 'vi', '1.0', 182, '{}', false, false, '[]', '{}', 182, 365, :now,"
                    " :now) RETURNING id"
                ),
                now,
            ).scalar_one()
            db.session.execute(
                sa.text(
                    "INSERT INTO webhook_endpoints (site_id, url, secret, active, created_at)"
                    " VALUES (:site, 'https://hooks.example/', :secret, true, :now)"
                ),
                {"site": site_id, "secret": legacy, **now},
            )
            db.session.commit()

            upgrade()
            converted, previous, expires = db.session.execute(
                sa.text(
                    "SELECT secret, previous_secret, previous_secret_expires_at"
                    " FROM webhook_endpoints"
                )
            ).one()
            assert converted == "whsec_" + base64.b64encode(legacy.encode()).decode()
            assert (previous, expires) == (None, None)
            # The same key signs: a receiver converts the secret it holds and changes nothing else.
            sent_at = datetime(2026, 12, 1, tzinfo=UTC)
            signature = Webhook(converted).sign("42", sent_at, "{}")
            message = f"42.{int(sent_at.timestamp())}.{{}}".encode()
            digest = hmac.new(legacy.encode(), message, hashlib.sha256).digest()
            assert signature == "v1," + base64.b64encode(digest).decode()

            # An erasure's delivery names no event; one made after the upgrade keeps its form.
            fresh = new_secret()
            db.session.execute(
                sa.text(
                    "INSERT INTO webhook_endpoints (site_id, url, secret, active, created_at)"
                    " VALUES (:site, 'https://hooks.example/2', :secret, true, :now)"
                ),
                {"site": site_id, "secret": fresh, **now},
            )
            endpoint_id = db.session.execute(
                sa.text("SELECT min(id) FROM webhook_endpoints")
            ).scalar_one()
            db.session.execute(
                sa.text(
                    "INSERT INTO webhook_deliveries (endpoint_id, event_id, payload, status,"
                    " attempts, next_attempt_at, created_at) VALUES (:endpoint, NULL, '{}',"
                    " 'pending', 0, :now, :now)"
                ),
                {"endpoint": endpoint_id, **now},
            )
            db.session.commit()

            downgrade(revision="0004")
            secrets = db.session.execute(
                sa.text("SELECT secret FROM webhook_endpoints ORDER BY id")
            ).scalars()
            assert list(secrets) == [legacy, fresh]
            assert (
                db.session.execute(sa.text("SELECT count(*) FROM webhook_deliveries")).scalar_one()
                == 0
            )
            columns = {c["name"] for c in sa.inspect(db.engine).get_columns("webhook_endpoints")}
            assert "previous_secret" not in columns
            db.session.rollback()
            upgrade()
        finally:
            db.session.remove()
            db.engine.dispose()


def test_0009_moves_stored_language_codes_to_their_regions_and_back(empty_database: str) -> None:
    from flask_migrate import stamp

    from cookieconsent.models import (
        ConfigDraft,
        ConfigSnapshot,
        ConfigVersion,
        ConsentEvent,
        PolicyVersion,
        Service,
        Site,
    )
    from cookieconsent.services.sites import create_site

    legacy_document = {
        "default_language": "pt",
        "languages": ["vi", "pt", "zh"],
        "texts": {"pt": {"title": "Olá"}, "zh": {"title": "你好"}},
        "categories": [{"name": "analytics", "texts": {"zh": {"title": "分析"}}}],
        "services": [{"name": "ga", "texts": {"pt": {"description": "Análise"}}}],
    }
    app = create_app(_config(empty_database))
    with app.app_context():
        try:
            upgrade()
            site, _token = create_site("Loja", ["loja.example"], default_language="vi")
            # As 0008 stored them: codes without their region.
            site.default_language = "pt"
            site.languages = ["vi", "pt", "zh", "en"]
            # A key under the full code as well: it wins over the renamed one.
            site.texts = {"pt": {"title": "Olá", "dismiss": "OK"}, "pt-PT": {"title": "Bom dia"}}
            analytics = next(c for c in site.categories if c.name == "analytics")
            analytics.texts = {"zh": {"title": "分析"}, "en": {"title": "Stats"}}
            site.services = [
                Service(
                    category="analytics", name="ga", label="GA", texts={"pt": {"description": "A"}}
                )
            ]
            site.policy_versions[0].summaries = {"zh": "变更", "vi": "Thay đổi"}
            snapshot = ConfigSnapshot(site_id=site.id, digest="0" * 64, content=legacy_document)
            db.session.add(snapshot)
            db.session.flush()
            db.session.add_all(
                [
                    ConfigVersion(
                        site_id=site.id, number=1, content=legacy_document, author_kind="cli"
                    ),
                    ConfigDraft(site_id=site.id, content=legacy_document),
                    ConsentEvent(
                        site_id=site.id,
                        visitor_id="v" * 32,
                        action="accept_all",
                        decided=True,
                        categories={"essential": True},
                        policy_version="1.0",
                        language="pt",
                        snapshot_id=snapshot.id,
                    ),
                ]
            )
            db.session.commit()
            site_id = site.id
            db.session.remove()

            stamp(revision="0008")
            upgrade(revision="0009")
            site = db.session.get(Site, site_id)
            assert site is not None
            assert site.default_language == "pt-PT"
            assert site.languages == ["vi", "pt-PT", "zh-CN", "en"]
            assert site.texts == {"pt-PT": {"title": "Bom dia", "dismiss": "OK"}}
            texts = {c.name: c.texts for c in site.categories}
            assert texts["analytics"] == {"zh-CN": {"title": "分析"}, "en": {"title": "Stats"}}
            assert site.services[0].texts == {"pt-PT": {"description": "A"}}
            version = db.session.execute(sa.select(PolicyVersion)).scalar_one()
            assert version.summaries == {"zh-CN": "变更", "vi": "Thay đổi"}
            moved = {
                "default_language": "pt-PT",
                "languages": ["vi", "pt-PT", "zh-CN"],
                "texts": {"pt-PT": {"title": "Olá"}, "zh-CN": {"title": "你好"}},
                "categories": [{"name": "analytics", "texts": {"zh-CN": {"title": "分析"}}}],
                "services": [{"name": "ga", "texts": {"pt-PT": {"description": "Análise"}}}],
            }
            assert db.session.execute(sa.select(ConfigVersion.content)).scalar_one() == moved
            assert db.session.execute(sa.select(ConfigDraft.content)).scalar_one() == moved
            # Proof keeps what was recorded: the event's language and the snapshot's content.
            assert db.session.execute(sa.select(ConsentEvent.language)).scalar_one() == "pt"
            snapshot_content = db.session.execute(sa.select(ConfigSnapshot.content)).scalar_one()
            assert snapshot_content == legacy_document
            db.session.remove()

            downgrade(revision="0008")
            site = db.session.get(Site, site_id)
            assert site is not None
            assert (site.default_language, site.languages) == ("pt", ["vi", "pt", "zh", "en"])
            assert site.texts == {"pt": {"title": "Bom dia", "dismiss": "OK"}}
            assert db.session.execute(sa.select(ConfigDraft.content)).scalar_one() == {
                **legacy_document,
                "languages": ["vi", "pt", "zh"],
            }
            assert db.session.execute(sa.select(ConsentEvent.language)).scalar_one() == "pt"
            db.session.remove()
            upgrade(revision="0009")
            assert db.session.get(Site, site_id).default_language == "pt-PT"  # type: ignore[union-attr]
        finally:
            db.session.remove()
            db.engine.dispose()


def test_0010_indexes_the_purges_lookups_and_rolls_back(empty_database: str) -> None:
    app = create_app(_config(empty_database))
    with app.app_context():
        try:
            upgrade(revision="0009")
            inspector = sa.inspect(db.engine)
            names = {ix["name"] for ix in inspector.get_indexes("consent_states")}
            assert "ix_consent_states_last_event_id" not in names
            upgrade()
            inspector = sa.inspect(db.engine)
            states = {
                ix["name"]: ix["column_names"] for ix in inspector.get_indexes("consent_states")
            }
            deliveries = {
                ix["name"]: ix["column_names"] for ix in inspector.get_indexes("webhook_deliveries")
            }
            assert states["ix_consent_states_last_event_id"] == ["last_event_id"]
            assert deliveries["ix_webhook_deliveries_event_id"] == ["event_id"]
            downgrade(revision="0009")
            inspector = sa.inspect(db.engine)
            assert "ix_consent_states_last_event_id" not in {
                ix["name"] for ix in inspector.get_indexes("consent_states")
            }
            assert "ix_webhook_deliveries_event_id" not in {
                ix["name"] for ix in inspector.get_indexes("webhook_deliveries")
            }
        finally:
            db.session.remove()
            db.engine.dispose()

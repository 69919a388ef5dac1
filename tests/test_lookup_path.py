"""The lookup's hot path: one indexed read, a response built without marshmallow, same answer.

``GET /api/v1/sites/{key}/consents/{id}`` runs on every page view of every site that asks it;
these tests hold what makes it cheap (statements run, the SQLite journal) without timing it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from cookieconsent.api_base import lookup_document, lookup_view
from cookieconsent.extensions import db
from cookieconsent.models import ConsentState, Site, StateView
from cookieconsent.schemas import LookupSchema
from cookieconsent.services.consent import (
    ConsentInput,
    lookup_consent,
    read_state,
    record_consent,
)
from cookieconsent.services.signing import mint_visitor_id, verify_visitor_id
from cookieconsent.services.sites import SiteProfile
from cookieconsent.services.state_reader import state_reader

from .conftest import POSTGRES_ADMIN_URL, SECRET_KEYS

ORIGIN = {"Origin": "https://shop.example"}


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement run inside the block: the app's engine's, through SQLAlchemy, and
    the lookup reader's, on the driver's cursor (traced at the driver)."""
    seen: list[str] = []

    def note(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    engine = db.engines[None]
    reader = state_reader()
    assert reader is not None
    sa.event.listen(engine, "before_cursor_execute", note)
    reads: list[str] = []
    sql = reader.engine and reader._sql

    original = reader.read

    def traced(site_id: int, raw_id: str) -> Any:
        reads.append(sql)
        return original(site_id, raw_id)

    reader.read = traced  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
        reader.read = original  # type: ignore[method-assign]
        seen.extend(reads)


def lookup_url(site: Site, visitor_id: str) -> str:
    return f"/api/v1/sites/{site.site_key}/consents/{visitor_id}"


def test_a_lookup_is_one_primary_key_read(app: Flask, client: FlaskClient, site: Site) -> None:
    visitor_id = client.post(
        f"/api/v1/sites/{site.site_key}/consents", json={"action": "accept_all"}, headers=ORIGIN
    ).get_json()["visitor_id"]
    client.get(lookup_url(site, visitor_id))  # the site's settings are cached from here on
    with statements(app) as seen:
        response = client.get(lookup_url(site, visitor_id))
    assert response.status_code == 200
    assert response.get_json()["categories"]["analytics"] is True
    reads = [s for s in seen if "consent_states" in s]
    assert len(reads) == 1, seen
    assert "site_id" in reads[0] and "visitor_id" in reads[0]
    # Nothing else: no session bookkeeping, no site reload, no write.
    assert all(s.lstrip().upper().startswith(("SELECT", "PRAGMA")) for s in seen), seen
    assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) <= 2, seen


def test_an_unknown_visitor_is_one_read_too(app: Flask, client: FlaskClient, site: Site) -> None:
    _, visitor_id = mint_visitor_id(SECRET_KEYS, site.site_key)
    client.get(lookup_url(site, visitor_id))
    with statements(app) as seen:
        body = client.get(lookup_url(site, visitor_id)).get_json()
    assert body["decided"] is False
    assert len([s for s in seen if "consent_states" in s]) == 1


def decisions(site: Site) -> list[tuple[str, dict[str, object]]]:
    """Decisions of every shape: undecided, accepted, saved, withdrawn, opted out, expired."""
    profile = SiteProfile.of(site)
    now = datetime.now(UTC)
    out = []
    first = record_consent(profile, ConsentInput(action="accept_all"), secret_keys=SECRET_KEYS)
    out.append(("accepted", {"visitor_id": first.visitor_id}))
    saved = record_consent(
        profile,
        ConsentInput(
            action="save",
            categories={"analytics": True, "marketing": False},
            region="VN",
            mode="opt-in-specific",
        ),
        secret_keys=SECRET_KEYS,
    )
    out.append(("saved in Vietnam", {"visitor_id": saved.visitor_id}))
    withdrawn = record_consent(
        profile,
        ConsentInput(action="withdraw", visitor_id=saved.visitor_id),
        secret_keys=SECRET_KEYS,
    )
    out.append(("withdrawn", {"visitor_id": withdrawn.visitor_id}))
    opted_out = record_consent(
        profile,
        ConsentInput(action="opt_out", gpc=True, source="gpc", region="US-CA", mode="opt-out"),
        secret_keys=SECRET_KEYS,
    )
    out.append(("opted out", {"visitor_id": opted_out.visitor_id}))
    expired = record_consent(
        profile,
        ConsentInput(action="accept_all"),
        secret_keys=SECRET_KEYS,
        now=now - timedelta(days=400),
    )
    out.append(("expired", {"visitor_id": expired.visitor_id}))
    _, unknown = mint_visitor_id(SECRET_KEYS, site.site_key)
    out.append(("never seen", {"visitor_id": unknown}))
    return out


def test_the_lean_answer_is_what_the_schema_would_write(
    app: Flask, client: FlaskClient, site: Site
) -> None:
    """The document built without marshmallow equals LookupSchema's dump, key order included,
    for every shape of decision; and the API serves exactly it."""
    profile = SiteProfile.of(site)
    for name, case in decisions(site):
        visitor_id = str(case["visitor_id"])
        decision = lookup_consent(profile, secret_keys=SECRET_KEYS, visitor_id=visitor_id)
        expected = LookupSchema().dump(lookup_view(decision))
        lean = lookup_document(decision)
        assert list(lean.items()) == list(expected.items()), name
        for key in ("google_consent_mode", "segment", "tealium"):
            assert list(lean[key].items()) == list(expected[key].items()), (name, key)
        served = client.get(lookup_url(site, visitor_id))
        assert served.status_code == 200
        assert served.get_json() == expected, name
        assert served.mimetype == "application/json"
        assert served.headers["Cache-Control"] == "private, no-cache"
        etag = served.headers["ETag"]
        again = client.get(lookup_url(site, visitor_id), headers={"If-None-Match": etag})
        assert again.status_code == 304, name
        assert again.data == b""


def test_a_changed_decision_changes_the_etag(client: FlaskClient, site: Site) -> None:
    base = f"/api/v1/sites/{site.site_key}/consents"
    visitor_id = client.post(base, json={"action": "accept_all"}, headers=ORIGIN).get_json()[
        "visitor_id"
    ]
    etag = client.get(lookup_url(site, visitor_id)).headers["ETag"]
    client.post(base, json={"action": "reject_all", "visitor_id": visitor_id}, headers=ORIGIN)
    after = client.get(lookup_url(site, visitor_id), headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.get_json()["categories"]["analytics"] is False
    assert after.headers["ETag"] != etag


def test_read_state_is_the_stored_row(app: Flask, site: Site) -> None:
    decision = record_consent(
        SiteProfile.of(site),
        ConsentInput(
            action="save",
            categories={"analytics": True, "marketing": False},
            region="DE",
            mode="opt-in",
        ),
        secret_keys=SECRET_KEYS,
    )
    raw_id = verify_visitor_id(SECRET_KEYS, site.site_key, decision.visitor_id)
    view = read_state(site.id, raw_id)
    row = db.session.get(ConsentState, (site.id, raw_id))
    assert isinstance(view, StateView) and row is not None
    for field in StateView.__dataclass_fields__:
        assert getattr(view, field) == getattr(row, field), field
    assert view.decided_at is not None and view.decided_at.tzinfo is not None
    assert read_state(site.id, "no-such-visitor") is None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_runs_in_wal_mode_with_full_durability(app: Flask) -> None:
    """Readers never wait on the writer; a commit is on disk before it is acknowledged."""
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is False


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_connections_are_checked_and_durable(app: Flask) -> None:
    """A connection closed by a restart is replaced; commits wait for the disk (the defaults)."""
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW fsync").scalar() == "on"
        assert connection.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_connection_the_database_dropped_costs_one_retry(
    app: Flask, client: FlaskClient, site: Site
) -> None:
    """The reader pings nothing: a pooled connection that the server closed (a restart, a
    failover) fails once, is replaced, and the lookup still answers."""
    base = f"/api/v1/sites/{site.site_key}/consents"
    visitor_id = client.post(base, json={"action": "reject_all"}, headers=ORIGIN).get_json()[
        "visitor_id"
    ]
    reader = state_reader()
    assert reader is not None
    reader.dispose()
    # Several pooled connections, as a busy worker has: all of them die with the server's
    # sessions, and the retry must not draw another dead one.
    held = [reader.engine.connect() for _ in range(4)]
    pids = [c.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() for c in held]
    for connection in held:
        connection.close()
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for pid in pids:
            ended = connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            assert ended.scalar_one() is True
    admin.dispose()
    for _ in range(6):
        response = client.get(lookup_url(site, visitor_id))
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["categories"]["analytics"] is False


def test_a_weak_etag_revalidates_the_lookup(client: FlaskClient, site: Site) -> None:
    """A proxy that gzips JSON marks the ETag weak (W/"…"); If-None-Match compares weakly
    (RFC 9110, 13.1.2), so the 304 still comes."""
    base = f"/api/v1/sites/{site.site_key}/consents"
    visitor_id = client.post(base, json={"action": "accept_all"}, headers=ORIGIN).get_json()[
        "visitor_id"
    ]
    etag = client.get(lookup_url(site, visitor_id)).headers["ETag"]
    for sent in (etag, f"W/{etag}", f'"other", W/{etag}', "*"):
        again = client.get(lookup_url(site, visitor_id), headers={"If-None-Match": sent})
        assert again.status_code == 304, sent
        assert again.headers["ETag"] == etag
    assert (
        client.get(lookup_url(site, visitor_id), headers={"If-None-Match": 'W/"x"'}).status_code
        == 200
    )

"""Proof of consent: sealed events, configuration snapshots, ``consents verify`` and ``purge``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from cookieconsent import create_app
from cookieconsent.extensions import db
from cookieconsent.models import (
    ChainHead,
    ConfigSnapshot,
    ConsentEvent,
    ConsentState,
    Site,
    WebhookDelivery,
)
from cookieconsent.services.chain import (
    chain_keys,
    chain_length,
    compute_mac,
    event_content,
    verify_chain,
)
from cookieconsent.services.consent import ConsentInput, Decision, record_consent
from cookieconsent.services.jurisdictions import effective_rules
from cookieconsent.services.retention import purge_candidates, purge_site
from cookieconsent.services.sites import SiteProfile, bundled_config
from cookieconsent.services.webhooks import add_endpoint
from tests.widget_script import served_config

from .conftest import SECRET_KEYS, SiteFactory, _config, table_counts

SHOP_ORIGIN = "https://shop.example"
NEXT_KEY = "test-key-next"


def post_choice(client: FlaskClient, site: Site, body: dict[str, Any]) -> Any:
    response = client.post(
        f"/api/v1/sites/{site.site_key}/consents",
        json=body,
        headers={"Origin": f"https://{site.domains[0]}", "User-Agent": "Browser/1.0"},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def events(site_id: int | None = None) -> list[ConsentEvent]:
    query = sa.select(ConsentEvent).order_by(ConsentEvent.sequence)
    if site_id is not None:
        query = query.where(ConsentEvent.site_id == site_id)
    return list(db.session.execute(query).scalars())


def patch_config(client: FlaskClient, make_site: SiteFactory, site: Site, body: Any) -> None:
    response = client.patch(
        f"/api/v1/sites/{site.site_key}/config",
        json=body,
        headers={"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
    )
    assert response.status_code == 200, response.get_json()


def verify(runner: FlaskCliRunner, *args: str) -> Result:
    return runner.invoke(args=["consents", "verify", *args])


# Sealed events and snapshots ----------------------------------------------------------------


def test_events_are_sealed_in_sequence(client: FlaskClient, site: Site) -> None:
    first = post_choice(client, site, {"action": "accept_all"})
    post_choice(client, site, {"action": "reject_all"})
    post_choice(client, site, {"action": "withdraw", "visitor_id": first["visitor_id"]})
    signing_key = chain_keys(SECRET_KEYS)[-1].key_id

    recorded = events()
    assert [event.sequence for event in recorded] == [1, 2, 3]
    assert [event.id for event in recorded] == sorted(event.id for event in recorded)
    for event in recorded:
        assert re.fullmatch(r"[0-9a-f]{64}", event.mac or "")
        assert re.fullmatch(r"[0-9a-f]{64}", event.personal_digest or "")
        assert event.key_id == signing_key
    assert len({event.mac for event in recorded}) == 3
    head = db.session.get(ChainHead, site.id)
    assert head is not None
    assert (head.sequence, head.mac) == (3, recorded[-1].mac)
    assert head.checkpoint_sequence == 0


def test_each_site_has_its_own_chain(
    client: FlaskClient, site: Site, make_site: SiteFactory
) -> None:
    other = make_site(name="Other", domains=("other.example",))
    post_choice(client, site, {"action": "accept_all"})
    post_choice(client, other, {"action": "accept_all"})
    post_choice(client, site, {"action": "accept_all"})
    assert [event.sequence for event in events(site.id)] == [1, 2]
    assert [event.sequence for event in events(other.id)] == [1]


def test_snapshot_holds_what_the_widget_showed(client: FlaskClient, site: Site) -> None:
    embedded = served_config(client, site.site_key)
    post_choice(client, site, {"action": "accept_all"})
    post_choice(client, site, {"action": "reject_all"})

    snapshots = list(db.session.execute(sa.select(ConfigSnapshot)).scalars())
    assert len(snapshots) == 1, "two consents under one configuration share a snapshot"
    [snapshot] = snapshots
    assert {event.snapshot_id for event in events()} == {snapshot.id}
    assert snapshot.site_id == site.id
    assert snapshot.digest == embedded["digest"]

    shown = snapshot.content["widget"]
    assert [category["name"] for category in shown["categories"]] == embedded["categories"]
    assert shown["policyVersion"] == embedded["policyVersion"] == "1.0"
    # The script carries some languages and loads the others; the snapshot holds them all.
    assert set(shown["texts"]) == set(embedded["languages"])
    # What the script carries is exactly the compact form of what the snapshot holds.
    per_request = {"apiBase", "modules"}
    assert {k: v for k, v in embedded.items() if k not in per_request} == bundled_config(
        {**shown, "digest": snapshot.digest}
    )
    assert snapshot.content["jurisdiction_rules"] == effective_rules({})


def test_changed_text_makes_a_new_snapshot(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    post_choice(client, site, {"action": "accept_all"})
    patch_config(client, make_site, site, {"texts": {"vi": {"title": "Cookie của Shop"}}})
    embedded = served_config(client, site.site_key)
    assert embedded["texts"]["vi"]["title"] == "Cookie của Shop"
    post_choice(client, site, {"action": "accept_all"})

    first, second = events()
    assert first.snapshot_id != second.snapshot_id
    old = db.session.get(ConfigSnapshot, first.snapshot_id)
    new = db.session.get(ConfigSnapshot, second.snapshot_id)
    assert old is not None and new is not None
    assert old.content["widget"]["texts"]["vi"]["title"] != "Cookie của Shop"
    assert new.content["widget"]["texts"]["vi"]["title"] == "Cookie của Shop"
    assert new.digest == embedded["digest"]
    assert table_counts()["config_snapshots"] == 2


def test_config_digest_names_the_snapshot_shown(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    old_digest = served_config(client, site.site_key)["digest"]
    post_choice(client, site, {"action": "accept_all", "config_digest": old_digest})
    patch_config(client, make_site, site, {"texts": {"en": {"title": "Cookies at Shop"}}})
    new_digest = served_config(client, site.site_key)["digest"]
    assert new_digest != old_digest

    # A page still running the cached old script says so, and is believed.
    post_choice(client, site, {"action": "reject_all", "config_digest": old_digest})
    post_choice(client, site, {"action": "reject_all", "config_digest": new_digest})
    # A digest the site never showed is not believed: the current configuration is recorded.
    post_choice(client, site, {"action": "reject_all", "config_digest": "0" * 64})
    post_choice(client, site, {"action": "reject_all"})

    digests: dict[int | None, str] = {
        snapshot.id: snapshot.digest
        for snapshot in db.session.execute(sa.select(ConfigSnapshot)).scalars()
    }
    assert [digests[event.snapshot_id] for event in events()] == [
        old_digest,
        old_digest,
        new_digest,
        new_digest,
        new_digest,
    ]


def test_snapshot_shown_before_a_change_is_kept_for_late_choices(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    """A visitor who loaded the banner before the change, and nobody chose under it yet."""
    shown = served_config(client, site.site_key)
    patch_config(client, make_site, site, {"texts": {"vi": {"title": "Tiêu đề mới"}}})
    post_choice(client, site, {"action": "accept_all", "config_digest": shown["digest"]})

    [event] = events()
    snapshot = db.session.get(ConfigSnapshot, event.snapshot_id)
    assert snapshot is not None
    assert snapshot.digest == shown["digest"]
    carried = shown["texts"]["vi"]
    assert {key: snapshot.content["widget"]["texts"]["vi"][key] for key in carried} == carried


def test_snapshots_are_per_site(client: FlaskClient, site: Site, make_site: SiteFactory) -> None:
    other = make_site(name="Other", domains=("other.example",))
    digest = served_config(client, other.site_key)["digest"]
    post_choice(client, other, {"action": "accept_all"})
    # Another site's digest does not make this site's event point at that site's snapshot.
    post_choice(client, site, {"action": "accept_all", "config_digest": digest})
    mine = events(site.id)[0]
    snapshot = db.session.get(ConfigSnapshot, mine.snapshot_id)
    assert snapshot is not None and snapshot.site_id == site.id


# consents verify ----------------------------------------------------------------------------


@pytest.fixture
def chain(client: FlaskClient, site: Site) -> dict[str, str]:
    """Five events of three visitors: A accept, B reject, A reject, C accept, A withdraw."""
    a = post_choice(client, site, {"action": "accept_all"})["visitor_id"]
    post_choice(client, site, {"action": "reject_all"})
    post_choice(client, site, {"action": "reject_all", "visitor_id": a})
    clicked = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    post_choice(client, site, {"action": "accept_all", "chosen_at": clicked})
    post_choice(client, site, {"action": "withdraw", "visitor_id": a})
    return {"site_key": site.site_key, "visitor": a}


def event_id(site: Site, sequence: int) -> int:
    return int(
        db.session.execute(
            sa.select(ConsentEvent.id).where(
                ConsentEvent.site_id == site.id, ConsentEvent.sequence == sequence
            )
        ).scalar_one()
    )


def set_fields(site: Site, sequence: int, **values: Any) -> None:
    db.session.execute(
        sa.update(ConsentEvent)
        .where(ConsentEvent.site_id == site.id, ConsentEvent.sequence == sequence)
        .values(**values)
    )


def delete_event(site: Site, sequence: int) -> None:
    doomed = event_id(site, sequence)
    # What a careful forger does too: the visitor's state points at the one before.
    earlier = db.session.execute(
        sa.select(sa.func.max(ConsentEvent.id)).where(
            ConsentEvent.site_id == site.id,
            ConsentEvent.visitor_id
            == sa.select(ConsentEvent.visitor_id)
            .where(ConsentEvent.id == doomed)
            .scalar_subquery(),
            ConsentEvent.id < doomed,
        )
    ).scalar_one()
    db.session.execute(
        sa.update(ConsentState)
        .where(ConsentState.last_event_id == doomed)
        .values(last_event_id=earlier)
    )
    db.session.execute(sa.delete(ConsentEvent).where(ConsentEvent.id == doomed))


def forge_copy(site: Site, of_sequence: int, sequence: int) -> ConsentEvent:
    original = db.session.get(ConsentEvent, event_id(site, of_sequence))
    assert original is not None
    columns = [c.key for c in ConsentEvent.__table__.columns if c.key not in {"id", "sequence"}]
    forged = ConsentEvent(**{key: getattr(original, key) for key in columns}, sequence=sequence)
    db.session.add(forged)
    return forged


def renumber_from(site: Site, sequence: int, shift: int) -> None:
    # Through a range no event uses, so the unique (site, sequence) never collides.
    for step in (10_000, shift - 10_000):
        db.session.execute(
            sa.update(ConsentEvent)
            .where(ConsentEvent.site_id == site.id, ConsentEvent.sequence >= sequence)
            .values(sequence=ConsentEvent.sequence + step)
        )
        sequence += step


def edit_categories(site: Site) -> None:
    set_fields(site, 2, categories={"essential": True, "analytics": True, "marketing": True})


def edit_action(site: Site) -> None:
    set_fields(site, 3, action="accept_all", decided=True)


def edit_time(site: Site) -> None:
    set_fields(site, 2, created_at=datetime.now(UTC) - timedelta(days=400))


def edit_chosen_at(site: Site) -> None:
    set_fields(site, 4, chosen_at=datetime(2026, 11, 29, 9, 59, tzinfo=UTC))


def add_chosen_at(site: Site) -> None:
    set_fields(site, 2, chosen_at=datetime(2026, 11, 29, 10, 0, tzinfo=UTC))


def drop_chosen_at(site: Site) -> None:
    set_fields(site, 4, chosen_at=None)


def delete_middle(site: Site) -> None:
    delete_event(site, 3)


def delete_last(site: Site) -> None:
    delete_event(site, 5)


def insert_at_end(site: Site) -> None:
    forge_copy(site, 4, 6)


def insert_at_end_and_move_head(site: Site) -> None:
    forged = forge_copy(site, 4, 6)
    db.session.execute(
        sa.update(ChainHead).where(ChainHead.site_id == site.id).values(sequence=6, mac=forged.mac)
    )


def insert_in_the_middle(site: Site) -> None:
    renumber_from(site, 3, 1)
    forge_copy(site, 4, 3)


def swap(site: Site) -> None:
    second, fourth = event_id(site, 2), event_id(site, 4)
    for row, sequence in ((second, -1), (fourth, 2), (second, 4)):
        db.session.execute(
            sa.update(ConsentEvent).where(ConsentEvent.id == row).values(sequence=sequence)
        )


def edit_user_agent(site: Site) -> None:
    set_fields(site, 2, user_agent="Forged/1.0")


def reassign_visitor(site: Site) -> None:
    # Hand visitor C's acceptance to visitor B.
    b_raw = db.session.get(ConsentEvent, event_id(site, 2))
    assert b_raw is not None
    set_fields(site, 4, visitor_id=b_raw.visitor_id)


def fake_erasure(site: Site) -> None:
    # Mark an event erased, so its personal fields look unchecked, then give it to someone else.
    other = db.session.get(ConsentEvent, event_id(site, 2))
    assert other is not None
    set_fields(site, 4, erased_at=datetime.now(UTC), visitor_id=other.visitor_id)


def fake_purge(site: Site) -> None:
    # Mark an event purged, so its content looks unchecked, and change what it says.
    set_fields(
        site,
        2,
        purged_at=datetime.now(UTC),
        categories={"essential": True, "analytics": True, "marketing": True},
    )


TAMPERING: list[tuple[Callable[[Site], None], str]] = [
    (edit_categories, "event 2 was edited"),
    (edit_action, "event 3 was edited"),
    (edit_time, "event 2 was edited"),
    (edit_chosen_at, "event 4 was edited"),
    (add_chosen_at, "event 2 was edited"),
    (drop_chosen_at, "event 4 was edited"),
    (delete_middle, "events 3..3 are missing (deleted)"),
    (delete_last, "events 5..5 are missing (deleted from the end)"),
    (insert_at_end, "events after 5 are not in the chain head (inserted)"),
    (insert_at_end_and_move_head, "event 6 was edited, inserted or moved"),
    (insert_in_the_middle, "events after 5 are not in the chain head (inserted)"),
    (swap, "out of order"),
    (edit_user_agent, "event 2 has edited personal fields"),
    (reassign_visitor, "event 4 has edited personal fields"),
    (fake_erasure, "event 4 is marked erased but has personal fields"),
    (fake_purge, "event 2 is marked purged but keeps its content"),
]


def test_chosen_at_is_stored_as_reported_and_sealed(client: FlaskClient, site: Site) -> None:
    # Off the server's clock, either way, within reason: the report is kept as it is.
    now = datetime.now(UTC).replace(microsecond=123456)
    moments = [now - timedelta(days=6, hours=5), now + timedelta(hours=3), now - timedelta(days=29)]
    vietnam = timezone(timedelta(hours=7))
    for moment in moments:
        reported = moment.astimezone(vietnam).isoformat()
        post_choice(client, site, {"action": "accept_all", "chosen_at": reported})
    post_choice(client, site, {"action": "reject_all", "chosen_at": None})
    recorded = events(site.id)
    assert [event.chosen_at for event in recorded] == [*moments, None]
    sealed = f'"chosen_at":"{moments[0].isoformat()}"'.encode()
    assert sealed in event_content(recorded[0])
    assert verify_chain(site.id, SECRET_KEYS).ok


@pytest.mark.parametrize(
    "offset", [timedelta(days=31), -timedelta(days=2)], ids=["month-ago", "two-days-ahead"]
)
def test_an_implausible_click_time_is_refused_and_nothing_is_written(
    client: FlaskClient, site: Site, offset: timedelta
) -> None:
    before = table_counts()
    response = client.post(
        f"/api/v1/sites/{site.site_key}/consents",
        json={"action": "accept_all", "chosen_at": (datetime.now(UTC) - offset).isoformat()},
    )
    assert response.status_code == 422
    assert "chosen_at" in response.get_json()["errors"]
    assert table_counts() == before


def test_events_without_chosen_at_keep_the_content_sealed_before_it_existed(
    client: FlaskClient, site: Site
) -> None:
    post_choice(client, site, {"action": "accept_all"})
    [event] = events(site.id)
    key = chain_keys(SECRET_KEYS)[-1].key
    # The content as events were sealed before migration 0004, field for field.
    before_0004 = {
        "site_id": event.site_id,
        "sequence": event.sequence,
        "action": event.action,
        "decided": event.decided,
        "categories": event.categories,
        "services": event.services,
        "policy_version": event.policy_version,
        "language": event.language,
        "gpc": event.gpc,
        "source": event.source,
        "created_at": event.created_at.isoformat(timespec="milliseconds"),
        "snapshot_id": event.snapshot_id,
        "region": event.region,
        "mode": event.mode,
        "personal_digest": event.personal_digest,
    }
    canonical = json.dumps(before_0004, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert event_content(event) == canonical.encode()
    assert event.mac == compute_mac(key, "0" * 64, event)


def test_untouched_chain_verifies(runner: FlaskCliRunner, chain: dict[str, str]) -> None:
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{chain['site_key']}: ok, 5 events checked"


@pytest.mark.parametrize(
    ("tamper", "problem"), TAMPERING, ids=[tamper.__name__ for tamper, _ in TAMPERING]
)
def test_tampering_is_caught(
    runner: FlaskCliRunner,
    site: Site,
    chain: dict[str, str],
    tamper: Callable[[Site], None],
    problem: str,
) -> None:
    assert verify(runner).exit_code == 0
    db.session.expire_all()
    site = db.session.execute(
        sa.select(Site).where(Site.site_key == chain["site_key"])
    ).scalar_one()
    tamper(site)
    db.session.commit()

    result = verify(runner)

    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{chain['site_key']}: TAMPERED")
    assert any(line.startswith("  - ") and problem in line for line in lines[1:]), result.output


def test_verify_one_site_only(
    client: FlaskClient, runner: FlaskCliRunner, make_site: SiteFactory
) -> None:
    good = make_site(name="Good", domains=("good.example",))
    bad = make_site(name="Bad", domains=("bad.example",))
    for target in (good, bad):
        post_choice(client, target, {"action": "accept_all"})
        post_choice(client, target, {"action": "reject_all"})
    good_key, bad_key = good.site_key, bad.site_key
    set_fields(bad, 1, categories={"essential": True, "analytics": False, "marketing": False})
    db.session.commit()

    only_good = verify(runner, "--site", good_key)
    assert only_good.exit_code == 0, only_good.output
    assert only_good.output.strip() == f"{good_key}: ok, 2 events checked"
    only_bad = verify(runner, "--site", bad_key)
    assert only_bad.exit_code == 1
    assert bad_key in only_bad.output and good_key not in only_bad.output
    every = verify(runner)
    assert every.exit_code == 1
    assert f"{good_key}: ok" in every.output
    assert f"{bad_key}: TAMPERED" in every.output


def test_verify_unknown_site(runner: FlaskCliRunner, chain: dict[str, str]) -> None:
    result = verify(runner, "--site", "nosuchsite1")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "Error: no site with key 'nosuchsite1'\n"


def test_site_without_events_verifies(runner: FlaskCliRunner, site: Site) -> None:
    site_key = site.site_key
    result = verify(runner)
    assert result.exit_code == 0
    assert result.output.strip() == f"{site_key}: ok, 0 events checked"


# Key rotation -------------------------------------------------------------------------------


@pytest.fixture
def other_app(database_url: str) -> Iterator[Callable[[list[str]], Any]]:
    """Run another instance of the service, with other keys, over the same database."""

    @contextmanager
    def run(keys: list[str]) -> Iterator[Flask]:
        # End this session's transaction, so SQLite lets the other instance write.
        db.session.commit()
        app = create_app(_config(database_url, COOKIECONSENT_SECRET_KEYS=keys, SECRET_KEY=keys[-1]))
        with app.app_context():
            try:
                yield app
            finally:
                db.session.remove()
                db.engine.dispose()
        db.session.expire_all()

    yield run


def test_rotated_keys_keep_old_events_verifiable(
    client: FlaskClient,
    runner: FlaskCliRunner,
    site: Site,
    other_app: Callable[[list[str]], Any],
) -> None:
    site_key = site.site_key
    visitor_id = post_choice(client, site, {"action": "accept_all"})["visitor_id"]
    post_choice(client, site, {"action": "reject_all"})
    old_key_id = chain_keys(SECRET_KEYS)[-1].key_id
    new_key_id = chain_keys([NEXT_KEY])[-1].key_id
    assert old_key_id != new_key_id

    with other_app([*SECRET_KEYS, NEXT_KEY]) as rotated:
        rotated_client = rotated.test_client()
        response = rotated_client.post(
            f"/api/v1/sites/{site_key}/consents",
            json={"action": "reject_all", "visitor_id": visitor_id},
            headers={"Origin": SHOP_ORIGIN},
        )
        assert response.status_code == 201, response.get_json()
        result = rotated.test_cli_runner().invoke(args=["consents", "verify"])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == f"{site_key}: ok, 3 events checked"

    assert [event.key_id for event in events()] == [old_key_id, old_key_id, new_key_id]
    # The instance that does not know the new key yet cannot vouch for the new event: not a
    # break (status 3, UNVERIFIABLE), but not a clean bill either.
    stale = verify(runner)
    assert stale.exit_code == 3
    assert stale.output.splitlines()[0] == f"{site_key}: UNVERIFIABLE, 3 events checked"
    assert f"unverifiable: 1 events sealed with key {new_key_id!r}" in stale.output

    with other_app([NEXT_KEY]) as dropped:
        result = dropped.test_cli_runner().invoke(args=["consents", "verify"])
        assert result.exit_code == 3
        assert f"unverifiable: 2 events sealed with key {old_key_id!r}, which is not " in (
            result.output
        )
        assert new_key_id not in result.output
        assert "TAMPERED" not in result.output


# Purge --------------------------------------------------------------------------------------


NOW = datetime.now(UTC)


def record_at(site: Site, days_ago: int, action: str, visitor_id: str | None = None) -> Decision:
    return record_consent(
        SiteProfile.of(site),
        ConsentInput(
            action=action,
            visitor_id=visitor_id,
            url="https://shop.example/",
            user_agent="Browser/1.0",
        ),
        secret_keys=SECRET_KEYS,
        now=NOW - timedelta(days=days_ago),
    )


@pytest.fixture
def history(site: Site) -> dict[str, Any]:
    """Two years of choices, with the consent lifetime at its 13-month cap.

    1. A accepts, 730 days ago       superseded 700 days ago: past retention
    2. B accepts, 730 days ago       superseded 380 days ago: past retention
    3. A refuses, 700 days ago       A's current decision, expired 518 days ago: past retention
    4. B saves, 380 days ago         B's current decision, valid for 15 more days: kept
    5. C accepts, today              kept
    """
    site.consent_lifetime_days = 395
    db.session.commit()
    add_endpoint(site, "https://hooks.shop.example/consent")
    a = record_at(site, 730, "accept_all")
    b = record_at(site, 730, "accept_all")
    record_at(site, 700, "reject_all", a.visitor_id)
    record_at(site, 380, "accept_all", b.visitor_id)
    c = record_at(site, 0, "accept_all")
    return {"site_key": site.site_key, "site_id": site.id, "a": a, "b": b, "c": c}


def purge_line(site_key: str, purged: int, removed: int, checkpoint: int, keys: int = 0) -> str:
    return (
        f"{site_key}: {purged} events purged, {removed} removed, checkpoint at {checkpoint}, "
        f"{keys} expired idempotency keys removed"
    )


def purge(runner: FlaskCliRunner, *args: str) -> Result:
    return runner.invoke(args=["consents", "purge", *args])


@pytest.mark.parametrize("batch", [[], ["--batch", "1"], ["--batch", "2"]], ids=["1000", "1", "2"])
def test_purge_removes_what_retention_no_longer_covers(
    client: FlaskClient, runner: FlaskCliRunner, history: dict[str, Any], batch: list[str]
) -> None:
    site_key, site_id = history["site_key"], history["site_id"]
    assert table_counts()["webhook_deliveries"] == 5

    result = purge(runner, *batch)

    assert result.exit_code == 0, result.output
    assert result.output.strip() == purge_line(site_key, 3, 3, 3)
    remaining = events(site_id)
    assert [event.sequence for event in remaining] == [4, 5]
    assert all(event.purged_at is None for event in remaining)
    head = db.session.get(ChainHead, site_id)
    assert head is not None
    assert (head.sequence, head.checkpoint_sequence) == (5, 3)
    # The deliveries of purged events went with them.
    assert table_counts()["webhook_deliveries"] == 2

    # B's current decision is still valid and kept; A's expired one is gone.
    lookup = f"/api/v1/sites/{site_key}/consents"
    b = client.get(f"{lookup}/{history['b'].visitor_id}").get_json()
    assert b["decided"] is True
    assert b["categories"] == {"essential": True, "analytics": True, "marketing": True}
    a = client.get(f"{lookup}/{history['a'].visitor_id}").get_json()
    assert a["decided"] is False
    assert db.session.execute(sa.select(sa.func.count()).select_from(ConsentState)).scalar() == 2
    assert client.get(f"{lookup}/{history['c'].visitor_id}").get_json()["decided"] is True

    verified = verify(runner)
    assert verified.exit_code == 0, verified.output
    assert verified.output.strip() == f"{site_key}: ok, 2 events checked"


def test_purge_is_idempotent(runner: FlaskCliRunner, history: dict[str, Any]) -> None:
    site_key = history["site_key"]
    assert purge(runner).exit_code == 0
    counts = table_counts()
    again = purge(runner, "--batch", "1")
    assert again.exit_code == 0
    assert again.output.strip() == purge_line(site_key, 0, 0, 3)
    assert table_counts() == counts
    assert verify(runner).exit_code == 0


def test_new_events_after_a_purge_chain_on(
    client: FlaskClient, runner: FlaskCliRunner, history: dict[str, Any]
) -> None:
    assert purge(runner).exit_code == 0
    site = db.session.get(Site, history["site_id"])
    assert site is not None
    post_choice(client, site, {"action": "reject_all", "visitor_id": history["b"].visitor_id})
    assert [event.sequence for event in events(history["site_id"])] == [4, 5, 6]
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert "3 events checked" in result.output


def test_a_tombstone_between_live_events_still_verifies(
    client: FlaskClient, runner: FlaskCliRunner, site: Site
) -> None:
    site.consent_lifetime_days = 395
    db.session.commit()
    kept = record_at(site, 380, "accept_all")  # current and valid: kept
    record_at(site, 730, "reject_all")  # expired long ago: purged
    record_at(site, 0, "accept_all")
    site_key, site_id = site.site_key, site.id

    result = purge(runner)

    assert result.output.strip() == purge_line(site_key, 1, 0, 0)
    first, tombstone, last = events(site_id)
    assert first.purged_at is None and last.purged_at is None
    assert tombstone.purged_at is not None
    # Its content is gone; its place and MAC stay, so the events after it still verify.
    assert (tombstone.visitor_id, tombstone.categories, tombstone.user_agent) == ("", {}, None)
    assert tombstone.mac is not None and tombstone.sequence == 2
    verified = verify(runner)
    assert verified.exit_code == 0, verified.output
    assert verified.output.strip() == f"{site_key}: ok, 3 events checked"
    lookup = client.get(f"/api/v1/sites/{site_key}/consents/{kept.visitor_id}").get_json()
    assert lookup["decided"] is True


def test_erased_events_are_kept_for_the_retention_window_after_erasure(
    client: FlaskClient, runner: FlaskCliRunner, site: Site
) -> None:
    old = record_at(site, 730, "accept_all")
    record_at(site, 0, "accept_all")
    site_key = site.site_key
    erased = client.delete(f"/api/v1/sites/{site_key}/consents/{old.visitor_id}")
    assert erased.get_json()["erased_events"] == 1
    # The anonymous tally counts from the erasure.
    assert purge(runner).output.strip() == purge_line(site_key, 0, 0, 0)
    db.session.execute(
        sa.update(ConsentEvent)
        .where(ConsentEvent.erased_at.is_not(None))
        .values(erased_at=NOW - timedelta(days=366))
    )
    db.session.commit()
    result = purge(runner)
    assert result.output.strip() == purge_line(site_key, 1, 1, 1)
    assert [event.sequence for event in events()] == [2]
    assert verify(runner).exit_code == 0


def test_retention_is_configurable(
    client: FlaskClient, runner: FlaskCliRunner, make_site: SiteFactory, site: Site
) -> None:
    visitor = record_at(site, 100, "accept_all")
    record_at(site, 60, "reject_all", visitor.visitor_id)  # current, valid for 122 more days
    site_key = site.site_key
    assert purge(runner).output.strip() == purge_line(site_key, 0, 0, 0)

    site = db.session.execute(sa.select(Site).where(Site.site_key == site_key)).scalar_one()
    patch_config(client, make_site, site, {"retention_days": 30})
    result = purge(runner)
    assert result.output.strip() == purge_line(site_key, 1, 1, 1)
    assert [event.action for event in events()] == ["reject_all"]
    lookup = client.get(f"/api/v1/sites/{site_key}/consents/{visitor.visitor_id}").get_json()
    assert lookup["decided"] is True
    assert verify(runner).exit_code == 0


@pytest.mark.parametrize("days", [29, 0, 3651, None])
def test_retention_bounds(
    client: FlaskClient, make_site: SiteFactory, site: Site, days: Any
) -> None:
    response = client.patch(
        f"/api/v1/sites/{site.site_key}/config",
        json={"retention_days": days},
        headers={"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
    )
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["retention_days"]
    db.session.expire_all()
    assert site.retention_days == 365


def test_purge_one_site_only(runner: FlaskCliRunner, make_site: SiteFactory) -> None:
    first = make_site(name="First", domains=("first.example",))
    second = make_site(name="Second", domains=("second.example",))
    for target in (first, second):
        record_at(target, 730, "accept_all")
    first_key = first.site_key
    result = purge(runner, "--site", first_key)
    assert result.output.strip() == purge_line(first_key, 1, 1, 1)
    assert table_counts()["consent_events"] == 1
    missing = purge(runner, "--site", "nosuchsite1")
    assert missing.exit_code == 1
    assert missing.stderr == "Error: no site with key 'nosuchsite1'\n"


def test_purged_events_leave_the_webhook_outbox(runner: FlaskCliRunner, site: Site) -> None:
    add_endpoint(site, "https://hooks.shop.example/consent")
    record_at(site, 730, "accept_all")
    assert table_counts()["webhook_deliveries"] == 1
    assert purge(runner).exit_code == 0
    assert db.session.execute(sa.select(sa.func.count()).select_from(WebhookDelivery)).scalar() == 0
    assert table_counts()["consent_events"] == 0


# Long walks: bounded batches, progress ------------------------------------------------------


def test_verify_walks_in_batches_and_reports_progress(site: Site) -> None:
    for days_ago in range(25):
        record_at(site, days_ago, "accept_all")
    steps: list[int] = []
    report = verify_chain(site.id, SECRET_KEYS, batch=10, progress=steps.append)
    assert report.complete and report.checked == 25
    assert steps == [10, 10, 5]
    assert sum(steps) == chain_length(site.id) == 25
    # Each batch left the session: nothing of the walk stays in memory.
    assert not [obj for obj in db.session.identity_map.values() if isinstance(obj, ConsentEvent)]


def test_purge_reports_every_event_it_examines(site: Site) -> None:
    site.consent_lifetime_days = 395
    db.session.commit()
    for days_ago in (900, 850, 800, 760, 740, 10, 0):
        record_at(site, days_ago, "reject_all")
    candidates = purge_candidates(site)
    assert candidates == 5  # older than the two-year retention window
    steps: list[int] = []
    result = purge_site(site, batch=2, progress=steps.append)
    assert result.purged == 5
    assert steps == [2, 2, 1] and sum(steps) == candidates


def test_a_terminal_sees_a_progress_bar_and_a_pipe_does_not(
    app: Flask, runner: FlaskCliRunner, site: Site, tmp_path: Any
) -> None:
    """The bar goes to stderr and only to a terminal; the report lines are the same either way."""
    import os
    import pty
    import subprocess
    import sys

    for days_ago in range(3):
        record_at(site, days_ago, "accept_all")
    piped = verify(runner)
    assert piped.output.strip() == f"{site.site_key}: ok, 3 events checked"
    env = {
        **os.environ,
        "COOKIECONSENT_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "COOKIECONSENT_SECRET_KEYS": ",".join(SECRET_KEYS),
        "COOKIECONSENT_INSTANCE_PATH": str(tmp_path),
        # The test's keys are short ones, which only development accepts.
        "COOKIECONSENT_ENV": "development",
    }
    primary, secondary = pty.openpty()
    command = [sys.executable, "-c", "from cookieconsent.console import main; main()"]
    finished = subprocess.run(
        [*command, "consents", "verify", "--site", site.site_key],
        env=env,
        stdout=subprocess.PIPE,
        stderr=secondary,
        timeout=120,
    )
    os.close(secondary)
    drawn = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    os.close(primary)
    assert finished.returncode == 0, drawn.decode(errors="replace")
    assert finished.stdout.decode().strip() == f"{site.site_key}: ok, 3 events checked"
    assert f"verifying {site.site_key}".encode() in drawn
    assert b"3/3" in drawn


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_purge_gives_sqlite_statistics_and_the_planner_uses_the_visitor_index(
    runner: FlaskCliRunner, site: Site
) -> None:
    """After the daily purge SQLite finds one visitor's events through their index, not by
    reading the site's whole log (bench/scale.py measured 54 ms against 0.06 ms)."""
    rows = [
        {
            "site_id": site.id,
            "visitor_id": f"visitor{number % 400:05d}",
            "action": "accept_all",
            "decided": True,
            "categories": {"essential": True},
            "services": {},
            "policy_version": "1.0",
            "gpc": False,
            "source": "banner",
            "created_at": NOW - timedelta(minutes=number),
        }
        for number in range(4000)
    ]
    db.session.execute(sa.insert(ConsentEvent), rows)
    db.session.commit()
    query = (
        "EXPLAIN QUERY PLAN SELECT id FROM consent_events WHERE site_id = 1 "
        "AND visitor_id = 'visitor00007' ORDER BY created_at DESC LIMIT 51"
    )
    with db.engine.connect() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS sqlite_stat1")
        connection.commit()
        before = " ".join(str(row[-1]) for row in connection.exec_driver_sql(query))
    assert purge(runner).exit_code == 0
    with db.engine.connect() as connection:
        stats = connection.exec_driver_sql("SELECT tbl, idx FROM sqlite_stat1").all()
        after = " ".join(str(row[-1]) for row in connection.exec_driver_sql(query))
    assert ("consent_events", "ix_consent_events_site_visitor") in stats
    assert "ix_consent_events_site_visitor" not in before
    assert "ix_consent_events_site_visitor" in after


@pytest.mark.parametrize("command", ["verify", "purge"])
def test_an_empty_site_key_is_a_mistake_not_every_site(
    runner: FlaskCliRunner, site: Site, command: str
) -> None:
    """`--site "$SITE"` with SITE unset must not quietly act on every site."""
    result = runner.invoke(args=["consents", command, "--site", ""])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: no site with key ''"

"""Purging while visitors choose: no write fails, nothing current is lost, the chain holds."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask

from cookieconsent.extensions import db
from cookieconsent.models import ConsentEvent, ConsentState, Site
from cookieconsent.services.chain import verify_chain
from cookieconsent.services.consent import ConsentInput, record_consent
from cookieconsent.services.retention import purge_site
from cookieconsent.services.sites import SiteProfile

from .conftest import SECRET_KEYS


def test_purge_runs_while_choices_are_recorded(app: Flask, site: Site) -> None:
    site.consent_lifetime_days = 395
    db.session.commit()
    profile = SiteProfile.of(site)
    two_years_ago = datetime.now(UTC) - timedelta(days=730)
    # Older than the 365-day retention, yet still current (395-day lifetime): kept.
    for number in range(10):
        record_consent(
            profile,
            ConsentInput(action="accept_all"),
            secret_keys=SECRET_KEYS,
            now=datetime.now(UTC) - timedelta(days=380, minutes=number),
        )
    # Old history: each visitor accepted, then refused a week later; both ended long ago.
    for number in range(40):
        first = record_consent(
            profile,
            ConsentInput(action="accept_all"),
            secret_keys=SECRET_KEYS,
            now=two_years_ago + timedelta(minutes=number),
        )
        record_consent(
            profile,
            ConsentInput(action="reject_all", visitor_id=first.visitor_id),
            secret_keys=SECRET_KEYS,
            now=two_years_ago + timedelta(days=7, minutes=number),
        )
    site_id = site.id
    errors: list[BaseException] = []
    recorded: list[str] = []

    def visitors() -> None:
        with app.app_context():
            try:
                for _ in range(60):
                    decision = record_consent(
                        profile,
                        ConsentInput(
                            action="save", categories={"analytics": True, "marketing": False}
                        ),
                        secret_keys=SECRET_KEYS,
                    )
                    recorded.append(decision.visitor_id)
            except BaseException as error:  # reported below, with the thread's own failure
                errors.append(error)
            finally:
                db.session.remove()

    def purger() -> None:
        with app.app_context():
            try:
                for _ in range(5):
                    purge_site(db.session.get(Site, site_id), batch=7)
            except BaseException as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=visitors), threading.Thread(target=purger)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(recorded) == 60

    purge_site(db.session.get(Site, site_id), batch=7)
    report = verify_chain(site_id, SECRET_KEYS)
    assert report.ok, report.problems
    remaining = db.session.execute(
        sa.select(ConsentEvent.action, sa.func.count())
        .where(ConsentEvent.site_id == site_id, ConsentEvent.purged_at.is_(None))
        .group_by(ConsentEvent.action)
    ).all()
    # The old accepts and refusals went; the still-current old accepts and the new choices stay.
    assert dict(remaining) == {"accept_all": 10, "save": 60}
    # Purged events behind still-current ones wait as tombstones, with nothing personal left.
    tombstones = (
        db.session.execute(
            sa.select(ConsentEvent).where(
                ConsentEvent.site_id == site_id, ConsentEvent.purged_at.is_not(None)
            )
        )
        .scalars()
        .all()
    )
    assert len(tombstones) == 80
    assert {(t.visitor_id, t.user_agent, t.url, t.ip_prefix) for t in tombstones} == {
        ("", None, None, None)
    }
    states = db.session.execute(
        sa.select(sa.func.count()).select_from(ConsentState).where(ConsentState.site_id == site_id)
    ).scalar_one()
    assert states == 70

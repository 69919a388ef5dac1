"""schemathesis 4 against a live server: the API does what /openapi.json says, for any input.

The server is real (werkzeug's threaded HTTP server on 127.0.0.1, PostgreSQL behind it, the
write rate limit lifted through COOKIECONSENT_RATELIMIT_WRITES). A real site, a real signed
visitor ID and the site's API token reach schemathesis through ``schemathesis.toml``, which
reads them from the environment, so generated requests get past "unknown site" and "missing
token" to the logic behind them. Every check runs (``--checks all``); the exclusions and their
reasons are in ``schemathesis.toml``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from cookieconsent import create_app
from cookieconsent.extensions import db
from cookieconsent.services.accounts import create_user, issue_token, set_role
from cookieconsent.services.sites import create_site

from .conftest import SECRET_KEYS

ROOT = Path(__file__).resolve().parent.parent
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
SEED = "20261129"
MAX_EXAMPLES = "50"
TIME_LIMIT_SECONDS = 600


class QuietHandler(WSGIRequestHandler):
    """Thousands of generated requests: the report says what matters, not an access log."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log nothing per request."""


@pytest.fixture
def live_server(
    postgresql_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Flask]]:
    """The service on an ephemeral port, in a thread, with the write limit lifted."""
    monkeypatch.setenv("COOKIECONSENT_RATELIMIT_WRITES", "100000 per minute")
    monkeypatch.setenv("COOKIECONSENT_RATELIMIT_REQUESTS", "100000 per minute")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": postgresql_url,
            "COOKIECONSENT_SECRET_KEYS": SECRET_KEYS,
            "SECRET_KEY": SECRET_KEYS[-1],
            "COOKIECONSENT_WEBHOOK_ALLOW_PRIVATE": True,
        }
    )
    assert app.config["RATELIMIT_CONSENT_WRITES"] == "100000 per minute"
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.session.remove()
            with db.engine.begin() as connection:
                for table in reversed(db.metadata.sorted_tables):
                    connection.execute(table.delete())
            db.engine.dispose()


def _seed(base_url: str, app: Flask) -> dict[str, str]:
    """A site with a recorded visitor, as an operator and a browser would make them."""
    import json
    import urllib.request

    with app.app_context():
        site, token = create_site(
            "Schemathesis shop", ["shop.example"], policy_url="https://shop.example/privacy"
        )
        second, _ = create_site("Second shop", ["second.example"])
        owner = create_user("owner@shop.example", "a long enough password")
        set_role(owner, site, "owner")
        second_owner = create_user("second@shop.example", "a long enough password")
        set_role(second_owner, second, "owner")
        db.session.commit()
        _, second_owner_token = issue_token(second_owner, "second site")
        _, admin_token = issue_token(owner, "schemathesis")
        bystander = create_user("bystander@shop.example", "a long enough password")
        _, spare_token = issue_token(bystander, "revoked by the run")
        site_key, second_key = site.site_key, second.site_key
    request = urllib.request.Request(
        f"{base_url}/api/v1/sites/{site_key}/consents",
        data=json.dumps({"action": "accept_all"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    visitors = []
    for _ in range(2):
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
            visitors.append(json.load(response)["visitor_id"])
    # A data subject request, so that the inbox's operations on one reach their logic.
    filing = urllib.request.Request(
        f"{base_url}/api/v1/sites/{site_key}/requests",
        data=json.dumps({"kind": "access"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(filing, timeout=10) as response:
        assert response.status == 201
        reference = json.load(response)["reference"]
    return {
        "COOKIECONSENT_ST_SITE_KEY": site_key,
        "COOKIECONSENT_ST_VISITOR_ID": visitors[0],
        "COOKIECONSENT_ST_ERASED_VISITOR_ID": visitors[1],
        "COOKIECONSENT_ST_API_TOKEN": token,
        "COOKIECONSENT_ST_ADMIN_TOKEN": admin_token,
        "COOKIECONSENT_ST_SECOND_SITE_KEY": second_key,
        "COOKIECONSENT_ST_SPARE_TOKEN": spare_token,
        "COOKIECONSENT_ST_SECOND_OWNER_TOKEN": second_owner_token,
        "COOKIECONSENT_ST_REFERENCE": reference,
    }


@pytest.mark.postgresql
def test_api_keeps_its_openapi_contract(
    live_server: tuple[str, Flask], tmp_path_factory: pytest.TempPathFactory
) -> None:
    base_url, app = live_server
    env = {**os.environ, **_seed(base_url, app), "NO_COLOR": "1", "COLUMNS": "120"}
    started = time.monotonic()
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(ROOT / "schemathesis.toml"),
            "run",
            f"{base_url}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            SEED,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT_SECONDS,
    )
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    report = tmp_path_factory.mktemp("schemathesis") / "output.txt"
    report.write_text(output)
    summary = "\n".join(output.splitlines()[-40:])
    print(f"schemathesis took {elapsed:.0f} s\n{summary}")
    assert result.returncode == 0, f"full output in {report}\n{output[-20000:]}"
    assert "Failures:" not in output, summary
    tested = re.search(r"Tested: (\d+)", output)
    cases = re.search(r"(\d+) generated, (\d+) passed", output)
    assert tested is not None and cases is not None, summary
    # Every operation of /openapi.json, each with generated cases, all of them passing.
    assert int(tested.group(1)) >= 18, summary
    assert int(cases.group(1)) == int(cases.group(2)) > 1000, summary
    assert elapsed < TIME_LIMIT_SECONDS
    with app.app_context():
        # The run wrote through the API, as a client would: events were recorded.
        assert db.session.execute(sa.text("SELECT count(*) FROM consent_events")).scalar_one() > 1

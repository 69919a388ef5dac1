"""Reading what the widget script carries: the site's configuration it is called with."""

from __future__ import annotations

import json
import re
from typing import Any

from flask.testing import FlaskClient

# The bundle is `(function(__cc_config){…})` and the server calls it: `(…)({…});`.
CALL = re.compile(r"\}\)\((\{.*\})\);\s*$", re.S)


def embedded_config(script: str) -> dict[str, Any]:
    """The configuration a served widget script is called with."""
    match = CALL.search(script)
    assert match, "the widget ends by calling itself with the site's configuration"
    config: dict[str, Any] = json.loads(match.group(1))
    return config


def served_config(client: FlaskClient, site_key: str) -> dict[str, Any]:
    """Fetch ``/c/<site_key>.js`` and return the configuration inside."""
    response = client.get(f"/c/{site_key}.js")
    assert response.status_code == 200
    return embedded_config(response.get_data(as_text=True))

"""Operational endpoints: health."""

from __future__ import annotations

from flask_smorest import Blueprint
from sqlalchemy import text

from .errors import fail
from .extensions import db
from .schemas import HealthSchema

blp = Blueprint("meta", __name__, description="Service health.")


@blp.route("/healthz")
@blp.response(200, HealthSchema)
@blp.alt_response(503, description="The database does not answer")
def healthz() -> dict[str, str]:
    """200 when the database answers, 503 otherwise."""
    if not database_ready():
        fail(503, "The database does not answer.", errors={"database": ["unreachable"]})
    return {"status": "ok"}


def database_ready() -> bool:
    """Whether the database answers a trivial query."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return False
    return True

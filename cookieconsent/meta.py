"""Operational endpoints: health."""

from __future__ import annotations

from flask_smorest import Blueprint

from .errors import fail
from .extensions import db
from .schemas import HealthSchema
from .services.schema import schema_problem

blp = Blueprint("meta", __name__, description="Service health.")


@blp.route("/healthz")
@blp.response(200, HealthSchema)
@blp.alt_response(503, description="The database does not answer, or its schema is not current")
def healthz() -> dict[str, str]:
    """200 when the database answers and its schema is at the code's head, 503 otherwise."""
    try:
        problem = schema_problem(db.session.connection())
    except Exception:
        db.session.rollback()
        fail(503, "The database does not answer.", errors={"database": ["unreachable"]})
    if problem is not None:
        # A load balancer keeps traffic away from an instance whose pages would all fail.
        fail(503, "The database's schema is not current.", errors={"database": [problem]})
    return {"status": "ok"}

"""One error shape for every failure: RFC 9457 problem JSON as described in CONTRACT.md."""

from __future__ import annotations

import http
import logging
from collections.abc import Mapping
from typing import Any, NoReturn

from flask import Flask, Response, json, request
from flask_smorest import Api
from flask_smorest import abort as smorest_abort
from flask_smorest.utils import prepare_response
from marshmallow import Schema, fields
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions
from werkzeug.http import HTTP_STATUS_CODES

from .extensions import db

log = logging.getLogger(__name__)

PROBLEM_MIMETYPE = "application/problem+json"
# Seconds a client should wait before sending a request again when the database cannot be
# reached: about what a PostgreSQL restart or fail-over takes. The widget keeps the choice and
# retries under the same Idempotency-Key, so nothing is lost meanwhile.
DATABASE_RETRY_AFTER = 5


class ProblemSchema(Schema):
    """An RFC 9457 problem, as every error answers (``application/problem+json``)."""

    type = fields.String(
        required=True, metadata={"description": "A URI naming the problem; about:blank"}
    )
    title = fields.String(required=True, metadata={"description": "The status's phrase"})
    status = fields.Integer(required=True, metadata={"description": "The HTTP status"})
    detail = fields.String(required=True, metadata={"description": "What went wrong, in words"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={
            "description": "The fields at fault (dotted paths, e.g. categories.ads) and their "
            "messages; empty when no field is to blame."
        },
    )


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn nested marshmallow/webargs messages into ``{"a.b": [message, …]}``."""
    if isinstance(messages, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            # webargs nests body errors under their location ("json", "query", …).
            if not prefix and key in {"json", "query", "view_args", "headers", "form"}:
                name = ""
            elif key == "_schema":
                name = prefix or "body"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            for field, items in flatten_errors(value, name).items():
                flat.setdefault(field, []).extend(items)
        return flat
    if isinstance(messages, list | tuple):
        if all(isinstance(item, str) for item in messages):
            return {prefix or "body": list(messages)}
        flat = {}
        for item in messages:
            for field, items in flatten_errors(item, prefix).items():
                flat.setdefault(field, []).extend(items)
        return flat
    return {prefix or "body": [str(messages)]}


def problem_response(
    status: int,
    detail: str | None = None,
    errors: Mapping[str, list[str]] | None = None,
    *,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Build a problem JSON response."""
    default_detail = getattr(default_exceptions.get(status), "description", None)
    payload = {
        "type": "about:blank",
        "title": title or HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail or (default_detail if isinstance(default_detail, str) else ""),
        "errors": dict(errors or {}),
    }
    response = Response(json.dumps(payload), status=status, mimetype=PROBLEM_MIMETYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def fail(
    status: int,
    message: str | None,
    errors: Mapping[str, list[str]] | None = None,
    *,
    headers: Mapping[str, str] | None = None,
) -> NoReturn:
    """Stop the request with a problem response naming the fields at fault."""
    data: dict[str, Any] = {"errors": dict(errors or {}), "headers": dict(headers or {})}
    if message:
        data["message"] = message
    smorest_abort(status, **data)
    raise AssertionError("unreachable")  # pragma: no cover - abort always raises


class ProblemApi(Api):  # type: ignore[misc]
    """flask-smorest's Api, answering every HTTP error with problem JSON, and saying so."""

    # What handle_http_exception sends, so that the description matches it.
    ERROR_SCHEMA = ProblemSchema
    # Every operation lists the statuses it can answer; a catch-all would hide the rest.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_responses(self) -> None:
        """Describe the reusable error responses as problem JSON, not smorest's own shape."""
        self.spec.components.schema("Problem", schema=ProblemSchema)
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = "Problem"
            prepare_response(response, self.spec, PROBLEM_MIMETYPE)
            self.spec.components.response(status.name, response, lazy=True)

    def handle_http_exception(self, error: HTTPException) -> Response:
        """Render an HTTP error, including webargs validation errors, as problem JSON.

        The console (``/admin/``) answers with its own HTML page instead, even for an address it
        does not know.
        """
        status = error.code or 500
        if request.path.startswith("/admin/") and status != 500:
            from .admin import error_page

            return error_page(status)
        if status == 500:
            original = getattr(error, "original_exception", None)
            if original is not None and schema_missing(original):
                return schema_missing_response(original)
            if original is not None and database_unavailable(original):
                return database_unavailable_response(original)
            db.session.rollback()
            if original is not None:
                log.error("unhandled error", exc_info=original)
            return problem_response(500, "The server could not complete this request.")
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages") or {}
        detail = data.get("message") or error.description
        flat = flatten_errors(errors) if errors else {}
        if flat and status == 422 and not data.get("message"):
            detail = "The request has invalid fields: " + ", ".join(sorted(flat)) + "."
        elif flat and status == 400 and "body" in flat and not data.get("message"):
            detail = flat["body"][0]
        elif flat and status == 400 and not data.get("message"):
            # Werkzeug's generic description says nothing; the field's own message does.
            field, messages = sorted(flat.items())[0]
            detail = (
                f"{field}: {messages[0]}"
                if len(flat) == 1
                else ("The request has invalid fields: " + ", ".join(sorted(flat)) + ".")
            )
        headers = dict(data.get("headers") or {})
        response = problem_response(status, detail, flat, headers=headers)
        if status == 405 and error.get_headers():
            for name, value in error.get_headers():
                if name.lower() == "allow":
                    response.headers["Allow"] = value
        return response


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be reached now, rather than a bug.

    A stopped, restarting or unreachable server, a connection it ended, a lock held too long,
    or a pool with no free connection: all pass, and the same request succeeds later.
    """
    if isinstance(error, OperationalError | InterfaceError | DisconnectionError | PoolTimeoutError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


# SQLSTATEs of a table or column the code uses that the database does not have.
UNDEFINED_OBJECT_STATES = frozenset({"42P01", "42703"})
# Seconds a client should wait when the database's schema is behind the code's (a deploy whose
# `db upgrade` has not run yet).
SCHEMA_RETRY_AFTER = 30


def schema_missing(error: BaseException) -> bool:
    """Whether ``error`` says a table or column the code uses is missing: not migrated yet.

    PostgreSQL answers SQLSTATE 42P01 (undefined table) or 42703 (undefined column); SQLite
    "no such table" or "no such column".
    """
    original = getattr(error, "orig", None)
    if not isinstance(error, DBAPIError) or original is None:
        return False
    if getattr(original, "sqlstate", None) in UNDEFINED_OBJECT_STATES:
        return True
    return str(original).startswith(("no such table", "no such column"))


def schema_missing_response(error: BaseException) -> Response:
    """503 with Retry-After for a database not migrated to the code's schema.

    Visitors and clients get the same answer as during an outage (nothing was recorded; send
    again later); the log says once per request what the operator must do.
    """
    from .services.schema import UPGRADE_HINT

    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.remove()
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()
    log.error(
        "the database's schema is behind the code's (%s): %s",
        reason[0] if reason else type(error).__name__,
        UPGRADE_HINT,
    )
    return problem_response(
        503,
        "The service is being upgraded; send the request again in a minute.",
        headers={"Retry-After": str(SCHEMA_RETRY_AFTER)},
    )


def database_unavailable_response(error: BaseException) -> Response:
    """503 with Retry-After: the request may be sent again as it is.

    The transaction is rolled back, so a write that failed before its commit recorded nothing;
    one whose commit went through but whose answer was lost is answered from its
    Idempotency-Key when sent again. The log gets one line, not a traceback: an outage is an
    operational event, not a bug.
    """
    try:
        db.session.rollback()
    except SQLAlchemyError:
        # The connection is gone; dropping the session lets the pool open a new one later.
        db.session.remove()
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()
    log.warning("database unavailable: %s", reason[0] if reason else type(error).__name__)
    return problem_response(
        503,
        "The database is unavailable; send the request again in a few seconds.",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
    )


def init_app(app: Flask) -> None:
    """Make sure nothing, not even an unexpected exception, leaks a trace."""

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return app.extensions["cookieconsent.api"].handle_http_exception(error)  # type: ignore[no-any-return]
        if schema_missing(error):
            return schema_missing_response(error)
        if database_unavailable(error):
            return database_unavailable_response(error)
        db.session.rollback()
        log.exception("unhandled error")
        wrapped = InternalServerError(original_exception=error)
        return problem_response(500, wrapped.description)

"""Request input with bounds: JSON bodies (depth, integers, UTF-8, NUL, duplicate keys), paths.

Python's ``json`` module recurses once per nesting level (a 7 KB body nested 3,500 levels deep
raises ``RecursionError``), keeps the last of two equal keys, turns ``1e999`` into infinity and
accepts ``"\\u0000"`` and lone surrogates, which PostgreSQL cannot store. Every request body goes
through :func:`load_json_body` instead, which refuses all of these with the field named.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from flask import Request, request
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.routing import IntegerConverter

from .errors import fail

# The deepest legitimate body (a site configuration: categories, a category, its texts, a
# language, a text) is five levels; 32 leaves room and stays far from the interpreter's limit.
MAX_JSON_DEPTH = 32
# Integers in bodies fit a signed 64-bit column; longer digit strings are not even converted.
MAX_JSON_INTEGER = 2**63 - 1
_MAX_INTEGER_DIGITS = 20

# Strings (a key is a string followed by a colon) and brackets: all the depth scan needs.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"(\s*:)?|[\[\]{}]', re.DOTALL)
NUL_MESSAGE = "NUL characters are not allowed."
_SURROGATE = re.compile("[\ud800-\udfff]")


class JSONBodyError(ValueError):
    """A body that is not acceptable JSON; ``field`` is where the fault is (``body``: all of it)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _too_deep(text: str) -> str | None:
    """The top-level field under which nesting passes the limit, ``body`` if none, else None."""
    depth = 0
    top_field: str | None = None
    for match in _TOKENS.finditer(text):
        token = match.group()
        first = token[0]
        if first == '"':
            if depth == 1 and match.group(1):
                try:
                    top_field = str(json.loads(token[: token.rindex('"') + 1]))
                except ValueError:
                    top_field = None
        elif first in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return top_field if top_field is not None and depth > 1 else "body"
        else:
            depth -= 1
    return None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise JSONBodyError(key or "body", "This key appears twice in the same object.")
        result[key] = value
    return result


class _HugeInteger:
    """A digit string too long to be worth converting; refused with its path by the walk."""


def _bounded_int(digits: str) -> int | _HugeInteger:
    if len(digits.lstrip("-")) > _MAX_INTEGER_DIGITS:
        return _HugeInteger()
    return int(digits)


def _no_constant(name: str) -> Any:
    raise JSONBodyError("body", f"{name} is not a JSON number.")


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every string, number and key below ``value``, with its dotted path (iteratively)."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{where}.{key}" if where else key
                yield child_path, key
                stack.append((child_path, child))
        elif isinstance(item, list):
            stack.extend(
                (f"{where}.{index}" if where else str(index), child)
                for index, child in enumerate(item)
            )
        else:
            yield where or "body", item


def _check_values(data: Any) -> None:
    for path, item in _walk(data, ""):
        if isinstance(item, str):
            if "\x00" in item:
                raise JSONBodyError(path, NUL_MESSAGE)
            if _SURROGATE.search(item):
                raise JSONBodyError(path, "Not valid Unicode: a lone surrogate.")
        elif isinstance(item, int) and not isinstance(item, bool):
            if not -MAX_JSON_INTEGER - 1 <= item <= MAX_JSON_INTEGER:
                raise JSONBodyError(path, f"Out of range (at most {MAX_JSON_INTEGER}).")
        elif isinstance(item, _HugeInteger):
            raise JSONBodyError(path, f"Out of range (at most {MAX_JSON_INTEGER}).")
        elif isinstance(item, float) and item in (float("inf"), float("-inf")):
            raise JSONBodyError(path, "Out of range.")


def load_json_body(data: bytes | str) -> Any:
    """Parse a request body, refusing what no endpoint accepts with a :class:`JSONBodyError`."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise JSONBodyError("body", f"Not valid UTF-8 (byte {error.start}).") from None
    else:
        text = data
    text = text.removeprefix("\ufeff")
    field = _too_deep(text)
    if field is not None:
        raise JSONBodyError(field, f"Nested deeper than {MAX_JSON_DEPTH} levels.")
    try:
        parsed = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_int=_bounded_int,
            parse_constant=_no_constant,
        )
    except JSONBodyError:
        raise
    except (ValueError, RecursionError) as error:
        raise JSONBodyError("body", f"Not valid JSON: {str(error).splitlines()[0]}.") from None
    _check_values(parsed)
    return parsed


class BoundedJSONRequest(Request):
    """Flask's request whose ``get_json`` parses with :func:`load_json_body`."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """The parsed body, or ``None`` when it is not JSON; bad JSON raises a 400 problem."""
        if "cookieconsent.json" in self.environ:
            return self.environ["cookieconsent.json"]
        if not (force or self.is_json):
            return None
        try:
            parsed = load_json_body(self.get_data(cache=cache))
        except JSONBodyError as error:
            if silent:
                return None
            fail(
                400,
                f"The body is not acceptable JSON: {error.message}",
                {error.field: [error.message]},
            )
        if cache:
            self.environ["cookieconsent.json"] = parsed
        return parsed


class BoundedJSONParser(FlaskParser):
    """webargs' Flask parser reading bodies through the bounded request parser."""

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req):
            return core.missing
        return req.get_json(force=True)


# IDs in paths name rows of INTEGER columns (32 bits on PostgreSQL).
MAX_PATH_INTEGER = 2**31 - 1


class PathIntegerOutOfRange:
    """A path integer no row can have: the view is never called, the field is named (404)."""

    def __init__(self, text: str) -> None:
        self.text = text


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>`` for row IDs: a value no column holds is refused, not overflowed."""

    def to_python(self, value: str) -> int | PathIntegerOutOfRange:
        """The integer, or a marker that :func:`check_request_values` turns into a 404."""
        if len(value) > _MAX_INTEGER_DIGITS or int(value) > MAX_PATH_INTEGER:
            return PathIntegerOutOfRange(value)
        return int(value)


def integer_converter_schema(converter: BoundedIntegerConverter) -> dict[str, Any]:
    """How the bounded ``int`` converter appears in OpenAPI."""
    return {"type": "integer", "minimum": 0, "maximum": MAX_PATH_INTEGER}


def check_request_values(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Refuse path values and query parameters no endpoint accepts, naming them."""
    for name, value in (values or {}).items():
        if isinstance(value, PathIntegerOutOfRange):
            fail(404, f"No such {name}.", {name: [f"Out of range (at most {MAX_PATH_INTEGER})."]})
        if isinstance(value, str) and "\x00" in value:
            fail(400, f"The {name} holds a NUL character.", {name: [NUL_MESSAGE]})
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            field = name.replace("\x00", "\\0") or "query"
            fail(
                400, f"The query parameter {field!r} holds a NUL character.", {field: [NUL_MESSAGE]}
            )

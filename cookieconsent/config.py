"""Configuration read from ``COOKIECONSENT_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from gunicorn.errors import AppImportError
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

MODES = ("development", "production")
MISSING_KEYS = (
    "COOKIECONSENT_SECRET_KEYS is required in production: "
    "set one or more comma-separated signing keys (the last one signs)"
)
# A signing key shorter than this can be guessed offline from one signed visitor ID.
MIN_KEY_LENGTH = 32
NEW_KEY_HINT = "make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
# The databases the migrations and the queries are written and tested for.
DATABASE_BACKENDS = ("postgresql", "sqlite")


class ConfigError(RuntimeError, AppImportError):  # type: ignore[misc]
    """The environment describes a configuration the service refuses to run with.

    Also gunicorn's ``AppImportError``, which gunicorn reports in one line and stops on, so that
    ``gunicorn 'cookieconsent:create_app()'`` refuses a bad configuration without a traceback
    from every worker.
    """


def parse_int(value: str | None, default: int, *, name: str, minimum: int = 0) -> int:
    """Read a whole number, refusing garbage with the variable's name in the message."""
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {number}")
    return number


def parse_bool(value: str | None, default: bool) -> bool:
    """Read a yes/no value: 1/true/yes/on or 0/false/no/off."""
    if value is None or value.strip() == "":
        return default
    text = value.strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"expected a yes/no value, got {value!r}")


def parse_list(value: str | None) -> list[str]:
    """Split a comma-separated value, dropping blanks."""
    if not value:
        return []
    return [item.strip() for item in value.split(",") if item.strip()]


def development_secret_key(instance_path: Path) -> str:
    """Return the development signing key, generating and keeping it on first use."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Created with owner-only permissions: the key signs every visitor ID.
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key + "\n")
    return key


def short_keys_message(secret_keys: list[str]) -> str | None:
    """What is wrong with keys shorter than :data:`MIN_KEY_LENGTH`, or ``None``; keys unnamed."""
    short = [index for index, key in enumerate(secret_keys, 1) if len(key) < MIN_KEY_LENGTH]
    if not short:
        return None
    which = " and ".join(str(index) for index in short)
    keys = f"key {which} of {len(secret_keys)} is" if len(short) == 1 else f"keys {which} are"
    return (
        f"COOKIECONSENT_SECRET_KEYS: every key needs at least {MIN_KEY_LENGTH} characters, and "
        f"{keys} shorter; {NEW_KEY_HINT}"
    )


def check_database_url(value: str) -> str:
    """``value`` when it names a PostgreSQL or SQLite database whose driver is installed."""
    example = "such as postgresql+psycopg://user@host/cookieconsent or sqlite:////path/file.sqlite3"
    try:
        url: URL = make_url(value)
    except (ArgumentError, ValueError):
        raise ConfigError(f"COOKIECONSENT_DATABASE_URL is not a database URL, {example}") from None
    backend = url.get_backend_name()
    if backend not in DATABASE_BACKENDS:
        raise ConfigError(
            f"COOKIECONSENT_DATABASE_URL names {backend}: cookieconsent runs on PostgreSQL or "
            f"SQLite, {example}"
        )
    try:
        url.get_dialect().import_dbapi()
    except Exception:  # the dialect's module, or its driver, is not there
        raise ConfigError(
            f"COOKIECONSENT_DATABASE_URL asks for the driver {url.get_driver_name()!r}, which "
            "is not installed: use postgresql+psycopg://… (psycopg comes with cookieconsent) or "
            "sqlite:///…"
        ) from None
    return value


def instance_path_from(environ: Mapping[str, str] | None = None) -> str | None:
    """``COOKIECONSENT_INSTANCE_PATH`` made absolute, or ``None`` for Flask's default.

    Flask's default is ``./instance`` beside a checkout and ``<prefix>/var/cookieconsent-instance``
    for an installed package: never a folder inside site-packages.
    """
    env = os.environ if environ is None else environ
    value = (env.get("COOKIECONSENT_INSTANCE_PATH") or "").strip()
    return os.path.abspath(value) if value else None


def load_config(
    environ: Mapping[str, str] | None = None,
    *,
    instance_path: Path,
    default_mode: str = "development",
    require_keys: bool = True,
) -> dict[str, Any]:
    """Build the Flask configuration from the environment.

    ``COOKIECONSENT_ENV`` overrides ``default_mode``. Production refuses to run without
    ``COOKIECONSENT_SECRET_KEYS`` unless ``require_keys`` is false (under the command line, whose
    commands check for themselves: the ``db`` commands sign nothing); development generates a
    key and keeps it in the instance folder.
    """
    env = os.environ if environ is None else environ
    mode = (env.get("COOKIECONSENT_ENV") or default_mode).strip().lower()
    if mode not in MODES:
        raise ConfigError(f"COOKIECONSENT_ENV must be development or production, got {mode!r}")
    production = mode == "production"

    # Said once the app logs (cookieconsent.create_app): accepted, but worth an operator's look.
    warnings: list[str] = []
    secret_keys = parse_list(env.get("COOKIECONSENT_SECRET_KEYS"))
    if not secret_keys and production and require_keys:
        raise ConfigError(MISSING_KEYS)
    if not secret_keys and not production:
        secret_keys = [development_secret_key(instance_path)]
    if short := short_keys_message(secret_keys):
        if production:
            raise ConfigError(short)
        warnings.append(f"{short} (accepted in development only)")

    if env.get("COOKIECONSENT_DATABASE_URL"):
        database_url = check_database_url(env["COOKIECONSENT_DATABASE_URL"])
    else:
        database_url = f"sqlite:///{instance_path / 'cookieconsent.sqlite3'}"
        if production:
            warnings.append(
                "COOKIECONSENT_DATABASE_URL is not set: production is using the SQLite file "
                f"{instance_path / 'cookieconsent.sqlite3'}; set a PostgreSQL URL "
                "(postgresql+psycopg://…) for a service with several workers or hosts"
            )
    redis_url = env.get("COOKIECONSENT_REDIS_URL") or None

    return {
        "ENV_MODE": mode,
        "COOKIECONSENT_CONFIG_WARNINGS": warnings,
        # FLASK_DEBUG never reaches production: no debugger, no tracebacks in answers.
        **({"DEBUG": False} if production else {}),
        # No key at all only under the command line in production: see cli.require_ready.
        "SECRET_KEY": secret_keys[-1] if secret_keys else None,
        "COOKIECONSENT_SECRET_KEYS": secret_keys,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "COOKIECONSENT_GEOIP_DB": env.get("COOKIECONSENT_GEOIP_DB") or None,
        "COOKIECONSENT_TRUST_PROXY": parse_int(
            env.get("COOKIECONSENT_TRUST_PROXY"), 0, name="COOKIECONSENT_TRUST_PROXY"
        ),
        "COOKIECONSENT_REDIS_URL": redis_url,
        # A consent write carries a handful of fields; anything larger is abuse.
        "MAX_CONTENT_LENGTH": 256 * 1024,
        "COOKIECONSENT_MAX_WRITE_BYTES": 8 * 1024,
        # A whole site configuration through the console's API.
        "COOKIECONSENT_MAX_ADMIN_BYTES": 256 * 1024,
        # 1000 signed IDs of at most 128 characters, with room for JSON punctuation.
        "COOKIECONSENT_MAX_BATCH_BYTES": 160 * 1024,
        "COOKIECONSENT_WIDGET_MAX_AGE": parse_int(
            env.get("COOKIECONSENT_WIDGET_MAX_AGE"), 300, name="COOKIECONSENT_WIDGET_MAX_AGE"
        ),
        # How long a worker may answer from its copy of a site's settings after another worker
        # changed them; changes made in the same process apply at once.
        "COOKIECONSENT_SITE_CACHE_SECONDS": parse_int(
            env.get("COOKIECONSENT_SITE_CACHE_SECONDS"), 10, name="COOKIECONSENT_SITE_CACHE_SECONDS"
        ),
        # Webhooks to loopback or private addresses: handy in development, SSRF in production.
        "COOKIECONSENT_WEBHOOK_ALLOW_PRIVATE": parse_bool(
            env.get("COOKIECONSENT_WEBHOOK_ALLOW_PRIVATE"), not production
        ),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_CONSENT_WRITES": env.get("COOKIECONSENT_RATELIMIT_WRITES", "120 per minute"),
        # Each data subject request starts a legal clock for the site's owner: far fewer.
        "RATELIMIT_REQUESTS": env.get("COOKIECONSENT_RATELIMIT_REQUESTS", "10 per hour"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "API_TITLE": "cookieconsent",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        # The console's session: a signed cookie, HttpOnly, SameSite=Lax, Secure in production,
        # for 12 hours; CSRF tokens live as long as the session.
        "SESSION_COOKIE_NAME": "cookieconsent_console",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "WTF_CSRF_TIME_LIMIT": None,
        "JSON_SORT_KEYS": False,
    }

"""Configuration read from ``COOKIECONSENT_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MODES = ("development", "production")
MISSING_KEYS = (
    "COOKIECONSENT_SECRET_KEYS is required in production: "
    "set one or more comma-separated signing keys (the last one signs)"
)


class ConfigError(RuntimeError):
    """The environment describes a configuration the service refuses to run with."""


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

    secret_keys = parse_list(env.get("COOKIECONSENT_SECRET_KEYS"))
    if not secret_keys and production and require_keys:
        raise ConfigError(MISSING_KEYS)
    if not secret_keys and not production:
        secret_keys = [development_secret_key(instance_path)]

    database_url = env.get("COOKIECONSENT_DATABASE_URL") or (
        f"sqlite:///{instance_path / 'cookieconsent.sqlite3'}"
    )
    redis_url = env.get("COOKIECONSENT_REDIS_URL") or None

    return {
        "ENV_MODE": mode,
        # No key at all only under the command line in production: see cli.require_ready.
        "SECRET_KEY": secret_keys[-1] if secret_keys else None,
        "COOKIECONSENT_SECRET_KEYS": secret_keys,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "COOKIECONSENT_GEOIP_DB": env.get("COOKIECONSENT_GEOIP_DB") or None,
        "COOKIECONSENT_TRUST_PROXY": parse_int(
            env.get("COOKIECONSENT_TRUST_PROXY"), 0, name="COOKIECONSENT_TRUST_PROXY"
        ),
        "COOKIECONSENT_REDIS_URL": redis_url,
        # A consent write carries a handful of fields; anything larger is abuse.
        "MAX_CONTENT_LENGTH": 256 * 1024,
        "COOKIECONSENT_MAX_WRITE_BYTES": 8 * 1024,
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
        "RATELIMIT_HEADERS_ENABLED": True,
        "API_TITLE": "cookieconsent",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "JSON_SORT_KEYS": False,
    }

"""Production entry point: ``gunicorn cookieconsent.wsgi:app``.

Production unless ``COOKIECONSENT_ENV`` says otherwise, so it refuses to start without
``COOKIECONSENT_SECRET_KEYS``.
"""

from __future__ import annotations

from gunicorn.errors import AppImportError

from . import create_app
from .config import ConfigError

try:
    app = create_app(default_env="production")
except ConfigError as error:
    # gunicorn prints an AppImportError as one line and stops, instead of a traceback per worker.
    raise AppImportError(f"cookieconsent: {error}") from None

__all__ = ["app"]

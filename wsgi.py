"""Production entry point: ``gunicorn wsgi:app``."""

import os

from cookieconsent import create_app

# Served by gunicorn, the service is in production unless told otherwise:
# it then refuses to start without COOKIECONSENT_SECRET_KEYS.
os.environ.setdefault("COOKIECONSENT_ENV", "production")
app = create_app()

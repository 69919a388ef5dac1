"""The checkout's production entry point, ``gunicorn wsgi:app``: see cookieconsent/wsgi.py."""

from cookieconsent.wsgi import app

__all__ = ["app"]

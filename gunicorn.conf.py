"""gunicorn reads this file from the working directory by default: the package's settings.

The settings live in cookieconsent/gunicorn_conf.py, shipped with the package, so an installed
service uses the same ones:
``gunicorn -c python:cookieconsent.gunicorn_conf cookieconsent.wsgi:app``.
"""

from cookieconsent.gunicorn_conf import *  # noqa: F403

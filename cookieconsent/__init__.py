"""cookieconsent: a self-hosted consent management platform."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click
from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

from . import cli, errors
from .config import MISSING_KEYS, instance_path_from, load_config
from .extensions import db, limiter, migrate
from .services import cache, geo, state_reader
from .services.schema import MIGRATIONS_DIR
from .services.sites import SiteCache


def create_app(config: dict[str, Any] | None = None, *, default_env: str | None = None) -> Flask:
    """Build the application; ``config`` overrides what the environment says.

    The mode is ``COOKIECONSENT_ENV`` when set, else ``default_env``, else development when a
    ``config`` is passed (tests) and production when the factory is called bare, as
    ``gunicorn 'cookieconsent:create_app()'`` does: a bare factory never runs with a throw-away
    key. Production refuses to start without ``COOKIECONSENT_SECRET_KEYS``. Under the command
    line, which loads the app before it knows the command, each command checks instead: the
    ``db`` commands sign nothing and run without keys; every other one refuses in one line.
    """
    # Templates are package data (cookieconsent/templates); the widget is read through
    # importlib.resources; there is no static folder.
    app = Flask(__name__, instance_path=instance_path_from(), static_folder=None)
    if default_env is None:
        default_env = "development" if config is not None else "production"
    settings = load_config(
        instance_path=Path(app.instance_path),
        default_mode=default_env,
        require_keys=click.get_current_context(silent=True) is None,
    )
    settings.update(config or {})
    app.config.update(settings)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    # PostgreSQL's connections are checked as they leave the pool, so one closed by a restart is
    # replaced instead of failing a request; a SQLite file never goes away, so no check is paid.
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS",
        {"pool_pre_ping": not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")},
    )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    trusted = app.config["COOKIECONSENT_TRUST_PROXY"]
    if trusted:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted
        )

    db.init_app(app)
    app.extensions["cookieconsent.site_cache"] = SiteCache(
        app.config["COOKIECONSENT_SITE_CACHE_SECONDS"]
    )
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)

    @app.after_request
    def retry_after_only_when_refused(response: Response) -> Response:
        # Registered before Flask-Limiter's hook so that it runs after it: the limiter adds
        # Retry-After to every limited answer, but it means "send again later" only on a 429
        # or a 503 (RFC 9110, 10.2.3); on a 201 it would tell clients to back off for nothing.
        if response.status_code not in (429, 503):
            response.headers.pop("Retry-After", None)
        return response

    limiter.init_app(app)

    from . import admin, auth
    from .api_base import init_api
    from .embed import bp as embed_blueprint
    from .request_pages import bp as request_pages_blueprint

    auth.init_app(app)
    init_api(app)
    app.register_blueprint(embed_blueprint)
    app.register_blueprint(request_pages_blueprint)
    admin.init_app(app)
    # The JSON APIs authenticate with an Origin check or a bearer token, never a cookie.
    auth.exempt_from_csrf(*(bp for name, bp in app.blueprints.items() if name != "admin"))
    errors.init_app(app)
    cli.init_app(app)
    geo.init_app(app)
    cache.init_app(app)
    state_reader.init_app(app)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        return response

    if not app.config["COOKIECONSENT_SECRET_KEYS"]:
        # Built for a `db` command: should a server (`flask run`) start from it, it signs nothing.
        @app.before_request
        def refuse_without_keys() -> Response:
            return errors.problem_response(503, MISSING_KEYS)

    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)
    for warning in app.config.get("COOKIECONSENT_CONFIG_WARNINGS", ()):
        logging.getLogger(__name__).warning("%s", warning)
    return app

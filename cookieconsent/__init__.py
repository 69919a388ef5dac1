"""cookieconsent: a self-hosted consent management platform."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

from . import cli, errors
from .config import DEFAULT_INSTANCE_PATH, PROJECT_ROOT, load_config
from .extensions import db, limiter, migrate
from .services import cache, geo
from .services.sites import SiteCache

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application; ``config`` overrides what the environment says."""
    app = Flask(
        __name__,
        instance_path=str(DEFAULT_INSTANCE_PATH),
        static_folder=str(PROJECT_ROOT / "static"),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    settings = load_config()
    settings.update(config or {})
    app.config.update(settings)
    app.json.sort_keys = False  # type: ignore[attr-defined]
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
    limiter.init_app(app)

    from .api_base import init_api
    from .embed import bp as embed_blueprint

    init_api(app)
    app.register_blueprint(embed_blueprint)
    errors.init_app(app)
    cli.init_app(app)
    geo.init_app(app)
    cache.init_app(app)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        return response

    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)
    return app

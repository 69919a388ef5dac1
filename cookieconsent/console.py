"""The ``cookieconsent`` console script: the Flask CLI around the factory, in production.

``cookieconsent db upgrade``, ``cookieconsent sites create …``: the same commands as
``flask --app app …`` in a checkout, for an installed package. Production unless
``COOKIECONSENT_ENV`` says otherwise; a configuration the service refuses is one line,
``Error: …``, and exit status 1.

It serves nothing itself: gunicorn serves (``gunicorn cookieconsent.wsgi:app``), so Flask's
development server (``run``) and its ``--debug`` switch, which would open the Werkzeug debugger
(code execution for whoever reaches the port), are not part of it. ``shell`` (a Python prompt
in the app's context) and ``routes`` stay, for operators.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo, routes_command, shell_command

from . import create_app
from .config import ConfigError


def _production_app() -> Flask:
    return create_app(default_env="production")


class ConsoleGroup(FlaskGroup):
    """A FlaskGroup without a server or debugger, whose configuration errors are one line."""

    # --debug would switch the Werkzeug debugger on; --app names another app than this one.
    WITHOUT_OPTIONS = frozenset({"debug", "app"})

    def __init__(self, **extra: Any) -> None:
        super().__init__(add_default_commands=False, **extra)
        self.params = [param for param in self.params if param.name not in self.WITHOUT_OPTIONS]
        self.add_command(shell_command)
        self.add_command(routes_command)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a refused configuration becomes ``Error: …`` and status 1."""
        try:
            return super().invoke(ctx)
        except ConfigError as error:
            raise click.ClickException(str(error)) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The commands, for ``--help``; a refused configuration is named on one line."""
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except ConfigError as error:
            click.echo(f"Error: {error}", err=True)
            self._load_plugin_commands()
            return sorted(self.commands)
        return super().list_commands(ctx)


main = ConsoleGroup(
    name="cookieconsent",
    help="Operate cookieconsent: migrations (db), sites, policies, consents, webhooks.",
    create_app=_production_app,
    # Configuration comes from the environment (COOKIECONSENT_*), never from a stray .env file.
    load_dotenv=False,
    set_debug_flag=False,
)

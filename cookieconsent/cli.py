"""Operator commands: ``flask --app app sites create``, ``flask --app app demo``.

A value the ``sites``, ``policy``, ``consents`` and ``webhooks`` commands refuse (a domain, a
text, a policy version, a configuration file, an unknown site key or webhook) is one line on
stderr, ``Error: …``, and exit status 1, with the configuration API's message for the same value
(both ask :mod:`.services.validation`); click's own usage errors (a missing option, a word where
a number goes) keep status 2.
"""

from __future__ import annotations

import functools
import json
import signal
import sys
import threading
from datetime import UTC, datetime
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from .config import MISSING_KEYS
from .embed import DEMO_SITE_KEY
from .errors import database_unavailable, flatten_errors
from .extensions import db
from .inputs import JSONBodyError, load_json_body
from .models import Site, User, WebhookDelivery, iso_utc
from .schemas import SiteConfigSchema
from .services.accounts import create_user, find_user, issue_token, set_role
from .services.chain import chain_length, legacy_events, verify_chain
from .services.config_versions import CLI, publish_changes, record_change, start_history
from .services.network import normalize_domain
from .services.policy import PolicyVersionError, publish_policy_version
from .services.retention import purge_candidates, purge_site, refresh_planner_statistics
from .services.schema import schema_problem
from .services.site_config import SiteConfigError, export_site_config
from .services.sites import (
    check_text_language,
    create_site,
    load_site,
    set_texts,
    widget_config,
)
from .services.subject_requests import check_requests
from .services.validation import InvalidInput, http_url_error
from .services.webhooks import (
    WebhookError,
    add_endpoint,
    deliver_due,
    remove_endpoint,
    rotate_secret,
)
from .texts import DEFAULT_CATEGORIES, SUPPORTED_LANGUAGES

# The largest row ID PostgreSQL's integer column holds.
MAX_ROW_ID = 2**31 - 1
# Bounds of the numeric options: beyond them a value is a mistake (and some would overflow the
# database's integers or the clock's timeouts).
MAX_PURGE_BATCH = 100_000
MAX_DELIVERY_BATCH = 1000
MAX_POLL_SECONDS = 3600
# `consents verify`: no break found, but events sealed with a key not configured went unchecked.
VERIFY_INCOMPLETE = 3

sites_cli = AppGroup("sites", help="Register and list the sites that embed the banner.")


@sites_cli.command("create")
@click.option("--name", required=True, help="The site's name, shown to its owner.")
@click.option(
    "--domain",
    "domains",
    multiple=True,
    required=True,
    help="A host allowed to embed the banner: example.com, 127.0.0.1:8001 or *.example.com.",
)
@click.option(
    "--category",
    "categories",
    multiple=True,
    help="A category besides essential (repeatable). Default: analytics, marketing.",
)
@click.option("--policy-url", default=None, help="The site's privacy policy (http or https).")
@click.option(
    "--policy-version",
    default="1.0",
    show_default=True,
    help="The policy's first version, MAJOR.MINOR.",
)
@click.option(
    "--language",
    default="vi",
    show_default=True,
    help="Language when neither the page nor the browser names a supported one: "
    f"{', '.join(SUPPORTED_LANGUAGES)}.",
)
@click.option("--owner", default=None, help="The console account (email) that owns the site.")
def create_site_command(
    name: str,
    domains: tuple[str, ...],
    categories: tuple[str, ...],
    policy_url: str | None,
    policy_version: str,
    language: str,
    owner: str | None,
) -> None:
    """Create a site and print its site_key and api_token (shown once) as JSON.

    Without --owner no console account sees it until `sites owner KEY EMAIL` gives it one.
    """
    account = _account(owner) if owner else None
    try:
        site, api_token = create_site(
            name,
            domains,
            categories=categories or DEFAULT_CATEGORIES,
            policy_url=policy_url,
            policy_version=policy_version,
            default_language=language,
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    summary = _site_summary(site)
    if account is not None:
        set_role(account, site, "owner")
        db.session.commit()
        summary["owner"] = account.email
    click.echo(json.dumps(summary | {"api_token": api_token}, ensure_ascii=False))


@sites_cli.command("owner")
@click.argument("site_key")
@click.argument("email")
def owner_site_command(site_key: str, email: str) -> None:
    """Make the console account EMAIL an owner of the site (it keeps its other owners)."""
    site = _find_site(site_key)
    account = _account(email)
    set_role(account, site, "owner")
    db.session.commit()
    click.echo(json.dumps({"site_key": site.site_key, "owner": account.email, "role": "owner"}))


def _account(email: str) -> User:
    account = find_user(email)
    if account is None:
        raise click.ClickException(
            f"no console account {email.strip()!r}: create it with `users create --email`"
        )
    return account


users_cli = AppGroup("users", help="Console accounts of the sites' owners, editors and viewers.")


@users_cli.command("create")
@click.option("--email", required=True, help="The account's email, used to sign in.")
@click.option(
    "--language", default=None, type=click.Choice(["vi", "en"]), help="The console's language."
)
def create_user_command(email: str, language: str | None) -> None:
    """Create a console account and print it as JSON.

    The password is read from standard input when it is not a terminal (one line), and
    prompted for (twice) otherwise. At least 12 characters.
    """
    stdin = sys.stdin
    if stdin.isatty():
        password = str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    else:
        password = stdin.readline().rstrip("\r\n")
    try:
        user = create_user(email, password, language=language)
    except InvalidInput as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        json.dumps({"id": user.id, "email": user.email, "created_at": iso_utc(user.created_at)})
    )


@users_cli.command("token")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, e.g. 'deploy script'.")
def token_user_command(email: str, name: str) -> None:
    """Print a new personal API token for EMAIL as JSON; it is shown this once."""
    account = _account(email)
    try:
        row, token = issue_token(account, name)
    except InvalidInput as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps({"id": row.id, "name": row.name, "email": account.email, "token": token}))


@sites_cli.command("texts")
@click.argument("site_key")
@click.option("--language", required=True, help="One of the site's languages, e.g. vi or en.")
@click.argument("assignments", nargs=-1)
def texts_command(site_key: str, language: str, assignments: tuple[str, ...]) -> None:
    """Override texts: KEY=VALUE … (title=…, accept_all=…, category.analytics.description=…).

    An empty VALUE restores the built-in text; other texts stay as they are. Without
    assignments, prints the texts in use. The language must be one the site offers (add one
    with ``sites configure``).
    """
    site = _find_site(site_key)
    values: dict[str, str] = {}
    for assignment in assignments:
        key, separator, value = assignment.partition("=")
        if not separator:
            raise click.ClickException(f"{assignment!r}: write KEY=VALUE")
        values[key.strip()] = value
    try:
        language = check_text_language(site, language)
        if values:
            start_history(site)
            set_texts(site, language, values)
            record_change(site, CLI)
    except ValueError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps(widget_config(site)["texts"][language], ensure_ascii=False, indent=2))


@sites_cli.command("show")
@click.argument("site_key")
def show_site_command(site_key: str) -> None:
    """Print the site's whole configuration as JSON; warn of stored domains now refused."""
    site = _find_site(site_key)
    # Stored before a check existed, such a domain still works; it is only named here.
    for index, domain in enumerate(site.domains):
        try:
            normalize_domain(domain)
        except ValueError as error:
            click.echo(f"Warning: domains.{index}: {error}", err=True)
    click.echo(json.dumps(export_site_config(site), ensure_ascii=False, indent=2))


@sites_cli.command("configure")
@click.argument("site_key")
@click.argument("config_file", type=click.File("rb"))
def configure_site_command(site_key: str, config_file: Any) -> None:
    """Apply a JSON configuration (categories, services, texts, consent_mode, …) from a file.

    Only the keys in the file change, and texts merge by language and key ("" or null restores
    a built-in text); lists (domains, languages, categories, services) replace. Nothing changes
    unless all of it is valid.
    """
    site = _find_site(site_key)
    try:
        payload = SiteConfigSchema().load(_read_json(config_file))
        # Published at once, as a version of the configuration's history.
        publish_changes(site, payload, CLI)
    except (ValidationError, SiteConfigError) as error:
        db.session.rollback()
        messages = error.errors if isinstance(error, SiteConfigError) else error.messages
        # The same field names and messages as the API's problem; nothing was applied.
        raise click.ClickException(
            "; ".join(
                f"{field}: {' '.join(items)}" for field, items in flatten_errors(messages).items()
            )
        ) from None
    click.echo(json.dumps(export_site_config(site), ensure_ascii=False, indent=2))


def _read_json(config_file: Any) -> Any:
    """The file's JSON, bounded as the API bounds a body: one line for what it would refuse."""
    try:
        return load_json_body(config_file.read())
    except JSONBodyError as error:
        raise click.ClickException(f"{config_file.name}: {error}") from None


def _find_site(site_key: str) -> Site:
    """The site, for every command: an unknown key is a one-line error, status 1."""
    site = load_site(site_key)
    if site is None:
        raise click.ClickException(f"no site with key {site_key!r}")
    return site


@sites_cli.command("list")
def list_sites_command() -> None:
    """Print every site as one JSON object per line."""
    for site in db.session.execute(
        select(Site).where(Site.deleted_at.is_(None)).order_by(Site.id)
    ).scalars():
        click.echo(json.dumps(_site_summary(site), ensure_ascii=False))


def _site_summary(site: Site) -> dict[str, object]:
    return {
        "site_key": site.site_key,
        "name": site.name,
        "domains": site.domains,
        "categories": [category.name for category in site.categories],
        "policy_version": site.policy_version,
        "script_path": f"/c/{site.site_key}.js",
    }


@click.command("demo")
@click.option("--port", default=5000, show_default=True, help="Port the demo will be served on.")
def demo_command(port: int) -> None:
    """Register the demo site (once) and print how to embed it."""
    _within("--port", port, 1, 65535)
    site = db.session.execute(select(Site).where(Site.site_key == DEMO_SITE_KEY)).scalar()
    if site is None:
        site, _ = create_site(
            "Demo shop",
            ["127.0.0.1", "localhost"],
            policy_url="https://example.com/privacy",
            site_key=DEMO_SITE_KEY,
        )
        # A Vietnamese visitor's banner names the controller and whom to ask (Law 91, Art. 9).
        site.controller = {
            "name": "Công ty TNHH Cửa hàng Mẫu",
            "address": "12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
            "email": "privacy@example.com",
            "dpo_email": "dpo@example.com",
        }
        db.session.commit()
    base = f"http://127.0.0.1:{port}"
    click.echo(f"Demo site key: {site.site_key}")
    click.echo(f'Embed tag:     <script src="{base}/c/{site.site_key}.js"></script>')
    click.echo(f"Demo page:     {base}/demo/")


webhooks_cli = AppGroup("webhooks", help="Send every decision change to the site owner's URLs.")


@webhooks_cli.command("add")
@click.argument("site_key")
@click.argument("url")
def add_webhook_command(site_key: str, url: str) -> None:
    """Register URL; prints its id and signing secret (shown once) as JSON."""
    site = _find_site(site_key)
    # The configuration API's rule for a webhook URL, then the webhook service's own.
    if problem := http_url_error(url):
        raise click.ClickException(f"url: {problem}")
    try:
        endpoint = add_endpoint(site, url)
    except WebhookError as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps({"id": endpoint.id, "url": endpoint.url, "secret": endpoint.secret}))


@webhooks_cli.command("list")
@click.argument("site_key")
def list_webhooks_command(site_key: str) -> None:
    """One JSON line per webhook, with its delivery counts."""
    site = _find_site(site_key)
    for endpoint in site.webhooks:
        counts = dict(
            db.session.execute(
                select(WebhookDelivery.status, func.count())
                .where(WebhookDelivery.endpoint_id == endpoint.id)
                .group_by(WebhookDelivery.status)
            ).all()
        )
        click.echo(json.dumps({"id": endpoint.id, "url": endpoint.url, "deliveries": counts}))


@webhooks_cli.command("remove")
@click.argument("site_key")
@click.argument("webhook_id", type=int)
def remove_webhook_command(site_key: str, webhook_id: int) -> None:
    """Stop sending to a webhook."""
    site = _find_site(site_key)
    # An ID no table can hold names no webhook; asking the database would overflow.
    if not 0 < webhook_id <= MAX_ROW_ID or not remove_endpoint(site, webhook_id):
        raise click.ClickException(f"site {site_key!r} has no webhook {webhook_id}")
    click.echo(f"removed webhook {webhook_id}")


@webhooks_cli.command("rotate")
@click.argument("site_key")
@click.argument("webhook_id", type=int)
def rotate_webhook_command(site_key: str, webhook_id: int) -> None:
    """Give a webhook a new secret, printed once as JSON; the old one also signs for 24 h."""
    endpoint = rotate_secret(_find_site(site_key), webhook_id)
    if endpoint is None:
        raise click.ClickException(f"site {site_key!r} has no webhook {webhook_id}")
    click.echo(
        json.dumps(
            {
                "id": endpoint.id,
                "url": endpoint.url,
                "secret": endpoint.secret,
                "previous_secret_expires_at": iso_utc(endpoint.previous_secret_expires_at),
            }
        )
    )


@webhooks_cli.command("run")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between polls.")
@click.option("--batch", default=50, show_default=True, help="Deliveries claimed per poll.")
def run_webhooks_command(once: bool, interval: float, batch: int) -> None:
    """Deliver the outbox: signed POSTs, retried with backoff, safe to run in several copies."""
    _within("--batch", batch, 1, MAX_DELIVERY_BATCH)
    if not 0 < interval <= MAX_POLL_SECONDS:  # NaN too
        raise click.ClickException(
            f"--interval: More than 0 and at most {MAX_POLL_SECONDS} seconds."
        )
    allow_private = current_app.config["COOKIECONSENT_WEBHOOK_ALLOW_PRIVATE"]
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.is_set():
            sent = deliver_due(batch=batch, allow_private=allow_private)
            if once:
                click.echo(f"attempted {sent} deliveries")
                return
            if sent < batch:
                stop.wait(interval)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


policy_cli = AppGroup("policy", help="Publish privacy policy versions.")


@policy_cli.command("publish")
@click.argument("site_key")
@click.argument("version")
@click.option(
    "--summary",
    default=None,
    help="What changed, in the site's default language, shown to visitors asked again.",
)
@click.option(
    "--summary-in",
    "summaries",
    nargs=2,
    multiple=True,
    metavar="LANG TEXT",
    help="What changed in another of the site's languages, e.g. --summary-in en 'New partner'.",
)
@click.option(
    "--effective-at",
    default=None,
    help="When it takes effect (ISO 8601, e.g. 2027-01-01T00:00:00Z); now by default.",
)
def publish_policy_command(
    site_key: str,
    version: str,
    summary: str | None,
    summaries: tuple[tuple[str, str], ...],
    effective_at: str | None,
) -> None:
    """Publish VERSION (MAJOR.MINOR); a new major version asks every visitor again."""
    site = _find_site(site_key)
    when = _moment(effective_at) if effective_at else None
    try:
        entry = publish_policy_version(
            site, version, summary=summary, summaries=dict(summaries), effective_at=when
        )
    except PolicyVersionError as error:
        db.session.rollback()
        raise click.ClickException(f"{error.field}: {error}") from None
    click.echo(
        json.dumps({"version": entry.version, "effective_at": entry.effective_at.isoformat()})
    )


def _moment(text: str) -> datetime:
    """An ISO 8601 time with a zone, in UTC; anything else is a one-line error."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.ClickException(
            f"--effective-at: {text!r} is not ISO 8601, such as 2027-01-01T00:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise click.ClickException("--effective-at: needs a time zone, such as a trailing Z")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise click.ClickException(f"--effective-at: {text!r} is out of range") from None


class _NoProgress:
    """Stands in for a progress bar where none is drawn."""

    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, steps: int) -> None:
        """Nothing to draw."""


def _progress(length: int, label: str) -> Any:
    """A progress bar of events on stderr, with the rate and time left (click's), drawn only on
    a terminal: logs, pipes and timers get the report lines alone."""
    if not sys.stderr.isatty():
        return _NoProgress()
    return click.progressbar(
        length=length, label=label, file=sys.stderr, show_pos=True, show_eta=True
    )


consents_cli = AppGroup("consents", help="Proof, verification and retention of consent records.")


@consents_cli.command("verify")
@click.option("--site", "site_key", default=None, help="Only this site (default: every site).")
def verify_command(site_key: str | None) -> None:
    """Check each site's event chain; exit 1 if an event was edited, deleted, inserted or moved.

    A report line per site goes to stdout: ok, TAMPERED, or UNVERIFIABLE when no break was found
    but some events were sealed with a key not configured here (a retired one: add it back to
    COOKIECONSENT_SECRET_KEYS to verify them). Exit status 1 means a chain is broken (TAMPERED in
    the report), or a mistake such as an unknown --site (one line on stderr, Error: …); exit
    status 3 means no break was found but some events could not be checked.
    """
    keys = current_app.config["COOKIECONSENT_SECRET_KEYS"]
    sites = [_find_site(site_key)] if site_key is not None else _all_sites()
    broken = unverifiable = 0
    for site in sites:
        with _progress(chain_length(site.id), f"verifying {site.site_key}") as bar:
            report = verify_chain(site.id, keys, progress=bar.update)
        legacy = legacy_events(site.id)
        status = "ok" if report.complete else "UNVERIFIABLE" if report.ok else "TAMPERED"
        line = f"{site.site_key}: {status}, {report.checked} events checked"
        if legacy:
            line += f", {legacy} recorded before the chain existed"
        click.echo(line)
        for problem in report.problems:
            click.echo(f"  - {problem}")
        for key_id, count in sorted(report.unverifiable.items()):
            click.echo(
                f"  - unverifiable: {count} events sealed with key {key_id!r}, which is not "
                "configured (a retired key); add it back to COOKIECONSENT_SECRET_KEYS to verify "
                "them"
            )
        broken += not report.ok
        unverifiable += bool(report.unverifiable)
    if broken:
        raise SystemExit(1)
    if unverifiable:
        raise SystemExit(VERIFY_INCOMPLETE)


@consents_cli.command("purge")
@click.option("--site", "site_key", default=None, help="Only this site (default: every site).")
@click.option("--batch", default=1000, show_default=True, help="Events per transaction.")
def purge_command(site_key: str | None, batch: int) -> None:
    """Remove events past each site's retention window, and idempotency keys past 7 days.

    Works in batches, safe while traffic flows.
    """
    _within("--batch", batch, 1, MAX_PURGE_BATCH)
    sites = [_find_site(site_key)] if site_key is not None else _all_sites()
    for site in sites:
        with _progress(purge_candidates(site), f"purging {site.site_key}") as bar:
            result = purge_site(site, batch=batch, progress=bar.update)
        click.echo(
            f"{site.site_key}: {result.purged} events purged, {result.deleted} removed, "
            f"checkpoint at {result.checkpoint}, "
            f"{result.idempotency_keys} expired idempotency keys removed"
        )
    # The purge changed the tables: the planner's statistics follow (SQLite; PostgreSQL's own).
    refresh_planner_statistics()


requests_cli = AppGroup("requests", help="Data subject requests and their legal deadlines.")


@requests_cli.command("check")
@click.option("--site", "site_key", default=None, help="Only this site (default: every site).")
def check_requests_command(site_key: str | None) -> None:
    """Flag open requests due soon (2 working days or fewer) or overdue; print a JSON summary.

    Each request entering a flag is announced once (request.due_soon, request.overdue webhook
    events); running again announces nothing new. Run it every hour (cookieconsent-requests.timer).
    """
    site = _find_site(site_key) if site_key else None
    summary = check_requests(site)
    db.session.commit()
    click.echo(
        json.dumps(
            {
                "checked": summary.checked,
                "due_soon": summary.due_soon,
                "overdue": summary.overdue,
                "notified": summary.notified,
            }
        )
    )


def _within(option: str, value: int, low: int, high: int) -> None:
    """Refuse a number outside ``low..high`` in one line, as every operator mistake is."""
    if not low <= value <= high:
        raise click.ClickException(f"{option}: From {low} to {high}.")


def _all_sites() -> list[Site]:
    return list(db.session.execute(select(Site).order_by(Site.id)).scalars())


@click.command("health")
def health_command() -> None:
    """Exit 0 when the database answers at the code's schema, else say why and exit 1.

    For the health checks of processes that serve no HTTP, such as the webhook worker.
    """
    click.echo("ok")


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(sites_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(webhooks_cli)
    app.cli.add_command(policy_cli)
    app.cli.add_command(consents_cli)
    app.cli.add_command(requests_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(health_command)
    for name, command in app.cli.commands.items():
        # Migrations (Flask-Migrate's `db`) need neither a signing key nor a migrated schema,
        # but a database that does not answer is one line for them too.
        if name == "db":
            guard_database(command)
        else:
            require_ready(command)


def _leaves(command: click.Command) -> list[click.Command]:
    if isinstance(command, click.Group):
        return [leaf for sub in command.commands.values() for leaf in _leaves(sub)]
    return [command]


def guard_database(command: click.Command) -> None:
    """Make ``command`` (a group: each subcommand) say in one line that the database is down.

    A database that does not answer (stopped, missing, an SQLite folder that does not exist) is
    ``Error: the database does not answer (…)`` and status 1, not a traceback.
    """
    for leaf in _leaves(command):
        callback = leaf.callback
        if callback is None or getattr(callback, "_guards_database", False):
            continue
        leaf.callback = _guarded(callback)


def _guarded(callback: Any) -> Any:
    @functools.wraps(callback)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except SQLAlchemyError as error:
            if not database_unavailable(error):
                raise
            raise click.ClickException(_unanswered(error)) from None

    guarded._guards_database = True  # type: ignore[attr-defined]
    return guarded


def require_ready(command: click.Command) -> None:
    """Make ``command`` (a group: each subcommand) refuse to run on an unready service.

    Refused in one line, ``Error: …``, status 1, instead of a traceback: production without
    signing keys (the CLI loads the app before it knows which command runs, so the factory
    leaves that check to here), a database without the code's schema (``run `cookieconsent
    db upgrade```), and a database that does not answer, before or while the command runs.
    Guarding at registration covers commands added later too.
    """
    for leaf in _leaves(command):
        callback = leaf.callback
        if callback is None or getattr(callback, "_checks_readiness", False):
            continue
        leaf.callback = with_appcontext(_checked(_guarded(callback)))


def _checked(callback: Any) -> Any:
    @functools.wraps(callback)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not current_app.config["COOKIECONSENT_SECRET_KEYS"]:
            raise click.ClickException(MISSING_KEYS)
        problem = _schema_problem()
        if problem is not None:
            raise click.ClickException(problem)
        return callback(*args, **kwargs)

    checked._checks_readiness = True  # type: ignore[attr-defined]
    return checked


def _schema_problem() -> str | None:
    try:
        with db.engine.connect() as connection:
            return schema_problem(connection)
    except SQLAlchemyError as error:
        return _unanswered(error)


def _unanswered(error: SQLAlchemyError) -> str:
    """One line for a database that does not answer, with the driver's first line of why."""
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    reason = lines[0] if lines else type(error).__name__
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and "unable to open" in reason:
        reason += f": {url.database}, whose folder must exist"
    return f"the database does not answer ({reason})"

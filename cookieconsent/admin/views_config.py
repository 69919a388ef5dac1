"""The console's pages for a site's configuration: banner, texts, policy, design, history,
settings, the draft's Publish and Discard, and the live preview.

Every edit is saved as the site's draft (:mod:`cookieconsent.services.config_versions`), checked
whole as publishing would check it; the refusal's field paths (``services.0.cookies.1.name``)
are put next to the form fields they come from. Saving needs the ``edit`` permission; a form
posted with ``Accept: application/json`` (the preview's autosave) gets JSON back instead of a
page: ``{"saved": true}`` or 422 with ``{"errors": {field id: [messages]}}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import (
    Response,
    abort,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse
from wtforms.fields import SelectChoice

from ..auth import signed_in_user
from ..extensions import db
from ..models import Site, User, utcnow
from ..services.accounts import may
from ..services.config_versions import (
    StaleDraft,
    compare_versions,
    current_document,
    discard_draft,
    draft_is_stale,
    draft_of,
    merged_document,
    publish_draft,
    restore_version,
    save_draft,
    scratch_site,
    version_of,
    versions_of,
)
from ..services.design import DARK, LIGHT
from ..services.jurisdictions import MODES, unacknowledged_rules
from ..services.policy import PolicyVersionError, publish_policy_version
from ..services.site_config import SiteConfigError
from ..services.sites import bundled_config, widget_config
from ..services.trackers import Suggestion, suggest_category
from ..services.widget import build_widget, modules_version
from ..texts import BANNER_TEXT_KEYS, BANNER_TEXTS, CATEGORY_TEXTS, canonical_language
from . import bp, console_language, site_view
from .forms import DeleteSiteForm, EmptyForm
from .forms_config import (
    FIRST_TEXTS,
    CategoryForm,
    DesignForm,
    DomainsForm,
    PolicyUrlForm,
    PolicyVersionForm,
    PublishForm,
    ServiceForm,
    SettingsForm,
    lines,
    texts_form,
)
from .messages import translate

# The preview page runs the widget only: its own scripts, and only inside the console's frames.
PREVIEW_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'none'; base-uri 'none'; object-src 'none'; "
    "frame-ancestors 'self'"
)
THEMES = ("light", "dark")

Resolver = Callable[[str], Any]


# Shared pieces ---------------------------------------------------------------------------------


def wants_json() -> bool:
    """The preview's autosave asks for JSON."""
    return request.accept_mimetypes.best == "application/json"


def require(permission: str) -> None:
    """403 when the user's role on this site does not allow ``permission``."""
    if not may(g.role, permission):
        abort(403)


def put_errors(form: Any, errors: Mapping[str, list[str]], resolve: Resolver) -> None:
    """Put a refusal's messages on the fields ``resolve`` finds for their paths, else on top."""
    for path, messages in errors.items():
        target = resolve(path)
        if target is not None and hasattr(target, "errors"):
            if not isinstance(target.errors, list):
                target.errors = list(target.errors or [])
            target.errors.extend(translate(message) for message in messages)
        else:
            form.form_errors.extend(f"{path}: {translate(message)}" for message in messages)


def field_errors_json(form: Any) -> dict[str, list[str]]:
    """Every field's messages by the field's id, and the form's own under ``""``."""
    found: dict[str, list[str]] = {}

    def walk(field: Any) -> None:
        if hasattr(field, "entries"):
            for entry in field.entries:
                walk(entry)
        elif hasattr(field, "form") and hasattr(field.form, "_fields"):
            for inner in field.form:
                walk(inner)
        elif field.errors and isinstance(field.errors, list):
            found[field.id] = [str(message) for message in field.errors]

    for field in form:
        walk(field)
    if form.form_errors:
        found[""] = [str(message) for message in form.form_errors]
    return found


def save(site: Site, form: Any, changes: Mapping[str, Any], resolve: Resolver) -> bool:
    """Save ``changes`` into the draft; on refusal, put the messages on ``form``."""
    try:
        save_draft(site, changes, editor())
    except SiteConfigError as error:
        db.session.rollback()
        put_errors(form, error.errors, resolve)
        return False
    return True


def refusals(site: Site, changes: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every refusal ``changes`` would meet when saved, without saving anything.

    The schema refuses first and the whole-document checks only run on what it accepts, so the
    top-level keys refused in one pass are left out of the next, until a pass finds nothing new:
    each field gets its message in one answer instead of one per submission.
    """
    found: dict[str, list[str]] = {}
    left = dict(changes)
    while left:
        try:
            merged_document(site, current_document(site), left)
        except SiteConfigError as error:
            db.session.rollback()
            refused = {path.split(".")[0] for path in error.errors} & set(left)
            for path, messages in error.errors.items():
                found.setdefault(path, []).extend(messages)
            if not refused:
                break
            left = {key: value for key, value in left.items() if key not in refused}
        else:
            break
    return found


def answer(
    saved: bool, form: Any, page: Callable[[], str], target: str
) -> str | BaseResponse | tuple[Any, int]:
    """After a save: JSON for the autosave, else back to the page (or the page with errors)."""
    if wants_json():
        if saved:
            return jsonify(saved=True)
        return jsonify(saved=False, errors=field_errors_json(form)), 422
    if saved:
        flash(_("Saved as a draft. Publish it to make it live."), "success")
        return redirect(target)
    return page()


def page_context(site: Site) -> dict[str, Any]:
    """What every configuration page shows: the draft's bar and the preview's controls."""
    draft = draft_of(site)
    document = current_document(site)
    languages = list(dict.fromkeys([*document["languages"], document["default_language"]]))
    return {
        "site": site,
        "role": g.role,
        "can_edit": may(g.role, "edit"),
        "draft": draft,
        "draft_stale": draft is not None and draft_is_stale(site, draft),
        "publish_form": PublishForm(prefix="publish"),
        "empty_form": EmptyForm(),
        "document": document,
        "languages": languages,
        "modes": MODES,
        "themes": THEMES,
    }


def editor() -> User:
    """The signed-in user (the views are behind :func:`site_view`)."""
    user = signed_in_user()
    assert user is not None
    return user


# Banner: domains, categories, services ---------------------------------------------------------


def _cookie_suggestions(services: list[Mapping[str, Any]]) -> dict[str, list[Suggestion | None]]:
    """What the Open Cookie Database says about each declared cookie, by service name."""
    return {
        service["name"]: [
            suggest_category(cookie["name"], cookie.get("domain"), cookie.get("match") or "exact")
            for cookie in service.get("cookies") or []
        ]
        for service in services
    }


def _row_suggestions(form: ServiceForm) -> list[Suggestion | None]:
    """The same for the rows of the service form, as typed (an empty or bad row has none)."""
    found: list[Suggestion | None] = []
    for row in form.cookies.entries:
        name = (row.form.name.data or "").strip()
        match = row.form.match.data if row.form.match.data in {"prefix", "regex"} else "exact"
        domain = (row.form.domain.data or "").strip() or None
        found.append(suggest_category(name, domain, match) if name else None)
    return found


def _service_form(document: Mapping[str, Any], name: str | None) -> ServiceForm:
    service = next((s for s in document["services"] if s["name"] == name), None)
    data: dict[str, Any] = {}
    if service is not None and request.method == "GET":
        data = {
            "original": service["name"],
            "name": service["name"],
            "label": service["label"],
            "category": service["category"],
            "local_storage": "\n".join(service.get("local_storage") or []),
            "cookies": [
                {
                    "name": cookie["name"],
                    "match": cookie.get("match") or "exact",
                    "domain": cookie.get("domain") or "",
                    "lifetime_days": cookie.get("lifetime_days"),
                }
                for cookie in service.get("cookies") or []
            ],
        }
    form = ServiceForm(prefix="service", data=data)
    form.category.choices = [
        SelectChoice(category["name"], category["name"]) for category in document["categories"]
    ]
    # Always a few empty rows to add cookies without a script.
    while len(form.cookies.entries) < len(data.get("cookies", [])) + 2:
        form.cookies.append_entry()
    return form


@bp.route("/sites/<site_key>/banner", methods=["GET", "POST"])
@site_view("view")
def site_banner(site: Site) -> str | BaseResponse | tuple[Any, int]:
    """Domains and the cookie domain, categories, services and their cookies."""
    document = current_document(site)
    domains = DomainsForm(
        prefix="domains",
        data={
            "domains": "\n".join(document["domains"]),
            "cookie_domain": document["cookie_domain"] or "",
        },
    )
    category = CategoryForm(prefix="category")
    editing = request.args.get("service")
    service = _service_form(document, editing)
    action = request.form.get("action")

    language = console_language()
    titles = {
        entry["name"]: ((entry.get("texts") or {}).get(language) or {}).get("title")
        or CATEGORY_TEXTS.get(entry["name"], {}).get(language, {}).get("title")
        or CATEGORY_TEXTS.get(entry["name"], {}).get("en", {}).get("title")
        or ""
        for entry in document["categories"]
    }

    def page() -> str:
        suggestions = _cookie_suggestions(document["services"])
        return render_template(
            "admin/config_banner.html",
            category_titles=titles,
            domains_form=domains,
            category_form=category,
            service_form=service,
            editing=editing,
            cookie_suggestions=suggestions,
            any_cookie_suggestion=any(any(found) for found in suggestions.values()),
            row_suggestions=_row_suggestions(service),
            **page_context(site),
        )

    if request.method == "POST":
        require("edit")
        target = url_for("admin.site_banner", site_key=site.site_key)
        if action == "domains" and domains.validate():
            changes = {
                "domains": lines(domains.domains.data),
                "cookie_domain": (domains.cookie_domain.data or "").strip() or None,
            }

            def resolve_domains(path: str) -> Any:
                return getattr(domains, path.split(".")[0], None)

            return answer(save(site, domains, changes, resolve_domains), domains, page, target)
        if action == "add_category" and category.validate():
            entries = [*document["categories"], {"name": category.name.data.strip()}]

            def resolve_category(path: str) -> Any:
                return category.name if path.startswith("categories") else None

            saved = save(site, category, {"categories": entries}, resolve_category)
            return answer(saved, category, page, target)
        if action == "remove_category" and EmptyForm().validate():
            name = request.form.get("name", "")
            entries = [entry for entry in document["categories"] if entry["name"] != name]
            if name == "essential" or len(entries) == len(document["categories"]):
                abort(400)
            saved = save(site, category, {"categories": entries}, lambda path: None)
            return answer(saved, category, page, target)
        if action == "service" and service.validate():
            return _save_service(site, document, service, page, target)
        if action == "remove_service" and EmptyForm().validate():
            name = request.form.get("name", "")
            entries = [entry for entry in document["services"] if entry["name"] != name]
            saved = save(site, category, {"services": entries}, lambda path: None)
            return answer(saved, category, page, target)
        if wants_json():
            return jsonify(saved=False, errors={}), 400
    return page()


def _save_service(
    site: Site,
    document: Mapping[str, Any],
    form: ServiceForm,
    page: Callable[[], str],
    target: str,
) -> str | BaseResponse | tuple[Any, int]:
    services = [dict(entry) for entry in document["services"]]
    original = (form.original.data or "").strip()
    rows = [row for row in form.cookies.entries if (row.form.name.data or "").strip()]
    entry = {
        **next((s for s in services if s["name"] == original), {}),
        "name": form.name.data.strip(),
        "label": form.label.data.strip(),
        "category": form.category.data,
        "local_storage": lines(form.local_storage.data),
        "cookies": [
            {
                "name": row.form.name.data.strip(),
                "match": row.form.match.data or "exact",
                "domain": (row.form.domain.data or "").strip() or None,
                "lifetime_days": row.form.lifetime_days.data,
            }
            for row in rows
        ],
    }
    names = [s["name"] for s in services]
    index = names.index(original) if original in names else len(services)
    services[index : index + 1] = [entry]

    def resolve(path: str) -> Any:
        parts = path.split(".")
        if parts[0] != "services" or len(parts) < 3 or parts[1] != str(index):
            return None
        if parts[2] == "cookies" and len(parts) >= 5 and parts[3].isdigit():
            row_index = int(parts[3])
            if row_index < len(rows):
                return getattr(rows[row_index].form, parts[4], None)
        return getattr(form, parts[2], None)

    saved = save(site, form, {"services": services}, resolve)
    return answer(saved, form, page, target)


# Texts -----------------------------------------------------------------------------------------


@bp.route("/sites/<site_key>/texts", methods=["GET", "POST"])
@site_view("view")
def site_texts(site: Site) -> str | BaseResponse | tuple[Any, int]:
    """The texts in one language the site offers, each beside its built-in text."""
    document = current_document(site)
    languages = list(dict.fromkeys([*document["languages"], document["default_language"]]))
    # ?lang=pt is pt-PT's page: codes are read as stored.
    language = canonical_language(request.args.get("lang") or document["default_language"])
    if language not in languages:
        abort(404)
    keys = [*FIRST_TEXTS, *(key for key in BANNER_TEXT_KEYS if key not in FIRST_TEXTS)]
    categories = [entry["name"] for entry in document["categories"]]
    own = (document.get("texts") or {}).get(language, {})
    data: dict[str, Any] = {f"t-{key}": own.get(key, "") for key in keys}
    for entry in document["categories"]:
        values = (entry.get("texts") or {}).get(language, {})
        data[f"c-{entry['name']}-title"] = values.get("title", "")
        data[f"c-{entry['name']}-description"] = values.get("description", "")
    form = texts_form(keys, categories, data if request.method == "GET" else {})
    built_in = {**BANNER_TEXTS["en"], **BANNER_TEXTS.get(language, {})}
    category_built_in = {
        name: (
            CATEGORY_TEXTS.get(name, {}).get(language)
            or CATEGORY_TEXTS.get(name, {}).get("en")
            or {}
        )
        for name in categories
    }

    def page() -> str:
        return render_template(
            "admin/config_texts.html",
            form=form,
            language=language,
            keys=keys,
            first_keys=FIRST_TEXTS,
            categories=categories,
            built_in=built_in,
            category_built_in=category_built_in,
            **page_context(site),
        )

    if request.method == "POST":
        require("edit")
        if form.validate():
            changes = {
                "texts": {language: {key: form[f"t-{key}"].data or None for key in keys}},
                "categories": [
                    {
                        "name": entry["name"],
                        "texts": {
                            language: {
                                "title": form[f"c-{entry['name']}-title"].data or None,
                                "description": form[f"c-{entry['name']}-description"].data or None,
                            }
                        },
                    }
                    for entry in document["categories"]
                ],
            }

            def resolve(path: str) -> Any:
                parts = path.split(".")
                if parts[0] == "texts" and len(parts) == 3:
                    return form._fields.get(f"t-{parts[2]}")
                if parts[0] == "categories" and len(parts) == 5 and parts[1].isdigit():
                    index = int(parts[1])
                    if index < len(categories):
                        return form._fields.get(f"c-{categories[index]}-{parts[4]}")
                return None

            saved = save(site, form, changes, resolve)
        else:
            saved = False
        target = url_for("admin.site_texts", site_key=site.site_key, lang=language)
        return answer(saved, form, page, target)
    return page()


# Privacy policy --------------------------------------------------------------------------------


@bp.route("/sites/<site_key>/policy", methods=["GET", "POST"])
@site_view("view")
def site_policy(site: Site) -> str | BaseResponse | tuple[Any, int]:
    """The policy's address (a draft) and its published versions (published at once)."""
    document = current_document(site)
    url_form = PolicyUrlForm(prefix="policy", data={"policy_url": document["policy_url"] or ""})
    version_form = PolicyVersionForm(prefix="version")
    # What changed, per language: the default language in the form's summary, the others here.
    other_languages = [
        language for language in site.languages or () if language != site.default_language
    ]
    summary_errors: dict[str, list[str]] = {}

    def page() -> str:
        return render_template(
            "admin/config_policy.html",
            url_form=url_form,
            version_form=version_form,
            other_languages=other_languages,
            summary_errors=summary_errors,
            sent_summaries={
                language: request.form.get(f"summary-{language}", "")
                for language in other_languages
            },
            versions=list(reversed(site.policy_versions)),
            can_publish_policy=may(g.role, "publish_policy"),
            **page_context(site),
        )

    if request.method == "POST":
        action = request.form.get("action")
        require("publish_policy" if action == "version" else "edit")
        target = url_for("admin.site_policy", site_key=site.site_key)
        if action == "url":
            saved = url_form.validate() and save(
                site,
                url_form,
                {"policy_url": (url_form.policy_url.data or "").strip() or None},
                lambda path: url_form.policy_url if path == "policy_url" else None,
            )
            return answer(bool(saved), url_form, page, target)
        if action == "version" and version_form.validate():
            try:
                publish_policy_version(
                    site,
                    version_form.version.data.strip(),
                    summary=version_form.summary.data,
                    summaries={
                        language: request.form.get(f"summary-{language}")
                        for language in other_languages
                    },
                )
            except PolicyVersionError as error:
                db.session.rollback()
                if error.field.startswith("summaries."):
                    summary_errors[error.field.split(".", 1)[1]] = [translate(str(error))]
                else:
                    getattr(version_form, error.field).errors = [translate(str(error))]
            else:
                flash(_("The policy version is published."), "success")
                return redirect(target)
    return page()


# Design ----------------------------------------------------------------------------------------


@bp.route("/sites/<site_key>/design", methods=["GET", "POST"])
@site_view("view")
def site_design(site: Site) -> str | BaseResponse | tuple[Any, int]:
    """Layout, position and colours, with the contrast of each pair checked."""
    document = current_document(site)
    design = document.get("design") or {}
    colors, dark = design.get("colors") or {}, design.get("dark") or {}
    data = {
        "layout": design.get("layout") or "box",
        "position": design.get("position") or "bottom",
        "custom_colors": bool(colors),
        "custom_dark": bool(dark),
        **{key: colors.get(key) or LIGHT[key] for key in LIGHT},
        **{f"dark_{key}": dark.get(key) or DARK[key] for key in DARK},
    }
    form = DesignForm(data=data if request.method == "GET" else None)

    def page() -> str:
        return render_template("admin/config_design.html", form=form, **page_context(site))

    if request.method == "POST":
        require("edit")
        saved = False
        if form.validate():
            changes = {
                "design": {
                    "layout": form.layout.data,
                    "position": form.position.data,
                    "colors": {key: form[key].data for key in LIGHT}
                    if form.custom_colors.data
                    else None,
                    "dark": {key: form[f"dark_{key}"].data for key in DARK}
                    if form.custom_dark.data
                    else None,
                }
            }

            def resolve(path: str) -> Any:
                parts = path.split(".")
                if len(parts) == 2:
                    return form._fields.get(parts[1])
                if len(parts) == 3 and parts[1] == "colors":
                    return form._fields.get(parts[2])
                if len(parts) == 3 and parts[1] == "dark":
                    return form._fields.get(f"dark_{parts[2]}")
                return None

            saved = save(site, form, changes, resolve)
        target = url_for("admin.site_design", site_key=site.site_key)
        return answer(saved, form, page, target)
    return page()


# History ---------------------------------------------------------------------------------------


def shown(value: Any) -> str:
    """A configuration value as people read it: lists comma-separated, no JSON braces."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(shown(item) for item in value) if value else "—"
    if isinstance(value, Mapping):
        return "; ".join(f"{key}: {shown(item)}" for key, item in value.items()) or "—"
    return str(value)


@bp.get("/sites/<site_key>/history")
@site_view("view")
def site_versions(site: Site) -> str:
    """Every published configuration; two compared field by field."""
    versions = versions_of(site)
    numbers = [version.number for version in versions]
    comparison = None
    chosen: tuple[int, int] | None = None
    wanted_from, wanted_to = request.args.get("from", ""), request.args.get("to", "")
    if wanted_from.isdigit() and wanted_to.isdigit():
        before = version_of(site, int(wanted_from))
        after = version_of(site, int(wanted_to))
        if before is None or after is None:
            abort(404)
        chosen = (before.number, after.number)
        comparison = compare_versions(before.content, after.content)
    elif len(numbers) >= 2:
        chosen = (numbers[1], numbers[0])
    return render_template(
        "admin/config_versions.html",
        versions=versions,
        comparison=comparison,
        chosen=chosen,
        shown=shown,
        **page_context(site),
    )


@bp.post("/sites/<site_key>/history/<int:number>/restore")
@site_view("edit")
def site_restore(site: Site, number: int) -> BaseResponse:
    """Make an earlier version live again, as a new version."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        version = restore_version(site, number, editor())
    except SiteConfigError as error:
        db.session.rollback()
        flash(_("This version no longer fits the site: %(reasons)s", reasons=str(error)), "error")
        return redirect(url_for("admin.site_versions", site_key=site.site_key))
    if version is None:
        abort(404)
    flash(
        _("Version %(old)s is live again as version %(new)s.", old=number, new=version.number),
        "success",
    )
    return redirect(url_for("admin.site_versions", site_key=site.site_key))


# Publish and discard ---------------------------------------------------------------------------


def _back(site: Site) -> str:
    target = request.form.get("next") or ""
    prefix = f"/admin/sites/{site.site_key}/"
    if not target.startswith(prefix) or target.startswith("//"):
        return url_for("admin.site_overview", site_key=site.site_key)
    return target


@bp.post("/sites/<site_key>/draft/publish")
@site_view("edit")
def site_publish(site: Site) -> BaseResponse:
    """Make the draft the live configuration, as a new version."""
    form = PublishForm(prefix="publish")
    if not form.validate_on_submit():
        abort(400)
    try:
        version = publish_draft(site, editor(), form.note.data, force=bool(form.force.data))
    except StaleDraft as stale:
        db.session.rollback()
        flash(
            _(
                "This draft was based on version %(old)s, but version %(new)s has been published "
                "since. Publishing the draft would undo its changes: tick the box to publish "
                "anyway, or discard the draft.",
                old=stale.based_on,
                new=stale.current,
            ),
            "error",
        )
        return redirect(_back(site))
    except SiteConfigError as error:
        db.session.rollback()
        flash(_("The draft cannot be published: %(reasons)s", reasons=str(error)), "error")
        return redirect(_back(site))
    if version is None:
        flash(_("There is nothing to publish."), "error")
    else:
        flash(_("Published as version %(number)s.", number=version.number), "success")
    return redirect(_back(site))


@bp.post("/sites/<site_key>/draft/discard")
@site_view("edit")
def site_discard(site: Site) -> BaseResponse:
    """Forget the draft; what visitors get stays as it is."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    if discard_draft(site):
        flash(_("The draft is discarded."), "success")
    return redirect(_back(site))


# Settings and deletion -------------------------------------------------------------------------


@bp.route("/sites/<site_key>/settings", methods=["GET", "POST"])
@site_view("view")
def site_settings(site: Site) -> str | BaseResponse | tuple[Any, int]:
    """Name, lifetimes, retention and region rules; deleting the site."""
    document = current_document(site)
    rules = sorted((document.get("jurisdiction_rules") or {}).items())
    acknowledgements = document.get("jurisdiction_acknowledgements") or {}
    lifetimes = sorted((document.get("lifetimes") or {}).items())
    controller = document.get("controller") or {}
    data = {
        "name": document["name"],
        "consent_lifetime_days": document["consent_lifetime_days"],
        "refusal_lifetime_days": document["refusal_lifetime_days"],
        "retention_days": document["retention_days"],
        "rules": [
            {
                "region": region,
                "mode": mode,
                "reason": (acknowledgements.get(region) or {}).get("reason", ""),
            }
            for region, mode in rules
        ],
        "lifetimes": [
            {
                "region": region,
                "consent_days": entry.get("consent_days"),
                "refusal_days": entry.get("refusal_days"),
            }
            for region, entry in lifetimes
        ],
        "purposes": [
            {
                "name": category["name"],
                "tracks_behaviour": category.get("tracks_behaviour"),
                "statistics_only": category.get("statistics_only"),
            }
            for category in document.get("categories") or []
            if category["name"] != "essential"
        ],
        "controller_name": controller.get("name", ""),
        "controller_address": controller.get("address", ""),
        "controller_email": controller.get("email", ""),
        "controller_dpo_email": controller.get("dpo_email", ""),
        "processors_involved": document.get("processors_involved", False),
    }
    form = SettingsForm(prefix="settings", data=data if request.method == "GET" else None)
    while len(form.rules.entries) < len(rules) + 2 and request.method == "GET":
        form.rules.append_entry()
    while len(form.lifetimes.entries) < len(lifetimes) + 1 and request.method == "GET":
        form.lifetimes.append_entry()
    delete = DeleteSiteForm(prefix="delete")
    action = request.form.get("action")

    def page() -> str:
        return render_template(
            "admin/config_settings.html",
            form=form,
            delete_form=delete,
            acknowledgements=acknowledgements,
            can_manage=may(g.role, "manage"),
            **page_context(site),
        )

    if request.method == "POST" and action == "delete":
        require("manage")
        if delete.validate():
            if delete.confirm.data.strip() != site.site_key:
                delete.confirm.errors = [_("Type the site key exactly as shown to confirm.")]
            else:
                site.deleted_at = utcnow()
                db.session.commit()
                flash(
                    _(
                        "The site %(name)s is deleted. Its consent records are kept for their "
                        "retention period.",
                        name=site.name,
                    ),
                    "success",
                )
                return redirect(url_for("admin.index"))
        return page()
    if request.method == "POST":
        require("edit")
        saved = False
        valid = form.validate()
        # What WTForms accepted still goes through the service's checks, so that every field's
        # message comes in one answer.
        changes: dict[str, Any] = {
            key: form[key].data
            for key in (
                "name",
                "consent_lifetime_days",
                "refusal_lifetime_days",
                "retention_days",
                "processors_involved",
            )
            if not form[key].errors
        }
        sent_controller = {
            key: (form[f"controller_{key}"].data or "").strip() or None
            for key in ("name", "address", "email", "dpo_email")
        }
        changes["controller"] = sent_controller if any(sent_controller.values()) else None
        rows = [row for row in form.rules.entries if (row.form.region.data or "").strip()]
        chosen: dict[str, str] = {}
        reasons: dict[str, Any] = {}
        fields: dict[str, Any] = {}
        reason_fields: dict[str, Any] = {}
        for row in rows:
            region = row.form.region.data.strip()
            if region in fields:
                row.form.region.errors = [
                    *list(row.form.region.errors or []),
                    _(
                        "%(region)s already has a rule above; keep one rule per region.",
                        region=region,
                    ),
                ]
                valid = False
                continue
            fields[region] = row.form.region
            reason_fields[region] = row.form.reason
            if not row.form.region.errors and not row.form.mode.errors:
                chosen[region] = row.form.mode.data
            reason = (row.form.reason.data or "").strip()
            if reason:
                reasons[region] = {"reason": reason}
        # An acknowledgement whose reason was emptied, or whose rule is gone, is withdrawn.
        for region in acknowledgements:
            if region not in reasons:
                reasons[region] = None
        changes["jurisdiction_rules"] = chosen
        changes["jurisdiction_acknowledgements"] = reasons
        unacknowledged = unacknowledged_rules(
            chosen, {region: entry for region, entry in reasons.items() if entry}
        )
        lifetime_fields: dict[str, Any] = {}
        region_lifetimes: dict[str, dict[str, int]] = {}
        for row in form.lifetimes.entries:
            region = (row.form.region.data or "").strip()
            if not region:
                continue
            lifetime_fields[region] = row.form
            region_lifetimes[region] = {
                key: row.form[key].data
                for key in ("consent_days", "refusal_days")
                if row.form[key].data is not None
            }
        changes["lifetimes"] = region_lifetimes
        flags = {entry.form["name"].data: entry.form for entry in form.purposes.entries}
        categories = []
        for category in document.get("categories") or []:
            entry = dict(category)
            flag_form = flags.get(category["name"])
            if flag_form is not None:
                entry["tracks_behaviour"] = bool(flag_form.tracks_behaviour.data)
                entry["statistics_only"] = bool(flag_form.statistics_only.data)
            categories.append(entry)
        if flags:
            changes["categories"] = categories
        category_index = {
            str(index): flags.get(category["name"])
            for index, category in enumerate(document.get("categories") or [])
        }

        def resolve(path: str) -> Any:
            parts = path.split(".")
            if parts[0] == "jurisdiction_rules":
                if len(parts) > 1 and parts[1] in unacknowledged:
                    # The refusal asks for a reason: it belongs beside the reason's field.
                    return reason_fields.get(parts[1])
                return fields.get(parts[1]) if len(parts) > 1 else None
            if parts[0] == "jurisdiction_acknowledgements":
                return reason_fields.get(parts[1]) if len(parts) > 1 else None
            if parts[0] == "controller":
                return form._fields.get(f"controller_{parts[1]}") if len(parts) > 1 else None
            if parts[0] == "lifetimes" and len(parts) > 1 and parts[1] in lifetime_fields:
                row = lifetime_fields[parts[1]]
                return row[parts[2]] if len(parts) > 2 and parts[2] in row else row.region
            if parts[0] == "categories" and len(parts) > 2:
                flag_form = category_index.get(parts[1])
                if flag_form is not None and parts[2] in flag_form:
                    return flag_form[parts[2]]
            return form._fields.get(parts[0])

        problems = refusals(site, changes)
        if valid and not problems:
            saved = save(site, form, changes, resolve)
        else:
            put_errors(form, problems, resolve)
        target = url_for("admin.site_settings", site_key=site.site_key)
        return answer(saved, form, page, target)
    return page()


# Live preview ----------------------------------------------------------------------------------


def _preview_choice() -> dict[str, str]:
    return {
        "regime": request.args.get("regime", ""),
        "language": request.args.get("lang", ""),
        "theme": request.args.get("theme", ""),
    }


def _preview_config(site: Site) -> dict[str, Any]:
    """The draft (or live) configuration exactly as the widget script carries it, in preview.

    Through the visitors' path (``widget_config`` then ``bundled_config``) on a copy of the site
    that holds the draft. Every language's full texts go in, so that the draft's texts show in
    every regime without fetching the live ones.
    """
    document = current_document(site)
    full = widget_config(scratch_site(site, document))
    config = {
        **bundled_config(full),
        "apiBase": request.host_url.rstrip("/"),
        "modules": f"/c/{site.site_key}/{{}}.js?v={modules_version()}",
    }
    config["texts"] = full["texts"]
    choice = _preview_choice()
    config["preview"] = {
        "regime": choice["regime"] if choice["regime"] in MODES else "opt-in",
        "language": choice["language"] if choice["language"] in full["languages"] else None,
        "theme": choice["theme"] if choice["theme"] in THEMES else "light",
    }
    return config


@bp.get("/sites/<site_key>/preview")
@site_view("view")
def site_preview(site: Site) -> Response:
    """A bare host page running the real widget with the draft, for the console's frame."""
    choice = _preview_choice()
    config = _preview_config(site)
    page = render_template(
        "admin/preview.html",
        site=site,
        language=config["preview"]["language"] or config["defaultLanguage"],
        theme=config["preview"]["theme"],
        script_url=url_for(
            "admin.site_preview_script",
            site_key=site.site_key,
            regime=choice["regime"] or None,
            lang=choice["language"] or None,
            theme=choice["theme"] or None,
            v=request.args.get("v") or None,
        ),
    )
    response = make_response(page)
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/sites/<site_key>/preview.js")
@site_view("view")
def site_preview_script(site: Site) -> Response:
    """The widget with the draft inside, in preview mode: it writes and sends nothing."""
    bundle = build_widget(_preview_config(site))
    response = Response(bundle.body, mimetype="text/javascript")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

"""The console's pages: signing in, the sites, a site's overview, the account, invitations."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from ..auth import SIGN_IN_PER_ADDRESS, SIGN_IN_PER_EMAIL, sign_in, sign_out, signed_in_user
from ..extensions import db, limiter
from ..models import Site
from ..services.accounts import (
    accept_invitation,
    authenticate,
    change_password,
    issue_token,
    open_invitation,
    revoke_token,
    set_role,
    tokens_of,
    visible_sites,
)
from ..services.network import normalize_domain
from ..services.sites import create_site
from ..services.validation import InvalidInput, site_name_error
from . import CONSOLE_LANGUAGES, bp, site_view
from .forms import EmptyForm, LanguageForm, PasswordForm, SignInForm, SiteForm, TokenForm
from .messages import translate


def _email_key() -> str:
    return "sign-in:" + (request.form.get("email") or "").strip().lower()


def field_errors(form: Any, error: InvalidInput) -> None:
    """Put a service's refusal on the form's fields (or the form's top when no field matches)."""
    for field, messages in error.errors.items():
        target = getattr(form, field.split(".")[0], None)
        if target is not None and hasattr(target, "errors"):
            target.errors = [*list(target.errors or []), *(translate(m) for m in messages)]
        else:
            form.form_errors.extend(translate(m) for m in messages)


@bp.route("/sign-in", endpoint="sign_in", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_PER_ADDRESS, methods=["POST"])
@limiter.limit(SIGN_IN_PER_EMAIL, methods=["POST"], key_func=_email_key)
def sign_in_page() -> str | Response:
    """Email and password; a wrong pair says so without telling which was wrong."""
    if signed_in_user() is not None:
        return redirect(url_for("admin.index"))
    form = SignInForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            sign_in(user)
            target = request.args.get("next") or ""
            # Only a path of this console: never another site.
            if not target.startswith("/admin/") or target.startswith("//"):
                target = url_for("admin.index")
            return redirect(target)
        form.form_errors.append(_("This email and password do not match an account."))
    return render_template("admin/sign_in.html", form=form)


@bp.post("/sign-out", endpoint="sign_out")
def sign_out_page() -> Response:
    """End the session (a form with a CSRF token: no one signs a visitor out with a link)."""
    if EmptyForm().validate_on_submit():
        sign_out()
    return redirect(url_for("admin.sign_in"))


@bp.post("/language", endpoint="language")
def language_page() -> Response:
    """Switch the console's language, for the account when signed in, else for the session."""
    form = LanguageForm()
    if form.validate_on_submit() and form.language.data in CONSOLE_LANGUAGES:
        session["language"] = form.language.data
        user = signed_in_user()
        if user is not None:
            user.language = form.language.data
            db.session.commit()
    target = request.form.get("next") or ""
    if not target.startswith("/admin/") or target.startswith("//"):
        target = url_for("admin.index")
    return redirect(target)


@bp.get("/")
@login_required
def index() -> str:
    """The user's sites, with their role; what to do next when there are none."""
    user = signed_in_user()
    assert user is not None
    return render_template("admin/index.html", sites=visible_sites(user))


def domain_errors(text: str) -> list[str]:
    """One message for each line of ``text`` that is not a site domain, as creating a site checks.

    Through :func:`~cookieconsent.services.network.normalize_domain` (host names, ports,
    wildcards, and the Public Suffix List).
    """
    problems: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            normalize_domain(line)
        except ValueError as error:
            problems.append(str(error))
    return problems


@bp.route("/sites/new", methods=["GET", "POST"])
@login_required
def new_site() -> str | Response:
    """Create a site; its creator becomes its owner."""
    user = signed_in_user()
    assert user is not None
    form = SiteForm()
    if request.method == "POST" and not form.validate_on_submit():
        # The fields WTForms accepted still go through the checks creating the site makes, so
        # that every field's message comes in one answer.
        if not form.name.errors and (problem := site_name_error(form.name.data or "")):
            form.name.errors = [translate(problem)]
        if not form.domains.errors:
            form.domains.errors = domain_errors(form.domains.data or "")
    elif request.method == "POST" and (problems := domain_errors(form.domains.data or "")):
        form.domains.errors = problems
    elif request.method == "POST":
        domains = [line.strip() for line in (form.domains.data or "").splitlines() if line.strip()]
        try:
            site, api_token = create_site(
                form.name.data, domains, default_language=form.language.data
            )
        except InvalidInput as error:
            db.session.rollback()
            field_errors(form, error)
        except ValueError as error:
            db.session.rollback()
            form.domains.errors = [str(error)]
        else:
            set_role(user, site, "owner")
            db.session.commit()
            flash(_("The site is ready. Copy its embed tag below."), "success")
            session["new_api_token"] = {site.site_key: api_token}
            return redirect(url_for("admin.site_overview", site_key=site.site_key))
    return render_template("admin/site_new.html", form=form)


@bp.get("/sites/<site_key>/")
@site_view("view")
def site_overview(site: Site) -> str:
    """The embed tag ready to copy, where the widget was last seen, and the API token once."""
    shown = session.pop("new_api_token", {}) or {}
    return render_template(
        "admin/site_overview.html",
        site=site,
        role=g.role,
        api_token=shown.get(site.site_key),
        script_url=url_for("embed.widget", site_key=site.site_key, _external=True),
    )


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> str | Response:
    """The account: language, password, personal API tokens."""
    user = signed_in_user()
    assert user is not None
    password = PasswordForm()
    token = TokenForm()
    language = LanguageForm(language=user.language or "vi")
    new_token = None
    if request.method == "POST":
        action = request.form.get("action")
        if action == "password" and password.validate():
            try:
                change_password(user, password.current_password.data, password.new_password.data)
            except InvalidInput as error:
                field_errors(password, error)
            else:
                sign_in(user)
                flash(_("Your password is changed. Other sessions are signed out."), "success")
                return redirect(url_for("admin.account"))
        elif action == "token" and token.validate():
            try:
                _row, new_token = issue_token(user, token.name.data)
            except InvalidInput as error:
                field_errors(token, error)
        elif action == "revoke" and EmptyForm().validate():
            token_id = request.form.get("token_id", "")
            if not token_id.isdigit() or not revoke_token(user, int(token_id)):
                abort(404)
            flash(_("The token is revoked."), "success")
            return redirect(url_for("admin.account"))
    return render_template(
        "admin/account.html",
        user=user,
        password_form=password,
        token_form=token,
        language_form=language,
        tokens=tokens_of(user),
        new_token=new_token,
        empty_form=EmptyForm(),
    )


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@login_required
def invitation(token: str) -> str | Response:
    """Accept a one-time invitation (signed in: the link names no one)."""
    user = signed_in_user()
    assert user is not None
    found = open_invitation(token)
    if found is None:
        return render_template("admin/invitation.html", invitation=None, site=None), 404  # type: ignore[return-value]
    site = db.session.get(Site, found.site_id)
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            accept_invitation(found, user)
        except InvalidInput:
            abort(404)
        assert site is not None
        return redirect(url_for("admin.site_overview", site_key=site.site_key))
    return render_template("admin/invitation.html", invitation=found, site=site, form=form)

"""The console's pages for a site's people and endpoints: members and invitations with the
site's API token (owners), and webhooks with their deliveries (owners and editors)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length

from ..auth import signed_in_user
from ..models import ROLES, Site
from ..services.accounts import invite
from ..services.members import (
    change_role,
    deliveries_of,
    endpoint_failing,
    endpoints_of,
    members_of,
    open_invitations,
    remove_member,
    revoke_invitation,
    rotate_api_token,
    site_endpoint,
)
from ..services.validation import InvalidInput
from ..services.webhooks import WebhookError, add_endpoint, remove_endpoint, rotate_secret
from . import bp, site_view
from .forms import EmptyForm

# Shown once after a redirect: {site_key: secret}, popped by the page that shows it.
SHOWN_ONCE = "cookieconsent.shown_once"
RECENT_DELIVERIES = 5
ROLE_LABELS = {"owner": _l("Owner"), "editor": _l("Editor"), "viewer": _l("Viewer")}


def role_choices() -> list[SelectChoice]:
    """The roles, owner first, with their translated names."""
    return [SelectChoice(role, ROLE_LABELS[role]) for role in ROLES]


class RoleForm(FlaskForm):  # type: ignore[misc]
    """The role an invitation gives, or a member's new role."""

    role = SelectField(_l("Role"), choices=role_choices, default="editor")


class WebhookForm(FlaskForm):  # type: ignore[misc]
    """A URL that receives the site's decision changes."""

    url = StringField(
        _l("Endpoint URL"),
        validators=[DataRequired(), Length(max=2048)],
        description=_l("A public https:// address of your server, such as https://shop.vn/hooks."),
    )


def _show_once(site: Site, kind: str, value: str) -> None:
    session[SHOWN_ONCE] = {"site_key": site.site_key, "kind": kind, "value": value}


def _shown(site: Site) -> dict[str, str]:
    """What the last action gave to be shown once on this site's page, popped."""
    shown = session.get(SHOWN_ONCE)
    if isinstance(shown, dict) and shown.get("site_key") == site.site_key:
        session.pop(SHOWN_ONCE)
        return {str(shown.get("kind")): str(shown.get("value"))}
    return {}


def _integer(name: str) -> int:
    """An id posted by a form: a missing or malformed one names nothing (404)."""
    value = request.form.get(name, "")
    if not value.isdigit() or len(value) > 12:
        abort(404)
    return int(value)


# Members ---------------------------------------------------------------------------------------


def _members_action(site: Site, form: RoleForm) -> Response | None:
    """Carry out the posted action; a redirect when done, ``None`` to show the page again."""
    action = request.form.get("action")
    if action == "invite" and form.validate():
        user = signed_in_user()
        assert user is not None
        issued = invite(site, form.role.data, user)
        link = url_for("admin.invitation", token=issued.token, _external=True)
        _show_once(site, "invitation", link)
        flash(_("The invitation is ready: copy its link and send it yourself."), "success")
    elif action == "role" and EmptyForm().validate():
        role = request.form.get("role", "")
        if role not in ROLES:
            abort(400)
        try:
            changed = change_role(site, _integer("user_id"), role)
        except InvalidInput:
            flash(_("A site keeps at least one owner: make someone else an owner first."), "error")
            return None
        if changed is None:
            abort(404)
        flash(_("The role is changed."), "success")
    elif action == "remove" and EmptyForm().validate():
        user_id = _integer("user_id")
        try:
            removed = remove_member(site, user_id)
        except InvalidInput:
            flash(_("A site keeps at least one owner: make someone else an owner first."), "error")
            return None
        if not removed:
            abort(404)
        flash(_("The member is removed. They no longer have access to this site."), "success")
        user = signed_in_user()
        if user is not None and user.id == user_id:
            return redirect(url_for("admin.index"))
    elif action == "revoke-invitation" and EmptyForm().validate():
        if not revoke_invitation(site, _integer("invitation_id")):
            abort(404)
        flash(_("The invitation is revoked: its link no longer works."), "success")
    elif action == "rotate-api-token" and EmptyForm().validate():
        _show_once(site, "api_token", rotate_api_token(site))
        flash(_("The site has a new API token. The old one no longer works."), "success")
    elif action in {"invite", "role", "remove", "revoke-invitation", "rotate-api-token"}:
        return None
    else:
        abort(400)
    return redirect(url_for("admin.site_members", site_key=site.site_key))


@bp.route("/sites/<site_key>/members", methods=["GET", "POST"])
@site_view("manage")
def site_members(site: Site) -> str | Response:
    """Members and their roles, invitations, and the site's API token (owners only)."""
    form = RoleForm()
    if request.method == "POST":
        done = _members_action(site, form)
        if done is not None:
            return done
    user = signed_in_user()
    members = members_of(site)
    return render_template(
        "admin/members.html",
        site=site,
        form=form,
        empty_form=EmptyForm(),
        members=members,
        owner_count=sum(1 for member in members if member.role == "owner"),
        me=user.id if user is not None else None,
        invitations=open_invitations(site),
        shown=_shown(site),
        role_labels=ROLE_LABELS,
        roles=ROLES,
    )


# Webhooks --------------------------------------------------------------------------------------


def _webhooks_action(site: Site, form: WebhookForm) -> Response | None:
    action = request.form.get("action")
    if action == "add" and form.validate():
        try:
            endpoint = add_endpoint(site, form.url.data)
        except WebhookError as error:
            form.url.errors = [
                *form.url.errors,
                _("This address is refused: %(reason)s.", reason=str(error)),
            ]
            return None
        _show_once(site, "secret", endpoint.secret)
        flash(_("The endpoint is added. Copy its signing secret now."), "success")
    elif action == "rotate" and EmptyForm().validate():
        rotated = rotate_secret(site, _integer("webhook_id"))
        if rotated is None:
            abort(404)
        _show_once(site, "secret", rotated.secret)
        flash(
            _("The endpoint has a new signing secret. For 24 hours the old one signs too."),
            "success",
        )
    elif action == "remove" and EmptyForm().validate():
        if not remove_endpoint(site, _integer("webhook_id")):
            abort(404)
        flash(_("The endpoint is removed; its pending deliveries are dropped."), "success")
    elif action in {"add", "rotate", "remove"}:
        return None
    else:
        abort(400)
    return redirect(url_for("admin.site_webhooks", site_key=site.site_key))


@bp.route("/sites/<site_key>/webhooks", methods=["GET", "POST"])
@site_view("webhooks")
def site_webhooks(site: Site) -> str | Response:
    """The site's webhook endpoints, their health and recent deliveries."""
    form = WebhookForm()
    if request.method == "POST":
        done = _webhooks_action(site, form)
        if done is not None:
            return done
    endpoints: list[dict[str, Any]] = [
        {"health": health, "recent": deliveries_of(health.endpoint, limit=RECENT_DELIVERIES)}
        for health in endpoints_of(site)
    ]
    return render_template(
        "admin/webhooks.html",
        site=site,
        form=form,
        empty_form=EmptyForm(),
        endpoints=endpoints,
        shown=_shown(site),
    )


@bp.get("/sites/<site_key>/webhooks/<int:webhook_id>/deliveries")
@site_view("webhooks")
def site_webhook_deliveries(site: Site, webhook_id: int) -> str:
    """Every delivery to one endpoint, newest first, a page at a time (``?before=``)."""
    endpoint = site_endpoint(site, webhook_id)
    if endpoint is None:
        abort(404)
    before_text = request.args.get("before", "")
    before = int(before_text) if before_text.isdigit() and len(before_text) <= 18 else None
    page = deliveries_of(endpoint, before=before)
    return render_template(
        "admin/webhook_deliveries.html",
        site=site,
        endpoint=endpoint,
        page=page,
        failing=endpoint_failing(endpoint.id),
        first_page=before is None,
    )

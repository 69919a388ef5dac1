"""The console's inbox of data subject requests, and each request's page with its actions.

Owners and editors (permission ``requests``) see every request of the site with its deadlines
and flags (due soon, overdue), and act on one: acknowledge, start, mark processors involved,
extend once, complete or refuse. Each action is a POST with a CSRF token, logged with the
user's email and the time, and shown on the request's page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel.dates import format_datetime
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth import signed_in_user
from ..extensions import db
from ..models import Site, utcnow
from ..services import deadlines
from ..services.subject_requests import (
    FLAGS,
    OPEN_STATUSES,
    STATUSES,
    Actor,
    Step,
    effective_due,
    find_request,
    inbox,
    live_flag,
    take_step,
)
from ..services.validation import InvalidInput
from ..services.webhooks import past_act_by
from . import bp, site_view
from .forms import EmptyForm

bp.add_app_template_global(past_act_by, "past_act_by")


def vietnam_time(moment: datetime, format: str = "short") -> str:
    """``moment`` in Vietnam's time (the deadlines' zone), as the console's language writes it."""
    return format_datetime(moment, format, tzinfo=deadlines.ZONE, locale=str(get_locale()))


KIND_LABELS: dict[str, Any] = {
    "access": _l("Access"),
    "correction": _l("Correction"),
    "deletion": _l("Deletion"),
    "withdrawal": _l("Withdrawal of consent"),
    "restriction": _l("Restriction"),
    "objection": _l("Objection"),
}
STATUS_LABELS: dict[str, Any] = {
    "received": _l("Received"),
    "acknowledged": _l("Acknowledged"),
    "in_progress": _l("In progress"),
    "completed": _l("Completed"),
    "refused": _l("Refused"),
}
FLAG_LABELS: dict[str, Any] = {"due_soon": _l("Due soon"), "overdue": _l("Overdue")}
LAW_LABELS: dict[str, Any] = {
    "vn": _l("Vietnam (Decree 356/2025/ND-CP)"),
    "gdpr": _l("GDPR (Art. 12(3))"),
    "us": _l("United States (45 days)"),
}
STEP_LABELS: dict[str, Any] = {
    "received": _l("Received"),
    "acknowledge": _l("Acknowledged"),
    "start": _l("Work started"),
    "processors": _l("Processors marked as involved"),
    "extend": _l("Deadline extended"),
    "complete": _l("Completed"),
    "refuse": _l("Refused"),
    "flagged_due_soon": _l("Flagged: due soon"),
    "flagged_overdue": _l("Flagged: overdue"),
}
ACTOR_LABELS: dict[str, Any] = {"visitor": _l("The visitor"), "system": _l("The system")}
FIELD_MESSAGES: dict[str, Any] = {
    "note": _l("Say why, in at most 2000 characters (a reason: 500)."),
    "days": _l("Choose a number of days the law allows."),
    "action": _l("This action is not possible for this request now."),
}


def _labels() -> dict[str, Any]:
    return {
        "kind_labels": KIND_LABELS,
        "status_labels": STATUS_LABELS,
        "flag_labels": FLAG_LABELS,
        "law_labels": LAW_LABELS,
        "vietnam_time": vietnam_time,
    }


@bp.get("/sites/<site_key>/requests")
@site_view("requests")
def site_requests(site: Site) -> str:
    """The inbox: the site's requests, newest first, filtered by status and flag."""
    status = request.args.get("status") or None
    flag = request.args.get("flag") or None
    if status not in (None, *STATUSES) or flag not in (None, *FLAGS, "none"):
        abort(400)
    now = utcnow()
    rows = inbox(site, status=status, flag=flag, now=now)
    return render_template(
        "admin/requests.html",
        site=site,
        rows=rows,
        status=status,
        flag=flag,
        statuses=STATUSES,
        flags=FLAGS,
        effective_due=effective_due,
        **_labels(),
    )


def _actor() -> Actor:
    user = signed_in_user()
    if user is None:  # site_view signed them in
        abort(403)
    return Actor(user.email, user.id)


def _days() -> int | None:
    text = request.form.get("days", "").strip()
    return int(text) if text.isdigit() and len(text) <= 4 else None


@bp.route("/sites/<site_key>/requests/<reference>", methods=["GET", "POST"])
@site_view("requests")
def site_request(site: Site, reference: str) -> Any:
    """One request: its deadlines, its steps, and the actions still open to it."""
    found = find_request(site, reference)
    if found is None:
        abort(404)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not EmptyForm().validate():
            abort(400)
        step = Step(
            action=request.form.get("action", ""),
            note=request.form.get("note"),
            days=_days(),
        )
        try:
            take_step(site, found, step, _actor())
        except InvalidInput as error:
            db.session.rollback()
            errors = {name: str(FIELD_MESSAGES.get(name, "")) for name in error.errors}
            found = find_request(site, reference)
            if found is None:
                abort(404)
        else:
            db.session.commit()
            flash(_("Done: the step is logged."), "success")
            return redirect(
                url_for("admin.site_request", site_key=site.site_key, reference=reference)
            )
    now = utcnow()
    page = render_template(
        "admin/request.html",
        site=site,
        item=found,
        flag=live_flag(found, now),
        is_open=found.status in OPEN_STATUSES,
        due=effective_due(found),
        max_extension=deadlines.max_extension_days(found.due_by, found.law),
        errors=errors,
        step_labels=STEP_LABELS,
        actor_labels=ACTOR_LABELS,
        **_labels(),
    )
    return (page, 422) if errors else page

"""Console pages for a site's configuration: every form saves a draft, errors sit next to their
fields, publish and discard, history, deletion asking for the key, and the live preview."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from cookieconsent.extensions import db
from cookieconsent.models import ConfigDraft, Site, User
from cookieconsent.services.config_versions import (
    current_document,
    draft_of,
    publish_draft,
    save_draft,
    versions_of,
)
from cookieconsent.services.site_config import export_site_config
from tests.widget_script import embedded_config

from .conftest import SiteFactory, table_counts
from .test_console_accounts import member as any_member
from .test_console_accounts import sign_in

PAGES = ("banner", "texts", "policy", "design", "history", "settings")


def token_of(page: str, prefix: str = "") -> str:
    """The CSRF token of the form whose fields carry ``prefix``."""
    name = f"{prefix}-csrf_token" if prefix else "csrf_token"
    match = re.search(rf'name="{re.escape(name)}" type="hidden" value="([^"]+)"', page)
    assert match, f"no {name} on the page"
    return match.group(1)


def any_token(console: FlaskClient) -> str:
    """A CSRF token of this session, from a page anyone signed in opens."""
    return token_of(console.get("/admin/account").get_data(as_text=True))


def page_of(console: FlaskClient, site: Site, name: str, query: str = "") -> str:
    response = console.get(f"/admin/sites/{site.site_key}/{name}{query}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def post(
    console: FlaskClient, site: Site, name: str, data: dict[str, Any], prefix: str = "", **kw: Any
) -> Any:
    page = page_of(console, site, name, kw.pop("query", ""))
    csrf = token_of(page, prefix)
    field = f"{prefix}-csrf_token" if prefix else "csrf_token"
    return console.post(
        f"/admin/sites/{site.site_key}/{name}{kw.pop('target_query', '')}",
        data={field: csrf, **data},
        **kw,
    )


def member(site: Site, email: str, role: str) -> User:
    """A member whose console speaks English, so that pages read as the assertions do."""
    user = any_member(site, email, role)
    user.language = "en"
    db.session.commit()
    return user


@pytest.fixture
def owner(console: FlaskClient, site: Site) -> Any:
    user = member(site, "chu@shop.vn", "owner")
    sign_in(console, "chu@shop.vn")
    return user


# Pages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_every_page_opens_for_a_viewer_without_edit_controls(
    console: FlaskClient, site: Site, name: str
) -> None:
    member(site, "xem@shop.vn", "viewer")
    sign_in(console, "xem@shop.vn")
    page = page_of(console, site, name)
    assert "Save draft" not in page and "data-draftbar" not in page
    if name != "history":
        posted = console.post(
            f"/admin/sites/{site.site_key}/{name}",
            data={"action": "x", "csrf_token": any_token(console)},
        )
        assert posted.status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_a_stranger_gets_404_on_every_page(
    console: FlaskClient, make_site: SiteFactory, name: str
) -> None:
    site = make_site()
    other = make_site(name="Other", domains=("other.example",))
    member(other, "la@other.vn", "owner")
    sign_in(console, "la@other.vn")
    assert console.get(f"/admin/sites/{site.site_key}/{name}").status_code == 404
    if name != "history":
        posted = console.post(
            f"/admin/sites/{site.site_key}/{name}", data={"csrf_token": any_token(console)}
        )
        assert posted.status_code == 404


# Every form saves a draft ----------------------------------------------------------------------


def test_domains_form_saves_a_draft_and_live_stays(
    console: FlaskClient, site: Site, owner: Any
) -> None:
    live = export_site_config(site)
    response = post(
        console,
        site,
        "banner",
        {
            "action": "domains",
            "domains-domains": "shop.example\nwww.shop.example",
            "domains-cookie_domain": "shop.example",
        },
        prefix="domains",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert export_site_config(site) == live
    draft = current_document(site)
    assert draft["domains"] == ["shop.example", "www.shop.example"]
    assert draft["cookie_domain"] == "shop.example"
    page = page_of(console, site, "banner")
    assert "Unpublished changes" in page


def test_a_refused_domain_shows_next_to_its_field_and_nothing_is_written(
    console: FlaskClient, site: Site, owner: Any
) -> None:
    page = page_of(console, site, "banner")
    before = table_counts()
    response = console.post(
        f"/admin/sites/{site.site_key}/banner",
        data={
            "domains-csrf_token": token_of(page, "domains"),
            "action": "domains",
            "domains-domains": "shop.example",
            "domains-cookie_domain": "other.example",
        },
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    error = re.search(r'<p class="error" id="domains-cookie_domain-error">([^<]+)</p>', body)
    assert error and "registrable domain" in error.group(1)
    assert 'aria-invalid="true"' in body
    assert table_counts() == before


def test_categories_and_services_with_cookies_are_added_edited_and_removed(
    console: FlaskClient, site: Site, owner: Any
) -> None:
    added = post(
        console, site, "banner", {"action": "add_category", "category-name": "social"}, "category"
    )
    assert added.status_code == 302
    service = {
        "action": "service",
        "service-original": "",
        "service-name": "ga4",
        "service-label": "Google Analytics 4",
        "service-category": "analytics",
        "service-local_storage": "_gcl_ls",
        "service-cookies-0-name": "_ga",
        "service-cookies-0-match": "exact",
        "service-cookies-0-domain": "",
        "service-cookies-0-lifetime_days": "400",
        "service-cookies-1-name": "_ga_",
        "service-cookies-1-match": "prefix",
        "service-cookies-1-domain": ".shop.example",
        "service-cookies-1-lifetime_days": "400",
        "service-cookies-2-name": "",
    }
    assert post(console, site, "banner", service, "service").status_code == 302
    draft = current_document(site)
    assert [c["name"] for c in draft["categories"]] == [
        "essential",
        "analytics",
        "marketing",
        "social",
    ]
    (ga4,) = draft["services"]
    assert ga4["label"] == "Google Analytics 4" and ga4["local_storage"] == ["_gcl_ls"]
    assert [(c["name"], c["match"], c["domain"]) for c in ga4["cookies"]] == [
        ("_ga", "exact", None),
        ("_ga_", "prefix", ".shop.example"),
    ]
    edit_page = page_of(console, site, "banner", "?service=ga4")
    assert 'value="_ga_"' in edit_page
    edited = {
        **service,
        "service-original": "ga4",
        "service-label": "GA4",
        "service-cookies-1-name": "",
    }
    assert post(console, site, "banner", edited, "service", query="?service=ga4").status_code == 302
    (ga4,) = current_document(site)["services"]
    assert ga4["label"] == "GA4" and len(ga4["cookies"]) == 1
    removed = post(console, site, "banner", {"action": "remove_service", "name": "ga4"})
    assert removed.status_code == 302
    assert current_document(site)["services"] == []
    gone = post(console, site, "banner", {"action": "remove_category", "name": "social"})
    assert gone.status_code == 302
    assert "social" not in [c["name"] for c in current_document(site)["categories"]]
    assert versions_of(site) == []


def test_a_cookie_error_shows_on_its_row(console: FlaskClient, site: Site, owner: Any) -> None:
    response = post(
        console,
        site,
        "banner",
        {
            "action": "service",
            "service-name": "ga4",
            "service-label": "GA",
            "service-category": "essential",
            "service-cookies-0-name": "_ga",
            "service-cookies-0-match": "exact",
            "service-cookies-0-lifetime_days": "400",
        },
        "service",
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    # A known tracker cannot be essential: said on the category field and on the cookie's row.
    assert re.search(r'id="service-category-error">[^<]*tracker', body)
    assert re.search(
        r'id="service-cookies-0-name-error">[^<]*Google Analytics analytics cookie '
        r"\(Open Cookie Database\)",
        body,
    )
    assert draft_of(site) is None


def test_texts_form_saves_each_language_with_the_built_in_text_beside(
    console: FlaskClient, site: Site, owner: Any
) -> None:
    page = page_of(console, site, "texts", "?lang=en")
    assert "Built-in:" in page and 'aria-current="page">en<' in page
    response = post(
        console,
        site,
        "texts",
        {"t-title": "Cookies at the shop", "c-analytics-title": "Statistics"},
        query="?lang=en",
        target_query="?lang=en",
    )
    assert response.status_code == 302
    draft = current_document(site)
    assert draft["texts"] == {"en": {"title": "Cookies at the shop"}}
    analytics = next(c for c in draft["categories"] if c["name"] == "analytics")
    assert analytics["texts"] == {"en": {"title": "Statistics"}}
    assert console.get(f"/admin/sites/{site.site_key}/texts?lang=de").status_code == 404


def test_a_text_too_long_is_refused_next_to_it(
    console: FlaskClient, site: Site, owner: Any
) -> None:
    response = post(
        console,
        site,
        "texts",
        {"t-accept_all": "x" * 61},
        query="?lang=vi",
        target_query="?lang=vi",
    )
    assert response.status_code == 200
    assert re.search(
        r'id="t-accept_all-error">At most 60 characters', response.get_data(as_text=True)
    )
    assert draft_of(site) is None


def test_autosave_answers_json(console: FlaskClient, site: Site, owner: Any) -> None:
    page = page_of(console, site, "texts")
    ok = console.post(
        f"/admin/sites/{site.site_key}/texts",
        data={"csrf_token": token_of(page), "t-title": "Xin chào"},
        headers={"Accept": "application/json"},
    )
    assert ok.status_code == 200 and ok.get_json() == {"saved": True}
    refused = console.post(
        f"/admin/sites/{site.site_key}/texts",
        data={"csrf_token": token_of(page), "t-reject_all": "x" * 61},
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"t-reject_all": ["At most 60 characters."]}
    assert current_document(site)["texts"] == {"vi": {"title": "Xin chào"}}


def test_policy_url_is_a_draft_and_a_policy_version_is_published(
    console: FlaskClient, site: Site, owner: Any
) -> None:
    saved = post(
        console,
        site,
        "policy",
        {"action": "url", "policy-policy_url": "https://shop.example/p"},
        "policy",
    )
    assert saved.status_code == 302
    assert current_document(site)["policy_url"] == "https://shop.example/p"
    assert site.policy_url == "https://shop.example/privacy"
    bad = post(console, site, "policy", {"action": "url", "policy-policy_url": "ftp://x"}, "policy")
    assert bad.status_code == 200 and 'id="policy-policy_url-error"' in bad.get_data(as_text=True)
    published = post(
        console,
        site,
        "policy",
        {"action": "version", "version-version": "2.0", "version-summary": "New partners."},
        "version",
    )
    assert published.status_code == 302
    db.session.expire_all()
    assert site.policy_version == "2.0"
    backwards = post(
        console, site, "policy", {"action": "version", "version-version": "1.5"}, "version"
    )
    assert backwards.status_code == 200
    assert 'id="version-version-error"' in backwards.get_data(as_text=True)


def test_design_form_saves_and_names_a_failing_contrast_pair(
    console: FlaskClient, site: Site, owner: Any
) -> None:
    good = {
        "layout": "bar",
        "position": "top",
        "custom_colors": "y",
        "accent": "#0b5d1e",
        "background": "#ffffff",
        "text": "#111111",
        "dark_accent": "#93c5fd",
        "dark_background": "#16191d",
        "dark_text": "#f1f3f5",
    }
    assert post(console, site, "design", good).status_code == 302
    design = current_document(site)["design"]
    assert design["layout"] == "bar" and design["position"] == "top"
    assert design["colors"] == {"accent": "#0b5d1e", "background": "#ffffff", "text": "#111111"}
    assert "dark" not in design
    bad = post(console, site, "design", {**good, "text": "#dddddd"})
    assert bad.status_code == 200
    message = re.search(r'id="text-error">([^<]+)<', bad.get_data(as_text=True))
    assert message and "Text on background" in message.group(1) and ":1" in message.group(1)
    assert current_document(site)["design"]["colors"]["text"] == "#111111"


def test_settings_form_saves_rules_lifetimes_and_name(
    console: FlaskClient, site: Site, owner: Any
) -> None:
    response = post(
        console,
        site,
        "settings",
        {
            "action": "settings",
            "settings-name": "Shop VN",
            "settings-consent_lifetime_days": "180",
            "settings-refusal_lifetime_days": "90",
            "settings-retention_days": "400",
            "settings-rules-0-region": "US-CA",
            "settings-rules-0-mode": "opt-out",
            "settings-rules-1-region": "",
            "settings-rules-1-mode": "opt-in",
            "settings-controller_name": "Công ty TNHH Shop VN",
            "settings-controller_email": "privacy@shop.vn",
        },
        "settings",
    )
    assert response.status_code == 302
    draft = current_document(site)
    assert draft["name"] == "Shop VN" and draft["jurisdiction_rules"] == {"US-CA": "opt-out"}
    assert (
        draft["consent_lifetime_days"],
        draft["refusal_lifetime_days"],
        draft["retention_days"],
    ) == (
        180,
        90,
        400,
    )
    bad = post(
        console,
        site,
        "settings",
        {
            "action": "settings",
            "settings-name": "Shop VN",
            "settings-consent_lifetime_days": "9999",
            "settings-refusal_lifetime_days": "90",
            "settings-retention_days": "400",
        },
        "settings",
    )
    assert bad.status_code == 200
    assert 'id="settings-consent_lifetime_days-error"' in bad.get_data(as_text=True)


def test_settings_form_names_the_controller_and_acknowledges_a_weaker_rule(
    console: FlaskClient, site: Site, owner: Any
) -> None:
    base = {
        "action": "settings",
        "settings-name": "Shop VN",
        "settings-consent_lifetime_days": "180",
        "settings-refusal_lifetime_days": "180",
        "settings-retention_days": "400",
        "settings-rules-0-region": "BR",
        "settings-rules-0-mode": "opt-out",
    }
    refused = post(console, site, "settings", base, "settings")
    assert refused.status_code == 200
    page = html.unescape(refused.get_data(as_text=True))
    # Each refusal beside its field: the rule's reason, the controller's name and email.
    assert 'id="settings-rules-0-reason-error"' in page
    assert "less strict than the built-in opt-in for BR" in page
    assert 'id="settings-controller_name-error"' in page
    assert 'id="settings-controller_email-error"' in page
    assert current_document(site)["jurisdiction_rules"] == {}

    saved = post(
        console,
        site,
        "settings",
        {
            **base,
            "settings-rules-0-reason": "LGPD allows an opt-out for this analytics purpose.",
            "settings-controller_name": "Công ty TNHH Shop VN",
            "settings-controller_email": "privacy@shop.vn",
            "settings-controller_dpo_email": "dpo@shop.vn",
            "settings-processors_involved": "y",
            "settings-lifetimes-0-region": "FR",
            "settings-lifetimes-0-consent_days": "182",
            "settings-lifetimes-0-refusal_days": "182",
            "settings-purposes-0-name": "analytics",
            "settings-purposes-0-tracks_behaviour": "y",
            "settings-purposes-0-statistics_only": "y",
            "settings-purposes-1-name": "marketing",
            "settings-purposes-1-tracks_behaviour": "y",
        },
        "settings",
    )
    assert saved.status_code == 302, html.unescape(saved.get_data(as_text=True))[-3000:]
    draft = current_document(site)
    assert draft["controller"] == {
        "name": "Công ty TNHH Shop VN",
        "email": "privacy@shop.vn",
        "dpo_email": "dpo@shop.vn",
    }
    assert draft["processors_involved"] is True
    assert draft["lifetimes"] == {"FR": {"consent_days": 182, "refusal_days": 182}}
    flags = {c["name"]: (c["tracks_behaviour"], c["statistics_only"]) for c in draft["categories"]}
    assert flags["analytics"] == (True, True) and flags["marketing"] == (True, False)
    assert draft["jurisdiction_acknowledgements"]["BR"]["reason"].startswith("LGPD")
    # Published, the acknowledgement names who gave it; the settings page shows it.
    publish_draft(site, owner)
    db.session.expire_all()
    assert site.jurisdiction_acknowledgements["BR"]["by"] == "chu@shop.vn"
    shown = page_of(console, site, "settings")
    assert "Acknowledged by chu@shop.vn" in shown


# Publish, discard, history ---------------------------------------------------------------------


def test_publish_and_discard_from_the_draft_bar(
    console: FlaskClient, client: FlaskClient, site: Site, owner: Any
) -> None:
    save_draft(site, {"texts": {"vi": {"title": "Bản mới"}}}, owner)
    page = page_of(console, site, "texts")
    assert "Unpublished changes" in page
    published = console.post(
        f"/admin/sites/{site.site_key}/draft/publish",
        data={
            "publish-csrf_token": token_of(page, "publish"),
            "publish-note": "Tiêu đề mới",
            "next": f"/admin/sites/{site.site_key}/texts",
        },
    )
    assert published.status_code == 302
    assert published.headers["Location"].endswith(f"/admin/sites/{site.site_key}/texts")
    assert draft_of(site) is None
    db.session.expire_all()
    newest = versions_of(site)[0]
    assert (newest.author_kind, newest.author_label, newest.note) == (
        "user",
        "chu@shop.vn",
        "Tiêu đề mới",
    )
    config = embedded_config(client.get(f"/c/{site.site_key}.js").get_data(as_text=True))
    assert config["texts"]["vi"]["title"] == "Bản mới"
    save_draft(site, {"name": "Thrown away"}, owner)
    page = page_of(console, site, "banner")
    discarded = console.post(
        f"/admin/sites/{site.site_key}/draft/discard",
        data={"csrf_token": token_of(page), "next": "https://evil.example/"},
    )
    assert discarded.status_code == 302
    assert discarded.headers["Location"].endswith(f"/admin/sites/{site.site_key}/")
    assert draft_of(site) is None and site.name == "Shop"


def test_history_lists_compares_and_restores(console: FlaskClient, site: Site, owner: Any) -> None:
    save_draft(site, {"texts": {"vi": {"title": "Một"}}}, owner)
    publish_draft(site, owner)
    save_draft(site, {"texts": {"vi": {"title": "Hai"}}}, owner)
    publish_draft(site, owner)
    page = page_of(console, site, "history")
    assert "chu@shop.vn" in page and "Before the history began" in page
    compared = page_of(console, site, "history", "?from=2&to=3")
    assert "texts.vi.title" in compared and "Một" in compared and "Hai" in compared
    assert console.get(f"/admin/sites/{site.site_key}/history?from=2&to=9").status_code == 404
    restored = console.post(
        f"/admin/sites/{site.site_key}/history/2/restore", data={"csrf_token": token_of(page)}
    )
    assert restored.status_code == 302
    db.session.expire_all()
    assert site.texts == {"vi": {"title": "Một"}}
    assert versions_of(site)[0].note == "Restored version 2"


def test_history_is_empty_with_what_to_do(console: FlaskClient, site: Site, owner: Any) -> None:
    assert "No published versions yet" in page_of(console, site, "history")


def test_an_editor_cannot_delete_and_a_viewer_cannot_publish(
    console: FlaskClient, site: Site
) -> None:
    owner = member(site, "chu@shop.vn", "owner")
    save_draft(site, {"name": "Draft"}, owner)
    member(site, "sua@shop.vn", "editor")
    sign_in(console, "sua@shop.vn")
    page = page_of(console, site, "settings")
    assert "Delete this site" not in page
    refused = console.post(
        f"/admin/sites/{site.site_key}/settings",
        data={
            "delete-csrf_token": token_of(page, "settings"),
            "action": "delete",
            "delete-confirm": site.site_key,
        },
    )
    assert refused.status_code == 403
    console.post("/admin/sign-out", data={"csrf_token": token_of(page)})
    member(site, "xem@shop.vn", "viewer")
    sign_in(console, "xem@shop.vn")
    page = page_of(console, site, "texts")
    before = table_counts()
    for path in ("draft/publish", "draft/discard", "history/1/restore"):
        response = console.post(
            f"/admin/sites/{site.site_key}/{path}", data={"csrf_token": token_of(page)}
        )
        assert response.status_code == 403, path
    assert table_counts() == before
    assert site.deleted_at is None


def test_deleting_a_site_asks_for_its_key_and_keeps_its_records(
    console: FlaskClient, site: Site, owner: Any
) -> None:
    wrong = post(
        console, site, "settings", {"action": "delete", "delete-confirm": "nope"}, "delete"
    )
    assert wrong.status_code == 200
    assert 'id="delete-confirm-error"' in wrong.get_data(as_text=True)
    assert site.deleted_at is None
    done = post(
        console, site, "settings", {"action": "delete", "delete-confirm": site.site_key}, "delete"
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/")
    db.session.expire_all()
    kept = db.session.execute(sa.select(Site).where(Site.id == site.id)).scalar_one()
    assert kept.deleted_at is not None
    assert console.get(f"/admin/sites/{site.site_key}/settings").status_code == 404


# Preview ---------------------------------------------------------------------------------------


def test_the_preview_page_is_framed_by_the_console_only_and_runs_the_widget_in_preview(
    console: FlaskClient, client: FlaskClient, site: Site, owner: Any
) -> None:
    save_draft(site, {"texts": {"en": {"title": "Draft title"}}}, owner)
    response = console.get(
        f"/admin/sites/{site.site_key}/preview?regime=opt-out&lang=en&theme=dark"
    )
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in csp and "'unsafe-inline'" not in csp
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    page = response.get_data(as_text=True)
    assert '<html lang="en"' in page and "<script>" not in page
    script_url = re.search(r'<script src="([^"]+)"></script>', page)
    assert script_url
    script = console.get(script_url.group(1).replace("&amp;", "&"))
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    config = embedded_config(script.get_data(as_text=True))
    assert config["preview"] == {"regime": "opt-out", "language": "en", "theme": "dark"}
    assert config["texts"]["en"]["title"] == "Draft title"
    # Every text the regime needs is carried: nothing live is fetched for it.
    assert "dismiss" in config["texts"]["en"] and "do_not_sell" in config["texts"]["en"]
    # Visitors still get the live configuration.
    live = embedded_config(client.get(f"/c/{site.site_key}.js").get_data(as_text=True))
    assert "preview" not in live and live["texts"]["en"]["title"] != "Draft title"


def test_the_preview_needs_a_member(console: FlaskClient, make_site: SiteFactory) -> None:
    site = make_site()
    member(make_site(name="Other", domains=("other.example",)), "la@o.vn", "owner")
    sign_in(console, "la@o.vn")
    assert console.get(f"/admin/sites/{site.site_key}/preview").status_code == 404
    assert console.get(f"/admin/sites/{site.site_key}/preview.js").status_code == 404


def test_console_pages_keep_frame_ancestors_none(
    console: FlaskClient, site: Site, owner: Any
) -> None:
    response = console.get(f"/admin/sites/{site.site_key}/design")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    assert "data-preview-frame" in page and 'type="color"' in page
    assert "<script>" not in page and " style=" not in page and "onclick" not in page


def test_drafts_never_reach_visitors(
    console: FlaskClient, client: FlaskClient, site: Site, owner: Any
) -> None:
    before = client.get(f"/c/{site.site_key}.js").get_data()
    post(console, site, "texts", {"t-title": "Không ai thấy"})
    assert db.session.execute(sa.select(sa.func.count()).select_from(ConfigDraft)).scalar() == 1
    assert client.get(f"/c/{site.site_key}.js").get_data() == before


def test_the_overview_shows_the_embed_tag_to_copy_and_where_it_was_last_seen(
    console: FlaskClient, site: Site, owner: Any
) -> None:
    page = page_of(console, site, "")
    assert f"/c/{site.site_key}.js" in page and 'data-copy="#embed-tag"' in page
    assert "Not seen on a page yet" in page
    site.last_seen_origin = "https://shop.example"
    site.last_seen_at = site.created_at
    db.session.commit()
    assert "Last seen running on https://shop.example" in page_of(console, site, "")


def test_publishing_a_stale_draft_from_the_console_asks_to_confirm(
    console: FlaskClient, site: Site, owner: Any
) -> None:
    from cookieconsent.services.config_versions import CLI, load_changes, publish_changes

    save_draft(site, {"retention_days": 400}, owner)
    publish_changes(site, load_changes({"name": "Published"}), CLI)
    page = page_of(console, site, "settings")
    assert "publishing the draft replaces it" in page
    assert 'name="publish-force"' in page
    data = {
        "publish-csrf_token": token_of(page, "publish"),
        "next": f"/admin/sites/{site.site_key}/settings",
    }
    refused = console.post(
        f"/admin/sites/{site.site_key}/draft/publish", data=data, follow_redirects=True
    )
    assert "based on version 1, but version 2 has been published" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert draft_of(site) is not None and export_site_config(site)["name"] == "Published"
    forced = console.post(
        f"/admin/sites/{site.site_key}/draft/publish", data={**data, "publish-force": "y"}
    )
    assert forced.status_code == 302
    db.session.expire_all()
    assert draft_of(site) is None and export_site_config(site)["retention_days"] == 400


def test_history_compare_shows_services_field_by_field_without_json(
    console: FlaskClient, site: Site, owner: Any
) -> None:
    document = current_document(site)
    service = {
        "name": "google_analytics",
        "label": "Google Analytics",
        "category": document["categories"][-1]["name"],
        "cookies": [{"name": "_ga", "match": "exact", "lifetime_days": 400}],
    }
    save_draft(site, {"services": [*document["services"], service]}, owner)
    publish_draft(site, owner)
    changed = {**service, "cookies": [{"name": "_ga", "match": "exact", "lifetime_days": 390}]}
    save_draft(
        site, {"services": [*document["services"], changed], "domains": ["a.vn", "b.vn"]}, owner
    )
    publish_draft(site, owner)
    page = page_of(console, site, "history", "?from=1&to=3")
    table = page[page.index('<table class="table diff">') : page.index("</table>")]
    assert "services.google_analytics.label" in table
    assert "services.google_analytics.cookies._ga.lifetime_days" in table
    assert "a.vn, b.vn" in table
    assert "{" not in table and "[" not in table


# Every field's message in one answer -----------------------------------------------------------


def error_of(page: str, field_id: str) -> str:
    """The message shown under the field ``field_id``, or ``""``."""
    found = re.search(rf'id="{re.escape(field_id)}-error">([^<]*)<', page)
    return html.unescape(found.group(1)) if found else ""


def test_settings_show_every_field_error_in_one_answer(
    console: FlaskClient, site: Site, owner: Any
) -> None:
    before = current_document(site)
    bad = post(
        console,
        site,
        "settings",
        {
            "action": "settings",
            "settings-name": "x" * 300,
            "settings-consent_lifetime_days": "9999999999999999999999",
            "settings-refusal_lifetime_days": "1e5",
            "settings-retention_days": "-5",
            "settings-rules-0-region": "ZZ<script>",
            "settings-rules-0-mode": "opt-in",
            "settings-rules-1-region": "VN",
            "settings-rules-1-mode": "opt-in",
            "settings-rules-2-region": "VN",
            "settings-rules-2-mode": "notice",
        },
        "settings",
    )
    assert bad.status_code == 200
    page = bad.get_data(as_text=True)
    assert "200" in error_of(page, "settings-name")
    assert "395" in error_of(page, "settings-consent_lifetime_days")
    refusal = error_of(page, "settings-refusal_lifetime_days")
    assert "whole number" in refusal and "required" not in refusal
    assert "30" in error_of(page, "settings-retention_days")
    assert "region is VN" in error_of(page, "settings-rules-0-region")
    assert error_of(page, "settings-rules-1-region") == ""
    assert "one rule per region" in error_of(page, "settings-rules-2-region")
    assert "<script>" not in page.split('id="settings-rules-0-region-error"')[1][:200]
    assert draft_of(site) is None and current_document(site) == before


def test_settings_refuse_two_rules_for_one_region_even_when_all_else_is_right(
    console: FlaskClient, site: Site, owner: Any
) -> None:
    bad = post(
        console,
        site,
        "settings",
        {
            "action": "settings",
            "settings-name": "Shop VN",
            "settings-consent_lifetime_days": "180",
            "settings-refusal_lifetime_days": "90",
            "settings-retention_days": "400",
            "settings-rules-0-region": "US-CA",
            "settings-rules-0-mode": "opt-out",
            "settings-rules-1-region": "US-CA",
            "settings-rules-1-mode": "opt-in",
        },
        "settings",
    )
    assert bad.status_code == 200
    page = bad.get_data(as_text=True)
    assert error_of(page, "settings-rules-0-region") == ""
    assert "US-CA already has a rule above" in error_of(page, "settings-rules-1-region")
    assert draft_of(site) is None


def test_new_site_flags_the_name_and_every_bad_domain_together(
    console: FlaskClient, site: Site, owner: Any
) -> None:
    count = db.session.execute(sa.select(sa.func.count()).select_from(Site)).scalar_one()
    page = console.get("/admin/sites/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    response = console.post(
        "/admin/sites/new",
        data={
            "csrf_token": token.group(1),
            "name": "",
            "domains": "not a domain\nhttp://x.vn/path\n*.\ncom.vn\nshop.vn",
            "language": "vi",
        },
    )
    assert response.status_code == 200
    answer = response.get_data(as_text=True)
    assert "required" in error_of(answer, "name")
    domains = error_of(answer, "domains")
    assert "'not a domain' is not a host name" in domains
    assert "'http://x.vn/path': give a host name" in domains
    assert "'*.'" in domains
    assert "'com.vn' is a public suffix" in domains
    assert "shop.vn" not in domains.replace("example.", "")
    assert db.session.execute(sa.select(sa.func.count()).select_from(Site)).scalar_one() == count


# A viewer reads, and is told why nothing can be changed ----------------------------------------


@pytest.mark.parametrize("name", ["banner", "texts", "design", "settings"])
def test_viewer_sees_disabled_fields_and_why(console: FlaskClient, site: Site, name: str) -> None:
    member(site, "xem@shop.vn", "viewer")
    sign_in(console, "xem@shop.vn")
    page = page_of(console, site, name)
    assert "Only owners and editors can change this." in page
    controls = re.findall(r"<(?:input|textarea|select)\b[^>]*>", page)
    editable = [
        tag
        for tag in controls
        if 'type="hidden"' not in tag
        and "disabled" not in tag
        and "readonly" not in tag
        # The preview's own controls (regime, language, theme, width) change nothing.
        and 'name="p_' not in tag
    ]
    assert controls and editable == [], editable
    assert "Save draft" not in page


def test_editor_gets_no_read_only_note(console: FlaskClient, site: Site, owner: Any) -> None:
    for name in ("banner", "texts", "design", "settings"):
        page = page_of(console, site, name)
        assert "Only owners and editors can change this." not in page
        assert "Save draft" in page


# Names people read: regimes and categories ----------------------------------------------------


def test_region_rule_picker_offers_every_regime_by_its_name(
    console: FlaskClient, site: Site, owner: Any
) -> None:
    from cookieconsent.services.jurisdictions import MODES

    page = page_of(console, site, "settings")
    select = re.search(r'<select[^>]*name="settings-rules-0-mode"[^>]*>(.*?)</select>', page, re.S)
    assert select
    offered = dict(
        re.findall(r'<option[^>]*value="([^"]+)"[^>]*>([^<]+)</option>', select.group(1))
    )
    assert set(offered) == set(MODES)
    assert html.unescape(offered["opt-in"]) == "Opt-in (ask before any tracking)"
    assert html.unescape(offered["opt-out"]) == "Opt-out (tracking until the visitor refuses)"
    assert offered["notice"] == "Notice only"
    owner.language = "vi"
    db.session.commit()
    vietnamese = page_of(console, site, "settings")
    assert "Opt-in (ask before any tracking)" not in vietnamese


def test_banner_categories_show_their_title_beside_the_identifier(
    console: FlaskClient, site: Site, owner: Any
) -> None:
    page = page_of(console, site, "banner")
    assert re.search(r"<th scope=\"row\">Analytics <code>analytics</code>", page)
    assert re.search(r"<th scope=\"row\">Marketing <code>marketing</code>", page)
    categories = [
        {**entry, "texts": {"en": {"title": "Visitor statistics", "description": "Counts."}}}
        if entry["name"] == "analytics"
        else entry
        for entry in current_document(site)["categories"]
    ]
    save_draft(site, {"categories": categories}, owner)
    page = page_of(console, site, "banner")
    assert re.search(r"<th scope=\"row\">Visitor statistics <code>analytics</code>", page)

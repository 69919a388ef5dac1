"""Drafts and versions of a site's configuration: the services, every door, the admin API."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner

from cookieconsent.extensions import db
from cookieconsent.models import ConfigDraft, ConfigVersion, Site, User
from cookieconsent.services.accounts import create_user, issue_token, set_role
from cookieconsent.services.config_versions import (
    compare_versions,
    current_document,
    draft_of,
    publish_draft,
    restore_version,
    save_draft,
    versions_of,
)
from cookieconsent.services.site_config import SiteConfigError, export_site_config
from tests.widget_script import embedded_config

from .conftest import SiteFactory, table_counts

PASSWORD = "correct horse battery staple"


def member(site: Site, email: str, role: str) -> User:
    user = create_user(email, PASSWORD)
    set_role(user, site, role)
    db.session.commit()
    return user


def bearer(user: User) -> dict[str, str]:
    _row, token = issue_token(user, "test")
    return {"Authorization": f"Bearer {token}"}


def widget_title(client: FlaskClient, site: Site, language: str = "vi") -> str:
    config = embedded_config(client.get(f"/c/{site.site_key}.js").get_data(as_text=True))
    return str(config["texts"][language]["title"])


def kinds(site: Site) -> list[tuple[int, str, str | None]]:
    return [(v.number, v.author_kind, v.author_label) for v in reversed(versions_of(site))]


# Services --------------------------------------------------------------------------------------


def test_a_draft_changes_neither_the_live_configuration_nor_the_widget(
    client: FlaskClient, site: Site
) -> None:
    user = member(site, "chu@shop.vn", "owner")
    live = export_site_config(site)
    widget_before = client.get(f"/c/{site.site_key}.js").get_data()
    save_draft(site, {"texts": {"vi": {"title": "Bản nháp"}}, "domains": ["shop.vn"]}, user)
    save_draft(site, {"texts": {"en": {"title": "Draft"}}}, user)
    db.session.expire_all()
    assert export_site_config(site) == live
    assert client.get(f"/c/{site.site_key}.js").get_data() == widget_before
    draft = current_document(site)
    # Saves merge: the second kept the first's title and domains.
    assert draft["texts"] == {"vi": {"title": "Bản nháp"}, "en": {"title": "Draft"}}
    assert draft["domains"] == ["shop.vn"]
    assert versions_of(site) == []


def test_publish_makes_the_draft_live_as_a_version_by_its_user(
    client: FlaskClient, site: Site
) -> None:
    user = member(site, "chu@shop.vn", "editor")
    before = export_site_config(site)
    save_draft(site, {"texts": {"vi": {"title": "Chào bạn"}}}, user)
    version = publish_draft(site, user, note="New title")
    assert version is not None
    assert draft_of(site) is None
    assert widget_title(client, site) == "Chào bạn"
    # The configuration before the first change starts the history, then the publication.
    assert kinds(site) == [(1, "system", None), (2, "user", "chu@shop.vn")]
    first, second = reversed(versions_of(site))
    assert first.content == before
    assert second.content == export_site_config(site)
    assert second.author_user_id == user.id and second.note == "New title"


def test_publish_restores_a_built_in_text_the_draft_took_back(site: Site) -> None:
    user = member(site, "chu@shop.vn", "owner")
    save_draft(site, {"texts": {"vi": {"title": "Một", "accept_all": "Đồng ý"}}}, user)
    publish_draft(site, user)
    save_draft(site, {"texts": {"vi": {"title": ""}}}, user)
    publish_draft(site, user)
    assert site.texts == {"vi": {"accept_all": "Đồng ý"}}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"domains": ["not a host"]}, "domains.0"),
        ({"texts": {"de": {"title": "Hallo"}}}, "texts.de"),
        ({"texts": {"vi": {"nonsense": "x"}}}, "texts.vi.nonsense"),
        ({"consent_lifetime_days": 5000}, "consent_lifetime_days"),
        ({"cookie_domain": "other.example"}, "cookie_domain"),
        ({"services": [{"name": "ga4", "category": "nope", "label": "GA"}]}, "services.0.category"),
    ],
)
def test_an_invalid_draft_is_refused_with_its_field_and_nothing_is_written(
    site: Site, changes: dict[str, Any], field: str
) -> None:
    user = member(site, "chu@shop.vn", "owner")
    save_draft(site, {"name": "Kept"}, user)
    draft_before = dict(draft_of(site).content)  # type: ignore[union-attr]
    before = table_counts()
    with pytest.raises(SiteConfigError) as refused:
        save_draft(site, changes, user)
    assert field in refused.value.errors
    db.session.rollback()
    assert table_counts() == before
    assert draft_of(site).content == draft_before  # type: ignore[union-attr]


def test_compare_lists_changes_field_by_field() -> None:
    before = {
        "domains": ["a.vn"],
        "categories": [
            {"name": "essential", "texts": {}},
            {"name": "analytics", "texts": {"vi": {"title": "Phân tích"}}},
        ],
        "texts": {},
    }
    after = {
        "domains": ["a.vn", "b.vn"],
        "categories": [
            {"name": "essential", "texts": {}},
            {"name": "analytics", "texts": {"vi": {"title": "Thống kê"}}},
            {"name": "marketing", "texts": {}},
        ],
        "texts": {"en": {"title": "Hi"}},
    }
    assert compare_versions(before, after) == [
        ("domains", ["a.vn"], ["a.vn", "b.vn"]),
        ("categories.analytics.texts.vi.title", "Phân tích", "Thống kê"),
        ("categories.marketing.name", None, "marketing"),
        ("texts.en.title", None, "Hi"),
    ]
    assert compare_versions(after, after) == []
    reordered = {**after, "categories": list(reversed(after["categories"]))}
    assert compare_versions(after, reordered) == [
        (
            "categories",
            ["essential", "analytics", "marketing"],
            ["marketing", "analytics", "essential"],
        )
    ]


def test_restore_makes_a_new_version_with_the_earlier_content(
    client: FlaskClient, site: Site
) -> None:
    user = member(site, "chu@shop.vn", "owner")
    save_draft(site, {"texts": {"vi": {"title": "Một"}}, "name": "Shop One"}, user)
    publish_draft(site, user)
    save_draft(site, {"texts": {"vi": {"title": "Hai"}}, "name": "Shop Two"}, user)
    publish_draft(site, user)
    assert widget_title(client, site) == "Hai"
    restored = restore_version(site, 2, user)
    assert restored is not None and restored.number == 4
    assert restored.note == "Restored version 2"
    assert widget_title(client, site) == "Một"
    assert site.name == "Shop One"
    version_two = next(v for v in versions_of(site) if v.number == 2)
    assert restored.content == version_two.content
    assert restore_version(site, 99, user) is None


# Other doors -----------------------------------------------------------------------------------


def test_the_site_api_patch_publishes_a_version_by_the_api_token(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    response = client.patch(
        f"/api/v1/sites/{site.site_key}/config",
        json={"texts": {"vi": {"title": "Từ API"}}},
        headers={"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
    )
    assert response.status_code == 200, response.get_json()
    assert kinds(site) == [(1, "system", None), (2, "api-token", "api-token")]
    refused = client.patch(
        f"/api/v1/sites/{site.site_key}/config",
        json={"texts": {"de": {"title": "x"}}},
        headers={"Authorization": f"Bearer {make_site.tokens[site.site_key]}"},
    )
    assert refused.status_code == 422
    assert len(versions_of(site)) == 2


def test_sites_configure_and_sites_texts_publish_versions_by_the_cli(
    runner: FlaskCliRunner, site: Site, tmp_path: Any
) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"domains": ["shop.example", "www.shop.example"]}))
    result = runner.invoke(args=["sites", "configure", site.site_key, str(path)])
    assert result.exit_code == 0, result.output
    texts = runner.invoke(
        args=["sites", "texts", site.site_key, "--language", "vi", "title=Xin chào"]
    )
    assert texts.exit_code == 0, texts.output
    db.session.expire_all()
    assert kinds(site) == [(1, "system", None), (2, "cli", "cli"), (3, "cli", "cli")]
    newest = versions_of(site)[0]
    assert newest.content["texts"]["vi"]["title"] == "Xin chào"
    path.write_text(json.dumps({"domains": ["not a host"]}))
    refused = runner.invoke(args=["sites", "configure", site.site_key, str(path)])
    assert refused.exit_code == 1
    assert len(versions_of(site)) == 3


# Admin API -------------------------------------------------------------------------------------


def admin_url(site: Site, tail: str = "") -> str:
    return f"/api/v1/admin/sites/{site.site_key}/config{tail}"


def test_admin_api_draft_publish_versions_compare_restore(client: FlaskClient, site: Site) -> None:
    user = member(site, "chu@shop.vn", "editor")
    headers = bearer(user)
    assert client.get(admin_url(site, "/draft"), headers=headers).status_code == 404
    saved = client.patch(
        admin_url(site, "/draft"), json={"texts": {"vi": {"title": "Nháp"}}}, headers=headers
    )
    assert saved.status_code == 200, saved.get_json()
    body = saved.get_json()
    assert body["content"]["texts"] == {"vi": {"title": "Nháp"}}
    assert body["updated_by"] == "chu@shop.vn" and body["stale"] is False
    live = client.get(admin_url(site), headers=headers).get_json()
    assert live["texts"] == {}
    published = client.post(
        admin_url(site, "/draft/publish"), json={"note": "Title"}, headers=headers
    )
    assert published.status_code == 201, published.get_json()
    assert published.get_json()["number"] == 2
    assert published.get_json()["author_kind"] == "user"
    assert published.get_json()["author"] == "chu@shop.vn"
    assert client.get(admin_url(site), headers=headers).get_json()["texts"] == {
        "vi": {"title": "Nháp"}
    }
    listed = client.get(admin_url(site, "/versions"), headers=headers).get_json()
    assert [v["number"] for v in listed] == [2, 1]
    compared = client.get(admin_url(site, "/versions/compare?from=1&to=2"), headers=headers)
    assert compared.status_code == 200
    assert compared.get_json()["changes"] == [
        {"path": "texts.vi.title", "before": None, "after": "Nháp"}
    ]
    one = client.get(admin_url(site, "/versions/1"), headers=headers).get_json()
    assert one["content"]["texts"] == {}
    restored = client.post(admin_url(site, "/versions/1/restore"), json={}, headers=headers)
    assert restored.status_code == 201
    assert (
        restored.get_json()["number"] == 3 and restored.get_json()["note"] == "Restored version 1"
    )
    assert client.get(admin_url(site), headers=headers).get_json()["texts"] == {}
    assert client.get(admin_url(site, "/versions/9"), headers=headers).status_code == 404
    missing = client.get(admin_url(site, "/versions/compare?from=1&to=9"), headers=headers)
    assert missing.status_code == 404


def test_admin_api_patch_publishes_at_once_as_the_user(client: FlaskClient, site: Site) -> None:
    user = member(site, "chu@shop.vn", "owner")
    response = client.patch(admin_url(site), json={"name": "Shop VN"}, headers=bearer(user))
    assert response.status_code == 200
    assert response.get_json()["name"] == "Shop VN"
    assert kinds(site) == [(1, "system", None), (2, "user", "chu@shop.vn")]


def test_admin_api_put_draft_replaces_it_whole_and_delete_discards(
    client: FlaskClient, site: Site
) -> None:
    user = member(site, "chu@shop.vn", "owner")
    headers = bearer(user)
    whole = {
        key: value
        for key, value in export_site_config(site).items()
        if key not in {"site_key", "policy_version"}
    }
    whole["name"] = "Whole"
    put = client.put(admin_url(site, "/draft"), json=whole, headers=headers)
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["content"]["name"] == "Whole"
    partial = client.put(admin_url(site, "/draft"), json={"name": "Part"}, headers=headers)
    assert partial.status_code == 422
    assert "domains" in partial.get_json()["errors"]
    assert client.delete(admin_url(site, "/draft"), headers=headers).status_code == 204
    assert db.session.execute(sa.select(ConfigDraft)).first() is None
    assert client.delete(admin_url(site, "/draft"), headers=headers).status_code == 404


def test_admin_api_put_draft_with_a_language_of_null_texts(client: FlaskClient, site: Site) -> None:
    """A language given as null has no overrides; texts in one the site lacks are refused."""
    headers = bearer(member(site, "chu@shop.vn", "owner"))
    whole = {
        key: value
        for key, value in export_site_config(site).items()
        if key not in {"site_key", "policy_version"}
    }
    put = client.put(
        admin_url(site, "/draft"), json={**whole, "texts": {"vi": None}}, headers=headers
    )
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["content"]["texts"].get("vi") in (None, {})
    unknown = client.put(
        admin_url(site, "/draft"),
        json={**whole, "texts": {"xx-unknown": {"title": "Hi"}}},
        headers=headers,
    )
    assert unknown.status_code == 422, unknown.get_json()
    assert any(field.startswith("texts") for field in unknown.get_json()["errors"])


def test_admin_api_refuses_an_invalid_draft_with_field_names(
    client: FlaskClient, site: Site
) -> None:
    headers = bearer(member(site, "chu@shop.vn", "owner"))
    before = table_counts()
    response = client.patch(
        admin_url(site, "/draft"), json={"texts": {"de": {"title": "x"}}}, headers=headers
    )
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "texts.de" in response.get_json()["errors"]
    assert table_counts() == before


CHANGES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("PATCH", "", {"name": "Taken"}),
    ("PUT", "/draft", {"name": "Taken"}),
    ("PATCH", "/draft", {"name": "Taken"}),
    ("DELETE", "/draft", None),
    ("POST", "/draft/publish", {}),
    ("POST", "/versions/1/restore", {}),
]


@pytest.mark.parametrize(("method", "tail", "body"), CHANGES)
def test_a_viewer_gets_403_and_a_stranger_404_and_nothing_changes(
    client: FlaskClient, make_site: SiteFactory, method: str, tail: str, body: Any
) -> None:
    site = make_site()
    other = make_site(name="Other", domains=("other.example",))
    owner = member(site, "chu@shop.vn", "owner")
    save_draft(site, {"name": "Draft"}, owner)
    publish_draft(site, owner)
    save_draft(site, {"name": "Next"}, owner)
    viewer = member(site, "xem@shop.vn", "viewer")
    stranger = member(other, "la@other.vn", "owner")
    before = table_counts()
    live = export_site_config(site)
    for user, status in ((viewer, 403), (stranger, 404)):
        response = client.open(
            admin_url(site, tail), method=method, json=body, headers=bearer(user)
        )
        assert response.status_code == status, (user.email, response.get_json())
        assert response.headers["Content-Type"] == "application/problem+json"
    # Only the two tokens were added.
    after = table_counts()
    assert after.pop("personal_tokens") == before.pop("personal_tokens") + 2
    assert after == before
    db.session.expire_all()
    assert export_site_config(site) == live


@pytest.mark.parametrize(
    "tail", ["", "/draft", "/versions", "/versions/1", "/versions/compare?from=1&to=1"]
)
def test_a_viewer_reads_and_a_stranger_gets_404(
    client: FlaskClient, make_site: SiteFactory, tail: str
) -> None:
    site = make_site()
    owner = member(site, "chu@shop.vn", "owner")
    save_draft(site, {"name": "Draft"}, owner)
    publish_draft(site, owner)
    save_draft(site, {"name": "Next"}, owner)
    viewer = member(site, "xem@shop.vn", "viewer")
    stranger = member(make_site(name="Other", domains=("other.example",)), "la@o.vn", "owner")
    assert client.get(admin_url(site, tail), headers=bearer(viewer)).status_code == 200
    assert client.get(admin_url(site, tail), headers=bearer(stranger)).status_code == 404


def test_versions_are_numbered_per_site(make_site: SiteFactory) -> None:
    first, second = make_site(), make_site(name="Two", domains=("two.example",))
    user = member(first, "chu@shop.vn", "owner")
    set_role(user, second, "owner")
    db.session.commit()
    for site in (first, second, first):
        save_draft(site, {"name": f"{site.name}!"}, user)
        publish_draft(site, user)
    numbers = db.session.execute(
        sa.select(ConfigVersion.site_id, ConfigVersion.number).order_by(ConfigVersion.id)
    ).all()
    assert [n for s, n in numbers if s == first.id] == [1, 2, 3]
    assert [n for s, n in numbers if s == second.id] == [1, 2]


def test_concurrent_publishes_of_one_draft_make_one_version(app: Any, site: Site) -> None:
    """Ten publishers of one draft: one 201, the others 404 (or 409), one new version.

    On PostgreSQL the ten run in real threads, each request in its own application context
    and session; SQLite serializes writers, so there they run one after another.
    """
    import threading

    user = member(site, "chu@shop.vn", "editor")
    headers = bearer(user)
    client = app.test_client()
    saved = client.patch(admin_url(site, "/draft"), json={"name": "Concurrent"}, headers=headers)
    assert saved.status_code == 200
    db.session.rollback()
    statuses: list[int] = []
    url = admin_url(site, "/draft/publish")
    if db.engine.dialect.name == "postgresql":
        barrier = threading.Barrier(10)
        lock = threading.Lock()

        def publish() -> None:
            with app.app_context():
                own = app.test_client()
                barrier.wait()
                status = own.post(url, json={}, headers=headers).status_code
                db.session.remove()
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=publish) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        statuses = [client.post(url, json={}, headers=headers).status_code for _ in range(10)]
    assert sorted(statuses) == [201] + [404] * 9
    db.session.expire_all()
    assert kinds(site) == [(1, "system", None), (2, "user", "chu@shop.vn")]
    assert export_site_config(site)["name"] == "Concurrent"
    assert db.session.execute(sa.select(ConfigDraft)).first() is None


def test_publishing_a_stale_draft_through_the_api_needs_force(
    client: FlaskClient, site: Site
) -> None:
    user = member(site, "chu@shop.vn", "owner")
    headers = bearer(user)
    assert (
        client.patch(admin_url(site, "/draft"), json={"retention_days": 400}, headers=headers)
    ).status_code == 200
    direct = client.patch(
        admin_url(site), json={"name": "Published", "consent_lifetime_days": 200}, headers=headers
    )
    assert direct.status_code == 200
    assert client.get(admin_url(site, "/draft"), headers=headers).get_json()["stale"] is True
    refused = client.post(admin_url(site, "/draft/publish"), json={}, headers=headers)
    assert refused.status_code == 409
    assert refused.mimetype == "application/problem+json"
    problem = refused.get_json()
    assert "version 1" in problem["detail"] and "version 2" in problem["detail"]
    assert "force" in problem["detail"]
    db.session.expire_all()
    live = export_site_config(site)
    assert (live["name"], live["consent_lifetime_days"]) == ("Published", 200)
    assert draft_of(site) is not None
    assert [v[0] for v in kinds(site)] == [1, 2]
    forced = client.post(admin_url(site, "/draft/publish"), json={"force": True}, headers=headers)
    assert forced.status_code == 201
    db.session.expire_all()
    assert export_site_config(site)["retention_days"] == 400
    assert draft_of(site) is None


def test_the_publish_schema_documents_force(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    publish = spec["components"]["schemas"]["Publish"]["properties"]
    assert publish["force"]["type"] == "boolean"
    operation = spec["paths"]["/api/v1/admin/sites/{site_key}/config/draft/publish"]["post"]
    assert "409" in operation["responses"]


def test_compare_spells_out_services_and_their_cookies_by_name() -> None:
    ga = {
        "name": "google_analytics",
        "label": "Google Analytics",
        "category": "analytics",
        "cookies": [{"name": "_ga", "match": "exact", "lifetime_days": 400}],
        "local_storage": [],
    }
    before = {"services": [ga], "categories": [{"name": "analytics", "texts": {}}]}
    after = {
        "services": [
            {
                **ga,
                "label": "Google Analytics 4",
                "cookies": [{"name": "_ga", "match": "exact", "lifetime_days": 390}],
            },
            {"name": "pixel", "label": "Pixel", "category": "analytics", "cookies": []},
        ],
        "categories": [{"name": "analytics", "texts": {"vi": {"title": "Thống kê"}}}],
    }
    changes = compare_versions(before, after)
    assert changes == [
        ("services.google_analytics.label", "Google Analytics", "Google Analytics 4"),
        ("services.google_analytics.cookies._ga.lifetime_days", 400, 390),
        ("services.pixel.name", None, "pixel"),
        ("services.pixel.label", None, "Pixel"),
        ("services.pixel.category", None, "analytics"),
        ("categories.analytics.texts.vi.title", None, "Thống kê"),
    ]
    # No row holds an object: each is a plain value a reader can compare.
    assert not [row for row in changes if isinstance(row[1], dict) or isinstance(row[2], dict)]

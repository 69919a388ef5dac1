"""Operator input at every door: the same value is accepted or refused alike, with one message.

The doors are the ``sites``, ``policy``, ``consents`` and ``webhooks`` commands (one line,
``Error: field: message``, status 1) and the API (problem JSON naming the field); both ask
``cookieconsent.services.validation``. A refusal writes nothing.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask.testing import FlaskClient, FlaskCliRunner
from markupsafe import escape

from cookieconsent.extensions import db
from cookieconsent.models import ConsentEvent, PolicyVersion, Site
from cookieconsent.services.signing import mint_visitor_id
from cookieconsent.services.site_config import export_site_config
from cookieconsent.services.sites import widget_config
from cookieconsent.services.validation import (
    POLICY_VERSION_MESSAGE,
    language_error,
    merge_texts,
    policy_version_error,
    policy_version_order,
    safe_http_url,
)
from cookieconsent.texts import BANNER_TEXTS, CATEGORY_TEXTS, SUPPORTED_LANGUAGES
from tests.widget_script import served_config

from .conftest import SECRET_KEYS, SiteFactory, table_counts

README = Path(__file__).resolve().parent.parent / "README.md"
SHOP_ORIGIN = "https://shop.example"
NOT_BUILT_IN = (
    "No built-in texts for 'xx'; the built-in languages are "
    "vi, en, ar, cs, da, de, el, es, fr, he, hi, id, it, ja, km, ko, lo, ms, nl, pl, pt-BR, pt-PT, "
    "ro, ru, sv, th, tr, uk, zh-CN, zh-TW."
)
DE_NOT_OFFERED = (
    "The site offers vi, en; add de to its languages first, with `sites configure` "
    "(or the configuration API)."
)


def refused(result: Result) -> str:
    """An operator's mistake: one line on stderr, ``Error: …``, status 1, nothing on stdout."""
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ")
    return line.removeprefix("Error: ")


def bearer(make_site: SiteFactory, site: Site) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_site.tokens[site.site_key]}"}


def patch_config(client: FlaskClient, make_site: SiteFactory, site: Site, body: Any) -> Any:
    return client.patch(
        f"/api/v1/sites/{site.site_key}/config", json=body, headers=bearer(make_site, site)
    )


def problem_errors(response: Any, status: int = 422) -> dict[str, list[str]]:
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    errors: dict[str, list[str]] = response.get_json()["errors"]
    return errors


def configure(runner: FlaskCliRunner, site_key: str, tmp_path: Path, document: Any) -> Result:
    path = tmp_path / "site.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return runner.invoke(args=["sites", "configure", "--", site_key, str(path)])


def snapshot(site: Site) -> tuple[dict[str, int], dict[str, Any], dict[str, Any]]:
    """What a refusal must leave alone: row counts, the configuration and every text."""
    db.session.expire_all()
    texts = {"site": site.texts, **{c.name: c.texts for c in site.categories}}
    return table_counts(), export_site_config(site), texts


def create(runner: FlaskCliRunner, *options: str) -> Result:
    return runner.invoke(
        args=["sites", "create", "--name", "Shop", "--domain", "shop.example", *options]
    )


# Languages ------------------------------------------------------------------------------------


def test_language_error() -> None:
    assert language_error("xx") == NOT_BUILT_IN
    assert language_error("de") is None
    assert language_error("de", ["vi", "en"]) == DE_NOT_OFFERED
    assert language_error("en", ["vi", "en"]) is None


@pytest.mark.parametrize("assignments", [["title=Hallo"], []], ids=["change", "print"])
@pytest.mark.parametrize(
    ("language", "message"),
    [("xx", f"texts.xx: {NOT_BUILT_IN}"), ("de", f"texts.de: {DE_NOT_OFFERED}")],
    ids=["no-built-in-texts", "not-offered"],
)
def test_sites_texts_refuses_a_language_the_site_cannot_show(
    runner: FlaskCliRunner, site: Site, language: str, message: str, assignments: list[str]
) -> None:
    before = snapshot(site)
    result = runner.invoke(
        args=["sites", "texts", site.site_key, "--language", language, *assignments]
    )
    assert refused(result) == message
    assert snapshot(site) == before


@pytest.mark.parametrize(
    ("texts", "field", "message"),
    [
        ({"xx": {"title": "Hi"}}, "texts.xx", NOT_BUILT_IN),
        ({"de": {"title": "Hallo"}}, "texts.de", DE_NOT_OFFERED),
        ({"de": None}, "texts.de", DE_NOT_OFFERED),
    ],
    ids=["no-built-in-texts", "not-offered", "not-offered-restore"],
)
def test_configuration_refuses_the_same_languages_with_the_same_message(
    client: FlaskClient,
    runner: FlaskCliRunner,
    make_site: SiteFactory,
    site: Site,
    tmp_path: Path,
    texts: dict[str, Any],
    field: str,
    message: str,
) -> None:
    before = snapshot(site)
    api = patch_config(client, make_site, site, {"name": "Half applied", "texts": texts})
    assert problem_errors(api) == {field: [message]}
    cli = configure(runner, site.site_key, tmp_path, {"name": "Half applied", "texts": texts})
    assert refused(cli) == f"{field}: {message}"
    assert snapshot(site) == before


GERMAN_CATEGORY = {"name": "analytics", "texts": {"de": {"title": "Analyse"}}}
GERMAN_SERVICE = {
    "name": "ga4",
    "category": "analytics",
    "label": "GA4",
    "texts": {"de": {"description": "Besuche zählen"}},
}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"categories": [GERMAN_CATEGORY]}, "categories.0.texts.de"),
        ({"services": [GERMAN_SERVICE]}, "services.0.texts.de"),
    ],
    ids=["category", "service"],
)
def test_category_and_service_texts_need_an_offered_language(
    client: FlaskClient, make_site: SiteFactory, site: Site, body: dict[str, Any], field: str
) -> None:
    before = snapshot(site)
    assert problem_errors(patch_config(client, make_site, site, body)) == {field: [DE_NOT_OFFERED]}
    assert snapshot(site) == before


def test_a_language_added_by_configure_takes_texts(
    client: FlaskClient,
    runner: FlaskCliRunner,
    make_site: SiteFactory,
    site: Site,
    tmp_path: Path,
) -> None:
    # Offered and given texts in one change, then by the texts command.
    both = patch_config(
        client,
        make_site,
        site,
        {"languages": ["vi", "en", "de"], "texts": {"de": {"title": "Cookies im Shop"}}},
    )
    assert both.status_code == 200, both.get_json()
    result = runner.invoke(
        args=["sites", "texts", site.site_key, "--language", "de", "accept_all=Alle erlauben"]
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["title"] == "Cookies im Shop"
    assert shown["accept_all"] == "Alle erlauben"
    assert shown["reject_all"] == BANNER_TEXTS["de"]["reject_all"]
    db.session.expire_all()
    assert site.texts == {"de": {"title": "Cookies im Shop", "accept_all": "Alle erlauben"}}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"default_language": "xx"}, "default_language"),
        ({"languages": ["vi", "xx"]}, "languages.1"),
    ],
)
def test_api_refuses_languages_without_built_in_texts(
    client: FlaskClient, make_site: SiteFactory, site: Site, body: dict[str, Any], field: str
) -> None:
    before = snapshot(site)
    assert problem_errors(patch_config(client, make_site, site, body)) == {field: [NOT_BUILT_IN]}
    assert snapshot(site) == before


def test_sites_create_refuses_a_default_language_without_texts(runner: FlaskCliRunner) -> None:
    before = table_counts()
    assert refused(create(runner, "--language", "xx")) == f"default_language: {NOT_BUILT_IN}"
    assert table_counts() == before
    created = create(runner, "--language", "de")
    assert created.exit_code == 0, created.output
    site = db.session.execute(sa.select(Site)).scalar_one()
    assert (site.default_language, site.languages) == ("de", ["vi", "en", "de"])


# Merging configuration ----------------------------------------------------------------------


def readme_texts_example() -> tuple[str, list[str]]:
    """The README's ``sites texts`` example: its language and assignments."""
    command = re.search(
        r"flask --app app sites texts SITE_KEY (.*?)\n```", README.read_text(), re.S
    )
    assert command is not None
    words = shlex.split(command.group(1).replace("\\\n", " "))
    assert words[0] == "--language"
    return words[1], words[2:]


def readme_configure_example() -> dict[str, Any]:
    """The README's example configuration, under "Services, Consent Mode, GPC and webhooks"."""
    section = README.read_text().split("## Services, Consent Mode, GPC and webhooks", 1)[1]
    block = re.search(r"```json\n(.*?)\n```", section, re.S)
    assert block is not None
    document: dict[str, Any] = json.loads(block.group(1))
    return document


def test_readme_example_keeps_texts_set_before(
    runner: FlaskCliRunner, site: Site, tmp_path: Path
) -> None:
    language, assignments = readme_texts_example()
    texts = runner.invoke(
        args=["sites", "texts", site.site_key, "--language", language, *assignments]
    )
    assert texts.exit_code == 0, texts.output
    title = dict(a.split("=", 1) for a in assignments)["title"]

    example = readme_configure_example()
    assert "texts" in example  # the example does change texts, in another language
    result = configure(runner, site.site_key, tmp_path, example)
    assert result.exit_code == 0, result.output

    shown = widget_config(site)["texts"]
    assert shown[language]["title"] == title
    described = dict(a.split("=", 1) for a in assignments)["category.analytics.description"]
    assert shown[language]["categories"]["analytics"]["description"] == described
    for other, values in example["texts"].items():
        for key, value in values.items():
            assert shown[other][key] == value
    # The lists replaced what was there.
    assert [c["name"] for c in json.loads(result.stdout)["categories"]] == [
        "essential",
        "analytics",
        "marketing",
        "preferences",
    ]


def test_texts_merge_by_language_and_key(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    def texts_after(body: dict[str, Any]) -> dict[str, Any]:
        response = patch_config(client, make_site, site, {"texts": body})
        assert response.status_code == 200, response.get_json()
        texts: dict[str, Any] = response.get_json()["texts"]
        return texts

    assert texts_after({"en": {"title": "T", "accept_all": "Yes"}, "vi": {"title": "Tv"}}) == {
        "en": {"title": "T", "accept_all": "Yes"},
        "vi": {"title": "Tv"},
    }
    # Keys not sent stay; "" and null restore the built-in text.
    assert texts_after({"en": {"accept_all": None, "save": "Keep"}}) == {
        "en": {"title": "T", "save": "Keep"},
        "vi": {"title": "Tv"},
    }
    assert texts_after({"en": {"title": ""}}) == {"en": {"save": "Keep"}, "vi": {"title": "Tv"}}
    # A language given as null loses every override; an emptied one disappears.
    assert texts_after({"vi": None, "en": {"save": " "}}) == {}
    assert widget_config(site)["texts"]["en"]["title"] == BANNER_TEXTS["en"]["title"]


def test_category_texts_merge_and_lists_replace(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    def categories_after(entries: list[dict[str, Any]]) -> dict[str, Any]:
        response = patch_config(client, make_site, site, {"categories": entries})
        assert response.status_code == 200, response.get_json()
        return {c["name"]: c["texts"] for c in response.get_json()["categories"]}

    first = categories_after(
        [{"name": "analytics", "texts": {"en": {"title": "Stats"}}}, {"name": "marketing"}]
    )
    assert first["analytics"] == {"en": {"title": "Stats"}}
    merged = categories_after(
        [{"name": "analytics", "texts": {"en": {"description": "Visits"}}}, {"name": "marketing"}]
    )
    assert merged["analytics"] == {"en": {"title": "Stats", "description": "Visits"}}
    # An entry without texts keeps them; the list itself replaces (marketing goes).
    kept = categories_after([{"name": "analytics"}])
    assert list(kept) == ["essential", "analytics"]
    assert kept["analytics"] == {"en": {"title": "Stats", "description": "Visits"}}
    restored = categories_after([{"name": "analytics", "texts": {"en": {"title": None}}}])
    assert restored["analytics"] == {"en": {"description": "Visits"}}
    assert (
        widget_config(site)["texts"]["en"]["categories"]["analytics"]["title"]
        == CATEGORY_TEXTS["analytics"]["en"]["title"]
    )
    domains = patch_config(client, make_site, site, {"domains": ["other.example"]})
    assert domains.get_json()["domains"] == ["other.example"]


def test_both_doors_merge_alike(
    client: FlaskClient,
    runner: FlaskCliRunner,
    make_site: SiteFactory,
    tmp_path: Path,
) -> None:
    first, second = make_site(name="A"), make_site(name="B")
    document = {"texts": {"en": {"title": "T", "save": None}}}
    for target in (first, second):
        assert runner.invoke(
            args=["sites", "texts", target.site_key, "--language", "en", "save=S", "close=C"]
        ).exit_code == 0  # fmt: skip
    assert patch_config(client, make_site, first, document).status_code == 200
    assert configure(runner, second.site_key, tmp_path, document).exit_code == 0
    db.session.expire_all()
    assert first.texts == second.texts == {"en": {"close": "C", "title": "T"}}


def test_merge_texts() -> None:
    stored = {"en": {"title": "T"}, "vi": {"title": "V"}}
    assert merge_texts(stored, {"en": {"save": "S"}}) == {
        "en": {"title": "T", "save": "S"},
        "vi": {"title": "V"},
    }
    assert merge_texts(stored, {"en": {"title": None}, "vi": {"title": "  "}}) == {}
    assert merge_texts(stored, {"en": None}) == {"vi": {"title": "V"}}
    assert stored == {"en": {"title": "T"}, "vi": {"title": "V"}}  # not changed in place


# Policy versions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "order"),
    [
        ("1.0", (1, 0, 0)),
        ("2.10", (2, 10, 0)),
        ("3", (3, 0, 0)),
        ("6.0.1", (6, 0, 1)),
        ("banana", (-1,)),
        ("-1.0", (-1,)),
    ],
)
def test_policy_version_order(version: str, order: tuple[int, ...]) -> None:
    assert policy_version_order(version) == order
    assert policy_version_order("2.10") > policy_version_order("2.9")


@pytest.mark.parametrize("version", ["banana", "3", "6.0.1", "1.0.0", "-1.0", "01.0", ""])
def test_policy_version_error(version: str) -> None:
    assert policy_version_error(version) == POLICY_VERSION_MESSAGE
    assert policy_version_error("2.10") is None
    assert policy_version_error("0.0") is None


@pytest.mark.parametrize("version", ["banana", "3", "6.0.1", "1.0.0", "-1.0", "01.0"])
def test_every_door_refuses_a_version_that_is_not_major_minor(
    client: FlaskClient,
    runner: FlaskCliRunner,
    make_site: SiteFactory,
    site: Site,
    version: str,
) -> None:
    before = snapshot(site)
    assert refused(create(runner, "--policy-version", version)) == (
        f"policy_version: {POLICY_VERSION_MESSAGE}"
    )
    assert refused(runner.invoke(args=["policy", "publish", "--", site.site_key, version])) == (
        f"version: {POLICY_VERSION_MESSAGE}"
    )
    published = client.post(
        f"/api/v1/sites/{site.site_key}/policy-versions",
        json={"version": version},
        headers=bearer(make_site, site),
    )
    assert problem_errors(published) == {"version": [POLICY_VERSION_MESSAGE]}
    written = client.post(
        f"/api/v1/sites/{site.site_key}/consents",
        json={"action": "accept_all", "policy_version": version},
        headers={"Origin": SHOP_ORIGIN},
    )
    assert problem_errors(written) == {"policy_version": [POLICY_VERSION_MESSAGE]}
    assert snapshot(site) == before


def test_sites_create_takes_major_minor(runner: FlaskCliRunner) -> None:
    result = create(runner, "--policy-version", "2.10")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["policy_version"] == "2.10"


def store_legacy_version(site: Site, version: str) -> None:
    """A site created before versions were checked, with ``version`` as its only one."""
    db.session.execute(
        sa.update(PolicyVersion).where(PolicyVersion.site_id == site.id).values(version=version)
    )
    db.session.execute(sa.update(Site).where(Site.id == site.id).values(policy_version=version))
    db.session.commit()
    db.session.expire_all()


@pytest.mark.parametrize(
    ("stored", "not_after", "after"),
    [("6.0.1", "6.0", "6.1"), ("3", "3.0", "3.1"), ("banana", None, "0.0")],
)
def test_versions_stored_before_the_check_keep_working(
    client: FlaskClient,
    make_site: SiteFactory,
    site: Site,
    stored: str,
    not_after: str | None,
    after: str,
) -> None:
    store_legacy_version(site, stored)
    assert served_config(client, site.site_key)["policyVersion"] == stored
    # The widget sends the version it was served, so it is still accepted.
    for body in ({"action": "accept_all"}, {"action": "reject_all", "policy_version": stored}):
        written = client.post(
            f"/api/v1/sites/{site.site_key}/consents", json=body, headers={"Origin": SHOP_ORIGIN}
        )
        assert written.status_code == 201, written.get_json()
        assert written.get_json()["policy_version"] == stored
    url = f"/api/v1/sites/{site.site_key}/policy-versions"
    if not_after is not None:
        backwards = client.post(url, json={"version": not_after}, headers=bearer(make_site, site))
        assert problem_errors(backwards, 409) == {
            "version": [f"{not_after} does not come after the latest published version {stored}."]
        }
    forward = client.post(url, json={"version": after}, headers=bearer(make_site, site))
    assert forward.status_code == 201, forward.get_json()
    assert served_config(client, site.site_key)["policyVersion"] == after
    assert [v["version"] for v in client.get(url, headers=bearer(make_site, site)).get_json()] == [
        stored,
        after,
    ]


# Policy URLs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("javascript:alert(1)", "Not a valid URL."),
        ("ftp://shop.example/privacy", "Not a valid URL."),
        ("/privacy", "Not a valid URL."),
        ("https://shop.example/" + "p" * 2048, "Longer than 2048 characters."),
    ],
    ids=["javascript", "ftp", "relative", "too-long"],
)
def test_every_door_refuses_a_policy_url_that_is_not_http(
    client: FlaskClient,
    runner: FlaskCliRunner,
    make_site: SiteFactory,
    site: Site,
    url: str,
    message: str,
) -> None:
    before = snapshot(site)
    assert refused(create(runner, "--policy-url", url)) == f"policy_url: {message}"
    api = patch_config(client, make_site, site, {"policy_url": url})
    assert problem_errors(api) == {"policy_url": [message]}
    assert snapshot(site) == before


def test_safe_http_url() -> None:
    assert safe_http_url("https://shop.example/privacy") == "https://shop.example/privacy"
    assert safe_http_url("javascript:alert(1)") is None
    assert safe_http_url(" javascript:alert(1)") is None
    assert safe_http_url(None) is None


def receipt_link(client: FlaskClient, site: Site) -> str:
    written = client.post(
        f"/api/v1/sites/{site.site_key}/consents",
        json={"action": "accept_all"},
        headers={"Origin": SHOP_ORIGIN},
    )
    assert written.status_code == 201
    return f"/receipt/{site.site_key}/{written.get_json()['visitor_id']}"


def test_receipt_never_links_a_stored_policy_url_that_is_not_http(
    client: FlaskClient, site: Site
) -> None:
    link = receipt_link(client, site)
    page = client.get(link, query_string={"lang": "en"}).get_data(as_text=True)
    assert '<a href="https://shop.example/privacy" data-field="policy-link">' in page
    db.session.execute(
        sa.update(Site).where(Site.id == site.id).values(policy_url="javascript:alert(1)")
    )
    db.session.commit()
    response = client.get(link, query_string={"lang": "en"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "javascript:" not in page
    assert 'data-field="policy-link"' not in page


# The printable receipt's errors ---------------------------------------------------------------


def assert_receipt_error(response: Any, status: int, language: str, text_key: str) -> str:
    assert response.status_code == status
    assert response.mimetype == "text/html"
    page: str = response.get_data(as_text=True)
    assert f'<html lang="{language}" dir="ltr">' in page
    assert escape(BANNER_TEXTS[language][text_key]) in page
    assert f'data-error="{text_key}"' in page
    assert "problem" not in page and '"status"' not in page
    return page


def test_receipt_errors_are_pages_in_the_visitors_language(
    client: FlaskClient, make_site: SiteFactory
) -> None:
    site = make_site(name="<b>Shop</b>", policy_url="https://shop.example/privacy")
    link = receipt_link(client, site)
    key, visitor_id = link.split("/")[2:]
    other_visitor = mint_visitor_id(SECRET_KEYS, "someothersite1")[1]
    unknown_visitor = mint_visitor_id(SECRET_KEYS, key)[1]

    bad = client.get(f"/receipt/{key}/{other_visitor}", query_string={"lang": "fr"})
    page = assert_receipt_error(bad, 400, "fr", "receipt_invalid")
    assert escape("<b>Shop</b>") in page and "<b>Shop</b>" not in page
    assert_receipt_error(client.get(f"/receipt/{key}/{visitor_id}x"), 400, "vi", "receipt_invalid")
    # No choice recorded: the site's default language, or the one asked for.
    assert_receipt_error(
        client.get(f"/receipt/{key}/{unknown_visitor}"), 404, "vi", "receipt_not_found"
    )
    assert_receipt_error(
        client.get(link, query_string={"event": "999", "lang": "en-GB"}),
        404,
        "en",
        "receipt_not_found",
    )
    # An unknown site has no default language: the browser's, then English.
    unknown_site = f"/receipt/nosuchsite1/{visitor_id}"
    german = client.get(unknown_site, headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert_receipt_error(german, 404, "de", "receipt_not_found")
    assert_receipt_error(client.get(unknown_site), 404, "en", "receipt_not_found")
    too_long = client.get(f"/receipt/{'k' * 500}/{visitor_id}")
    assert_receipt_error(too_long, 404, "en", "receipt_not_found")


def test_the_api_keeps_problem_json_for_the_same_errors(client: FlaskClient, site: Site) -> None:
    link = receipt_link(client, site)
    key, visitor_id = link.split("/")[2:]
    response = client.get(f"/api/v1/sites/{key}/consents/{visitor_id}x/receipt")
    assert list(problem_errors(response, 400)) == ["visitor_id"]
    assert client.get(f"/api/v1/sites/nosuchsite1/consents/{visitor_id}/receipt").mimetype == (
        "application/problem+json"
    )


def test_every_built_in_language_explains_receipt_errors() -> None:
    for language in SUPPORTED_LANGUAGES:
        assert BANNER_TEXTS[language]["receipt_invalid"].strip()
        assert BANNER_TEXTS[language]["receipt_not_found"].strip()


# Other operator mistakes: one line, status 1 ---------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["sites", "show", "nosuchsite1"],
        ["sites", "texts", "nosuchsite1", "--language", "en"],
        ["policy", "publish", "nosuchsite1", "2.0"],
        ["webhooks", "add", "nosuchsite1", "https://hooks.shop.example/"],
        ["webhooks", "list", "nosuchsite1"],
        ["webhooks", "remove", "nosuchsite1", "1"],
        ["consents", "verify", "--site", "nosuchsite1"],
        ["consents", "purge", "--site", "nosuchsite1"],
    ],
    ids=lambda args: "-".join(args[:2]),
)
def test_every_command_refuses_an_unknown_site_in_one_line(
    runner: FlaskCliRunner, site: Site, args: list[str]
) -> None:
    before = table_counts()
    assert refused(runner.invoke(args=args)) == "no site with key 'nosuchsite1'"
    assert table_counts() == before


HUGE_ID = "257513283274767630250016768"
NAME_RULE = "name: Between 1 and 200 characters."
MISTAKES = {
    "blank-name": (["sites", "create", "--name", " ", "--domain", "s.example"], NAME_RULE),
    "long-name": (["sites", "create", "--name", "n" * 201, "--domain", "s.example"], NAME_RULE),
    "webhook-url": (["webhooks", "add", "{key}", "javascript:alert(1)"], "url: Not a valid URL."),
    "huge-webhook-id": (
        ["webhooks", "remove", "{key}", HUGE_ID],
        f"site '{{key}}' has no webhook {HUGE_ID}",
    ),
    "negative-webhook-id": (
        ["webhooks", "remove", "--", "{key}", "-1"],
        "site '{key}' has no webhook -1",
    ),
    "run-batch": (["webhooks", "run", "--once", "--batch", "0"], "--batch: From 1 to 1000."),
    "run-interval": (
        ["webhooks", "run", "--once", "--interval", "0"],
        "--interval: More than 0 and at most 3600 seconds.",
    ),
    "purge-batch": (["consents", "purge", "--batch", "0"], "--batch: From 1 to 100000."),
}


@pytest.mark.parametrize(("args", "message"), MISTAKES.values(), ids=MISTAKES.keys())
def test_operator_mistakes_are_one_line(
    runner: FlaskCliRunner, site: Site, args: list[str], message: str
) -> None:
    before = table_counts()
    key = site.site_key
    result = runner.invoke(args=[arg.format(key=key) for arg in args])
    assert refused(result) == message.format(key=key)
    assert table_counts() == before


def test_the_api_gives_the_site_name_rule(
    client: FlaskClient, make_site: SiteFactory, site: Site
) -> None:
    for name in ("", " ", "n" * 201):
        response = patch_config(client, make_site, site, {"name": name})
        assert problem_errors(response) == {"name": ["Between 1 and 200 characters."]}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe{}", "body: Not valid UTF-8 (byte 0)."),
        (b'{"name": "a\\u0000b"}', "name: NUL characters are not allowed."),
        (b"[" * 5000 + b"]" * 5000, "body: Nested deeper than 32 levels."),
    ],
    ids=["not-utf-8", "nul", "deep"],
)
def test_configure_bounds_its_file_as_the_api_bounds_a_body(
    runner: FlaskCliRunner, site: Site, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "site.json"
    path.write_bytes(content)
    before = snapshot(site)
    result = runner.invoke(args=["sites", "configure", site.site_key, str(path)])
    assert refused(result) == f"{path}: {message}"
    assert snapshot(site) == before


def test_verify_says_what_its_exit_status_means(runner: FlaskCliRunner) -> None:
    shown = runner.invoke(args=["consents", "verify", "--help"])
    assert shown.exit_code == 0
    assert "Exit status 1 means a chain is broken" in " ".join(shown.output.split())


def test_a_refused_write_records_no_event(client: FlaskClient, site: Site) -> None:
    written = client.post(
        f"/api/v1/sites/{site.site_key}/consents",
        json={"action": "accept_all", "policy_version": "banana"},
        headers={"Origin": SHOP_ORIGIN},
    )
    assert written.status_code == 422
    assert db.session.execute(sa.select(sa.func.count()).select_from(ConsentEvent)).scalar() == 0

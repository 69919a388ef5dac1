"""The console's gettext catalogs: every string extracted, translated, compiled into the package.

`bash scripts/i18n update` extracts and merges, `bash scripts/i18n compile` compiles; these tests
fail when someone adds a console string and forgets either step.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "cookieconsent" / "translations"
LANGUAGES = ["vi"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def pybabel() -> str:
    return str(Path(sys.executable).parent / "pybabel")


def plain(value: object) -> str | tuple[str, ...]:
    """A message's id or string; one with a plural is a tuple (a list when read from a .mo)."""
    return tuple(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


def po(language: str) -> Path:
    return CATALOGS / language / "LC_MESSAGES" / "messages.po"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The msgids the code and templates hold now."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [pybabel(), "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
         "-k", "N_", "-k", "Nn_:1,2", "--no-location", "-o", str(pot), "cookieconsent"],
        cwd=ROOT, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    with pot.open("rb") as handle:
        return {str(message.id) for message in read_po(handle) if message.id}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_console_string_is_in_the_catalog(extracted: set[str], language: str) -> None:
    with po(language).open("rb") as handle:
        catalog = {str(message.id) for message in read_po(handle) if message.id}
    missing = sorted(extracted - catalog)
    assert not missing, f"run `bash scripts/i18n update`; not in {language}: {missing[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated_with_the_same_placeholders(language: str) -> None:
    with po(language).open("rb") as handle:
        catalog = read_po(handle)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        # A message with a plural has a tuple of ids and one string per plural form.
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            problems.append(f"untranslated or fuzzy: {message.id!r}")
            continue
        wanted = sorted(PLACEHOLDER.findall(str(ids[-1])))
        if any(sorted(PLACEHOLDER.findall(str(string))) != wanted for string in strings):
            problems.append(f"placeholders differ: {message.id!r}")
    assert not problems, problems[:10]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_is_the_current_one(language: str) -> None:
    with po(language).open("rb") as handle:
        source = {plain(m.id): plain(m.string) for m in read_po(handle) if m.id and m.string}
    mo = po(language).with_suffix(".mo")
    assert mo.exists(), "run `bash scripts/i18n compile`"
    with mo.open("rb") as handle:
        compiled = {plain(m.id): plain(m.string) for m in read_mo(handle) if m.id}
    assert compiled == source, "run `bash scripts/i18n compile`"


def test_the_console_speaks_vietnamese_by_default_and_english_when_asked(
    console: FlaskClient,
) -> None:
    vietnamese = console.get("/admin/sign-in")
    assert vietnamese.status_code == 200
    page = vietnamese.get_data(as_text=True)
    assert '<html lang="vi"' in page
    english = console.get("/admin/sign-in", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en"' in english.get_data(as_text=True)
    with po("vi").open("rb") as handle:
        catalog = {str(m.id): str(m.string) for m in read_po(handle) if m.id}
    assert catalog["Sign in"] in page
    assert "Sign in" in english.get_data(as_text=True)


# The console's language: the user's choice, then the browser's, then Vietnamese ----------------


def signed_in(console: FlaskClient, language: str | None) -> None:
    """Sign in as a new owner of a new site whose console language is ``language``."""
    from cookieconsent.extensions import db
    from cookieconsent.services.accounts import create_user
    from cookieconsent.services.sites import create_site

    from .test_console_accounts import sign_in

    site, _token = create_site("Cửa hàng", ["shop.example"])
    user = create_user("chu@shop.vn", "correct horse battery staple", language=language)
    from cookieconsent.services.accounts import set_role

    set_role(user, site, "owner")
    db.session.commit()
    response = sign_in(console, "chu@shop.vn")
    assert response.status_code == 302


def lang_of(console: FlaskClient, path: str, accept: str | None = None) -> str:
    headers = {"Accept-Language": accept} if accept else {}
    response = console.get(path, headers=headers)
    assert response.status_code == 200
    match = re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True))
    assert match
    return match.group(1)


def test_without_a_choice_the_browser_decides_then_vietnamese(console: FlaskClient) -> None:
    signed_in(console, None)
    assert lang_of(console, "/admin/", "en-GB,en;q=0.9") == "en"
    assert lang_of(console, "/admin/", "vi-VN,vi;q=0.9,en;q=0.5") == "vi"
    # A browser asking for a language the console does not speak gets Vietnamese.
    assert lang_of(console, "/admin/", "de-DE,de;q=0.9") == "vi"
    assert lang_of(console, "/admin/") == "vi"


@pytest.mark.parametrize(("choice", "browser"), [("en", "vi-VN,vi"), ("vi", "en-US,en")])
def test_the_signed_in_users_choice_comes_before_the_browser(
    console: FlaskClient, choice: str, browser: str
) -> None:
    signed_in(console, choice)
    assert lang_of(console, "/admin/", browser) == choice
    assert lang_of(console, "/admin/account", browser) == choice


def test_choosing_a_language_is_kept_on_the_account(console: FlaskClient) -> None:
    from cookieconsent.extensions import db
    from cookieconsent.models import User

    signed_in(console, None)
    page = console.get("/admin/account", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    switched = console.post(
        "/admin/language",
        data={"csrf_token": token.group(1), "language": "en", "next": "/admin/account"},
        headers={"Accept-Language": "vi"},
    )
    assert switched.status_code == 302
    assert lang_of(console, "/admin/account", "vi-VN,vi") == "en"
    user = db.session.execute(db.select(User).where(User.email == "chu@shop.vn")).scalar_one()
    assert user.language == "en"


# Field errors from the services and WTForms, in Vietnamese -------------------------------------


def catalog_vi() -> dict[str, str]:
    with po("vi").open("rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle) if isinstance(m.id, str)}


def test_a_failing_contrast_pair_is_named_in_vietnamese(console: FlaskClient) -> None:
    from cookieconsent.extensions import db
    from cookieconsent.models import Site

    signed_in(console, "vi")
    site = db.session.execute(db.select(Site)).scalar_one()
    path = f"/admin/sites/{site.site_key}/design"
    page = console.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    refused = console.post(
        path,
        data={
            "csrf_token": token.group(1),
            "layout": "bar",
            "position": "bottom",
            "custom_colors": "y",
            "accent": "#0b5d1e",
            "background": "#ffffff",
            "text": "#dddddd",
        },
    )
    assert refused.status_code == 200
    body = refused.get_data(as_text=True)
    message = re.search(r'id="text-error">([^<]+)<', body)
    assert message, "the refusal shows next to the text colour"
    # #dddddd on white: 1.3:1, where 4.5:1 is needed; the values stay, the words are Vietnamese.
    assert message.group(1).strip() == "Chữ trên nền có độ tương phản 1.3:1; cần tối thiểu 4.5:1."
    assert "has a contrast" not in body


def test_services_and_wtforms_messages_are_translated() -> None:
    from cookieconsent import create_app
    from cookieconsent.admin.messages import EXACT, PATTERNS, translate
    from cookieconsent.services.validation import (
        POLICY_VERSION_MESSAGE,
        control_character_error,
        http_url_error,
        language_error,
    )

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    catalog = catalog_vi()
    with app.test_request_context("/admin/", headers={"Accept-Language": "vi"}):
        assert translate(POLICY_VERSION_MESSAGE) == catalog[POLICY_VERSION_MESSAGE]
        assert translate("This field is required.") == "Vui lòng điền trường này."
        assert translate(control_character_error("a\u202eb")) == (
            "Chứa ký tự điều khiển ẩn U+202E ở vị trí 2."
        )
        assert translate(http_url_error("ftp://x")) == catalog["Not a valid URL."]
        assert translate("At most 300 characters.") == "Tối đa 300 ký tự."
        offered = translate(language_error("de", ["vi", "en"]))
        assert offered.startswith("Trang web đang hỗ trợ vi, en; hãy thêm de")
        # An unknown message is shown as it is.
        assert translate("Something new.") == "Something new."
    with app.test_request_context("/admin/", headers={"Accept-Language": "en"}):
        assert translate(control_character_error("a\u202eb")) == (
            "Holds the invisible control character U+202E at position 2."
        )
    # Every msgid the module knows is in the catalog.
    for msgid in [*EXACT, *(msgid for _pattern, msgid in PATTERNS)]:
        assert catalog.get(msgid), msgid


def test_a_required_field_says_so_in_vietnamese(console: FlaskClient) -> None:
    signed_in(console, "vi")
    page = console.get("/admin/sites/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    refused = console.post(
        "/admin/sites/new", data={"csrf_token": token.group(1), "name": "", "domains": "x.vn"}
    )
    assert refused.status_code == 200
    body = refused.get_data(as_text=True)
    assert "Vui lòng điền trường này." in body
    assert "This field is required." not in body


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_install_hint_shows_the_head_element_in_both_languages(
    console: FlaskClient, language: str
) -> None:
    from cookieconsent.extensions import db
    from cookieconsent.models import Site

    signed_in(console, language)
    site = db.session.execute(db.select(Site)).scalar_one()
    page = console.get(f"/admin/sites/{site.site_key}/").get_data(as_text=True)
    # Escaped, so that people read it; a raw <head> inside a paragraph would vanish.
    assert "&lt;head&gt;" in page
    badge = catalog_vi()["owner"] if language == "vi" else "owner"
    assert f">{badge}</span>" in page

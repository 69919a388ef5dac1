"""The console's gettext catalogs: every string extracted, translated, and compiled into the package.

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


def po(language: str) -> Path:
    return CATALOGS / language / "LC_MESSAGES" / "messages.po"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The msgids the code and templates hold now."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [pybabel(), "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
         "--no-location", "-o", str(pot), "cookieconsent"],
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
        if not message.string or message.fuzzy:
            problems.append(f"untranslated or fuzzy: {message.id!r}")
            continue
        wanted = sorted(PLACEHOLDER.findall(str(message.id)))
        found = sorted(PLACEHOLDER.findall(str(message.string)))
        if wanted != found:
            problems.append(f"placeholders differ: {message.id!r}")
    assert not problems, problems[:10]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_is_the_current_one(language: str) -> None:
    with po(language).open("rb") as handle:
        source = {str(m.id): str(m.string) for m in read_po(handle) if m.id and m.string}
    mo = po(language).with_suffix(".mo")
    assert mo.exists(), "run `bash scripts/i18n compile`"
    with mo.open("rb") as handle:
        compiled = {str(m.id): str(m.string) for m in read_mo(handle) if m.id}
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

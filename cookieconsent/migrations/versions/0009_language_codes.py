"""Language codes: pt becomes pt-PT and zh becomes zh-CN in stored configurations.

Texts are now one catalog per BCP 47 code, with the region where the texts are regional:
Portuguese is pt-PT or pt-BR, Chinese zh-CN or zh-TW. What the configuration stores moves to the
full codes: the sites' languages, default language and text overrides, the categories' and
services' texts, the policy versions' summaries, and the configuration drafts and published
versions (their documents hold the same fields).

Consent events and configuration snapshots are not touched: they are proof (the events are
HMAC-chained, the snapshots named by their digest) and keep the code they were recorded with;
readers normalise it (cookieconsent.texts.canonical_language).

Downgrade moves the same fields back to pt and zh.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 20:00:00.000000

"""

from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Fixed here rather than imported, so that this migration means the same whatever the code does
# later (cookieconsent.texts.LANGUAGE_ALIASES at the time of writing).
UP = {"pt": "pt-PT", "zh": "zh-CN"}
DOWN = {full: short for short, full in UP.items()}

# (table, primary key, JSON columns holding a texts-by-language mapping)
TEXT_TABLES = (
    ("categories", "id", ("texts",)),
    ("services", "id", ("texts",)),
    ("policy_versions", "id", ("summaries",)),
)
DOCUMENT_TABLES = (("config_versions", "id"), ("config_drafts", "site_id"))


def _code(value: Any, codes: dict[str, str]) -> Any:
    return codes.get(value, value) if isinstance(value, str) else value


def _languages(values: Any, codes: dict[str, str]) -> Any:
    if not isinstance(values, list):
        return values
    return list(dict.fromkeys(_code(value, codes) for value in values))


def _by_language(texts: Any, codes: dict[str, str]) -> Any:
    """A mapping keyed by language with its keys renamed. Two keys for one language merge, the
    one already under the new code winning key by key."""
    if not isinstance(texts, dict):
        return texts
    renamed = {language: values for language, values in texts.items() if language not in codes}
    for language, values in texts.items():
        if language not in codes:
            continue
        kept = renamed.get(codes[language])
        if kept is None:
            renamed[codes[language]] = values
        elif isinstance(kept, dict) and isinstance(values, dict):
            renamed[codes[language]] = {**values, **kept}
    return renamed


def _document(document: Any, codes: dict[str, str]) -> Any:
    """A configuration document (export_site_config's shape) with its codes renamed."""
    if not isinstance(document, dict):
        return document
    changed = dict(document)
    if "default_language" in changed:
        changed["default_language"] = _code(changed["default_language"], codes)
    if "languages" in changed:
        changed["languages"] = _languages(changed["languages"], codes)
    if "texts" in changed:
        changed["texts"] = _by_language(changed["texts"], codes)
    for kind in ("categories", "services"):
        entries = changed.get(kind)
        if isinstance(entries, list):
            changed[kind] = [
                {**entry, "texts": _by_language(entry["texts"], codes)}
                if isinstance(entry, dict) and "texts" in entry
                else entry
                for entry in entries
            ]
    return changed


def _rewrite(codes: dict[str, str]) -> None:
    bind = op.get_bind()

    sites = sa.table(
        "sites",
        sa.column("id", sa.Integer),
        sa.column("default_language", sa.String),
        sa.column("languages", sa.JSON),
        sa.column("texts", sa.JSON),
    )
    for row in bind.execute(sa.select(sites)).mappings().all():
        values = {
            "default_language": _code(row["default_language"], codes),
            "languages": _languages(row["languages"], codes),
            "texts": _by_language(row["texts"], codes),
        }
        if any(values[key] != row[key] for key in values):
            bind.execute(sa.update(sites).where(sites.c.id == row["id"]).values(**values))

    for name, key, columns in TEXT_TABLES:
        table = sa.table(
            name, sa.column(key, sa.Integer), *(sa.column(c, sa.JSON) for c in columns)
        )
        for row in bind.execute(sa.select(table)).mappings().all():
            values = {column: _by_language(row[column], codes) for column in columns}
            if any(values[column] != row[column] for column in columns):
                bind.execute(sa.update(table).where(table.c[key] == row[key]).values(**values))

    for name, key in DOCUMENT_TABLES:
        table = sa.table(name, sa.column(key, sa.Integer), sa.column("content", sa.JSON))
        for row in bind.execute(sa.select(table)).mappings().all():
            content = _document(row["content"], codes)
            if content != row["content"]:
                bind.execute(
                    sa.update(table).where(table.c[key] == row[key]).values(content=content)
                )


def upgrade():
    _rewrite(UP)


def downgrade():
    _rewrite(DOWN)

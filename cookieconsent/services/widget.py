"""Serving the widget: the built bundle with a site's configuration inside.

The widget's sources live in ``cookieconsent/widget/src``; ``npm run build`` (esbuild) writes the
minified bundle to ``cookieconsent/widget/bundle``, which is committed and shipped in the package,
so serving needs no Node and nothing is minified at run time. Each bundle file starts with the
SHA-256 of the sources it was built from (see :func:`sources_digest`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import brotli

BUNDLE_PACKAGE = "cookieconsent.widget"
SOURCE_SUFFIXES = (".js", ".css")
HEADER = re.compile(r"^/\*! cookieconsent widget \| built from sources sha256:([0-9a-f]{64}) \*/\n")


@dataclass(frozen=True)
class WidgetBundle:
    """A script as served: compressed ahead of time (gzip and brotli), with one strong ETag per
    representation (RFC 9110, 8.8.3: a strong validator changes with the content coding)."""

    body: bytes
    gzipped: bytes
    brotli: bytes
    etag: str

    def etag_for(self, coding: str) -> str:
        """The representation's ETag: ``etag`` for identity, ``etag-gz``, ``etag-br``."""
        return self.etag if coding == "identity" else f"{self.etag}-{CODING_SUFFIX[coding]}"

    def etags(self) -> tuple[str, str, str]:
        """Every representation's ETag: any one of them names this content."""
        return (self.etag, self.etag_for("gzip"), self.etag_for("br"))

    def encoded(self, coding: str) -> bytes:
        """The body in ``coding``: ``identity``, ``gzip`` or ``br``."""
        return {"identity": self.body, "gzip": self.gzipped, "br": self.brotli}[coding]


CODING_SUFFIX = {"gzip": "gz", "br": "br"}


def _bundle_file(name: str) -> str:
    return (
        resources.files(BUNDLE_PACKAGE)
        .joinpath("bundle")
        .joinpath(name)
        .read_text(encoding="utf-8")
    )


@cache
def core_script() -> str:
    """The bundle's core: ``(function(__cc_config){…})``, still to be called with a config."""
    return _bundle_file("core.js").rstrip()


# ES modules the core imports: "tags" as it starts (gating, clean-up, the host page's hooks),
# "prefs" when the visitor opens the preferences (the dialog and the data panel), and
# "declaration" (imported by "tags") on pages with a data-role="declaration" element, and
# "layers" with the full texts where the regime is not plain opt-in (its first layer).
MODULES = ("tags", "prefs", "declaration", "layers")


@cache
def widget_module(name: str) -> WidgetBundle:
    """One of :data:`MODULES`, as served."""
    if name not in MODULES:
        raise KeyError(name)
    return _bundle(_bundle_file(f"{name}.js"))


@cache
def modules_version() -> str:
    """A short fingerprint of every module, for URLs that browsers may cache for good."""
    digest = hashlib.sha256(b"".join(widget_module(name).body for name in MODULES))
    return digest.hexdigest()[:12]


def sources_digest() -> str:
    """SHA-256 over the widget's source files (name, then content, in name order).

    The same digest as ``scripts/build-widget.mjs`` writes into each bundle file's header.
    """
    digest = hashlib.sha256()
    sources = resources.files(BUNDLE_PACKAGE).joinpath("src")
    for entry in sorted(sources.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(SOURCE_SUFFIXES):
            continue
        digest.update(entry.name.encode() + b"\0")
        digest.update(entry.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def bundle_digest(name: str) -> str | None:
    """The source digest a bundle file says it was built from, or ``None`` without a header."""
    match = HEADER.match(_bundle_file(name))
    return match.group(1) if match else None


def _json_for_script(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    # "</script" and "<!--" inside a string would end or confuse an inline copy of the script;
    # line and paragraph separators end a line in older JavaScript engines.
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


# Quality 5: 0.7 ms for the core script against 20 ms at quality 11, for 8% more bytes (still
# well under gzip -9). A script is built per site, configuration, host name and GPC header, and
# a request with a made-up Host header makes a new one: each must stay cheap.
BROTLI_QUALITY = 5


@lru_cache(maxsize=256)
def _bundle(text: str) -> WidgetBundle:
    """The script as served, compressed once per worker for each distinct text (the sites'
    settings are reloaded every few seconds; the same text is not compressed again)."""
    body = text.encode("utf-8")
    digest = hashlib.sha256(body).hexdigest()[:32]
    return WidgetBundle(
        body=body,
        gzipped=gzip.compress(body, 9, mtime=0),
        brotli=brotli.compress(body, mode=brotli.MODE_TEXT, quality=BROTLI_QUALITY),
        etag=digest,
    )


def build_widget(config: dict[str, Any]) -> WidgetBundle:
    """The complete widget script for a site configuration (see ``WidgetConfig``)."""
    return _bundle(f"{core_script()}({_json_for_script(config)});\n")


def unknown_site_script(site_key: str) -> str:
    """A script that only warns: a wrong key must never break the host page."""
    message = json.dumps(f"cookieconsent: no site with key {site_key!r}; the banner is not shown.")
    return "window.console&&console.warn(" + message.replace("<", "\\u003c") + ");\n"

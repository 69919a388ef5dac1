"""Building the widget: the site's configuration, the code and the styles in one script."""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import rcssmin
from calmjs.parse import es5
from calmjs.parse.unparsers.es5 import minify_print

from ..config import PROJECT_ROOT

WIDGET_DIR = PROJECT_ROOT / "static" / "widget"
# Order matters: later modules use what earlier ones define.
WIDGET_MODULES = (
    "util.js",
    "storage.js",
    "gate.js",
    "cleanup.js",
    "server.js",
    "consent_mode.js",
    "ui.js",
    "core.js",
)
WIDGET_STYLESHEET = "widget.css"
# The modules run inside one closure, which receives the configuration and the stylesheet.
WRAPPER_CALL = "(CONFIG,CSS)"
WRAPPER_START = "(function(_config,_css){'use strict';\n"
WRAPPER_END = "\n})" + WRAPPER_CALL + ";"


@dataclass(frozen=True)
class WidgetBundle:
    """The built script for one site, plain and gzipped, with its ETag."""

    body: bytes
    gzipped: bytes
    etag: str


def _read(name: str) -> str:
    return (WIDGET_DIR / name).read_text(encoding="utf-8")


@lru_cache(maxsize=4)
def _code(minify: bool, fingerprint: tuple[float, ...]) -> tuple[str, str]:
    # The fingerprint (file modification times) only keys the cache, so edits show in development.
    script = WRAPPER_START + "\n".join(_read(name) for name in WIDGET_MODULES) + WRAPPER_END
    stylesheet = _read(WIDGET_STYLESHEET)
    if minify:
        # Every name is local to the closure, so all of them may be shortened.
        script = minify_print(es5(script), obfuscate=True, obfuscate_globals=False)
        stylesheet = rcssmin.cssmin(stylesheet)
    return script, stylesheet


def _fingerprint() -> tuple[float, ...]:
    return tuple(
        (WIDGET_DIR / name).stat().st_mtime for name in (*WIDGET_MODULES, WIDGET_STYLESHEET)
    )


def _json_for_script(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    # Line and paragraph separators end a line in older JavaScript engines.
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


@lru_cache(maxsize=512)
def _bundle(text: str) -> WidgetBundle:
    body = text.encode("utf-8")
    digest = hashlib.sha256(body).hexdigest()[:32]
    return WidgetBundle(body=body, gzipped=gzip.compress(body, 9, mtime=0), etag=digest)


def build_widget(config: dict[str, Any], *, minify: bool = True) -> WidgetBundle:
    """The complete widget script for a site configuration."""
    script, stylesheet = _code(minify, _fingerprint())
    body = script.rstrip().removesuffix(";").removesuffix(WRAPPER_CALL)
    text = (
        "/*! cookieconsent | self-hosted consent banner */\n"
        f"{body}({_json_for_script(config)},{_json_for_script(stylesheet)});\n"
    )
    return _bundle(text)


def unknown_site_script(site_key: str) -> str:
    """A script that only warns: a wrong key must never break the host page."""
    message = json.dumps(f"cookieconsent: no site with key {site_key!r}; the banner is not shown.")
    return "window.console&&console.warn(" + message.replace("<", "\\u003c") + ");\n"


def widget_path() -> Path:
    """The folder holding the widget sources."""
    return WIDGET_DIR

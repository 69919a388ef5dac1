"""The committed widget bundle is built from the sources beside it.

`npm run build` (scripts/build-widget.mjs, esbuild) writes every bundle file with the SHA-256 of
the sources it came from; CI also rebuilds it and compares byte for byte (`npm run check`).
"""

from __future__ import annotations

import pytest

from cookieconsent.services.widget import MODULES, bundle_digest, sources_digest


@pytest.mark.parametrize("name", ["core.js", *(f"{module}.js" for module in MODULES)])
def test_bundle_matches_its_sources(name: str) -> None:
    assert bundle_digest(name) == sources_digest(), (
        f"cookieconsent/widget/bundle/{name} was not built from the current sources: "
        "run `npm run build` and commit the bundle"
    )


def test_core_is_a_function_of_the_configuration() -> None:
    from cookieconsent.services.widget import core_script

    script = core_script()
    assert script.split("\n", 1)[1].startswith("(function(__cc_config){")
    assert script.endswith("})")

#!/bin/sh
# Installs cookieconsent from its wheel into a virtual environment, with its real dependencies,
# and makes the installed code read-only: the service never writes where its code lives.
#
#   sh deploy/install.sh WHEEL [PREFIX]     PREFIX: the virtual environment, /opt/cookieconsent
#
# The Dockerfile and tests/test_wheel.py both run it, so the image and the test install alike.
# PYTHON names the interpreter (python3, 3.11 or later); pip's own PIP_* variables reach pip
# (PIP_INDEX_URL, PIP_FIND_LINKS for a wheelhouse, …).
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 WHEEL [PREFIX]" >&2
  exit 2
fi
wheel=$1
prefix=${2:-/opt/cookieconsent}
python=${PYTHON:-python3}
case $wheel in
  *.whl) ;;
  *) echo "$0: $wheel is not a wheel (build one: python3 -m pip wheel --no-deps -w dist .)" >&2; exit 2 ;;
esac
if [ ! -f "$wheel" ]; then
  echo "$0: no such file: $wheel" >&2
  exit 2
fi

# A virtual environment of its own: the service's dependencies never mix with the system's.
if [ ! -x "$prefix/bin/python" ]; then
  "$python" -m venv "$prefix"
fi
purelib='import sysconfig; print(sysconfig.get_path("purelib"))'
site_packages=$("$prefix/bin/python" -c "$purelib")
# An earlier install left it read-only.
chmod -R u+w "$site_packages"
pip() { "$prefix/bin/python" -m pip --disable-pip-version-check --no-input --quiet "$@"; }
pip install "$wheel"
# This very wheel, even when a package of the same version is already there.
pip install --force-reinstall --no-deps "$wheel"

# What the service reads at run time must have come with the package.
"$prefix/bin/python" - <<'PYTHON'
from importlib import resources

package = resources.files("cookieconsent")
for part in ("widget/bundle/core.js", "widget/bundle/tags.js", "widget/bundle/prefs.js",
             "templates/receipt.html", "migrations/env.py", "gunicorn_conf.py"):
    if not package.joinpath(part).is_file():
        raise SystemExit(f"cookieconsent/{part} is missing from the installed package")
PYTHON

# Read-only from here on (pip compiled the bytecode above): the instance folder, the database,
# logs and sockets all live elsewhere, so nothing ever needs to write here.
chmod -R a-w "$site_packages"

version=$("$prefix/bin/python" -c 'from importlib.metadata import version; print(version("cookieconsent"))')
echo "cookieconsent $version installed in $prefix: $prefix/bin/cookieconsent, $prefix/bin/gunicorn"

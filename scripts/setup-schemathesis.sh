#!/usr/bin/env bash
# Installs the API checker (schemathesis, pinned in tests/api/requirements.txt)
# into the project-local virtual environment .venv-api, from PyPI. Idempotent:
# quiet and quick when the environment already holds those pins. Called by
# scripts/setup.sh and by the test that runs the checker
# (crates/kiban-web/tests/schemathesis.rs); concurrent calls wait for each other.
# Needs python3 with its venv module (Debian: python3-venv, which
# scripts/setup.sh installs).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-api
requirements=tests/api/requirements.txt
mkdir -p "$venv"
exec 9>"$venv.lock"
flock 9

if [ -x "$venv/bin/schemathesis" ] && cmp -s "$requirements" "$venv/installed-requirements.txt"; then
    exit 0
fi
echo "setup: installing schemathesis into $venv" >&2
python3 -m venv --clear "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements"
cp "$requirements" "$venv/installed-requirements.txt"

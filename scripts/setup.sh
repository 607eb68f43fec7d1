#!/usr/bin/env bash
# Prepares this machine for Kiban's tests: Debian packages (PostgreSQL,
# Chromium, fonts), a running PostgreSQL, cargo-nextest, the browser
# test's npm packages and the API checker's Python packages. Idempotent
# and quiet when everything is in place.
# When another package install holds the dpkg lock (a fresh machine's
# automatic updates), apt-get waits for it, up to KIBAN_APT_LOCK_TIMEOUT
# seconds (600 by default), instead of failing at once.
# Everything comes from the package registries (Debian, crates.io, npm, PyPI):
# nothing else is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
export KIBAN_APT_LOCK_TIMEOUT=${KIBAN_APT_LOCK_TIMEOUT:-600}
apt_get() {
    "${sudo[@]}" apt-get -o DPkg::Lock::Timeout="$KIBAN_APT_LOCK_TIMEOUT" "$@"
}

apt_updated=false
apt_install() {
    local missing=()
    for package in "$@"; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
        [ "$status" = "installed" ] || missing+=("$package")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    echo "setup: installing ${missing[*]}" >&2
    if [ "$apt_updated" = false ]; then
        apt_get update -qq >/dev/null
        apt_updated=true
    fi
    apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Fonts for printing (and poppler-utils for the PDF tests).
bash scripts/install-fonts.sh

# PostgreSQL for the tests.
apt_install postgresql postgresql-client
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    echo "setup: starting PostgreSQL" >&2
    version=$(ls /etc/postgresql | sort -n | tail -n 1)
    "${sudo[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do
        pg_isready -h 127.0.0.1 -p 5432 -q && break
        sleep 1
    done
fi
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; then
    # A fresh Debian cluster asks for a password over TCP: allow local trust
    # for the test user, as on the development machines.
    hba=$(ls /etc/postgresql/*/main/pg_hba.conf | tail -n 1)
    if ! grep -q '^host all postgres 127.0.0.1/32 trust' "$hba"; then
        echo "setup: trusting local TCP connections of postgres in $hba" >&2
        "${sudo[@]}" sed -i '1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
        version=$(ls /etc/postgresql | sort -n | tail -n 1)
        "${sudo[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" main reload
    fi
fi
psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'SELECT 1' >/dev/null

# Backups of the PostgreSQL cluster (pgBackRest, WAL archiving).
apt_install pgbackrest
bash scripts/setup-backup.sh

# Chromium for the screen tests, Node.js for Playwright.
apt_install chromium
# The batch screen test writes an outbox event with the sqlite3 shell.
apt_install sqlite3
command -v node >/dev/null || apt_install nodejs npm
if [ ! -d tests/browser/node_modules/playwright-core ]; then
    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

# The API checker (schemathesis) in a project-local Python environment.
command -v python3 >/dev/null || apt_install python3
python3 -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
bash scripts/setup-schemathesis.sh

# cargo-nextest runs the Rust tests in parallel.
if ! command -v cargo-nextest >/dev/null; then
    cargo install --locked cargo-nextest
fi

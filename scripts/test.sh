#!/usr/bin/env bash
# Runs every test of Kiban: the Rust suite on SQLite and PostgreSQL (cargo
# nextest), then the screen tests in headless Chromium against the real
# binary. Installs or starts what it needs first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

# Old test databases left by interrupted runs.
psql -h 127.0.0.1 -U postgres -d postgres -Atqc \
  "SELECT datname FROM pg_database WHERE datname LIKE 'kiban_test_%'" |
  while read -r name; do
    psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null || true
  done

# Benchmarks are not tests: they run with `cargo bench` (docs/performance.md).
cargo nextest run --workspace --no-fail-fast "$@"

# Fuzz targets for 30 s each (set KIBAN_SKIP_FUZZ=1 to leave them out).
if [ -z "${KIBAN_SKIP_FUZZ:-}" ]; then
  bash scripts/fuzz-short.sh 30
fi

# The screens run against the `kiban` binary that the nextest run built for
# the CLI's tests (a separate `cargo build -p kiban-cli` would resolve the
# dependencies' features differently and compile many of them again).
KIBAN_BIN="$PWD/target/debug/kiban" node --test tests/browser/

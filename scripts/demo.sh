#!/usr/bin/env bash
# Runs Kiban with the demo municipality デモ市 (990019) on an embedded SQLite
# file (./data/demo.db), and prints the URL and the demo logins.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release --quiet -p kiban-cli -- \
  --database-url "sqlite://./data/demo.db" serve --demo "$@"

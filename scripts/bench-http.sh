#!/usr/bin/env bash
# HTTP benchmark of the calculation API: starts a release build of Kiban on
# a scratch SQLite file, and drives POST /api/v1/calc/{kind} with wrk
# (Debian package) from 50 connections on loopback. Prints wrk's report
# (throughput, latency percentiles) for each kind.
#
#   scripts/bench-http.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
port=18089

command -v wrk >/dev/null || { apt-get -o DPkg::Lock::Timeout=600 install -y -qq wrk >/dev/null; }
cargo build --release --quiet -p kiban-cli
bin="$PWD/target/release/kiban"
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
db="sqlite://$work/bench.db"

"$bin" --database-url "$db" serve --demo --demo-residents 100 --listen "127.0.0.1:$port" 2>"$work/server.log" &
server=$!
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
token=$("$bin" --database-url "$db" token create --municipality 990019 --login tax 2>/dev/null)

for kind in resident-tax nhi-tax; do
    body=$(tr -d '\n' < "bench/$kind.json" | sed 's/"/\\"/g')
    cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = "$body"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
LUA
    echo "== POST /api/v1/calc/$kind, 50 connections, 2 threads, ${seconds}s"
    wrk -t2 -c50 -d"${seconds}s" --latency -s "$work/post.lua" "http://127.0.0.1:$port/api/v1/calc/$kind"
done

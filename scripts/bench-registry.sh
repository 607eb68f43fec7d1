#!/usr/bin/env bash
# Load benchmark of the resident registry over HTTP: starts the release
# build of Kiban on a database holding the demo municipality (990019) with
# N generated residents, and drives it with wrk (Debian package) from 50
# connections on loopback:
#   - person read:  GET  /api/v1/municipalities/990019/persons/{random id}
#   - kana search:  GET  /api/v1/municipalities/990019/persons?name_kana={random common prefix}&limit=L
#   - 転居:          POST /api/v1/municipalities/990019/movements (address_change of a random household, dated today)
#   - 宛名検索:       GET  /api/v1/municipalities/990019/addressees?name_kana={random common prefix, hiragana}&limit=L
#                    (residents and the --non-residents registered in the addressee master)
# Each run prints wrk's report and a RESULT line with throughput, p50 and p99.
#
#   scripts/bench-registry.sh [--residents N] [--seconds S] [--connections C]
#                             [--search-limit L] [--database-url URL]
#                             [--runs person,search,address-change,addressee-search]
#                             [--non-residents N]
#                             [--max-concurrent-requests N] [--max-concurrent-changes N]
#
# L is the page size of a search (default 20, as a screen page; the API
# returns at most 200); every person returned is read and logged.
#
# Without --database-url the database is target/bench-registry/registry-N.db
# (SQLite), generated on the first run and reused afterwards (the 転居 runs
# add movements to it). With a postgres:// URL the database must exist; the
# municipality and its residents are created if absent. KIBAN_BIN names
# another kiban binary (default: a release build made here).
set -euo pipefail
cd "$(dirname "$0")/.."

residents=10000
non_residents=0
seconds=15
connections=50
database_url=""
search_limit=20
port=18092
runs="person search address-change"
serve_options=()
while [ $# -gt 0 ]; do
    case "$1" in
        --residents) residents=$2; shift 2 ;;
        --non-residents) non_residents=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        --search-limit) search_limit=$2; shift 2 ;;
        --database-url) database_url=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        --runs) runs=${2//,/ }; shift 2 ;;
        --max-concurrent-requests) serve_options+=(--max-concurrent-requests "$2"); shift 2 ;;
        --max-concurrent-changes) serve_options+=(--max-concurrent-changes "$2"); shift 2 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done

if ! command -v wrk >/dev/null; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq wrk >/dev/null
fi
if [ -z "${KIBAN_BIN:-}" ]; then
    cargo build --release --quiet -p kiban-cli
    bin="$PWD/target/release/kiban"
else
    bin=$KIBAN_BIN
fi
if [ -z "$database_url" ]; then
    mkdir -p target/bench-registry
    database_url="sqlite://$PWD/target/bench-registry/registry-$residents.db"
fi
m=990019
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

kiban() { "$bin" --database-url "$database_url" "$@"; }
kiban migrate >/dev/null
kiban municipality create --code "$m" --name デモ市 >/dev/null 2>&1 || true
echo "== residents: $residents (generated once; a finished generation is skipped)"
kiban demo generate --municipality "$m" --residents "$residents" --non-residents "$non_residents" 2>&1 | tail -1
head -c 24 /dev/urandom | base64 | kiban user create --municipality "$m" --login bench-registry \
    --role registry_clerk --password-stdin >/dev/null 2>&1 || true
token=$(kiban token create --municipality "$m" --login bench-registry --ttl-hours 4 2>/dev/null)

# Started directly (not through the function) so that $! is the server.
"$bin" --database-url "$database_url" serve --listen "127.0.0.1:$port" --no-worker "${serve_options[@]}" \
    >/dev/null 2>"$work/server.log" &
server=$!
for _ in $(seq 1 150); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
api="http://127.0.0.1:$port/api/v1/municipalities/$m"

# The highest 宛名番号 and 世帯番号 (numbers are allocated from 1 upwards).
exists() { curl -fs -o /dev/null -H "Authorization: Bearer $token" "$api/$1/$2"; }
highest() {
    local lo=0 hi=1 mid
    while exists "$1" "$hi"; do lo=$hi; hi=$((hi * 2)); done
    while [ $((hi - lo)) -gt 1 ]; do
        mid=$(((lo + hi) / 2))
        if exists "$1" "$mid"; then lo=$mid; else hi=$mid; fi
    done
    echo "$lo"
}
max_person=$(highest persons)
max_household=$(highest households)
[ "$max_person" -gt 0 ] && [ "$max_household" -gt 0 ] || { echo "no residents found" >&2; exit 1; }
echo "== persons 1..$max_person, households 1..$max_household, $connections connections, ${seconds}s each, search pages of $search_limit"

export KIBAN_TOKEN=$token KIBAN_MUNICIPALITY=$m KIBAN_MAX_PERSON=$max_person \
       KIBAN_MAX_HOUSEHOLD=$max_household KIBAN_TODAY=$(TZ=Asia/Tokyo date +%F) \
       KIBAN_SEARCH_LIMIT=$search_limit
results=()
for script in $runs; do
    echo "== bench/registry-$script.lua"
    wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "bench/registry-$script.lua" \
        "http://127.0.0.1:$port" | tee "$work/$script.txt"
    results+=("$(grep '^RESULT' "$work/$script.txt")")
done
echo
echo "== summary ($residents residents, $database_url)"
printf '%s\n' "${results[@]}"

#!/usr/bin/env bash
# Runs every fuzz target of fuzz/ for a short time with libFuzzer (default 30
# seconds each; `scripts/fuzz-short.sh 300` for longer). Works offline with the
# pinned stable toolchain: RUSTC_BOOTSTRAP=1 admits the sanitizer-coverage
# flags that `cargo fuzz build` would pass (no nightly, no cargo-fuzz needed).
# A crash leaves its input in fuzz/artifacts/TARGET/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-30}"
host="$(rustc -vV | sed -n 's/^host: //p')"
export RUSTC_BOOTSTRAP=1
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
cargo build --quiet --release --bins --target "$host" --target-dir target
for target in legacy_fixed_cp932 standard_import; do
  mkdir -p "corpus/$target" "artifacts/$target"
  echo "fuzz $target for ${seconds}s"
  "target/$host/release/$target" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="artifacts/$target/" "corpus/$target" 2>&1 |
    grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+== ERROR|SUMMARY)' || true
  if compgen -G "artifacts/$target/crash-*" >/dev/null; then
    echo "fuzz $target: crash, see fuzz/artifacts/$target/" >&2
    exit 1
  fi
done

#!/usr/bin/env bash
# Runs each libFuzzer target of build-sanitize/ (see scripts/test.sh) for N seconds
# (default 20) with a seed corpus from the repository. Fails on any crash, leak,
# sanitizer report or hang. Longer runs: bash scripts/fuzz.sh 1800
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
build=${S2SIM_FUZZ_BUILD_DIR:-build-sanitize}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/loader" "$work/parsers" "$work/trace"
cp scenarios/*.toml tests/bad_inputs/*.toml tests/scenario/data/*.toml "$work/loader/"
cp fuzz/seeds/parsers/* "$work/parsers/"
cp fuzz/seeds/trace/* "$work/trace/"
for target in loader parsers trace; do
  echo "fuzz: fuzz_$target for ${seconds}s"
  "$build/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "$work/$target" 2> "$work/$target.log" || {
    tail -40 "$work/$target.log"
    echo "fuzz: fuzz_$target FAILED (input saved as crash-*/leak-*/timeout-* in $(pwd))"
    exit 1
  }
  grep -E "^stat::number_of_executed_units" "$work/$target.log" | sed "s/^/fuzz: fuzz_$target /"
done

#!/usr/bin/env bash
# Installs what is missing, builds everything, and runs every test:
#  1. the C++ tests (Catch2, through ctest) in the Release build;
#  2. the C++ tests again under AddressSanitizer and UndefinedBehaviorSanitizer
#     (clang), but for the long [theory] runs, and a short run of each fuzzer, from
#     one instrumented build in build-sanitize/;
#  3. the Python tests (pytest) and the notebooks, executed headless.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
bash scripts/setup.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure --timeout 900

echo "test: building with sanitizers and fuzzers (build-sanitize/)"
# -O1 without debug info: quick to build, and ccache can share it between clones.
S2SIM_BUILD_DIR=build-sanitize bash scripts/build.sh -DCMAKE_CXX_COMPILER=clang++ -DS2SIM_FUZZ=ON \
  -DS2SIM_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS=-O1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for program in build-sanitize/tests/s2sim_tests_*; do
  echo "test: $(basename "$program") under ASan+UBSan"
  "$program" "~[theory]~[slow]" --order rand --rng-seed 1
done
bash scripts/fuzz.sh 20

bash scripts/test_python.sh

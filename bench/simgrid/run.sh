#!/usr/bin/env bash
# Builds bench/simgrid/compare_simgrid (needs SimGrid: apt-get install libsimgrid-dev)
# in build/ (or $BUILD) and runs the comparisons of bench/README.md ("Flow-level network").
# Usage: bash bench/simgrid/run.sh [HOSTS FLOWS [SEED] [--plain]]   (no arguments: the table's cases)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ ! -f /usr/include/simgrid/s4u.hpp && ! -f /usr/local/include/simgrid/s4u.hpp ]]; then
  echo "SimGrid not found (Debian: apt-get install libsimgrid-dev)" >&2
  exit 1
fi
build=${BUILD:-build}   # an existing Release build directory gains the target
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DS2SIM_BENCH_SIMGRID=ON >/dev/null
cmake --build "$build" -j2 --target compare_simgrid
if [[ $# -gt 0 ]]; then
  exec nice -n 5 "$build"/bench/compare_simgrid "$@"
fi
for args in "64 1000" "64 5000" "512 300" "512 5000"; do
  nice -n 5 "$build"/bench/compare_simgrid $args
done

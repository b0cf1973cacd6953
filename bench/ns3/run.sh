#!/usr/bin/env bash
# Builds bench/ns3/compare_ns3 (needs ns-3: apt-get install libns3-dev) in build/ (or
# $BUILD) and prints the table of docs/transport.md ("Against ns-3").
# Usage: bash bench/ns3/run.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ ! -f /usr/include/ns3/core-module.h && ! -f /usr/local/include/ns3/core-module.h ]]; then
  echo "ns-3 not found (Debian: apt-get install libns3-dev)" >&2
  exit 1
fi
build=${BUILD:-build}   # an existing Release build directory gains the target
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DS2SIM_BENCH_NS3=ON >/dev/null
cmake --build "$build" -j2 --target compare_ns3
exec nice -n 5 "$build"/bench/compare_ns3 "$@"

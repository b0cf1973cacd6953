#!/usr/bin/env bash
# Configures (once) and builds s2sim, its tests and benchmarks into build/ with Ninja and ccache.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${S2SIM_BUILD_DIR:-build}
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
fi
cmake --build "$build_dir"

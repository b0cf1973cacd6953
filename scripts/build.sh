#!/usr/bin/env bash
# Configures (once) and builds s2sim, its tests and benchmarks with Ninja and ccache.
# The folder is build/ unless S2SIM_BUILD_DIR says otherwise; extra arguments go to
# the first cmake configure (e.g. -DS2SIM_SANITIZE=address,undefined).
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache keys on relative paths below the project, so every clone shares the cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
build_dir=${S2SIM_BUILD_DIR:-build}
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
fi
cmake --build "$build_dir"

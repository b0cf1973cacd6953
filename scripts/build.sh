#!/usr/bin/env bash
# Configures (once) and builds s2sim with Ninja and ccache: everything (the command-line
# program, its tests and benchmarks, and the Python module s2sim._core when the build has
# it), or only the targets named in S2SIM_TARGETS (e.g. S2SIM_TARGETS="s2sim _core").
# The folder is build/ unless S2SIM_BUILD_DIR says otherwise; extra arguments go to the
# first cmake configure (e.g. -DS2SIM_SANITIZE=address,undefined).
# build/ also builds the Python module for .venv (scripts/setup.sh links it there), so the
# command-line program and the module share one compile of the libraries.
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache keys on relative paths below the project, so every clone shares the cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
build_dir=${S2SIM_BUILD_DIR:-build}
python_args=()
if [ "$build_dir" = build ] && [ -x .venv/bin/python ]; then
  python_args=(-DS2SIM_BUILD_PYTHON=ON "-DPython_EXECUTABLE=$PWD/.venv/bin/python")
fi
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "${python_args[@]}" "$@" >/dev/null
elif ((${#python_args[@]})) && ! grep -q '^S2SIM_BUILD_PYTHON:BOOL=ON$' "$build_dir/CMakeCache.txt"; then
  # A build/ made before it built the Python module: add it (the libraries are not recompiled).
  cmake -S . -B "$build_dir" "${python_args[@]}" >/dev/null
fi
# shellcheck disable=SC2086
cmake --build "$build_dir" ${S2SIM_TARGETS:+--target $S2SIM_TARGETS}

#!/usr/bin/env bash
# Installs what is missing, builds, and runs the default scenario, scenarios/ecommerce.toml (extra arguments go to `s2sim run`).
# Builds only the program and the Python module (scripts/setup.sh); the tests and benchmarks
# are built by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
S2SIM_TARGETS=s2sim bash scripts/build.sh
./build/s2sim run scenarios/ecommerce.toml "$@"

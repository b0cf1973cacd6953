#!/usr/bin/env bash
# Installs what is missing, builds, and runs the default scenario, scenarios/ecommerce.toml (extra arguments go to `s2sim run`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
./build/s2sim run scenarios/ecommerce.toml "$@"

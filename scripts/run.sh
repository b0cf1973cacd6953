#!/usr/bin/env bash
# Installs what is missing, builds, and runs the default scenario (extra arguments go to `s2sim run`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
./build/s2sim demo "$@"

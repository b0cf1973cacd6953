#!/usr/bin/env bash
# Installs what s2sim needs on Debian 12, idempotently: Debian's packages for the
# C++ side, the project's virtual environment (.venv) with the pinned Python
# packages of pyproject.toml. Touches the network only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(g++ cmake ninja-build ccache pkg-config git
  libboost-graph-dev libboost-math-dev libeigen3-dev libtomlplusplus-dev catch2
  libpcg-cpp-dev libcli11-dev libfmt-dev nlohmann-json3-dev libbenchmark-dev
  python3 python3-venv python3-dev clang libclang-rt-14-dev)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  sudo_cmd=(); [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's own Python, so the venv is the same on every machine.
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3)
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$python" -m venv .venv
fi
# Re-install only when the pinned requirements changed since the last set-up.
stamp=.venv/.s2sim-requirements
wanted=$(.venv/bin/python scripts/requirements.py)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "setup: installing Python packages into .venv"
  # shellcheck disable=SC2086
  .venv/bin/pip install -q $wanted
  echo "$wanted" > "$stamp"
fi

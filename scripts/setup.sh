#!/usr/bin/env bash
# Installs what s2sim needs on Debian 12, idempotently: Debian's packages for the
# C++ side, the project's virtual environment (.venv) with the pinned Python
# packages of pyproject.toml. Touches the network only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache keys on paths relative to the project, so every clone shares the cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1

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

# The s2sim Python package, installed editable into .venv: `import s2sim` works there and
# in Jupyter without PYTHONPATH. Its C++ core compiles with scikit-build-core into
# build-python/ (Ninja + ccache, so a re-install after a change is incremental); it is
# re-installed only when a source changed since the last install.
pkg_stamp=.venv/.s2sim-package
if [ ! -f "$pkg_stamp" ] || ! .venv/bin/python -c "import s2sim._core" 2>/dev/null ||
   [ -n "$(find CMakeLists.txt pyproject.toml sim models scenario cli python \
             -newer "$pkg_stamp" \( -name '*.cpp' -o -name '*.hpp' -o -name '*.py' -o -name '*.txt' -o -name '*.toml' \) \
             -print -quit 2>/dev/null)" ]; then
  echo "setup: building and installing the s2sim Python package into .venv (first time: a few minutes)"
  touch "$pkg_stamp.new"
  CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2} \
    .venv/bin/pip install -q --no-build-isolation --no-deps -e .
  mv "$pkg_stamp.new" "$pkg_stamp"
fi

# A Jupyter kernel running .venv's Python: pick "Python (s2sim)" in Jupyter.
kernel_json=${JUPYTER_DATA_DIR:-$HOME/.local/share/jupyter}/kernels/s2sim/kernel.json
if [ ! -f "$kernel_json" ] || ! grep -q "$PWD/.venv/bin/python" "$kernel_json"; then
  echo "setup: registering the Jupyter kernel 's2sim'"
  .venv/bin/python -m ipykernel install --user --name s2sim --display-name "Python (s2sim)" >/dev/null
fi

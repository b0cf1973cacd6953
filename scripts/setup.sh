#!/usr/bin/env bash
# Installs what s2sim needs on Debian 12, idempotently: Debian's packages for the
# C++ side (and Graphviz for `s2sim graph | dot`, Chromium for the test that opens the
# HTML report headless and takes a screenshot), the project's virtual environment
# (.venv) with the pinned Python packages of pyproject.toml, and the s2sim package
# itself: build/ compiles the command-line program and the Python module in one tree,
# and .venv imports the module from there. Touches the network only when something is
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache keys on paths relative to the project, so every clone shares the cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1

apt_packages=(g++ cmake ninja-build ccache pkg-config git
  libboost-graph-dev libboost-math-dev libeigen3-dev libtomlplusplus-dev catch2
  libpcg-cpp-dev libcli11-dev libfmt-dev nlohmann-json3-dev libbenchmark-dev
  python3 python3-venv python3-dev clang libclang-rt-14-dev graphviz chromium)
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

# The s2sim package in .venv, from this checkout: its Python files in place (python/s2sim)
# and its C++ core from build/, compiled once with the command-line program (a second
# build tree, as `pip install .` makes in build-python/, would compile every library
# again). A .pth file puts python/ on the path and maps s2sim._core to build/python/;
# .venv/bin/s2sim is the program in build/. `pip install .` still builds a wheel on its own.
S2SIM_TARGETS="s2sim _core" bash scripts/build.sh
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if .venv/bin/python -m pip show -q s2sim >/dev/null 2>&1; then
  echo "setup: replacing the pip-installed s2sim package in .venv with the one built in build/"
  .venv/bin/python -m pip uninstall -q -y s2sim
fi
rm -f .venv/.s2sim-package
sed "s|@ROOT@|$PWD|g" > "$site/_s2sim_checkout.py.new" <<'PY'
"""Written by scripts/setup.sh: s2sim from the checkout @ROOT@, its Python files in
place and its C++ core s2sim._core from build/python/ (built with the command-line program)."""
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys

CORE_DIR = "@ROOT@/build/python"


class _CoreFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "s2sim._core":
            return None
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            candidate = os.path.join(CORE_DIR, "_core" + suffix)
            if os.path.exists(candidate):
                return importlib.util.spec_from_file_location(name, candidate)
        return None


sys.meta_path.insert(0, _CoreFinder())
PY
mv "$site/_s2sim_checkout.py.new" "$site/_s2sim_checkout.py"
printf '%s\nimport _s2sim_checkout\n' "$PWD/python" > "$site/_s2sim_checkout.pth"
ln -sfn "$PWD/build/s2sim" .venv/bin/s2sim
.venv/bin/python -c "import s2sim._core" || { echo "setup: .venv cannot import s2sim._core from build/python" >&2; exit 1; }

# A Jupyter kernel running .venv's Python: "s2sim" unless that name runs another checkout
# (see scripts/jupyter_kernel.sh); the name it got is kept for scripts/test_python.sh.
kernel=$(bash scripts/jupyter_kernel.sh "$PWD/.venv/bin/python" "$(cat .venv/.s2sim-kernel 2>/dev/null || true)")
echo "$kernel" > .venv/.s2sim-kernel

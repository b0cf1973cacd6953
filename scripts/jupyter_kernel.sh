#!/usr/bin/env bash
# Registers a user-wide Jupyter kernel that runs PYTHON (this checkout's .venv), without
# taking over one that runs another checkout, and prints the kernel's name on stdout.
#   bash scripts/jupyter_kernel.sh PYTHON [NAME_GIVEN_LAST_TIME]
# The name is "s2sim" (display "Python (s2sim)", the notebooks' kernel) when that kernel is
# free, already runs PYTHON, or runs a Python that no longer exists. When it runs another
# checkout's Python, a terminal session is asked whether to replace it (default no); without
# a terminal (CI, pipes) or on "no", this checkout gets a kernel of its own,
# "s2sim-FOLDER-HASH" ("Python (s2sim, PATH)"), and keeps it on later runs.
# Kernels live in $JUPYTER_DATA_DIR/kernels (default ~/.local/share/jupyter/kernels).
set -euo pipefail
cd "$(dirname "$0")/.."
python=$1
previous=${2:-}
kernels=${JUPYTER_DATA_DIR:-$HOME/.local/share/jupyter}/kernels

# The Python a kernel runs (its argv[0]), or nothing when there is no such kernel.
runs() {
  [ -f "$kernels/$1/kernel.json" ] || return 0
  "$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["argv"][0])' "$kernels/$1/kernel.json" 2>/dev/null || true
}
install() {  # NAME DISPLAY_NAME
  if [ "$(runs "$1")" != "$python" ]; then
    echo "setup: registering the Jupyter kernel '$1' ($2) for $python" >&2
    "$python" -m ipykernel install --user --name "$1" --display-name "$2" >/dev/null
  fi
  echo "$1"
}

own_name="s2sim-$(basename "$PWD" | tr -c 'A-Za-z0-9._\n-' '_')-$(printf '%s' "$PWD" | sha1sum | cut -c1-8)"
own_display="Python (s2sim, $PWD)"
# Once this checkout has its own kernel, it keeps it (no question on every set-up).
if [ "$previous" = "$own_name" ] && [ "$(runs "$own_name")" = "$python" ]; then
  echo "$own_name"
  exit 0
fi
current=$(runs s2sim)
if [ -z "$current" ] || [ "$current" = "$python" ]; then
  install s2sim "Python (s2sim)"
  exit 0
fi
if [ ! -x "$current" ]; then
  echo "setup: the Jupyter kernel 's2sim' ran $current, which is gone: it now runs this checkout" >&2
  install s2sim "Python (s2sim)"
  exit 0
fi
answer=n
if [ -t 0 ] && [ -t 2 ] && [ -z "${CI:-}" ]; then
  read -r -p "setup: the Jupyter kernel 's2sim' runs $current (another checkout). Make it run this one ($python)? [y/N] " answer >&2 || answer=n
fi
case $answer in
  y | Y | yes | YES) install s2sim "Python (s2sim)" ;;
  *)
    echo "setup: the Jupyter kernel 's2sim' runs $current; this checkout gets its own kernel '$own_name' (\"$own_display\")" >&2
    install "$own_name" "$own_display"
    ;;
esac

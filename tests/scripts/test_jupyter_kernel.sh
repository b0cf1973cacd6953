#!/usr/bin/env bash
# scripts/jupyter_kernel.sh in a scratch Jupyter folder: it takes the name "s2sim" when free,
# never takes it over from another live checkout without a terminal, replaces it when its
# Python is gone, and keeps a checkout's own kernel. Needs .venv (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
export JUPYTER_DATA_DIR
JUPYTER_DATA_DIR=$(mktemp -d)
trap 'rm -rf "$JUPYTER_DATA_DIR"' EXIT
python=$PWD/.venv/bin/python
kernels=$JUPYTER_DATA_DIR/kernels
fail() { echo "test_jupyter_kernel: FAILED: $*" >&2; exit 1; }
runs() { "$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["argv"][0])' "$kernels/$1/kernel.json"; }
fake() {  # NAME PYTHON: a kernel another checkout registered
  mkdir -p "$kernels/$1"
  printf '{"argv": ["%s", "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "x", "language": "python"}\n' "$2" > "$kernels/$1/kernel.json"
}

# Free: the name is s2sim.
[ "$(bash scripts/jupyter_kernel.sh "$python" </dev/null 2>/dev/null)" = s2sim ] || fail "a free name was not taken"
[ "$(runs s2sim)" = "$python" ] || fail "kernel s2sim does not run $python"

# Another checkout's live Python, no terminal: s2sim is left alone, this checkout gets its own.
other=$(command -v python3)
fake s2sim "$other"
own=$(bash scripts/jupyter_kernel.sh "$python" </dev/null 2>/dev/null)
[ "$(runs s2sim)" = "$other" ] || fail "kernel s2sim was taken over from $other"
case $own in s2sim-*) ;; *) fail "expected a kernel of its own, got '$own'" ;; esac
[ "$(runs "$own")" = "$python" ] || fail "kernel $own does not run $python"
# ... and keeps it on the next run.
[ "$(bash scripts/jupyter_kernel.sh "$python" "$own" </dev/null 2>/dev/null)" = "$own" ] || fail "own kernel not kept"

# A kernel whose Python is gone is taken over.
fake s2sim /nonexistent/.venv/bin/python
[ "$(bash scripts/jupyter_kernel.sh "$python" </dev/null 2>/dev/null)" = s2sim ] || fail "a dead kernel was not replaced"
[ "$(runs s2sim)" = "$python" ] || fail "kernel s2sim does not run $python after replacing a dead one"
echo "test_jupyter_kernel: ok"

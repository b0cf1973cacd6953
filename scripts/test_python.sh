#!/usr/bin/env bash
# Tests the Python package: installs it into .venv when needed (scripts/setup.sh, incremental),
# runs pytest over tests/python, then executes every notebook headless (with the Jupyter kernel
# the set-up registered for this checkout), failing on any error; checks the kernel set-up.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MPLBACKEND=Agg
bash tests/scripts/test_jupyter_kernel.sh
.venv/bin/python -m pytest -q tests/python "$@"
S2SIM_KERNEL=$(cat .venv/.s2sim-kernel 2>/dev/null || echo s2sim) .venv/bin/python - notebooks/*.ipynb <<'PY'
"""Executes each notebook given with this checkout's kernel ($S2SIM_KERNEL), in its folder."""
import os
import pathlib
import sys
import time

import nbclient
import nbformat

failed = []
for path in map(pathlib.Path, sys.argv[1:]):
    start = time.monotonic()
    nb = nbformat.read(path, as_version=4)
    try:
        nbclient.NotebookClient(nb, timeout=600, kernel_name=os.environ["S2SIM_KERNEL"],
                                resources={"metadata": {"path": str(path.parent)}}).execute()
    except Exception as e:  # CellExecutionError and kernel failures alike
        failed.append(path.name)
        print(f"notebook {path}: FAILED\n{e}", file=sys.stderr)
        continue
    print(f"notebook {path}: ok ({time.monotonic() - start:.1f} s)")
sys.exit(1 if failed else 0)
PY

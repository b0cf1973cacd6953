#!/usr/bin/env bash
# Tests the Python package: installs it into .venv when needed (scripts/setup.sh, incremental),
# runs pytest over tests/python, then executes every notebook headless, failing on any error.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MPLBACKEND=Agg
.venv/bin/python -m pytest -q tests/python "$@"
.venv/bin/python - notebooks/*.ipynb <<'PY'
"""Executes each notebook given with its own kernel (the 's2sim' kernel), in its folder."""
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
        nbclient.NotebookClient(nb, timeout=600, kernel_name="s2sim",
                                resources={"metadata": {"path": str(path.parent)}}).execute()
    except Exception as e:  # CellExecutionError and kernel failures alike
        failed.append(path.name)
        print(f"notebook {path}: FAILED\n{e}", file=sys.stderr)
        continue
    print(f"notebook {path}: ok ({time.monotonic() - start:.1f} s)")
sys.exit(1 if failed else 0)
PY

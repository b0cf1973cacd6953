"""The ``s2sim`` command of the wheel (and ``python -m s2sim``).

The wheel bundles the C++ command-line program as ``s2sim/bin/s2sim``; this entry point
replaces itself with it (``os.execv``), so ``s2sim run ...`` after ``pip install`` is the
very same program as ``./build/s2sim``: same options, output, exit codes and figures.
"""

from __future__ import annotations

import os
import pathlib
import sys


def binary() -> pathlib.Path:
    """The path of the bundled command-line program (next to the compiled module)."""
    from . import _core

    return pathlib.Path(_core.__file__).resolve().parent / "bin" / "s2sim"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    exe = binary()
    if not exe.exists():
        print(f"s2sim: error: the command-line program is missing from the installation ({exe})",
              file=sys.stderr)
        return 1
    os.environ.setdefault("S2SIM_PYTHON", sys.executable)  # `s2sim report` and --html draw with this Python
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(exe, [str(exe), *args])
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())

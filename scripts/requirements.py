"""Prints the pinned Python requirements of pyproject.toml (build and runtime, plus
the 'dev' extra) on one line, for scripts/setup.sh."""
import pathlib
import tomllib

project = tomllib.loads((pathlib.Path(__file__).parent.parent / "pyproject.toml").read_text())
requirements = list(project["build-system"]["requires"])
requirements += project["project"].get("dependencies", [])
requirements += project["project"].get("optional-dependencies", {}).get("dev", [])
print(" ".join(sorted(set(requirements))))

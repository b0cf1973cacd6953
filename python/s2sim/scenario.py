"""Scenarios: a TOML text plus a list of edits, loaded, edited, saved and run from Python.

An edit is an override "dotted.key=value", exactly what ``s2sim run --set`` takes, so a
scenario edited in Python and the same file run with ``--set`` are the same experiment.
A Scenario is plain data (text and strings): it pickles, and travels to Dask workers as
TOML text.
"""

from __future__ import annotations

import math
import numbers
import os
import pathlib
import tomllib
from collections.abc import Iterator, Mapping

from . import _core
from ._errors import ConfigError
from ._toml import override as _override

_MAX_SEED = 2**64 - 1
_MAX_REPLICATIONS = 100_000  # as ``s2sim run -r`` (scenario/arguments.hpp)


def _text(name: str, value, allow_empty: bool = True) -> str:
    """``value`` as a str argument named ``name``: a str that UTF-8 can encode (no lone
    surrogates), else TypeError or ValueError naming the argument."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError(f"{name} is not valid text: {e.reason} at index {e.start} ({value[e.start]!r})") from None
    if not allow_empty and not value:
        raise ValueError(f"{name} must not be empty")
    return value


def _check_value(path: str, value) -> None:
    """Refuses a value ``set`` could only write wrongly: bytes (would become a list of
    numbers), text that is not valid UTF-8, nested containers holding either."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"value for '{path}' must be a str, int, float, bool, list or dict, got "
                        f"{type(value).__name__} (decode bytes to str first)")
    if isinstance(value, str):
        _text(f"value for '{path}'", value)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _text(f"key in the value for '{path}'", str(k))
            _check_value(path, v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _check_value(path, v)


def _count(name: str, value, minimum: int, maximum: int) -> int | None:
    """``value`` as an optional whole number in [minimum, maximum] (not a bool)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not minimum <= value <= maximum:
        raise ValueError(f"{name} must be from {minimum} to {maximum}, got {value}")
    return int(value)

def _precision(value) -> float | None:
    """``value`` as an optional relative half-width in [1e-6, 1] (the ``precision`` argument)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"precision must be a float, got {type(value).__name__}")
    if not (math.isfinite(value) and 1e-6 <= value <= 1):
        raise ValueError(f"precision must be a fraction from 1e-06 to 1, such as 0.02, got {value}")
    return float(value)


def _run_arguments(seed, replications, jobs) -> tuple[int | None, int | None, int | None]:
    """The ``seed``, ``replications`` and ``jobs`` arguments of run, compare and sweep, checked."""
    return (_count("seed", seed, 0, _MAX_SEED), _count("replications", replications, 1, _MAX_REPLICATIONS),
            _count("jobs", jobs, 1, 4096))


_SECTIONS = {  # attribute -> (TOML key, is an array of tables)
    "services": ("service", False),
    "servers": ("server", True),
    "switches": ("switch", True),
    "clients": ("client", True),
    "links": ("link", True),
    "workloads": ("workload", True),
    "events": ("event", True),
}


def load(path: str | os.PathLike, overrides=()) -> Scenario:
    """Reads the scenario file at ``path``. Relative paths inside it (traces, empirical
    data) are resolved against its folder. Nothing is checked until ``check()`` or ``run()``."""
    p = pathlib.Path(_text("path", path, allow_empty=False))
    if not p.exists():
        raise FileNotFoundError(f"scenario file '{path}' not found")
    if not p.is_file():
        kind = "a folder" if p.is_dir() else "not a regular file"
        raise ValueError(f"path: '{path}' is {kind} (expected a scenario file)")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"the file is not UTF-8 text ({e.reason} at byte {e.start})", str(path), 1, 1) from None
    return Scenario(text, filename=str(path), base_dir=str(p.resolve().parent), overrides=overrides)


def loads(text: str, filename: str = "<string>", base_dir: str | os.PathLike = "", overrides=()) -> Scenario:
    """A scenario from TOML ``text``; ``filename`` appears in error positions, relative paths
    inside are resolved against ``base_dir`` (default: the current folder)."""
    return Scenario(text, filename=filename, base_dir=str(base_dir), overrides=overrides)


class Scenario:
    """A scenario: its TOML text (kept verbatim, comments included) and a list of edits.

    Edit with ``sc.set("server.web.count", 6)`` or by attribute,
    ``sc.services["frontend"].balancer = "power_of_two"``; read the effective values
    the same way (``sc.servers["web"].count``).
    """

    def __init__(self, text: str, filename: str = "<string>", base_dir: str = "", overrides=()):
        self._text = _text("text", text)
        self._filename = _text("filename", filename)
        self._base_dir = _text("base_dir", base_dir)
        if isinstance(overrides, (str, bytes)):
            raise TypeError("overrides must be a list of \"dotted.key=value\" strings, not a single string")
        self._overrides = [_text("overrides item", o) for o in overrides]
        self._data_cache = None

    # -- identity ---------------------------------------------------------------------
    @property
    def text(self) -> str:
        """The original TOML text, without the edits (see ``to_toml()``)."""
        return self._text

    @property
    def filename(self) -> str:
        return self._filename

    @property
    def base_dir(self) -> str:
        """The folder relative paths inside the scenario are resolved against."""
        return self._base_dir

    @property
    def overrides(self) -> list[str]:
        """The edits so far, as ``--set`` takes them (a copy)."""
        return list(self._overrides)

    @property
    def name(self) -> str:
        return self.data.get("scenario", {}).get("name", pathlib.Path(self._filename).stem)

    def __repr__(self) -> str:
        edits = f", {len(self._overrides)} edits" if self._overrides else ""
        return f"<s2sim.Scenario {self.name!r} from {self._filename!r}{edits}>"

    def __eq__(self, other) -> bool:
        return isinstance(other, Scenario) and self._state() == other._state()

    def __hash__(self):
        return hash(self._state()[:2])

    def _state(self):
        return (self._text, self._filename, self._base_dir, tuple(self._overrides))

    def __getstate__(self):
        return {"text": self._text, "filename": self._filename, "base_dir": self._base_dir,
                "overrides": list(self._overrides)}

    def __setstate__(self, state):
        self.__init__(state["text"], state["filename"], state["base_dir"], state["overrides"])

    def copy(self) -> Scenario:
        """An independent copy (edits to one do not show in the other)."""
        return Scenario(self._text, self._filename, self._base_dir, self._overrides)

    __copy__ = copy

    def __deepcopy__(self, memo):
        return self.copy()

    # -- editing ------------------------------------------------------------------------
    def set(self, path: str, value) -> Scenario:
        """Sets the value at dotted ``path`` (``"server.web.count"``; on an array of tables
        a segment is an element's name or 0-based index; a path ending in ``+`` appends,
        see ``append``). ``value`` is a Python value (str, int,
        float, bool, list, dict) written as TOML. The path is checked now and raises
        ConfigError if it cannot be followed. Returns self, so edits chain."""
        path = _text("path", path, allow_empty=False)
        if "=" in path:
            raise ValueError(f"path must not contain '=', got {path!r} (give the value separately: "
                             f"set('scenario.name', 'x'))")
        if any(not seg for seg in path.split(".")) or any(c in path for c in "\n\r"):
            raise ValueError(f"path {path!r} is not a dotted key such as 'server.web.count'")
        _check_value(path, value)
        edit = _override(path, value)
        _core.apply_overrides_to_text(self._text, self._filename, self._overrides + [edit])
        self._overrides.append(edit)
        self._data_cache = None
        return self

    def append(self, path: str, value) -> Scenario:
        """Appends ``value`` to the array at dotted ``path`` (created when missing), the
        override ``path+=value``: ``sc.append("event", {"at": "60s", "action": "fail",
        "target": "db-1"})`` adds an ``[[event]]``. ``sc.set(path + "+", value)`` is the
        same edit. Returns self."""
        return self.set(path + "+", value)

    def edited(self, changes: Mapping[str, object]) -> Scenario:
        """A copy with ``changes`` ({dotted path: value}) applied."""
        sc = self.copy()
        for path, value in changes.items():
            sc.set(path, value)
        return sc

    def to_toml(self) -> str:
        """The TOML text with the edits applied (the original text, comments and all,
        when there are none)."""
        if not self._overrides:
            return self._text
        return _core.apply_overrides_to_text(self._text, self._filename, self._overrides)

    def save(self, path: str | os.PathLike) -> None:
        """Writes ``to_toml()`` to ``path``."""
        pathlib.Path(path).write_text(self.to_toml(), encoding="utf-8")

    # -- reading ------------------------------------------------------------------------
    @property
    def data(self) -> dict:
        """The effective TOML document (edits applied) as nested dicts and lists. Read-only:
        change values with ``set``."""
        if self._data_cache is None:
            try:
                self._data_cache = tomllib.loads(self.to_toml())
            except tomllib.TOMLDecodeError as e:
                # The core's parser says where, as s2sim.ConfigError, like check() and run().
                _core.apply_overrides_to_text(self._text, self._filename, self._overrides)
                raise ConfigError(f"invalid TOML: {e}", self._filename, getattr(e, "lineno", 1) or 1,
                                  getattr(e, "colno", 1) or 1) from None
        return self._data_cache

    def get(self, path: str, default=KeyError):
        """The effective value at dotted ``path`` (as in ``set``)."""
        node = self.data
        for seg in path.split("."):
            if isinstance(node, dict) and seg in node:
                node = node[seg]
            elif isinstance(node, list) and (found := _element(node, seg)) is not None:
                node = found
            else:
                if default is KeyError:
                    raise KeyError(f"no value at '{path}' in {self._filename}")
                return default
        return node

    def __getattr__(self, attr):
        if attr.startswith("_"):
            raise AttributeError(attr)
        if attr in _SECTIONS:
            key, is_array = _SECTIONS[attr]
            return _Collection(self, key, is_array)
        if attr in ("scenario", "network"):
            return _Node(self, attr)
        raise AttributeError(f"'Scenario' has no attribute '{attr}'")

    # -- running ------------------------------------------------------------------------
    def check(self) -> str:
        """Loads and validates the scenario; returns the summary ``s2sim check`` prints.
        Raises ConfigError pointing at the offending value."""
        return _core.check(self._text, self._filename, self._overrides, self._base_dir)

    def run(self, seed: int | None = None, replications: int | None = None, jobs: int | None = None,
            precision: float | None = None, max_replications: int = 50, client=None):
        """Runs the scenario and returns its Results.

        ``seed``: master seed (default: the file's). ``replications``: independent runs
        (default: the file's), pooled with 95% confidence intervals; replication 0 uses the
        master seed, so one replication equals ``s2sim run --seed``. ``jobs``: threads
        (default: all cores); results do not depend on it. ``precision``: add replications
        until every class's mean and p99 are known within this relative half-width, up to
        ``max_replications``. The C++ core runs with the GIL released; Ctrl-C (or a Jupyter
        interrupt) stops it between replications.

        ``client``: a ``dask.distributed.Client``; each replication then runs as a task on
        the cluster (the scenario travels as TOML text plus its edits, the results come back
        losslessly, histograms included) and they are pooled here, so the Results are
        identical to a local run with the same arguments, quantiles included. ``warmup =
        "auto"`` runs its pilot as one task first (on ``jobs`` threads, default 1); with
        ``precision`` the replications run in rounds until the target is met. Files the
        scenario names must be readable at the same path on the workers; Ctrl-C cancels the
        tasks (no partial results)."""
        from .results import QUANTILE_GRID, Results

        seed, replications, jobs = _run_arguments(seed, replications, jobs)
        max_replications = _count("max_replications", max_replications, 2, _MAX_REPLICATIONS)
        _precision(precision)
        if client is not None:
            from .experiments import run_on_client

            return run_on_client(self, client, seed=seed, replications=replications, jobs=jobs,
                                 precision=precision, max_replications=max_replications)
        json_bytes, runs, quantiles = _core.run(
            self._text, self._filename, self._overrides, self._base_dir, seed=seed,
            replications=replications or 0, jobs=jobs or 0, precision=precision,
            max_replications=max_replications, quantiles=QUANTILE_GRID)
        return Results.from_core(json_bytes, runs, quantiles)

    def analyze(self) -> dict:
        """The analytic estimate (queueing formulas, no simulation) as a dict: predicted
        mean latency per class, load per server, saturated servers."""
        import json

        return json.loads(_core.analyze(self._text, self._filename, self._overrides, self._base_dir))


def _element(items: list, seg: str):
    for item in items:
        if isinstance(item, dict) and item.get("name") == seg:
            return item
    if seg.isdigit() and int(seg) < len(items):
        return items[int(seg)]
    return None


class _Node:
    """A table of a scenario at a dotted path: attributes read and write its keys."""

    __slots__ = ("_sc", "_path")

    def __init__(self, sc: Scenario, path: str):
        object.__setattr__(self, "_sc", sc)
        object.__setattr__(self, "_path", path)

    def __getattr__(self, key):
        if key.startswith("_"):
            raise AttributeError(key)
        return self[key]

    def __getitem__(self, key):
        path = f"{self._path}.{key}"
        value = self._sc.get(path, default=None)
        if isinstance(value, dict) or (value is None and key == "op"):
            return _Node(self._sc, path)
        if value is None:
            raise KeyError(f"no value at '{path}' in {self._sc.filename}")
        return value

    def __setattr__(self, key, value):
        self._sc.set(f"{self._path}.{key}", value)

    __setitem__ = __setattr__

    def __contains__(self, key):
        return self._sc.get(f"{self._path}.{key}", default=None) is not None

    def keys(self):
        value = self._sc.get(self._path, default={})
        return list(value.keys()) if isinstance(value, dict) else []

    def to_dict(self) -> dict:
        return self._sc.get(self._path)

    def __eq__(self, other):
        if isinstance(other, _Node):
            return self.to_dict() == other.to_dict()
        return isinstance(other, dict) and self._sc.get(self._path, default=None) == other

    __hash__ = None

    def __repr__(self):
        return f"<{self._path}: {self._sc.get(self._path, default=None)!r}>"


class _Collection(Mapping):
    """``sc.services``, ``sc.servers``, ...: the tables of one kind, by name."""

    def __init__(self, sc: Scenario, key: str, is_array: bool):
        self._sc, self._key, self._is_array = sc, key, is_array

    def _names(self) -> list[str]:
        value = self._sc.data.get(self._key, [] if self._is_array else {})
        if self._is_array:
            return [str(item.get("name", i)) for i, item in enumerate(value)]
        return list(value)

    def __getitem__(self, name) -> _Node:
        if str(name) not in self._names() and not str(name).isdigit():
            raise KeyError(f"no {self._key} named '{name}' (have: {', '.join(self._names())})")
        return _Node(self._sc, f"{self._key}.{name}")

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def __repr__(self):
        return f"<{self._key}: {', '.join(self._names())}>"

"""Comparisons and sweeps, locally or on a Dask cluster, returned as DataFrames; the
replications of one run on a Dask cluster (``Scenario.run(..., client=)``)."""

from __future__ import annotations

import itertools
import json as _json
import time
from collections.abc import Mapping

import pandas as pd

from . import _core
from ._toml import literal, override
from .results import QUANTILE_GRID, Results
from .scenario import Scenario, _precision, _run_arguments

from .results import CORE_TABLES as _TABLES


def compare(designs: Mapping[str, Scenario], seed: int | None = None, replications: int | None = None,
            jobs: int | None = None, precision: float | None = None, table: str | None = None) -> pd.DataFrame:
    """Runs every design with the same replications and seeds (common random numbers) and
    compares each figure with the first design's by a paired t-test.

    Returns one row per (kind, name, figure, design): ``value`` and ``ci95``, then
    ``difference`` from the first design, its ``difference_ci95`` and ``significant`` (the CI
    of the difference excludes 0, and for percentiles exceeds the histogram's resolution).
    Kinds and figures: ``request`` (``workload/op``) and ``op`` (``service.op``, totals across
    workloads): mean, p50, p99 (seconds), throughput_per_s, error_rate; ``group`` (servers)
    and ``link`` (``a->b``): utilization; ``replication``: lag_mean, lag_p99 (seconds); a
    table the model publishes: kind = its name, per counter ``<figure>`` (per replication),
    per latency ``<base>_mean``, ``_p50``, ``_p99`` (seconds), per level and value ``<figure>``;
    column ``unit`` gives their unit. ``table`` keeps only that table's rows (a core table
    or a published one).
    Column ``table`` names the table of the kind (requests, ops, servers, links, replication). Replications default to the
    first file's, and at least 5. Pivot for a side-by-side view:
    ``df.pivot_table(index=["name", "figure"], columns="design", values="value")``."""
    if not isinstance(designs, Mapping):
        raise TypeError(f"designs must be a mapping of name -> Scenario, got {type(designs).__name__}")
    for name, sc in designs.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"designs: each name must be a non-empty str, got {name!r}")
        if not isinstance(sc, Scenario):
            raise TypeError(f"designs['{name}'] must be a Scenario, got {type(sc).__name__}")
    if len(designs) < 2:
        raise ValueError("compare needs at least two designs")
    if table is not None and table not in _TABLES:
        # Checked before the runs: the designs' models must publish it.
        published = [t for sc in designs.values()
                     for t in _core.recorded_tables(sc.text, sc.filename, sc.overrides, sc.base_dir)]
        if table not in published:
            raise ValueError(f"unknown table '{table}' (expected: {', '.join(dict.fromkeys(list(_TABLES) + published))})")
    seed, replications, jobs = _run_arguments(seed, replications, jobs)
    precision = _precision(precision)
    items = [(name, sc.text, sc.filename, sc.overrides, sc.base_dir) for name, sc in designs.items()]
    json_bytes, _ = _core.compare(items, seed=seed, replications=replications or 0, jobs=jobs or 0,
                                  precision=precision, quantiles=[])
    data = _json.loads(json_bytes)
    rows, units = [], []
    for row in data["rows"]:
        for i, design in enumerate(data["designs"]):
            value = row["values"][i] or {}
            diff = row["differences"][i] if i < len(row["differences"]) else None
            rows.append({
                "kind": row["kind"], "name": row["name"], "figure": row["figure"], "design": design,
                "value": _nan(value.get("value")), "ci95": _nan(value.get("ci95")),
                "difference": _nan(diff.get("value")) if diff else float("nan"),
                "difference_ci95": _nan(diff.get("ci95")) if diff else float("nan"),
                "significant": bool(diff.get("significant")) if diff else False,
            })
            units.append(row.get("unit"))
    df = pd.DataFrame(rows)
    if len(df):
        df["table"] = df["kind"].map(_TABLE_OF_KIND).fillna(df["kind"])  # added last: columns only grow
        if any(u is not None for u in units):
            df["unit"] = units  # published tables' rows only (the core figures' units are in the docs)
        if table is not None:
            df = df[df["table"] == table].reset_index(drop=True)
    df.attrs.update(seed=data.get("seed"), replications=data.get("replications"), designs=list(data["designs"]))
    return df


_TABLE_OF_KIND = {"request": "requests", "op": "ops", "group": "servers", "server": "servers", "link": "links",
                  "replication": "replication"}


def _nan(v):
    return float("nan") if v is None else v


def _axes(params: Mapping) -> list[tuple[tuple[str, ...], list[tuple]]]:
    """``params`` as axes of the grid: (keys, [values of the keys at each step]). A str key
    is an axis of its own; a tuple of keys is linked: its values are tuples, one value per
    key, moving together (OMNeT++'s parallel iteration)."""
    axes = []
    for key, values in params.items():
        values = list(values)
        if not values:
            raise ValueError(f"sweep parameter {key!r} has no value")
        if isinstance(key, str):
            axes.append(((key,), [(v,) for v in values]))
            continue
        keys = tuple(key)
        if not keys or not all(isinstance(k, str) for k in keys):
            raise ValueError(f"sweep parameter {key!r}: a key is a dotted path or a tuple of them")
        steps = []
        for v in values:
            if isinstance(v, (str, bytes)) or not hasattr(v, "__len__") or len(v) != len(keys):
                raise ValueError(f"sweep parameters {keys} are linked: each value is a tuple of {len(keys)} "
                                 f"(one per key), got {v!r}")
            steps.append(tuple(v))
        axes.append((keys, steps))
    return axes


def _grid(axes) -> list[tuple]:
    """The values of every point, one per key: the axes crossed, the last varying fastest
    (as in the C++ sweep), linked keys side by side."""
    return [tuple(v for step in combo for v in step) for combo in itertools.product(*[steps for _, steps in axes])]


def _run_point(text: str, filename: str, base_dir: str, overrides: list[str], seed, replications: int,
               jobs: int) -> bytes:
    """One point of a sweep, as a Dask task: the scenario travels as TOML text."""
    json_bytes, _, _ = _core.run(text, filename, overrides, base_dir, seed=seed, replications=replications,
                                 jobs=jobs, quantiles=[])
    return json_bytes


def sweep(scenario: Scenario, params: Mapping[str, list], replications: int | None = None,
          seed: int | None = None, jobs: int | None = None, client=None, table: str = "requests") -> pd.DataFrame:
    """Runs ``scenario`` at every point of the grid of ``params`` ({dotted path: [values]},
    the last varying fastest), each with the same seeds, and returns one DataFrame: a column
    per param (values as given), then the rows of ``Results.table(table)`` (``requests``, ``ops``,
    ``servers``, ``links``, ``replication`` or a table the model publishes) of that point, with
    95% CIs when there are replications.

    Keys that move together (not crossed) are one entry whose key is a tuple of paths and
    whose values are tuples, one value per path: ``{("workload.a.arrival",
    "workload.b.arrival"): [("poisson(40/s)", "poisson(60/s)"), ("poisson(60/s)",
    "poisson(40/s)")]}`` is two points, like ``s2sim sweep --param 'a=...; b=...'``; each
    path still gets its own column.

    With ``client`` (a ``dask.distributed.Client``) the points run as tasks on the cluster:
    each travels as TOML text plus overrides and comes back as the results JSON, so the
    DataFrame is identical to a local sweep with the same seeds. Files a scenario refers
    to (traces, empirical data) must then be readable at the same path on the workers.
    ``jobs`` is threads per point (default: all cores locally, 1 on a cluster)."""
    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario must be a Scenario, got {type(scenario).__name__}")
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping of dotted path -> list of values, got {type(params).__name__}")
    if not isinstance(table, str) or not table:
        raise ValueError(f"table must be a table's name, got {table!r}")
    if table not in _TABLES:
        # A published table: the scenario's model must declare it (checked before the runs).
        published = _core.recorded_tables(scenario.text, scenario.filename, scenario.overrides, scenario.base_dir)
        if table not in published:
            raise ValueError(f"unknown table '{table}' (expected: {', '.join(list(_TABLES) + list(published))})")
    seed, replications, jobs = _run_arguments(seed, replications, jobs)
    if not params:
        raise ValueError("sweep needs at least one param")
    axes = _axes(params)
    keys = [k for axis_keys, _ in axes for k in axis_keys]
    if len(set(keys)) != len(keys):
        raise ValueError(f"sweep parameters name a key twice: {keys}")
    points = _grid(axes)
    if client is None:
        core_params = [(k, [literal(step[i]) for step in steps], i > 0)
                       for axis_keys, steps in axes for i, k in enumerate(axis_keys)]
        json_bytes = _core.sweep(scenario.text, scenario.filename, core_params,
                                 scenario.overrides, scenario.base_dir, seed=seed,
                                 replications=replications or 0, jobs=jobs or 0)
        results = [Results(p["results"]) for p in _json.loads(json_bytes)["points"]]
    else:
        futures = [client.submit(_run_point, scenario.text, scenario.filename, scenario.base_dir,
                                 scenario.overrides + [override(k, v) for k, v in zip(keys, point)], seed,
                                 replications or 0, jobs or 1, pure=False)
                   for point in points]
        results = [Results(_json.loads(b)) for b in client.gather(futures)]
    frames = []
    for point, res in zip(points, results):
        df = res.table(table).reset_index() if table in _TABLES or table in res.recorded else \
            pd.DataFrame()
        for i, k in enumerate(keys):
            df.insert(i, k, [point[i]] * len(df))
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def _choose_warmup(text: str, filename: str, base_dir: str, overrides: list[str], master_seed: int,
                   jobs: int) -> float:
    """The warm-up of warmup = "auto", as one Dask task (its pilot runs on ``jobs`` threads)."""
    return _core.choose_warmup(text, filename, overrides, base_dir, master_seed, jobs)


def _run_replication(text: str, filename: str, base_dir: str, overrides: list[str], master_seed: int,
                     index: int, warmup_s: float) -> bytes:
    """One replication, as a Dask task: the scenario travels as TOML text, the results come
    back losslessly encoded (histograms included) for pooling on the client."""
    return _core.run_replication(text, filename, overrides, base_dir, master_seed, index, warmup_s)


def run_on_client(scenario: Scenario, client, seed: int | None, replications: int | None, jobs: int | None,
                  precision: float | None, max_replications: int) -> Results:
    """``scenario.run(...)`` with its replications spread over a Dask ``client``'s workers, one
    task each; the Results equal a local run's with the same arguments (see Scenario.run)."""
    start = time.monotonic()
    text, filename, base_dir, overrides = scenario.text, scenario.filename, scenario.base_dir, scenario.overrides
    master, wanted, warmup_auto, warmup_s = _core.plan_run(
        text, filename, overrides, base_dir, seed=seed, replications=replications or 0, precision=precision,
        max_replications=max_replications)
    if warmup_auto:
        warmup_s = _gather(client, [client.submit(_choose_warmup, text, filename, base_dir, overrides, master,
                                                  jobs or 1, pure=False)])[0]
    runs = []
    # Rounds as in the local run: with a precision target, each round adds the replications
    # the widest interval still needs, until it is met or max_replications is reached.
    while len(runs) < wanted:
        runs += _gather(client, [client.submit(_run_replication, text, filename, base_dir, overrides, master, i,
                                               warmup_s, pure=False)
                                 for i in range(len(runs), wanted)])
        if precision is not None:
            wanted = _core.replications_wanted(runs, precision=precision, max_replications=max_replications)
    json_bytes, run_json, quantiles = _core.pool_runs(
        runs, seed=master, warmup_s=warmup_s, warmup_auto=warmup_auto, precision=precision,
        wall_s=time.monotonic() - start, quantiles=QUANTILE_GRID, scenario=(text, filename, overrides, base_dir))
    return Results.from_core(json_bytes, run_json, quantiles)


def _gather(client, futures: list) -> list:
    """The futures' results in order; on an error or Ctrl-C the other tasks are cancelled."""
    try:
        return client.gather(futures)
    except BaseException:
        client.cancel(futures)
        raise

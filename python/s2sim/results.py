"""Results of a run as pandas DataFrames, with the JSON of docs/results.md underneath."""

from __future__ import annotations

import html
import json as _json
import math

import numpy as np
import pandas as pd

#: Probabilities at which latency quantiles are kept for CDF plots and ``quantile()``.
QUANTILE_GRID = sorted({round(q, 6) for q in
                        [0.0005, 0.001, 0.002, 0.005] + [i / 100 for i in range(1, 100)] +
                        [0.995, 0.998, 0.999, 0.9995, 0.9999]})

_LATENCY = ["mean", "p50", "p90", "p95", "p99", "p999", "max"]


def _num(v):
    return math.nan if v is None else v


class Results:
    """What a run measured (pooled over replications, with 95% CIs when there are several).

    DataFrames (built on first use): ``requests`` (per ``workload/op``), ``ops`` (per
    ``service.op``), ``servers``, ``links``, ``replication`` (S2S replication lag, when the
    scenario replicates), every table the model's components publish (``table(name)``, or
    ``res.<name>``; names in ``tables``), ``timeseries`` (per window, long format),
    ``log`` (decisions and findings), ``runs`` (one row per replication and request class). Latencies are in seconds, with the column names of
    the CSV files (``mean_s``, ``p99_s``, ``p99_s_ci95``...). ``json`` is the results JSON
    of docs/results.md, identical to ``s2sim run --json``. Picklable."""

    def __init__(self, json: dict, runs: list[dict] | None = None, quantiles: dict | None = None):
        self._json = json
        self._runs = runs or []
        self._quantiles = quantiles or {}
        self._cache = {}

    @classmethod
    def from_core(cls, json_bytes: bytes, runs: list[bytes], quantiles: dict) -> Results:
        return cls(_json.loads(json_bytes), [_json.loads(r) for r in runs], quantiles)

    # pickling keeps the data, not the derived DataFrames
    def __getstate__(self):
        return {"json": self._json, "runs": self._runs, "quantiles": self._quantiles}

    def __setstate__(self, state):
        self.__init__(state["json"], state["runs"], state["quantiles"])

    def __eq__(self, other):
        return isinstance(other, Results) and self.figures() == other.figures()

    def figures(self) -> dict:
        """The JSON without what varies from run to run of the same seed (wall-clock time)."""
        def strip(d):
            if isinstance(d, dict):
                return {k: strip(v) for k, v in d.items() if k != "wall_s"}
            if isinstance(d, list):
                return [strip(v) for v in d]
            return d
        return strip(self._json)

    # -- scalars --------------------------------------------------------------------------
    @property
    def json(self) -> dict:
        """The results JSON of docs/results.md (a dict)."""
        return self._json

    def to_json(self, path=None, indent: int = 2) -> str:
        text = _json.dumps(self._json, indent=indent)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text + "\n")
        return text

    scenario = property(lambda self: self._json.get("scenario"))
    seed = property(lambda self: self._json.get("seed"))
    replications = property(lambda self: self._json.get("replications", 1))
    simulated_s = property(lambda self: self._json.get("simulated_s"))
    wall_s = property(lambda self: self._json.get("wall_s"))
    events = property(lambda self: self._json.get("events"))
    partial = property(lambda self: self._json.get("partial"), doc="Why the run stopped early, or None.")
    units = property(lambda self: self._json.get("units", {}),
                     doc='The unit of every figure, per table ({"requests": {"latency_s": "s", ...}, '
                         '"timeseries": {...}}); see docs/results.md.')

    # -- tables ---------------------------------------------------------------------------
    def _table(self, section: str, index: str, fields: list[str], latency: bool,
               latency_key: str = "latency_s", prefix: str = "") -> pd.DataFrame:
        if section in self._cache:
            return self._cache[section]
        # Figures components added to this core table (docs/results.md): after its own columns.
        added_spec = self.recorded.get(section)
        added = set((added_spec or {}).get("kinds", {}))
        rows = []
        for name, v in self._json.get(section, {}).items():
            row = {index: name}
            for f in fields:
                if f in v:
                    row[f] = _num(v[f])
            if latency:
                for k in _LATENCY:
                    row[f"{prefix}{k}_s"] = _num(v.get(latency_key, {}).get(k))
            if latency and "error_latency_s" in v:
                # failed requests' latency, apart from the successes' (columns as in the CSV)
                for k in _LATENCY:
                    row[f"error_{k}_s"] = _num((v["error_latency_s"] or {}).get(k))
            for k, ci in (v.get("ci95") or {}).items():
                if k not in added:  # figures components added: their columns come below
                    row[(f"{prefix}{k}_s" if k in _LATENCY else k) + "_ci95"] = _num(ci)
            rows.append(row)
        df = pd.DataFrame(rows)
        if df.empty:
            df = pd.DataFrame(columns=[index] + fields)
        df = df.set_index(index)
        # ci95 columns right after their figure, as in the CSV files
        ordered = []
        for c in df.columns:
            if not c.endswith("_ci95"):
                ordered.append(c)
                if c + "_ci95" in df.columns:
                    ordered.append(c + "_ci95")
        ordered += [c for c in df.columns if c not in ordered]
        df = df[ordered]
        if added_spec and len(df):
            df = df.join(_recorded_frame(self._json.get(section, {}), added_spec))
        self._cache[section] = df
        return df

    @property
    def requests(self) -> pd.DataFrame:
        """Per ``workload/op``: count, throughput_per_s, errors, timeouts, rejected, latency
        (seconds) mean_s .. max_s of the requests that succeeded; with replications, ``*_ci95``
        half-widths; error_mean_s .. error_max_s: latency of the failed ones."""
        df = self._table("requests", "request", ["count", "throughput_per_s", "errors", "error_rate",
                                                 "timeouts", "retries", "rejected"], True)
        if "workload" not in df.columns and len(df):
            parts = df.index.to_series().str.split("/", n=1, expand=True)
            df.insert(0, "workload", parts[0])
            df.insert(1, "op", parts[1] if parts.shape[1] > 1 else "")
        return df

    @property
    def ops(self) -> pd.DataFrame:
        """Per ``service.op``: count, errors, timeouts, retries, rejected, latency at the
        server (seconds) of the calls that succeeded, error_mean_s .. error_max_s of those that failed."""
        return self._table("ops", "op", ["count", "errors", "timeouts", "retries", "rejected"], True)

    @property
    def servers(self) -> pd.DataFrame:
        """Per server: utilization (0..1), mean_queue, max_queue, completed, rejected."""
        return self._table("servers", "server", ["utilization", "mean_queue", "max_queue", "completed",
                                                 "rejected"], False)

    @property
    def links(self) -> pd.DataFrame:
        """Per link direction ``a->b``: utilization (0..1), bytes."""
        return self._table("links", "link", ["utilization", "bytes"], False)

    @property
    def replication(self) -> pd.DataFrame:
        """Per ``service.op->replica``: count (writes applied), failed, lag of S2S replication
        in seconds (lag_mean_s .. lag_max_s), mean_backlog and max_backlog (writes committed
        but not yet applied); with replications, ``*_ci95`` half-widths. Empty when the
        scenario does not replicate."""
        if "replication" not in self._json:
            return pd.DataFrame(columns=["count", "failed"] + [f"lag_{c}" for c in _latency_cols()]
                                ).rename_axis("replication")
        if "replication" in self._cache:
            return self._cache["replication"]
        df = self._table("replication", "replication", ["count", "failed"], True, latency_key="lag_s",
                         prefix="lag_").copy()
        entries = self._json["replication"]
        df["mean_backlog"] = [_num((entries[n].get("backlog") or {}).get("mean")) for n in df.index]
        df["max_backlog"] = [_num((entries[n].get("backlog") or {}).get("max")) for n in df.index]
        if "backlog_ci95" in df.columns:
            df = df.rename(columns={"backlog_ci95": "mean_backlog_ci95"})
            cols = [c for c in df.columns if c != "mean_backlog_ci95"]
            cols.insert(cols.index("mean_backlog") + 1, "mean_backlog_ci95")
            df = df[cols]
        self._cache["replication"] = df
        return df

    # -- recorded tables -------------------------------------------------------------------
    @property
    def tables(self) -> list[str]:
        """Every table of these results: the five core tables, then those the model's
        components published (docs/results.md, "Recorded tables")."""
        return list(CORE_TABLES) + [t for t in self.recorded if t not in CORE_TABLES]

    @property
    def recorded(self) -> dict:
        """The published tables: {name: {"row_key": ..., "kinds": {figure: kind}}}. A core
        table's name here lists the figures components added to its rows."""
        return dict(self._json.get("recorded") or {})

    def table(self, name: str) -> pd.DataFrame:
        """The table ``name`` as a DataFrame: one of the core tables (``requests``, ``ops``,
        ``servers``, ``links``, ``replication``) or a published one, with the columns of its
        CSV file: per counter ``<figure>`` (the total) and, with replications,
        ``<figure>_per_replication`` with its ``_ci95``; per latency ``<base>_mean_s`` ..
        ``<base>_max_s`` (``handshake_s`` gives ``handshake_mean_s``); per level ``<figure>``
        (time average) and ``<figure>_max``; per value ``<figure>``; with replications a
        ``_ci95`` after each pooled figure. Indexed by the table's row key."""
        if name in CORE_TABLES:
            return getattr(self, name)
        recorded = self.recorded
        if name not in recorded:
            raise KeyError(f"no table '{name}' (have: {', '.join(self.tables)})")
        key = f"recorded:{name}"
        if key not in self._cache:
            self._cache[key] = _recorded_frame(self._json.get(name) or {}, recorded[name])
        return self._cache[key]

    def __getattr__(self, name):
        # Published tables by name, like the core ones (res.connections); only for names
        # the results declare, so typos still raise AttributeError.
        if name.startswith("_"):
            raise AttributeError(name)
        if name in (self.__dict__.get("_json") or {}).get("recorded", {}):
            return self.table(name)
        raise AttributeError(f"'Results' object has no attribute '{name}'")

    @property
    def log(self) -> pd.DataFrame:
        """The run's log (with replications: replication 0's): one row per entry, columns
        at_s (seconds from the start of the run), table, row, what, text, and one column per
        named value the entry carries."""
        entries = self._json.get("log")
        if entries is None:
            entries = next(iter(r.get("log") for r in self._json.get("runs", [])[:1]), None) or []
        rows = [{"at_s": e.get("at_s"), "table": e.get("table"), "row": e.get("row"), "what": e.get("what"),
                 "text": e.get("text"), **{k: _num(v) for k, v in (e.get("values") or {}).items()}}
                for e in entries]
        return pd.DataFrame(rows, columns=None if rows else ["at_s", "table", "row", "what", "text"])

    def _timeseries_json(self):
        if "timeseries" in self._json:
            return self._json["timeseries"]
        for run in self._json.get("runs", [])[:1]:
            return run.get("timeseries")
        return None

    @property
    def timeseries(self) -> pd.DataFrame:
        """Per window and request class, server, link direction or replication pair, long
        format: columns kind ("request", "server", "link" or "replication"), name, start_s,
        length_s, then throughput_per_s, count, errors, timeouts, retries, p50_s, p99_s
        (requests), utilization, mean_queue (servers), utilization, bytes (links) or
        backlog, lag_p99_s (replication pairs). The per-window series of published tables
        follow, with kind = the table's name. Empty when the run kept no time series.
        With replications: those of replication 0."""
        if "timeseries" in self._cache:
            return self._cache["timeseries"]
        ts = self._timeseries_json()
        frames = []
        if ts:
            start, length = ts.get("start_s", []), ts.get("length_s", [])
            # (series components added to a core table are in its rows already)
            for kind in ("requests", "servers", "links", "replication") + \
                    tuple(t for t in self.recorded if t not in CORE_TABLES):
                for name, cols in ts.get(kind, {}).items():
                    df = pd.DataFrame({k: [_num(x) for x in v] for k, v in cols.items()
                                       if isinstance(v, list) and len(v) == len(start)})
                    df.insert(0, "length_s", length)
                    df.insert(0, "start_s", start)
                    df.insert(0, "name", name)
                    df.insert(0, "kind", _KIND_OF_SERIES.get(kind, kind))
                    frames.append(df)
        df = pd.concat(frames, ignore_index=True) if frames else \
            pd.DataFrame(columns=["kind", "name", "start_s", "length_s"])
        self._cache["timeseries"] = df
        return df

    @property
    def runs(self) -> pd.DataFrame:
        """One row per replication and request class: replication, seed, request, count,
        throughput_per_s, errors, mean_s .. max_s (what each run measured on its own)."""
        rows = []
        for i, run in enumerate(self._runs):
            for name, v in run.get("requests", {}).items():
                row = {"replication": i, "seed": run.get("seed"), "request": name, "count": v.get("count"),
                       "throughput_per_s": v.get("throughput_per_s"), "errors": v.get("errors")}
                for k in _LATENCY:
                    row[f"{k}_s"] = _num(v.get("latency_s", {}).get(k))
                rows.append(row)
        return pd.DataFrame(rows)

    # -- quantiles ------------------------------------------------------------------------
    def quantile(self, q, request: str | None = None):
        """Latency quantile(s) in seconds of ``request`` (``workload/op``; default: every
        class, as a Series), from the pooled histogram. ``q`` in (0, 1), a number or a list;
        interpolated between the kept probabilities (QUANTILE_GRID) and exact at p50, p90,
        p95, p99, p999."""
        names = [request] if request is not None else list(self._quantiles)
        if request is not None and request not in self._quantiles:
            raise KeyError(f"no request class '{request}' (have: {', '.join(self._quantiles)})")
        qs = np.atleast_1d(np.asarray(q, dtype=float))
        out = {}
        for name in names:
            ys = np.array([_num(v) for v in self._quantiles[name]], dtype=float)
            out[name] = np.interp(qs, QUANTILE_GRID, ys) if np.isfinite(ys).all() else np.full(len(qs), np.nan)
        if request is not None:
            return float(out[request][0]) if np.ndim(q) == 0 else pd.Series(out[request], index=qs, name=request)
        if np.ndim(q) == 0:
            return pd.Series({n: float(v[0]) for n, v in out.items()}, name=f"q{float(q)}")
        return pd.DataFrame(out, index=pd.Index(qs, name="q"))

    def quantiles(self) -> pd.DataFrame:
        """Latency (seconds) at every kept probability: rows q, one column per request class."""
        return pd.DataFrame({n: [_num(v) for v in vs] for n, vs in self._quantiles.items()},
                            index=pd.Index(QUANTILE_GRID, name="q"))

    # -- display --------------------------------------------------------------------------
    @property
    def plot(self):
        """Plots with matplotlib: ``latency_cdf()``, ``timeseries(...)``, ``utilization()``."""
        from .plot import Plotter

        return Plotter(self)

    def to_html(self, path=None) -> str:
        """The HTML report of these results (s2sim/report.py): the page's text, also written to
        ``path`` when given."""
        from . import report

        return report.write(self, path).read_text(encoding="utf-8") if path is not None else report.render(self)

    def summary(self) -> str:
        head = (f"scenario '{self.scenario}'  seed {self.seed}  replications {self.replications}  "
                f"{self.simulated_s:g} s simulated")
        if self.partial:
            head += f"  PARTIAL ({self.partial})"
        return head

    def __repr__(self):
        return f"<s2sim.Results {self.summary()}, {len(self.requests)} request classes>"

    def _repr_html_(self):
        req = self.requests
        cols = [c for c in ["count", "throughput_per_s", "errors", "mean_s", "p50_s", "p99_s", "max_s",
                            "p99_s_ci95"] if c in req.columns]
        table = req[cols].copy()
        for c in cols:
            if c.endswith("_s") or c.endswith("_s_ci95"):
                table[c] = table[c] * 1e3
        table.columns = [c.replace("_s_ci95", " ±ms").replace("_s", " ms") for c in cols]
        srv = self.servers
        busiest = srv.sort_values("utilization", ascending=False).head(8)[["utilization", "mean_queue"]] \
            if len(srv) else srv
        return (f"<div><b>s2sim results</b>: {html.escape(self.summary())}"
                f"{table.to_html(float_format=lambda x: f'{x:.3f}', na_rep='-')}"
                f"<p>busiest servers</p>{busiest.to_html(float_format=lambda x: f'{x:.3f}')}</div>")


#: The five tables every run has (``Results.<name>``); published ones come after.
CORE_TABLES = ("requests", "ops", "servers", "links", "replication")
_KIND_OF_SERIES = {"requests": "request", "servers": "server", "links": "link", "replication": "replication"}


def _latency_base(name: str) -> str:
    return name[:-2] if len(name) > 2 and name.endswith("_s") else name


def _recorded_frame(rows_json: dict, spec: dict) -> pd.DataFrame:
    """A published table's DataFrame, with the columns of its CSV file (see Results.table)."""
    kinds = spec.get("kinds", {})
    rows = []
    for name, v in rows_json.items():
        ci = v.get("ci95") or {}
        per = v.get("per_replication") or {}
        with_ci = "ci95" in v
        row = {spec.get("row_key", "name"): name}
        for fig, kind in kinds.items():
            x = v.get(fig)
            if kind == "counter":
                row[fig] = _num(x)
                if with_ci:
                    row[f"{fig}_per_replication"] = _num(per.get(fig))
                    row[f"{fig}_per_replication_ci95"] = _num(ci.get(fig))
            elif kind == "latency":
                base = _latency_base(fig)
                for k in _LATENCY:
                    row[f"{base}_{k}_s"] = _num((x or {}).get(k))
                    if with_ci:
                        row[f"{base}_{k}_s_ci95"] = _num((ci.get(fig) or {}).get(k))
            elif kind == "level":
                row[fig] = _num((x or {}).get("mean"))
                if with_ci:
                    row[f"{fig}_ci95"] = _num(ci.get(fig))
                row[f"{fig}_max"] = _num((x or {}).get("max"))
            else:
                row[fig] = _num(x)
                if with_ci:
                    row[f"{fig}_ci95"] = _num(ci.get(fig))
        rows.append(row)
    index = spec.get("row_key", "name")
    return (pd.DataFrame(rows) if rows else pd.DataFrame(columns=[index])).set_index(index)


def _latency_cols():
    return [f"{k}_s" for k in _LATENCY]

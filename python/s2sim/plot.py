"""Plots of Results with matplotlib. Each method draws on ``ax`` (default: a new figure)
and returns the Axes; nothing calls ``show()``, so it works under the Agg backend too."""

from __future__ import annotations

import itertools

import numpy as np


#: Units of the time-series figures, for results JSON written before it carried "units".
_FALLBACK_UNITS = {
    "request": {"count": "requests", "throughput_per_s": "1/s", "errors": "requests", "p50_s": "s", "p99_s": "s",
                "timeouts": "requests", "retries": "retries"},
    "server": {"utilization": "fraction", "mean_queue": "jobs"},
    "link": {"utilization": "fraction", "bytes": "bytes"},
    "replication": {"backlog": "writes", "lag_p99_s": "s"},
}
_TIME_SCALE = {"s": 1.0, "ms": 1e3, "us": 1e6}
_event_marks = itertools.count()


def plain_log_ticks(axis):
    """Log-scale ticks as plain numbers (2, 5, 10, 20 rather than 2x10^0)."""
    from matplotlib.ticker import FuncFormatter, LogLocator

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(FuncFormatter(lambda v, _: ""))


def _axes(ax, figsize=(7, 4)):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


class Plotter:
    def __init__(self, results):
        self._r = results

    def latency_cdf(self, requests=None, ax=None, label: str | None = None, unit: str = "ms", logx: bool = True):
        """The CDF of end-to-end latency of each request class (or of ``requests``, a name or a
        list). ``label`` prefixes the legend entries (handy to overlay designs on one ``ax``)."""
        from .results import QUANTILE_GRID

        ax = _axes(ax)
        scale = {"s": 1.0, "ms": 1e3, "us": 1e6}[unit]
        table = self._r.quantiles()
        names = list(table.columns) if requests is None else ([requests] if isinstance(requests, str) else requests)
        for name in names:
            ys = table[name].to_numpy(dtype=float)
            if not np.isfinite(ys).all():
                continue
            ax.plot(ys * scale, QUANTILE_GRID, label=f"{label}: {name}" if label else name)
        if logx:
            ax.set_xscale("log")
            plain_log_ticks(ax.xaxis)
        ax.set_title("latency of the requests that succeeded")
        ax.set_xlabel(f"latency ({unit})")
        ax.set_ylabel("fraction of requests")
        ax.set_ylim(0, 1)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="small")
        return ax

    def unit_of(self, kind: str, figure: str) -> str:
        """The unit of time-series ``figure`` of ``kind`` (request, server, link, replication),
        as the results JSON declares it ("s", "1/s", "fraction", "bytes", or what is counted)."""
        declared = (self._r.json.get("units") or {}).get("timeseries", {})
        table = {"request": "requests", "server": "servers", "link": "links"}.get(kind, kind)
        unit = declared.get(table, {}).get(figure) or _FALLBACK_UNITS.get(kind, {}).get(figure)
        if unit is None:
            raise ValueError(f"no unit known for {kind} figure '{figure}'")
        return unit

    def timeseries(self, figure: str = "p99_s", names=None, kind: str | None = None, ax=None, unit: str = "ms",
                   events: bool = True):
        """One line per request class (server, link direction or replication pair) of
        ``figure`` over simulated time: ``throughput_per_s``, ``p50_s``, ``p99_s``, ``count``,
        ``errors``, ``timeouts``, ``retries`` (requests); ``utilization``, ``mean_queue``
        (servers); ``utilization``, ``bytes`` (links, ``kind="link"``); ``backlog``,
        ``lag_p99_s`` (replication); the series of a table the model publishes (``kind`` =
        its name, found from ``figure`` when omitted). Units come from the results: seconds
        are drawn in ``unit`` (ms by default), fractions in percent. With ``events``, the
        scenario's ``[[event]]``s (failures, recoveries, slowdowns) and the random failures
        and recoveries of ``[[failure]]`` are marked: a dotted line at each (dash-dotted for
        random ones), and a shaded span while one with a ``for`` lasts."""
        ts = self._r.timeseries
        if ts.empty:
            raise ValueError("these results have no time series")
        if kind is None:
            kind = {"utilization": "server", "mean_queue": "server", "bytes": "link", "backlog": "replication",
                    "lag_p99_s": "replication"}.get(figure)
        if kind is None:
            # A request figure, else the first published table with a series of that name.
            has = [k for k in ts["kind"].unique() if figure in ts.columns and ts.loc[ts["kind"] == k, figure].notna().any()]
            kind = "request" if "request" in has or not has else has[0]
        ts = ts[ts["kind"] == kind]
        columns = [c for c in ts.columns if c not in ("kind", "name", "start_s", "length_s") and ts[c].notna().any()]
        if figure not in columns:
            raise ValueError(f"unknown {kind} figure '{figure}' (expected one of: {', '.join(columns)})")
        figure_unit = self.unit_of(kind, figure)
        if figure_unit == "s":
            scale, label = _TIME_SCALE[unit], f"{figure} ({unit})"
        elif figure_unit == "fraction":
            scale, label = 100.0, f"{figure} (%)"
        else:
            scale, label = 1.0, f"{figure} ({figure_unit})"
        ax = _axes(ax)
        wanted = None if names is None else ([names] if isinstance(names, str) else list(names))
        for name, part in ts.groupby("name", sort=False):
            if wanted is None or name in wanted:
                ax.step(part["start_s"], part[figure] * scale, where="post", label=name)
        if events:
            self._mark_events(ax)
        ax.set_title(f"{figure} per {self._window_text()} window ({kind})")
        ax.set_xlabel("simulated time (s)")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
        return ax

    def _timeseries_json(self) -> dict:
        return self._r.json.get("timeseries") or next(
            iter(r.get("timeseries") for r in self._r.json.get("runs", []) if r.get("timeseries")), None) or {}

    def _window_text(self) -> str:
        ts = self._timeseries_json()
        return f"{ts['window_s']:g} s" if "window_s" in ts else ""

    def events(self) -> list[dict]:
        """The scenario's ``[[event]]``s and the random failures and recoveries of its
        ``[[failure]]``s, as the time series carry them: at_s, action, target, for_s, and
        ``random: True`` for the random ones."""
        return list(self._timeseries_json().get("events", []))

    def _mark_events(self, ax):
        ts = self._timeseries_json()
        start, length = ts.get("start_s", []), ts.get("length_s", [])
        if not start:
            return
        first, last = start[0], start[-1] + length[-1]
        for i, e in enumerate(self.events()):
            at = e["at_s"]
            if not first <= at <= last:
                continue
            color = {"fail": "tab:red", "slow": "tab:orange"}.get(e["action"], "tab:green")
            line = ax.axvline(at, color=color, linestyle="-." if e.get("random") else ":", linewidth=1)
            # an id in SVG output (s2sim-event-<event index>-<mark>), so a report can be checked
            line.set_gid(f"s2sim-event-{i}-{next(_event_marks)}")
            if e.get("for_s"):
                ax.axvspan(at, min(at + e["for_s"], last), color=color, alpha=0.08)
            text = f"{e['action']} {e['target']}" + (" (random)" if e.get("random") else "")
            ax.annotate(text, (at, 0.98), xycoords=("data", "axes fraction"),
                        rotation=90, va="top", ha="right", fontsize="x-small", color=color)

    def utilization(self, ax=None, top: int = 20):
        """Horizontal bars of the utilisation of the ``top`` busiest servers (with 95% CI
        whiskers when there are replications)."""
        srv = self._r.servers.sort_values("utilization", ascending=True).tail(top)
        ax = _axes(ax, figsize=(7, max(2.5, 0.3 * len(srv) + 1)))
        err = srv["utilization_ci95"].to_numpy() if "utilization_ci95" in srv.columns else None
        ax.barh(srv.index, srv["utilization"], xerr=err)
        ax.set_xlim(0, max(1.0, float(srv["utilization"].max()) if len(srv) else 1.0))
        ax.set_xlabel("utilisation (busy fraction of cores)")
        ax.grid(True, axis="x", alpha=0.3)
        return ax

    # -- added for the HTML report (s2sim/report.py); notebooks use them as they are ---------------

    def heatmap(self, figure: str = "utilization", kind: str = "server", ax=None, top: int | None = None,
                events: bool = True):
        """``figure`` of every server (``kind="server"``) or link direction (``"link"``) per
        window, as a heat map: one row per name, one column per window (fractions in percent).
        ``top``: only the rows with the largest mean. Scheduled events are marked as in
        ``timeseries``."""
        ts = self._timeseries_json()
        table = {"server": "servers", "link": "links"}.get(kind, kind)
        rows = (ts or {}).get(table) or {}
        start, length = (ts or {}).get("start_s", []), (ts or {}).get("length_s", [])
        if not rows or not start:
            raise ValueError(f"these results have no {kind} time series")
        names = [n for n in rows if figure in rows[n]]
        if not names:
            raise ValueError(f"unknown {kind} figure '{figure}'")
        matrix = np.array([[np.nan if v is None else v for v in rows[n][figure]] for n in names], dtype=float)
        if top is not None and len(names) > top:
            keep = np.argsort(-np.nan_to_num(np.nanmean(matrix, axis=1), nan=-1.0), kind="stable")[:top]
            keep = sorted(keep)
            names, matrix = [names[i] for i in keep], matrix[keep]
        unit = self.unit_of(kind, figure)
        scale = 100.0 if unit == "fraction" else 1.0
        ax = _axes(ax, figsize=(8, max(2.5, 0.22 * len(names) + 1)))
        edges = list(start) + [start[-1] + length[-1]]
        mesh = ax.pcolormesh(edges, np.arange(len(names) + 1), matrix * scale, cmap="YlOrRd",
                             vmin=0, vmax=100 if unit == "fraction" else None, shading="flat", rasterized=True)
        ax.set_yticks(np.arange(len(names)) + 0.5)
        ax.set_yticklabels(names, fontsize="x-small")
        ax.invert_yaxis()
        ax.figure.colorbar(mesh, ax=ax, label=f"{figure} ({'%' if unit == 'fraction' else unit})", pad=0.01)
        if events:
            self._mark_events(ax)
        ax.set_title(f"{figure} per {self._window_text()} window ({kind}s)")
        ax.set_xlabel("simulated time (s)")
        return ax

    def recorded_series(self, table: str, series: str, ax=None, unit: str = "ms", events: bool = True):
        """A per-window series of a table published through the Recorder (the JSON's
        ``timeseries[table][row][series]``), one line per row, in the unit of
        ``units.timeseries[table][series]``."""
        ts = self._timeseries_json()
        rows = (ts or {}).get(table) or {}
        start = (ts or {}).get("start_s", [])
        if not rows or not start:
            raise ValueError(f"no time series of table '{table}'")
        declared = ((self._r.json.get("units") or {}).get("timeseries") or {}).get(table, {}).get(series, "")
        if declared == "s":
            scale, label = _TIME_SCALE[unit], f"{series} ({unit})"
        elif declared == "fraction":
            scale, label = 100.0, f"{series} (%)"
        else:
            scale, label = 1.0, f"{series} ({declared})" if declared else series
        ax = _axes(ax)
        drawn = 0
        for name, values in rows.items():
            if series in values and len(values[series]) == len(start):
                ys = np.array([np.nan if v is None else v for v in values[series]], dtype=float)
                ax.step(start, ys * scale, where="post", label=name)
                drawn += 1
        if not drawn:
            raise ValueError(f"table '{table}' has no series '{series}'")
        if events:
            self._mark_events(ax)
        ax.set_title(f"{table}: {series} per {self._window_text()} window")
        ax.set_xlabel("simulated time (s)")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        if drawn <= 12:
            ax.legend(fontsize="small")
        return ax


_COMPARE_UNITS = {"mean": "s", "p50": "s", "p99": "s", "lag_mean": "s", "lag_p99": "s", "throughput_per_s": "1/s",
                  "error_rate": "fraction", "utilization": "fraction"}


def _scaled(figure: str, unit: str = "ms"):
    kind = _COMPARE_UNITS.get(figure, "")
    if kind == "s":
        return _TIME_SCALE[unit], f"{figure} ({unit})"
    if kind == "fraction":
        return 100.0, f"{figure} (%)"
    return 1.0, f"{figure} ({kind})" if kind else figure


def compare_figure(data: dict, kind: str = "request", figure: str = "p99", ax=None, unit: str = "ms"):
    """Grouped horizontal bars of ``figure`` of every ``kind`` row (request, op, group, link,
    replication) of a comparison's JSON (``s2sim compare --json``), one bar per design with
    its 95% CI; a star marks the differences from the first design that are significant."""
    rows = [r for r in data.get("rows", []) if r["kind"] == kind and r["figure"] == figure]
    if not rows:
        raise ValueError(f"no {kind} rows of figure '{figure}'")
    designs = data["designs"]
    scale, label = _scaled(figure, unit)
    ax = _axes(ax, figsize=(7, max(2.5, 0.3 * len(rows) * len(designs) + 1)))
    height = 0.8 / len(designs)
    for i, design in enumerate(designs):
        values = [((r["values"][i] or {}).get("value")) for r in rows]
        cis = [((r["values"][i] or {}).get("ci95")) for r in rows]
        ys = np.arange(len(rows)) + i * height
        xs = np.array([np.nan if v is None else v for v in values], dtype=float) * scale
        err = np.array([0 if c is None else c for c in cis], dtype=float) * scale
        ax.barh(ys, xs, height=height, xerr=err, label=design, capsize=2)
        for r, y, x in zip(rows, ys, xs):
            diff = r["differences"][i] if i < len(r["differences"]) else None
            if diff and diff.get("significant") and np.isfinite(x):
                ax.annotate("*", (x, y), xytext=(4, -3), textcoords="offset points", fontsize="small")
    ax.set_yticks(np.arange(len(rows)) + 0.4 - height / 2)
    ax.set_yticklabels([r["name"] for r in rows], fontsize="small")
    ax.invert_yaxis()
    ax.set_xlabel(label)
    ax.set_title(f"{figure} per {kind} (* significant difference from {designs[0]})")
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(fontsize="small")
    return ax


def sweep_figure(data: dict, table: str = "requests", name: str | None = None, figure: str = "p99", ax=None,
                 unit: str = "ms"):
    """``figure`` of row ``name`` of ``table`` at every point of a sweep's JSON (``s2sim sweep
    --json``), against the first parameter, one line per combination of the others, with 95%
    CI bars. ``table="servers"`` with ``name=None`` draws the busiest server's utilisation.
    Latency figures (mean, p50, ..., p99) are read from ``latency_s``."""
    params = data["params"]
    points = data["points"]
    if not points:
        raise ValueError("the sweep has no points")
    x_key, others = params[0], params[1:]
    scale, label = _scaled(figure, unit)
    lines = {}
    for p in points:
        rows = p["results"].get(table) or {}
        if name is None:
            if not rows:
                continue
            row_name = max(rows, key=lambda n: rows[n].get(figure) or 0)
        else:
            row_name = name
        row = rows.get(row_name)
        if row is None:
            continue
        value = (row.get("latency_s") or {}).get(figure) if figure in ("mean", "p50", "p90", "p95", "p99", "p999",
                                                                        "max") else row.get(figure)
        ci = (row.get("ci95") or {}).get(figure)
        key = tuple(str(p["values"].get(k)) for k in others)
        lines.setdefault(key, []).append((p["values"].get(x_key), value, ci))
    if not lines:
        raise ValueError(f"no {table} row '{name}' in the sweep")
    ax = _axes(ax)
    categorical = any(not isinstance(x, (int, float)) or isinstance(x, bool) for pts in lines.values()
                      for x, _, _ in pts)
    categories = []
    for pts in lines.values():
        for x, _, _ in pts:
            if str(x) not in categories:
                categories.append(str(x))
    for key, pts in lines.items():
        xs = [categories.index(str(x)) if categorical else x for x, _, _ in pts]
        ys = np.array([np.nan if v is None else v for _, v, _ in pts], dtype=float) * scale
        err = np.array([0 if c is None else c for _, _, c in pts], dtype=float) * scale
        lbl = ", ".join(f"{k}={v}" for k, v in zip(others, key)) or None
        ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=lbl)
    if categorical:
        ax.set_xticks(range(len(categories)))
        ax.set_xticklabels(categories)
    elif all(isinstance(x, int) for pts in lines.values() for x, _, _ in pts):
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(x_key)
    ax.set_ylabel(label)
    what = name if name is not None else f"busiest of {table}"
    ax.set_title(f"{what}: {figure}")
    ax.grid(True, alpha=0.3)
    if others:
        ax.legend(fontsize="small")
    return ax

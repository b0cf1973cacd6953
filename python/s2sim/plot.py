"""Plots of Results with matplotlib. Each method draws on ``ax`` (default: a new figure)
and returns the Axes; nothing calls ``show()``, so it works under the Agg backend too."""

from __future__ import annotations

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
        for e in self.events():
            at = e["at_s"]
            if not first <= at <= last:
                continue
            color = {"fail": "tab:red", "slow": "tab:orange"}.get(e["action"], "tab:green")
            ax.axvline(at, color=color, linestyle="-." if e.get("random") else ":", linewidth=1)
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

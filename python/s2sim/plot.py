"""Plots of Results with matplotlib. Each method draws on ``ax`` (default: a new figure)
and returns the Axes; nothing calls ``show()``, so it works under the Agg backend too."""

from __future__ import annotations

import numpy as np


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
        ax.set_xlabel(f"latency ({unit})")
        ax.set_ylabel("fraction of requests")
        ax.set_ylim(0, 1)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="small")
        return ax

    def timeseries(self, figure: str = "p99_s", names=None, kind: str | None = None, ax=None, unit: str = "ms"):
        """One line per request class (or server) of ``figure`` over simulated time:
        ``throughput_per_s``, ``p50_s``, ``p99_s``, ``count``, ``errors`` (requests) or
        ``utilization``, ``mean_queue`` (servers)."""
        ts = self._r.timeseries
        if ts.empty:
            raise ValueError("these results have no time series")
        if kind is None:
            kind = "server" if figure in ("utilization", "mean_queue") else "request"
        ts = ts[ts["kind"] == kind]
        if figure not in ts.columns:
            raise ValueError(f"unknown figure '{figure}' (expected one of: "
                             f"{', '.join(c for c in ts.columns if c not in ('kind', 'name', 'start_s', 'length_s'))})")
        scale = {"s": 1.0, "ms": 1e3, "us": 1e6}[unit] if figure.endswith("_s") else 1.0
        ax = _axes(ax)
        wanted = None if names is None else ([names] if isinstance(names, str) else list(names))
        for name, part in ts.groupby("name", sort=False):
            if wanted is None or name in wanted:
                ax.step(part["start_s"], part[figure] * scale, where="post", label=name)
        ax.set_xlabel("simulated time (s)")
        ax.set_ylabel(figure.replace("_s", f" ({unit})") if figure.endswith("_s") else figure)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
        return ax

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

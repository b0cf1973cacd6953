"""The HTML report: one self-contained page (inline SVG and CSS, no script, no network) of the
results JSON of ``s2sim run`` (with or without ``-r``), ``s2sim compare`` or ``s2sim sweep``.

    python -m s2sim.report out.json -o out.html       # what `s2sim report` and `--html` run
    s2sim.report.write(results_json, "out.html")       # a dict, a Results, or a path
    res.to_html("out.html")                            # Results of Scenario.run

The charts are drawn by the plots of notebooks (``Results.plot``, s2sim/plot.py), as SVG; the
topology and the call graphs are laid out here (layered, no Graphviz needed). What the page
needs besides the figures is in the JSON: "model" (the scenario), "latency_cdf", "warnings" and
"command" (docs/report.md); a JSON without them still renders, with those parts left out.
"""

from __future__ import annotations

import argparse
import datetime
import html
import io
import json
import math
import os
import pathlib
import sys
import tempfile
from collections import defaultdict

import numpy as np

#: Tables of the results JSON drawn by their own sections; any other table that "units"
#: describes was published through the Recorder and is drawn generically.
_KNOWN_TABLES = {"requests", "ops", "servers", "links", "replication"}
_LATENCY_KEYS = ["mean", "p50", "p90", "p95", "p99", "p999", "max"]

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2329;margin:0;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:16px 24px 48px}
header{background:#1f3a5f;color:#fff;padding:18px 24px}
header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.85}
nav{margin:10px 0 0;font-size:13px}
nav a{color:#cfe0ff;margin-right:12px;text-decoration:none}
section{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:12px 18px;margin:16px 0;
  break-inside:avoid-page}
h2{font-size:18px;margin:4px 0 10px;color:#1f3a5f}
h3{font-size:15px;margin:14px 0 6px}
table{border-collapse:collapse;font-size:12.5px;margin:6px 0 10px}
th,td{border-bottom:1px solid #e6e9ed;padding:3px 8px;text-align:right;white-space:nowrap}
th{background:#f0f2f5;font-weight:600}
td:first-child,th:first-child{text-align:left}
td.sig{font-weight:700;color:#a4161a}
td.sig.better{color:#1b7f3b}
.ci{color:#6b7480;font-size:11px}
.few{color:#a86b00}
.muted{color:#6b7480}
.warn{background:#fff4e5;border-left:4px solid #f0a020;padding:6px 10px;margin:4px 0}
.bad{background:#fdecec;border-left:4px solid #d33;padding:6px 10px;margin:4px 0}
.chart{overflow-x:auto}
.chart svg{max-width:100%;height:auto}
.graph svg{max-width:100%;height:auto}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:8px}
code,kbd{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px;background:#f0f2f5;
  padding:1px 4px;border-radius:3px;word-break:break-all}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}
dl.facts dt{color:#6b7480}
dl.facts dd{margin:0}
@media print{body{background:#fff}header{background:#fff;color:#000}nav{display:none}
  section{border:none;padding:0}main{max-width:none}}
"""


# -- numbers -----------------------------------------------------------------------------------

def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _si(x: float, unit: str) -> str:
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= factor:
            return f"{x / factor:.3g} {prefix}{unit}"
    return f"{x:.3g} {unit}".rstrip()


def fmt_value(x, unit: str = "") -> str:
    """``x`` in ``unit`` as people read it: seconds in ms, fractions in %, bytes with a prefix."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return html.escape(str(x))
    if unit == "s":
        return f"{x * 1e3:.4g} ms"
    if unit == "fraction":
        return f"{x * 100:.3g} %"
    if unit == "bytes":
        return _si(x, "B")
    if unit == "1/s":
        return f"{x:.4g} /s"
    if isinstance(x, int) or float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}" + (f" {unit}" if unit and unit not in ("requests", "calls", "jobs") else "")
    return f"{x:.4g}" + (f" {unit}" if unit else "")


def fmt_ci(x, ci, unit: str = "") -> str:
    text = fmt_value(x, unit)
    if _finite(ci) and _finite(x):
        text += f' <span class="ci">±{fmt_value(ci, unit)}</span>'
    return text


def fmt_bandwidth(bytes_per_s: float) -> str:
    if not _finite(bytes_per_s):
        return "∞"
    return _si(bytes_per_s * 8, "bps")


def fmt_time(s: float) -> str:
    if not _finite(s):
        return "-"
    if s == 0:
        return "0 s"
    if s >= 7200:
        return f"{s / 3600:.4g} h"
    if s >= 600:
        return f"{s / 60:.4g} min"
    if s >= 1:
        return f"{s:.4g} s"
    if s >= 1e-3:
        return f"{s * 1e3:.4g} ms"
    return f"{s * 1e6:.4g} µs"


def _e(text) -> str:
    return html.escape(str(text), quote=True)


# -- charts (matplotlib, as inline SVG) ---------------------------------------------------------

def _figure(width: float = 7.2, height: float = 3.4):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def _svg(fig, chart_id: str) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": chart_id, "font.size": 9}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    return f'<div class="chart" id="{_e(chart_id)}">{text}</div>'


def _chart(draw, chart_id: str, width: float = 7.2, height: float = 3.4) -> str:
    """Runs ``draw(ax)`` on a new figure and returns it as inline SVG: "" when it raises
    ValueError (nothing to draw), a note saying why when the JSON holds something the chart
    cannot read (the rest of the page is still drawn)."""
    import matplotlib

    with matplotlib.rc_context({"font.size": 9, "svg.fonttype": "none"}):
        fig, ax = _figure(width, height)
        try:
            draw(ax)
        except ValueError:
            return ""
        except (KeyError, TypeError, IndexError) as e:
            return f'<p class="bad" id="{_e(chart_id)}">could not draw {_e(chart_id)}: {_e(type(e).__name__)} {_e(e)}</p>'
        return _svg(fig, chart_id)


# -- the layered drawings (topology, call graphs) ----------------------------------------------

_CHAR_W = 6.4   # px per character at the 11 px font of the drawings
_NODE_H = 24


def _text_width(text: str) -> float:
    return len(text) * _CHAR_W + 14


class _Svg:
    """A small SVG canvas: boxes, lines and labels, sized to what was drawn."""

    def __init__(self):
        self.parts: list[str] = []
        self.width = 0.0
        self.height = 0.0

    def grow(self, x, y):
        self.width, self.height = max(self.width, x), max(self.height, y)

    def rect(self, x, y, w, h, cls="", rx=5, fill="#fff", stroke="#5b6b7c", dash=None, title=None, extra=""):
        self.grow(x + w, y + h)
        d = f' stroke-dasharray="{dash}"' if dash else ""
        t = f"<title>{_e(title)}</title>" if title else ""
        self.parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{rx}" '
                          f'fill="{fill}" stroke="{stroke}"{d} class="{cls}"{extra}>{t}</rect>')

    def text(self, x, y, text, size=11, anchor="middle", color="#1d2329", weight="normal", cls=""):
        self.grow(x + (len(text) * _CHAR_W / 2 if anchor == "middle" else len(text) * _CHAR_W), y + 4)
        self.parts.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
                          f'fill="{color}" font-weight="{weight}" class="{cls}">{_e(text)}</text>')

    def line(self, x1, y1, x2, y2, color="#8796a5", width=1.2, dash=None, arrow=False, title=None, cls=""):
        d = f' stroke-dasharray="{dash}"' if dash else ""
        m = ' marker-end="url(#s2sim-arrow)"' if arrow else ""
        t = f"<title>{_e(title)}</title>" if title else ""
        self.parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{color}" '
                          f'stroke-width="{width}"{d}{m} class="{cls}">{t}</line>')

    def path(self, d, color="#8796a5", width=1.2, dash=None, arrow=False, title=None, cls=""):
        da = f' stroke-dasharray="{dash}"' if dash else ""
        m = ' marker-end="url(#s2sim-arrow)"' if arrow else ""
        t = f"<title>{_e(title)}</title>" if title else ""
        self.parts.append(f'<path d="{d}" fill="none" stroke="{color}" stroke-width="{width}"{da}{m} '
                          f'class="{cls}">{t}</path>')

    def render(self, label: str, cls: str, attrs: str = "") -> str:
        w, h = self.width + 12, self.height + 12
        defs = ('<defs><marker id="s2sim-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
                'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#6b7a89"/>'
                '</marker></defs>')
        return (f'<svg xmlns="http://www.w3.org/2000/svg" class="{cls}" {attrs} width="{w:.0f}" height="{h:.0f}" '
                f'viewBox="0 0 {w:.0f} {h:.0f}" role="img" aria-label="{_e(label)}" font-family="system-ui,sans-serif">'
                f'{defs}{"".join(self.parts)}</svg>')


def _node_style(kind: str):
    return {"server": ("#eef4fb", "#3d6a99", 4), "switch": ("#f4f1fa", "#6a55a0", 12),
            "client": ("#fff8e1", "#b08800", 12)}.get(kind, ("#fff", "#5b6b7c", 4))


def topology_svg(model: dict, utilization: dict | None = None) -> str:
    """The network: one box per site (nodes without a site in a box of their own), nodes in
    layers by their hop distance from the clients, links as lines, each [[link]] table labelled
    once with its bandwidth and latency (every line has its own label as a tooltip).
    ``utilization``: server name -> busy fraction, shown in the node."""
    nodes = model.get("nodes", [])
    links = model.get("links", [])
    if not nodes:
        return ""
    names = [n["name"] for n in nodes]
    adjacency = defaultdict(set)
    for link in links:
        adjacency[link["a"]].add(link["b"])
        adjacency[link["b"]].add(link["a"])
    # Layers: hops from the clients (from the switches when there is no client), so traffic
    # flows from the top of each site down to its servers.
    sources = [n["name"] for n in nodes if n["kind"] == "client"] or \
        [n["name"] for n in nodes if n["kind"] == "switch"]
    depth = {s: 0 for s in sources}
    frontier = list(sources)
    while frontier:
        nxt = []
        for name in frontier:
            for other in sorted(adjacency[name]):
                if other not in depth:
                    depth[other] = depth[name] + 1
                    nxt.append(other)
        frontier = nxt
    deepest = max(depth.values(), default=0)
    for n in nodes:  # unconnected nodes (no links): below everything
        depth.setdefault(n["name"], deepest + 1 if links else {"client": 0, "switch": 1}.get(n["kind"], 2))
    # A node without a site (a core switch) is drawn in the site of its neighbours when they
    # all agree, so a one-site data centre is one box; the others stay outside every box.
    site_of = {n["name"]: n.get("site") for n in nodes}
    changed = True
    while changed:
        changed = False
        for n in nodes:
            if site_of[n["name"]] is None:
                around = {site_of[o] for o in adjacency[n["name"]] if site_of[o] is not None}
                if len(around) == 1:
                    site_of[n["name"]] = around.pop()
                    changed = True
    sites = list(model.get("sites", []))
    by_site = defaultdict(list)
    for n in nodes:
        by_site[site_of[n["name"]]].append(n)
    groups = ([None] if by_site.get(None) else []) + [s for s in sites if by_site.get(s)]
    max_row_w = 1080.0
    svg = _Svg()
    pos = {}
    x0 = 6.0
    label_h = 20
    for site in groups:
        members = by_site[site]
        layers = defaultdict(list)
        for n in members:
            layers[depth[n["name"]]].append(n)
        rows = []
        order = {}  # position of each placed node, for the barycentre of the next layer
        for d in sorted(layers):
            layer = layers[d]

            def barycentre(n):
                above = [order[o] for o in adjacency[n["name"]] if o in order]
                return (sum(above) / len(above) if above else math.inf, n.get("group") or "", n["name"])

            layer = sorted(layer, key=barycentre)
            row, width = [], 0.0
            for n in layer:
                w = _text_width(n["name"]) + 10
                if row and width + w > max_row_w:
                    rows.append(row)
                    row, width = [], 0.0
                row.append(n)
                width += w
            if row:
                rows.append(row)
            for i, n in enumerate(layer):
                order[n["name"]] = i / max(1, len(layer) - 1)
        widths = [sum(_text_width(n["name"]) + 10 for n in row) - 10 for row in rows]
        inner_w = max(widths, default=80)
        y = 6 + label_h + 8
        for row, width in zip(rows, widths):
            x = x0 + 10 + (inner_w - width) / 2
            for n in row:
                w = _text_width(n["name"])
                pos[n["name"]] = (x, y, w)
                x += w + 10
            y += _NODE_H + 40
        box_h = y - 6 - 26
        if site is not None:
            svg.rect(x0, 6, inner_w + 20, box_h, cls="site", rx=10, fill="#fafbfc", stroke="#9aa7b4", dash="5,3",
                     extra=f' data-site="{_e(site)}"')
            svg.text(x0 + 10, 6 + 15, site, size=12, anchor="start", weight="bold", color="#1f3a5f", cls="site-label")
        x0 += inner_w + 20 + 24
    # links first, so nodes sit on top of them
    labelled = set()
    placed: list[tuple[float, float, float]] = []  # label centres and half widths
    for link in links:
        if link["a"] not in pos or link["b"] not in pos:
            continue
        ax, ay, aw = pos[link["a"]]
        bx, by, bw = pos[link["b"]]
        a = (ax + aw / 2, ay + _NODE_H / 2)
        b = (bx + bw / 2, by + _NODE_H / 2)
        bw_text = fmt_bandwidth(link["bandwidth_ab_bytes_per_s"])
        if link["bandwidth_ba_bytes_per_s"] != link["bandwidth_ab_bytes_per_s"]:
            bw_text += " / " + fmt_bandwidth(link["bandwidth_ba_bytes_per_s"])
        label = f"{bw_text}, {fmt_time(link['latency_s'])}"
        svg.line(*a, *b, title=f"{link['a']} -- {link['b']}: {label}", cls="link")
        if link.get("entry") not in labelled:
            labelled.add(link.get("entry"))
            # the point along the line where the label overlaps the fewest labels already placed
            half_w = len(label) * 2.9 + 3

            def overlaps(t):
                mx, my = a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])
                return sum(1 for (x, y, hw) in placed if abs(x - mx) < hw + half_w and abs(y - my) < 12), mx, my

            _, mx, my = min((overlaps(t) for t in (0.5, 0.35, 0.65, 0.25, 0.75, 0.8)), key=lambda o: o[0])
            placed.append((mx, my, half_w))
            svg.rect(mx - half_w, my - 8, 2 * half_w, 12, rx=3, fill="#ffffffd9", stroke="none")
            svg.text(mx, my + 2, label, size=9, color="#44505c", cls="link-label")
    for n in nodes:
        x, y, w = pos[n["name"]]
        fill, stroke, rx = _node_style(n["kind"])
        tip = f"{n['name']} ({n['kind']})"
        if n["kind"] == "server":
            tip += f": {n.get('cores', 1)} cores, {n.get('discipline', '')}"
        if n.get("site") is None:
            tip += ", no site"
        u = (utilization or {}).get(n["name"])
        if _finite(u):
            tip += f", {u * 100:.3g}% busy"
            fill = _heat(u)
        svg.rect(x, y, w, _NODE_H, cls=f"node {n['kind']}", rx=rx, fill=fill, stroke=stroke, title=tip,
                 extra=f' data-node="{_e(n["name"])}"')
        svg.text(x + w / 2, y + 16, n["name"], size=11)
    return svg.render("topology", "topology")


def _heat(u: float) -> str:
    """A light fill from blue-white (idle) to red (saturated)."""
    u = min(max(u, 0.0), 1.0)
    r, g, b = (int(238 + (250 - 238) * u), int(244 - (244 - 150) * u), int(251 - (251 - 140) * u))
    return f"#{r:02x}{g:02x}{b:02x}"


def call_graph_svg(model: dict, service: str, op: str, ops_figures: dict | None = None, request: str = "") -> str:
    """The calls one request of ``service.op`` makes, as a tree drawn left to right: each op
    a box (with its work and, when the results have it, its mean latency), each call an
    arrow labelled with its step (``1``, parallel calls ``2a`` ``2b``), dashed when async,
    dotted when probabilistic or optional, with its timeout and retries; replication to
    the replica servers with its mode."""
    services = {s["name"]: s for s in model.get("services", [])}
    ops_of = {(s["name"], o["name"]): o for s in services.values() for o in s["ops"]}
    if (service, op) not in ops_of:
        return ""
    # the tree, depth first; a call that would loop back is drawn once and not followed
    nodes, edges = [], []
    max_nodes = 160

    def visit(key, depth, path, label_kind):
        index = len(nodes)
        nodes.append({"key": key, "depth": depth, "kind": label_kind})
        if key[0] == "replica" or len(nodes) >= max_nodes:
            return index
        if key in path:
            nodes[index]["loop"] = True
            return index
        o = ops_of[key]
        path = path | {key}
        for number, step in enumerate(o.get("steps", []), start=1):
            for k, c in enumerate(step):
                tag = f"{number}{chr(ord('a') + k % 26)}" if len(step) > 1 else str(number)
                child = visit((c["service"], c["op"]), depth + 1, path, "op")
                edges.append((index, child, _call_label(tag, c),
                              "optional" if c["probability"] < 1 or not c["required"] else "sync"))
        for c in o.get("async", []):
            child = visit((c["service"], c["op"]), depth + 1, path, "op")
            edges.append((index, child, _call_label("async", c), "async"))
        rep = o.get("replicate")
        if rep:
            for server in rep["to"]:
                child = visit(("replica", server), depth + 1, path, "replica")
                edges.append((index, child, f"replicate ({rep['mode']})", "replicate"))
        return index

    visit((service, op), 0, frozenset(), "op")
    labels = []
    for n in nodes:
        kind, name = n["key"]
        if n["kind"] == "replica":
            labels.append((f"replica {name}", ""))
            continue
        o = ops_of[n["key"]]
        detail = f"work {o['work']}"
        if o.get("work_after"):
            detail += f" + {o['work_after']}"
        fig = (ops_figures or {}).get(f"{kind}.{name}")
        if fig and _finite((fig.get("latency_s") or {}).get("mean")):
            detail += f" · mean {fmt_time(fig['latency_s']['mean'])}"
        labels.append((f"{kind}.{name}" + (" (loop)" if n.get("loop") else ""), detail))
    col_w = [0.0] * (max(n["depth"] for n in nodes) + 1)
    for n, (title, detail) in zip(nodes, labels):
        col_w[n["depth"]] = max(col_w[n["depth"]], _text_width(title), len(detail) * 5.6 + 14)
    col_x = [6.0]
    for w in col_w[:-1]:
        col_x.append(col_x[-1] + w + 140)  # room for the call labels
    row_h = 46
    ys = {}
    for i, n in enumerate(nodes):  # depth-first order: each node its own row
        ys[i] = 6 + i * row_h
    svg = _Svg()
    for parent, child, label, style in edges:
        px = col_x[nodes[parent]["depth"]] + col_w[nodes[parent]["depth"]]
        py = ys[parent] + 17
        cx = col_x[nodes[child]["depth"]]
        cy = ys[child] + 17
        dash = {"async": "6,4", "optional": "2,3", "replicate": "2,3"}.get(style)
        color = {"replicate": "#8a6d3b", "async": "#5b7fa6"}.get(style, "#6b7a89")
        mid = px + 30
        svg.path(f"M{px:.1f},{py:.1f} L{mid:.1f},{py:.1f} L{mid:.1f},{cy:.1f} L{cx - 2:.1f},{cy:.1f}", color=color,
                 dash=dash, arrow=True, title=label, cls=f"call {style}")
        svg.text(mid + 6, cy - 5, label, size=9, anchor="start", color="#44505c", cls="call-label")
    for i, (n, (title, detail)) in enumerate(zip(nodes, labels)):
        x, y, w = col_x[n["depth"]], ys[i], col_w[n["depth"]]
        if n["kind"] == "replica":
            svg.rect(x, y, w, 34, cls="replica", rx=12, fill="#fbf6ec", stroke="#8a6d3b")
        else:
            svg.rect(x, y, w, 34, cls="op", rx=5, fill="#eef4fb" if i else "#dbe8f7", stroke="#3d6a99")
        svg.text(x + 7, y + 14, title, size=11, anchor="start", weight="bold" if i == 0 else "normal")
        if detail:
            svg.text(x + 7, y + 28, detail, size=9, anchor="start", color="#5b6672")
    if len(nodes) >= max_nodes:
        svg.text(6, 6 + len(nodes) * row_h + 10, f"(cut at {max_nodes} calls)", size=10, anchor="start")
    return svg.render(f"call graph of {request or service + '.' + op}", "callgraph",
                      f'data-request="{_e(request)}"')


def _call_label(tag: str, c: dict) -> str:
    label = tag
    if c.get("probability", 1) < 1:
        label += f" p={c['probability']:g}"
    if not c.get("required", True):
        label += " optional"
    if c.get("timeout_s") is not None:
        label += f" timeout {fmt_time(c['timeout_s'])}"
    if c.get("retries"):
        label += f" retries {c['retries']}"
    return label


# -- the page ------------------------------------------------------------------------------------

def _kind(data: dict) -> str:
    if "designs" in data and "rows" in data:
        return "compare"
    if "points" in data and "params" in data:
        return "sweep"
    if "requests" in data and ("servers" in data or "units" in data):
        return "run"
    raise ValueError("not an s2sim results JSON (expected the JSON of run, compare or sweep: "
                     "keys requests, designs or points)")


def _results(data: dict):
    """A Results over ``data`` whose quantiles are the JSON's "latency_cdf", so the plots of
    notebooks draw the page's charts."""
    from .results import QUANTILE_GRID, Results

    cdf = data.get("latency_cdf") or {}
    quantiles = {}
    qs = cdf.get("q") or []
    for name, values in (cdf.get("requests") or {}).items():
        ys = np.array([math.nan if v is None else v for v in values], dtype=float)
        if len(qs) == len(ys) and len(qs):
            quantiles[name] = list(np.interp(QUANTILE_GRID, qs, ys)) if np.isfinite(ys).all() else \
                [None] * len(QUANTILE_GRID)
    return Results(data, quantiles=quantiles)


class _Page:
    def __init__(self, title: str, subtitle: str):
        self.title, self.subtitle = title, subtitle
        self.sections: list[tuple[str, str, str]] = []

    def add(self, sid: str, heading: str, body: str):
        if body:
            self.sections.append((sid, heading, body))

    def html(self) -> str:
        nav = "".join(f'<a href="#{sid}">{_e(h)}</a>' for sid, h, _ in self.sections)
        body = "".join(f'<section id="{sid}"><h2>{_e(h)}</h2>{b}</section>' for sid, h, b in self.sections)
        return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                f'<meta name="generator" content="s2sim report">'
                f"<title>{_e(self.title)}</title><style>{_CSS}</style></head><body>"
                f"<header><h1>{_e(self.title)}</h1><p>{self.subtitle}</p><nav>{nav}</nav></header>"
                f"<main>{body}</main></body></html>\n")


def _facts(items) -> str:
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in items if v not in (None, ""))
    return f'<dl class="facts">{rows}</dl>'


def _table(header: list[str], rows: list[list[str]], cls: str = "", row_attrs: list[str] | None = None) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        attrs = row_attrs[i] if row_attrs else ""
        body.append(f"<tr {attrs}>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in row) + "</tr>")
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _reproduce(data: dict, command: str | None) -> list:
    return [("s2sim version", _e(data.get("s2sim", "?"))),
            ("command", f"<code>{_e(command)}</code>" if command else
             '<span class="muted">not recorded (results made from Python, or by an older s2sim)</span>'),
            ("seed", _e(data.get("seed", "?"))),
            ("replications", _e(data.get("replications", 1))),
            ("page made", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))]


def _warnings(data: dict, label: str = "") -> list[str]:
    """What s2sim warned about in ``data`` (one run or experiment): saturation (from the
    analytic estimate), partial results, percentiles resting on few samples."""
    out = []
    prefix = f"{label}: " if label else ""
    if data.get("partial"):
        out.append(f'<div class="bad">{_e(prefix)}the results are <b>partial</b>: {_e(data["partial"])}</div>')
    for w in data.get("warnings") or []:
        out.append(f'<div class="warn">{_e(prefix)}{_e(w)}</div>')
    few = []
    for table in ("requests", "ops", "replication"):
        for name, row in (data.get(table) or {}).items():
            for key in ("latency_s", "lag_s"):
                marked = (row.get(key) or {}).get("few_samples") if isinstance(row.get(key), dict) else None
                if marked:
                    few.append(f"{name} ({', '.join(marked)})")
    if few:
        shown = ", ".join(few[:12]) + (f" and {len(few) - 12} more" if len(few) > 12 else "")
        out.append(f'<div class="warn">{_e(prefix)}percentiles resting on fewer than 10 samples beyond them '
                   f'(marked ~): {_e(shown)}</div>')
    return out


def _scenario_sections(page: _Page, data: dict, model: dict | None, suffix: str = "", heading: str = ""):
    """Topology, call graphs and workloads of ``model``."""
    if not model:
        page.add("topology" + suffix, "Topology" + heading,
                 '<p class="muted">The results JSON carries no "model" (written by an older s2sim or by hand): '
                 "the topology and call graphs cannot be drawn.</p>")
        return
    util = {n: r.get("utilization") for n, r in (data.get("servers") or {}).items()}
    n_servers = sum(1 for n in model["nodes"] if n["kind"] == "server")
    def count(n, one, many):
        return f"{n} {one if n == 1 else many}"

    kinds = [n["kind"] for n in model["nodes"]]
    intro = (f"<p>{count(n_servers, 'server', 'servers')}, {count(kinds.count('switch'), 'switch', 'switches')}, "
             f"{count(kinds.count('client'), 'client', 'clients')} and {count(len(model['links']), 'link', 'links')}"
             f"{' in ' + count(len(model['sites']), 'site', 'sites') if model.get('sites') else ''}. "
             "Servers are shaded by utilisation (white idle, red busy)"
             + ("; each [[link]] is labelled once with its bandwidth and one-way latency (hover a line for its own)."
                if model["links"] else ". No network (no [[link]]): messages arrive at once, whatever their size.")
             + "</p>")
    page.add("topology" + suffix, "Topology" + heading, intro + f'<div class="graph">{topology_svg(model, util)}</div>')
    # one call graph per request class (workload/op)
    parts = []
    services = {s["name"]: s for s in model.get("services", [])}
    for w in model.get("workloads", []):
        entry = services.get(w["to"])
        mix = w.get("mix") or [{"op": o["name"], "weight": None} for o in (entry or {}).get("ops", [])]
        for m in mix:
            request = f"{w['name']}/{m['op']}"
            share = f" ({m['weight'] * 100:.3g}% of {w['name']})" if m.get("weight") is not None else ""
            svg = call_graph_svg(model, w["to"], m["op"], data.get("ops"), request)
            parts.append(f'<div class="callgraph-block" data-request="{_e(request)}"><h3>{_e(request)}'
                         f'<span class="muted">{_e(share)}</span></h3><div class="graph">{svg}</div></div>')
    legend = ('<p class="muted">Left to right: the op a request enters, then the calls it makes, in step order '
              "(<b>1</b>, <b>2</b>, …; parallel calls of one step <b>2a</b>, <b>2b</b>, joined when all return). "
              "Dashed: async (fire-and-forget); dotted: probabilistic or optional; brown: replication.</p>")
    page.add("calls" + suffix, "Call graphs" + heading, legend + "".join(parts))
    rows = []
    for w in model.get("workloads", []):
        mix = ", ".join(f"{m['op']} {m['weight'] * 100:.3g}%" for m in w.get("mix", [])) or "from the trace"
        keys = f"{w['keys']['count']:,} keys, skew {w['keys']['skew']:g}" if w.get("keys") else ""
        rows.append([_e(w["name"]), _e(w.get("from") or "-"), _e(w["to"]), f"<code>{_e(w['arrival'])}</code>",
                     _e(mix), _e(keys)])
    services_rows = [[_e(s["name"]), str(len(s["servers"])), _e(s["balancer"]),
                      _e(", ".join(o["name"] for o in s["ops"]))] for s in model.get("services", [])]
    page.add("workloads" + suffix, "Workloads and services" + heading,
             _table(["workload", "from", "to", "arrivals", "mix", "keys"], rows, "workloads")
             + _table(["service", "servers", "balancer", "ops"], services_rows, "services")
             + f'<p class="muted">Measured {fmt_time(model.get("duration_s"))} after a warm-up of '
               f'{"auto (MSER)" if model.get("warmup_auto") else fmt_time(model.get("warmup_s"))}; '
               f'time-series windows of {fmt_time(model.get("window_s"))}.</p>')


def _request_table(data: dict) -> str:
    units = (data.get("units") or {}).get("requests", {})
    header = ["request", "count", "throughput", "errors", "error rate", "mean", "p50", "p90", "p99", "p99.9", "max"]
    rows, attrs = [], []
    for name, r in (data.get("requests") or {}).items():
        ci = r.get("ci95") or {}
        lat = r.get("latency_s") or {}
        few = set(lat.get("few_samples") or [])
        count = r.get("count") or 0
        rate = r.get("error_rate", (r.get("errors", 0) / count) if count else None)

        def cell(k):
            text = fmt_ci(lat.get(k), ci.get(k), "s")
            return f'<span class="few">~{text}</span>' if k in few else text

        rows.append([_e(name), fmt_value(count), fmt_ci(r.get("throughput_per_s"), ci.get("throughput_per_s"),
                                                      units.get("throughput_per_s", "1/s")),
                     fmt_value(r.get("errors")), fmt_ci(rate, ci.get("error_rate"), "fraction")]
                    + [cell(k) for k in ("mean", "p50", "p90", "p99", "p999", "max")])
        attrs.append(f'class="request" data-request="{_e(name)}"')
    return _table(header, rows, "requests", attrs)


def _run_sections(page: _Page, data: dict):
    res = _results(data)
    plot = res.plot
    _scenario_sections(page, data, data.get("model"))
    # latency, throughput, errors per request class
    body = ""
    if res._quantiles:
        body += _chart(lambda ax: plot.latency_cdf(ax=ax), "chart-latency-cdf")
    else:
        body += ('<p class="muted">No "latency_cdf" in this JSON: the CDF is drawn through the percentiles '
                 "only.</p>") + _chart(lambda ax: _percentile_cdf(ax, data), "chart-latency-cdf")
    body += _request_table(data)
    body += ('<p class="muted">Latency of the requests that succeeded (failed ones are counted in errors). '
             "± : half-width of the 95% confidence interval over the replications; ~ : few samples.</p>")
    page.add("latency", "Requests: latency, throughput, errors", body)
    _timeseries_sections(page, data, res)
    # servers, links, replication tables
    servers = data.get("servers") or {}
    if servers:
        srows, sattrs = [], []
        for name, s in sorted(servers.items(), key=lambda kv: -(kv[1].get("utilization") or 0)):
            ci = s.get("ci95") or {}
            srows.append([_e(name), fmt_ci(s.get("utilization"), ci.get("utilization"), "fraction"),
                          fmt_ci(s.get("mean_queue"), ci.get("mean_queue")), fmt_value(s.get("max_queue")),
                          fmt_value(s.get("completed")), fmt_value(s.get("rejected"))]
                         + _added_cells(data, "servers", s))
            sattrs.append(f'data-server="{_e(name)}"')
        page.add("servers", "Servers",
                 _chart(lambda ax: plot.utilization(ax=ax, top=30), "chart-utilization",
                        height=max(2.5, 0.22 * min(30, len(servers)) + 1))
                 + _table(["server", "utilisation", "mean queue", "max queue", "completed", "rejected"]
                          + _added_header(data, "servers"), srows, "servers", sattrs))
    links = data.get("links") or {}
    if links:
        busiest = sorted(links.items(), key=lambda kv: -(kv[1].get("utilization") or 0))
        lrows = [[_e(n), fmt_ci(l.get("utilization"), (l.get("ci95") or {}).get("utilization"), "fraction"),
                  fmt_value(l.get("bytes"), "bytes")] + _added_cells(data, "links", l) for n, l in busiest[:25]]
        more = f'<p class="muted">The 25 busiest of {len(links)} link directions.</p>' if len(links) > 25 else ""
        page.add("links", "Links", _table(["link direction", "utilisation", "bytes"] + _added_header(data, "links"),
                                          lrows, "links") + more)
    rep = data.get("replication") or {}
    if rep:
        rrows = []
        for name, r in rep.items():
            lag, ci = r.get("lag_s") or {}, r.get("ci95") or {}
            rrows.append([_e(name), fmt_value(r.get("count")), fmt_value(r.get("failed")),
                          fmt_ci(lag.get("mean"), ci.get("lag_mean", ci.get("mean")), "s"),
                          fmt_ci(lag.get("p99"), ci.get("lag_p99", ci.get("p99")), "s"), fmt_value(lag.get("max"), "s"),
                          fmt_value((r.get("backlog") or {}).get("mean")), fmt_value((r.get("backlog") or {}).get("max"))])
        page.add("replication", "Replication",
                 _table(["service.op->replica", "writes", "failed", "lag mean", "lag p99", "lag max",
                         "backlog mean", "backlog max"], rrows, "replication"))
    _recorded_sections(page, data)


def _percentile_cdf(ax, data):
    """A CDF through the percentiles of the JSON, for results without "latency_cdf"."""
    points = [("p50", .5), ("p90", .9), ("p95", .95), ("p99", .99), ("p999", .999)]
    drawn = False
    for name, r in (data.get("requests") or {}).items():
        lat = r.get("latency_s") or {}
        xs = [lat.get(k) for k, _ in points]
        if all(_finite(x) for x in xs):
            ax.plot(np.array(xs) * 1e3, [q for _, q in points], marker="o", label=name)
            drawn = True
    if not drawn:
        raise ValueError("no latency")
    ax.set_xscale("log")
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("fraction of requests")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")


def _events_table(events: list[dict], first: float | None, last: float | None) -> str:
    if not events:
        return ""
    rows, attrs = [], []
    for i, e in enumerate(events):
        where = "" if first is None or first <= e["at_s"] <= last else \
            ('<span class="muted">in the warm-up: not charted</span>' if e["at_s"] < first else
             '<span class="muted">after the run</span>')
        rows.append([str(i + 1), fmt_time(e["at_s"]), _e(e["action"]), _e(e["target"]),
                     fmt_time(e["for_s"]) if e.get("for_s") else "stays", where])
        attrs.append(f'class="event" data-event="{i}" data-at="{e["at_s"]}"')
    return "<h3>Scheduled events</h3>" + _table(["#", "at", "action", "target", "for", ""], rows, "events", attrs)


def _timeseries_sections(page: _Page, data: dict, res):
    ts = res.plot._timeseries_json()
    if not ts or not ts.get("start_s"):
        return
    plot = res.plot
    start, length = ts["start_s"], ts["length_s"]
    first, last = start[0], start[-1] + length[-1]
    events = ts.get("events", [])
    note = (f'<p class="muted">Per window of {fmt_time(ts.get("window_s"))}'
            + (" (replication 1 of the experiment)" if "runs" in data and "timeseries" not in data else "")
            + ". Dotted lines: scheduled events (red fail, green recover, orange slow), shaded while one lasts.</p>")
    charts = []
    for figure in ("throughput_per_s", "p99_s", "errors"):
        charts.append(_chart(lambda ax, f=figure: plot.timeseries(f, kind="request", ax=ax), f"chart-ts-{figure}"))
    body = note + '<div class="grid">' + "".join(charts) + "</div>" + _events_table(events, first, last)
    page.add("timeseries", "Over time", body)
    servers = ts.get("servers") or {}
    if servers:
        page.add("heatmap", "Server utilisation over time",
                 _chart(lambda ax: plot.heatmap("utilization", kind="server", ax=ax), "chart-heat-servers",
                        height=max(2.5, 0.2 * len(servers) + 1.2)))
    links = ts.get("links") or {}
    if links:
        page.add("link-timeseries", "Link utilisation over time",
                 _chart(lambda ax: plot.heatmap("utilization", kind="link", ax=ax, top=30), "chart-heat-links",
                        height=max(2.5, 0.2 * min(30, len(links)) + 1.2))
                 + (f'<p class="muted">The 30 busiest of {len(links)} link directions.</p>' if len(links) > 30 else ""))
    if ts.get("replication"):
        page.add("replication-timeseries", "Replication lag and backlog over time",
                 '<div class="grid">'
                 + _chart(lambda ax: plot.timeseries("lag_p99_s", kind="replication", ax=ax), "chart-ts-lag")
                 + _chart(lambda ax: plot.timeseries("backlog", kind="replication", ax=ax), "chart-ts-backlog")
                 + "</div>")


def _added(data: dict, table: str) -> list[tuple[str, str]]:
    """(figure, kind) of the figures components added to core table ``table``."""
    kinds = ((data.get("recorded") or {}).get(table) or {}).get("kinds") or {}
    return list(kinds.items())


def _added_header(data: dict, table: str) -> list[str]:
    units = (data.get("units") or {}).get(table) or {}
    return [f"{_e(f)}{' mean' if k == 'latency' else ''} <span class='muted'>{_e(units.get(f, ''))}</span>"
            for f, k in _added(data, table)]


def _added_cells(data: dict, table: str, row: dict) -> list[str]:
    """The cells of the added figures of one row: counters' totals, latencies' and levels'
    means (± their CI with replications), values."""
    units = (data.get("units") or {}).get(table) or {}
    ci = row.get("ci95") or {}
    cells = []
    for f, kind in _added(data, table):
        v = row.get(f)
        if kind in ("latency", "level"):
            c = ci.get(f)
            cells.append(fmt_ci((v or {}).get("mean"), c.get("mean") if isinstance(c, dict) else c, units.get(f, "")))
        elif kind == "value":
            cells.append(fmt_ci(v, ci.get(f), units.get(f, "")))
        else:
            cells.append(fmt_value(v))
    return cells


def _recorded_sections(page: _Page, data: dict):
    """Every table published through the Recorder (a key of "units" that is not one of the
    five known tables), drawn from its units: a table of its rows, its per-window series,
    and the run's log."""
    units = data.get("units") or {}
    ts = data.get("timeseries") or {}
    for table, figure_units in units.items():
        if table in _KNOWN_TABLES or table == "timeseries" or not isinstance(data.get(table), dict):
            continue
        rows_json = data[table]
        columns = []
        for figure in figure_units:
            sample = next((r.get(figure) for r in rows_json.values() if isinstance(r, dict)), None)
            if isinstance(sample, dict):
                subs = [k for k in (_LATENCY_KEYS if "p50" in sample else sample) if k in sample and k != "few_samples"]
                columns += [(figure, k) for k in subs]
            else:
                columns.append((figure, None))
        header = ["row"] + [f"{_e(f)}{'.' + _e(k) if k else ''} <span class='muted'>{_e(figure_units[f])}</span>"
                            for f, k in columns]
        rows = []
        for name, r in rows_json.items():
            cells = [_e(name)]
            for f, k in columns:
                v = r.get(f)
                if k is not None:
                    v = v.get(k) if isinstance(v, dict) else None
                cells.append(fmt_value(v, figure_units[f]))
            rows.append(cells)
        body = _table(header, rows, f"recorded {table}")
        series = ts.get(table) or {}
        series_units = (units.get("timeseries") or {}).get(table, {})
        if series and ts.get("start_s"):
            res = _results(data)
            names = list(series_units) or sorted({k for v in series.values() for k in v})
            body += '<div class="grid">' + "".join(
                _chart(lambda ax, s=s: res.plot.recorded_series(table, s, ax=ax), f"chart-rec-{table}-{s}")
                for s in names) + "</div>"
        page.add(f"recorded-{table}", f"Recorded: {table}", body)
    log = data.get("log") or []
    if log:
        rows = [[fmt_time(e.get("at_s")), _e(e.get("table", "")), _e(e.get("row", "")), _e(e.get("what", "")),
                 _e(e.get("text", "")), _e(", ".join(f"{k}={v:.4g}" if _finite(v) else f"{k}={v}"
                                                    for k, v in (e.get("values") or {}).items()))]
                for e in log[:500]]
        more = f'<p class="muted">The first 500 of {len(log)} entries.</p>' if len(log) > 500 else ""
        page.add("log", "Log", _table(["at", "table", "row", "what", "", "values"], rows, "log") + more)


def _compare_sections(page: _Page, data: dict):
    from .plot import compare_figure

    designs = data["designs"]
    results = data.get("results") or {}
    reference = results.get(designs[0], {})
    page.add("designs", "Designs",
             _table(["design", "scenario", "replications", "events"],
                    [[_e(d) + (" <span class='muted'>(reference)</span>" if i == 0 else ""),
                      _e(results.get(d, {}).get("scenario", "")), _e(results.get(d, {}).get("replications", "")),
                      fmt_value(results.get(d, {}).get("events"))] for i, d in enumerate(designs)], "designs")
             + '<p class="muted">Every design ran the same replications with the same seeds (common random '
               "numbers): differences from the reference are paired by replication; <b>bold</b> ones are "
               "significant (the 95% interval of the difference excludes 0), the others are within noise.</p>")
    changes = []
    for d in designs[1:]:
        model, ref_model = results.get(d, {}).get("model"), reference.get("model")
        if model and ref_model:
            diff = model_differences(ref_model, model)
            diff = [x for x in diff if not x.startswith(("file:", "name:"))]
            changes.append(f"<li><b>{_e(d)}</b>: " + (_e("; ".join(diff)) if diff else "the same model") + "</li>")
    if changes:
        page.sections[-1] = (page.sections[-1][0], page.sections[-1][1], page.sections[-1][2]
                             + "<h3>What each design changes</h3><ul>" + "".join(changes) + "</ul>")
    rows_by_kind = defaultdict(list)
    for row in data["rows"]:
        rows_by_kind[row["kind"]].append(row)
    units = {"mean": "s", "p50": "s", "p99": "s", "lag_mean": "s", "lag_p99": "s", "throughput_per_s": "1/s",
             "error_rate": "fraction", "utilization": "fraction"}
    lower_is_better = {"mean", "p50", "p99", "lag_mean", "lag_p99", "error_rate", "utilization"}
    body = ""
    for kind, rows in rows_by_kind.items():
        header = [kind, "figure"] + [_e(d) for d in designs]
        cells, attrs = [], []
        for row in rows:
            unit = units.get(row["figure"], "")
            line = [_e(row["name"]), _e(row["figure"])]
            for i, d in enumerate(designs):
                v = row["values"][i] or {}
                text = fmt_ci(v.get("value"), v.get("ci95"), unit)
                diff = row["differences"][i] if i < len(row["differences"]) else None
                if diff:
                    sign = "+" if (diff.get("value") or 0) > 0 else ""
                    rel = f", {diff['relative'] * 100:+.3g}%" if _finite(diff.get("relative")) else ""
                    text += (f'<br><span class="ci">Δ {sign}{fmt_value(diff.get("value"), unit)} '
                             f'±{fmt_value(diff.get("ci95"), unit)}{rel}</span>')
                    if diff.get("significant"):
                        better = ((diff.get("value") or 0) < 0) == (row["figure"] in lower_is_better)
                        line.append(f'<td class="sig{" better" if better else ""}" data-significant="1">{text} *</td>')
                        continue
                    text += ' <span class="muted">(within noise)</span>'
                line.append(text)
            cells.append(line)
            attrs.append(f'data-kind="{_e(kind)}" data-name="{_e(row["name"])}" data-figure="{_e(row["figure"])}"')
        body += f"<h3>{_e(kind)}</h3>" + _table(header, cells, f"compare {kind}", attrs)
    table_body = body
    # charts: p99 and mean per request class, and the CDFs of every design overlaid
    charts = []
    for figure in ("p99", "mean", "throughput_per_s"):
        charts.append(_chart(lambda ax, f=figure: compare_figure(data, "request", f, ax=ax), f"chart-compare-{figure}",
                             height=max(2.6, 0.32 * len(designs) * max(1, len(rows_by_kind.get("request", [])) // 5)
                                        + 1.2)))
    cdfs = []
    for name in (reference.get("requests") or {}):
        def draw(ax, name=name):
            drawn = False
            for d in designs:
                res = _results(results.get(d, {}))
                if name in res._quantiles and all(v is not None for v in res._quantiles[name]):
                    res.plot.latency_cdf(requests=name, ax=ax, label=d)
                    drawn = True
            if not drawn:
                raise ValueError("no CDF")
            ax.set_title(f"{name}: latency of the requests that succeeded")
        cdfs.append(_chart(draw, f"chart-compare-cdf-{name}"))
    page.add("compare-charts", "Designs compared", '<div class="grid">' + "".join(charts + cdfs) + "</div>")
    page.add("compare", "Side by side: paired differences", table_body)
    warnings = [w for d in designs for w in _warnings(results.get(d, {}), d)]
    _scenario_sections(page, reference, reference.get("model"), "", f" ({designs[0]})")
    for d in designs[1:]:
        model = results.get(d, {}).get("model")
        if model and model != reference.get("model") and _topology_differs(model, reference.get("model")):
            _scenario_sections(page, results[d], model, "-" + _slug(d), f" ({d})")
    return warnings


def _drawn(model: dict) -> dict:
    """What the drawings show of a model (balancers and work are in the tables, not drawn)."""
    services = [{"name": sv["name"], "servers": sv["servers"],
                 "ops": [{k: o.get(k) for k in ("name", "steps", "async", "replicate")} for o in sv["ops"]]}
                for sv in model.get("services", [])]
    return {"nodes": model.get("nodes"), "links": model.get("links"), "services": services,
            "workloads": [{k: w.get(k) for k in ("name", "from", "to", "mix")} for w in model.get("workloads", [])]}


def _topology_differs(a: dict, b: dict | None) -> bool:
    return not b or _drawn(a) != _drawn(b)


def model_differences(a, b, path: str = "", limit: int = 12) -> list[str]:
    """Where model ``b`` differs from model ``a``: "services.search.balancer: round_robin ->
    power_of_two" (lists of named items are matched by name)."""
    out: list[str] = []

    def named(items):
        return isinstance(items, list) and items and all(isinstance(x, dict) and "name" in x for x in items)

    def walk(x, y, where):
        if len(out) >= limit:
            return
        if isinstance(x, dict) and isinstance(y, dict):
            for k in list(x) + [k for k in y if k not in x]:
                walk(x.get(k), y.get(k), f"{where}.{k}" if where else str(k))
        elif named(x) and named(y):
            xs, ys = {i["name"]: i for i in x}, {i["name"]: i for i in y}
            for k in list(xs) + [k for k in ys if k not in xs]:
                if k not in ys:
                    out.append(f"{where}.{k}: removed")
                elif k not in xs:
                    out.append(f"{where}.{k}: added")
                else:
                    walk(xs[k], ys[k], f"{where}.{k}")
        elif x != y:
            def short(v):
                text = json.dumps(v)
                return text if len(text) <= 60 else text[:57] + "..."
            out.append(f"{where}: {short(x)} -> {short(y)}")

    walk(a, b, path)
    return out


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text)


def _sweep_sections(page: _Page, data: dict):
    from .plot import sweep_figure

    params = data["params"]
    points = data["points"]
    page.add("points", "The grid",
             _table(params + ["replications", "partial"],
                    [[_e(p["values"].get(k)) for k in params]
                     + [_e(p["results"].get("replications", "")), _e(p["results"].get("partial", ""))]
                     for p in points], "points"))
    first = points[0]["results"] if points else {}
    charts = []
    for name in first.get("requests") or {}:
        for figure in ("p99", "mean", "throughput_per_s", "error_rate"):
            charts.append(_chart(lambda ax, n=name, f=figure: sweep_figure(data, "requests", n, f, ax=ax),
                                 f"chart-sweep-{_slug(name)}-{figure}"))
    charts.append(_chart(lambda ax: sweep_figure(data, "servers", None, "utilization", ax=ax),
                         "chart-sweep-busiest-server"))
    page.add("sweep", "Each figure against the parameters", '<div class="grid">' + "".join(c for c in charts if c)
             + "</div>")
    rows, attrs = [], []
    for p in points:
        for name, r in (p["results"].get("requests") or {}).items():
            ci = r.get("ci95") or {}
            lat = r.get("latency_s") or {}
            rows.append([_e(p["values"].get(k)) for k in params]
                        + [_e(name), fmt_ci(r.get("throughput_per_s"), ci.get("throughput_per_s"), "1/s"),
                           fmt_ci(r.get("error_rate"), ci.get("error_rate"), "fraction"),
                           fmt_ci(lat.get("mean"), ci.get("mean"), "s"), fmt_ci(lat.get("p99"), ci.get("p99"), "s")])
            attrs.append(f'class="request" data-request="{_e(name)}"')
    page.add("sweep-table", "Requests at each point",
             _table(params + ["request", "throughput", "error rate", "mean", "p99"], rows, "sweep", attrs))
    _scenario_sections(page, first, data.get("model"), "", " (the grid's base)")
    return [w for p in points for w in _warnings(p["results"], ", ".join(f"{k}={v}" for k, v in p["values"].items()))]


def render(data) -> str:
    """The HTML page of ``data``: a results JSON (dict), a path to one, or a Results."""
    from .results import Results

    if isinstance(data, Results):
        data = data.json
    elif isinstance(data, (str, os.PathLike)):
        data = json.loads(pathlib.Path(data).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not an s2sim results JSON (expected an object)")
    kind = _kind(data)
    command = data.get("command")
    if kind == "run":
        name = data.get("scenario", "?")
        title = f"s2sim: {name}"
        what = "run" if data.get("replications", 1) == 1 else f"{data['replications']} replications"
        subtitle = (f"{_e(what)} · seed {_e(data.get('seed'))} · {fmt_time(data.get('simulated_s'))} simulated"
                    + (" · <b>PARTIAL</b>" if data.get("partial") else ""))
    elif kind == "compare":
        title = f"s2sim compare: {' vs '.join(data['designs'])}"
        subtitle = f"{len(data['designs'])} designs · {_e(data.get('replications'))} replications each · seed {_e(data.get('seed'))}"
    else:
        title = f"s2sim sweep: {', '.join(data['params'])}"
        subtitle = f"{len(data['points'])} points"
    page = _Page(title, subtitle)
    page.add("summary", "Summary", "-")  # placeholder, filled below (first in the page)
    if kind == "run":
        warnings = _warnings(data)
        _run_sections(page, data)
        facts = [("scenario", _e(data.get("scenario"))), ("simulated", fmt_time(data.get("simulated_s"))),
                 ("events", fmt_value(data.get("events"))), ("wall-clock", fmt_time(data.get("wall_s")))]
    elif kind == "compare":
        warnings = _compare_sections(page, data)
        facts = [("designs", _e(", ".join(data["designs"])))]
    else:
        warnings = _sweep_sections(page, data)
        facts = [("parameters", _e(", ".join(data["params"]))), ("points", str(len(data["points"])))]
        data = {**data, "seed": data["points"][0]["results"].get("seed") if data["points"] else "?",
                "replications": data["points"][0]["results"].get("replications") if data["points"] else "?"}
    summary = _facts(facts + _reproduce(data, command))
    page.sections[0] = ("summary", "Summary", summary)
    page.sections.insert(1, ("warnings", "Warnings", "".join(warnings) if warnings else
                             '<p class="muted">None: no saturation predicted, no partial results, every '
                             "percentile rests on enough samples.</p>"))
    return page.html()


def write(data, path) -> pathlib.Path:
    """Writes the page of ``data`` (see render) to ``path`` through a temporary file and a
    rename, so a reader never sees half a page."""
    text = render(data)
    path = pathlib.Path(path)
    folder = path.resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(temp, 0o644)
        os.replace(temp, path.resolve() if path.is_symlink() else path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="s2sim report", description="Write the HTML report of a results JSON "
                                     "(of s2sim run, compare or sweep --json).")
    parser.add_argument("results", help="results JSON")
    parser.add_argument("-o", "--output", required=True, help="the HTML file to write")
    args = parser.parse_args(argv)
    try:
        text = pathlib.Path(args.results).read_text(encoding="utf-8")
    except OSError as e:
        print(f"s2sim: error: {args.results}: {e.strerror or e}", file=sys.stderr)
        return 2
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        print(f"{args.results}:{e.lineno}:{e.colno}: error: not JSON: {e.msg}", file=sys.stderr)
        return 2
    try:
        write(data, args.output)
    except ValueError as e:
        print(f"s2sim: error: {args.results}: {e}", file=sys.stderr)
        return 2
    except (KeyError, TypeError) as e:
        print(f"s2sim: error: {args.results}: not a results JSON s2sim can draw (missing or bad {e})",
              file=sys.stderr)
        return 2
    except OSError as e:
        print(f"s2sim: error: {args.output}: {e.strerror or e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

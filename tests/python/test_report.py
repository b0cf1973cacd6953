"""The HTML report (python/s2sim/report.py, `s2sim report`, `--html`, `Results.to_html`):
every bundled scenario, a comparison and a sweep render a page with every section, every
request class and every scheduled event, self-contained, and headless Chromium opens it
without a console message and draws something."""
import json
import pathlib
import re
import shutil
import subprocess
import tempfile

import pytest

import s2sim
from s2sim import report
from s2sim.__main__ import binary

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
# Full length where the page is judged on it (the size bound, the failure at 60 s);
# the others short, so the test stays quick.
FULL_LENGTH = {"ecommerce", "failover"}


def s2sim_cli(*args, check=True):
    done = subprocess.run([str(binary()), *map(str, args)], capture_output=True, text=True, cwd=ROOT)
    if check:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """{name: (results JSON, page text, page path)} of every bundled scenario, written by
    `run --json --html` (so the CLI path is the one tested)."""
    out = tmp_path_factory.mktemp("pages")
    made = {}
    for path in SCENARIOS:
        name = path.stem
        json_path, html_path = out / f"{name}.json", out / f"{name}.html"
        extra = [] if name in FULL_LENGTH else ["--duration", "8s", "--warmup", "1s"]
        s2sim_cli("run", path, "--quiet", "--json", json_path, "--html", html_path, *extra)
        made[name] = (json.loads(json_path.read_text()), html_path.read_text(), html_path)
    return made


@pytest.fixture(scope="module")
def compare_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    s2sim_cli("compare", ROOT / "scenarios" / "compare_lb.toml", "--variant", "p2c: service.search.balancer=power_of_two",
              "--variant", "least: service.search.balancer=least_connections", "-r", "3", "--duration", "20s",
              "--quiet", "--json", out / "c.json", "--html", out / "c.html")
    return json.loads((out / "c.json").read_text()), (out / "c.html").read_text(), out / "c.html"


@pytest.fixture(scope="module")
def sweep_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    s2sim_cli("sweep", ROOT / "scenarios" / "compare_lb.toml", "--param", "server.search.count=6,8",
              "--param", "service.search.balancer=round_robin,power_of_two", "-r", "2", "--duration", "10s",
              "--quiet", "--json", out / "s.json", "--html", out / "s.html")
    return json.loads((out / "s.json").read_text()), (out / "s.html").read_text(), out / "s.html"


def section_ids(page: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)"', page)


def attr(value: str) -> str:
    return report._e(value)


def assert_self_contained(page: str):
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert "<link" not in page
    # nothing fetched: no src/href pointing outside the page (xmlns declarations are names, not fetches)
    assert not re.search(r'(?:src|href)\s*=\s*["\']?(?:https?:|//|file:)', page)
    assert "could not draw" not in page  # every chart read its figures


@pytest.mark.parametrize("name", [p.stem for p in SCENARIOS])
def test_report_of_every_bundled_scenario(pages, name):
    data, page, _ = pages[name]
    assert_self_contained(page)
    ids = section_ids(page)
    for wanted in ("summary", "warnings", "topology", "calls", "workloads", "latency", "servers"):
        assert wanted in ids, wanted
    if data.get("timeseries", {}).get("start_s"):
        assert {"timeseries", "heatmap"} <= set(ids)
        assert 'id="chart-ts-throughput_per_s"' in page and 'id="chart-ts-p99_s"' in page
        assert 'id="chart-heat-servers"' in page
    if data.get("links"):
        assert "links" in ids
    if data.get("replication"):
        assert {"replication", "replication-timeseries"} <= set(ids)
    # every request class: its row of figures and its call graph
    for request in data["requests"]:
        assert f'class="request" data-request="{attr(request)}"' in page, request
        assert f'<div class="callgraph-block" data-request="{attr(request)}"' in page, request
    # every server of the model drawn in the topology, every site as a box
    for node in data["model"]["nodes"]:
        assert f'data-node="{attr(node["name"])}"' in page, node["name"]
    for site in data["model"]["sites"]:
        assert f'data-site="{attr(site)}"' in page, site
    # the reproduction facts
    assert f"<code>{attr(data['command'])}</code>" in page
    assert f"<dd>{data['s2sim']}</dd>" in page and f"<dt>seed</dt><dd>{data['seed']}</dd>" in page
    for warning in data["warnings"]:
        assert attr(warning) in page


def test_every_scheduled_event_is_marked(pages):
    data, page, _ = pages["failover"]
    ts = data["timeseries"]
    first, last = ts["start_s"][0], ts["start_s"][-1] + ts["length_s"][-1]
    assert ts["events"], "failover.toml schedules a failure"
    for i, event in enumerate(ts["events"]):
        assert f'data-event="{i}"' in page
        if first <= event["at_s"] <= last:
            # one marker per time-series chart: throughput, p99, errors, the two heat maps, lag, backlog
            marks = re.findall(rf'id="s2sim-event-{i}-\d+"', page)
            assert len(marks) >= 7, marks


def test_page_of_the_shop_stays_under_2_mb(pages):
    _, page, path = pages["ecommerce"]
    assert path.stat().st_size < 2_000_000


def test_report_of_a_comparison(compare_page):
    data, page, _ = compare_page
    assert_self_contained(page)
    ids = section_ids(page)
    for wanted in ("summary", "warnings", "designs", "compare-charts", "compare", "topology", "calls"):
        assert wanted in ids, wanted
    for design in data["designs"]:
        assert f"<th>{attr(design)}</th>" in page
    for row in data["rows"]:
        assert f'data-kind="{attr(row["kind"])}" data-name="{attr(row["name"])}" data-figure="{row["figure"]}"' in page
    significant = sum(1 for row in data["rows"] for d in row["differences"] if d and d["significant"])
    assert significant > 0, "p2c and least connections change the search latency"
    assert page.count('data-significant="1"') == significant
    # the model differences say what each variant changed
    assert "services.search.balancer: &quot;round_robin&quot; -&gt; &quot;power_of_two&quot;" in page
    for request in data["results"][data["designs"][0]]["requests"]:
        assert f'<div class="callgraph-block" data-request="{attr(request)}"' in page


def test_report_of_a_sweep(sweep_page):
    data, page, _ = sweep_page
    assert_self_contained(page)
    ids = section_ids(page)
    for wanted in ("summary", "warnings", "points", "sweep", "sweep-table", "topology", "calls"):
        assert wanted in ids, wanted
    for param in data["params"]:
        assert f"<th>{attr(param)}</th>" in page
    requests = data["points"][0]["results"]["requests"]
    for request in requests:
        for figure in ("p99", "mean", "throughput_per_s", "error_rate"):
            assert f'id="chart-sweep-{report._slug(request)}-{figure}"' in page
    assert page.count('class="request" data-request=') == len(data["points"]) * len(requests)


def test_results_to_html_from_python(small, tmp_path):
    res = small.run(seed=2)
    page = res.to_html(tmp_path / "small.html")
    assert (tmp_path / "small.html").read_text() == page
    assert {"topology", "calls", "latency", "timeseries"} <= set(section_ids(page))
    assert 'data-request="users/home"' in page
    assert "not recorded (results made from Python" in page  # no command line from Python


def test_recorded_tables_are_drawn_from_their_units(pages):
    """A table published through the Recorder (models/recorder.hpp) is drawn from "units":
    its rows, its per-window series and the log."""
    data = json.loads(json.dumps(pages["mm1"][0]))
    windows = len(data["timeseries"]["start_s"])
    data["connections"] = {"web->db": {"opened": 12, "handshake_s": {"mean": 0.002, "p99": 0.004},
                                       "open": {"mean": 3.5, "max": 7}}}
    data["units"]["connections"] = {"opened": "connections", "handshake_s": "s", "open": "connections"}
    data["units"]["timeseries"]["connections"] = {"opened": "connections"}
    data["timeseries"]["connections"] = {"web->db": {"opened": list(range(windows))}}
    data["log"] = [{"at_s": 3.0, "table": "connections", "row": "web->db", "what": "reset",
                    "text": "the pool was reset", "values": {"open": 7}}]
    page = report.render(data)
    assert "recorded-connections" in section_ids(page) and "log" in section_ids(page)
    assert "handshake_s.p99" in page and "4 ms" in page and "3.5 connections" in page
    assert 'id="chart-rec-connections-opened"' in page
    assert "the pool was reset" in page


def test_report_command_rejects_what_is_not_results(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    out = tmp_path / "bad.html"
    done = s2sim_cli("report", bad, "-o", out, check=False)
    assert done.returncode == 2
    assert "not an s2sim results JSON" in done.stderr
    assert not out.exists()
    bad.write_text("{oops")
    done = s2sim_cli("report", bad, "-o", out, check=False)
    assert done.returncode == 2 and f"{bad}:1:2: error: not JSON" in done.stderr


def test_report_command_renders_the_json_of_run(pages, tmp_path):
    data, page, _ = pages["multi_region"]
    src = tmp_path / "m.json"
    src.write_text(json.dumps(data))
    s2sim_cli("report", src, "-o", tmp_path / "m.html")
    again = (tmp_path / "m.html").read_text()
    # the same page but for the time it was made
    stamp = re.compile(r"<dt>page made</dt><dd>[^<]*</dd>")
    assert stamp.sub("", again) == stamp.sub("", page)


def test_graph_draws_the_call_graph_and_groups_sites(tmp_path):
    calls = s2sim_cli("graph", "--calls", ROOT / "scenarios" / "ecommerce.toml").stdout
    assert calls.startswith("digraph calls {")
    model = json.loads(s2sim_cli("run", ROOT / "scenarios" / "ecommerce.toml", "--duration", "1s", "--warmup", "0s",
                                 "--quiet", "--json", tmp_path / "e.json") and (tmp_path / "e.json").read_text())["model"]
    for service in model["services"]:
        assert f'subgraph "cluster_{service["name"]}"' in calls
        for op in service["ops"]:
            for step in op["steps"]:
                for call in step:
                    assert f'"{service["name"]}.{op["name"]}" -> "{call["target"]}"' in calls
            for call in op["async"]:
                assert re.search(rf'"{service["name"]}.{op["name"]}" -> "{call["target"]}" \[label="async[^]]*style=dashed',
                                 calls)
    topology = s2sim_cli("graph", ROOT / "scenarios" / "multi_region.toml").stdout
    assert 'subgraph "cluster_region-a"' in topology and 'subgraph "cluster_region-b"' in topology
    assert re.search(r'"sw-a" -- "sw-b" \[label="10 Gbps, 6 ms"\]', topology)
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (bash scripts/setup.sh installs it)")
    for text in (calls, topology):
        svg = subprocess.run(["dot", "-Tsvg"], input=text, capture_output=True, text=True, check=True).stdout
        assert "<svg" in svg


# -- headless Chromium --------------------------------------------------------------------------

def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no Chromium: the pages are not opened in a browser (bash scripts/setup.sh installs Debian's "
                "chromium package)")


def open_in_chromium(page: pathlib.Path, screenshot: pathlib.Path, height: int = 3000) -> list[str]:
    """Opens ``page`` headless, writes a screenshot, and returns the console messages."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                               f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
                               f"--window-size=1280,{height}", f"--screenshot={screenshot}", page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=120)
    assert screenshot.exists(), done.stderr[-2000:]
    return [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


def assert_not_blank(png: pathlib.Path):
    from PIL import Image

    with Image.open(png) as im:
        rgb = im.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 200, "too few colours: a blank page"
        background = max(colours)[0]
        assert background < 0.95 * rgb.width * rgb.height, "one colour covers the page"


def test_chromium_console_check_catches_a_script_error(tmp_path):
    """The check below would see an error: a page whose script fails is reported."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><p>x</p><script>undefined_function();</script></body></html>")
    messages = open_in_chromium(bad, tmp_path / "bad.png", 400)
    assert any("undefined_function" in m for m in messages)


@pytest.mark.parametrize("which", ["ecommerce", "failover", "compare", "sweep"])
def test_pages_open_in_chromium(pages, compare_page, sweep_page, which, tmp_path):
    path = {"compare": compare_page[2], "sweep": sweep_page[2]}.get(which) or pages[which][2]
    png = tmp_path / f"{which}.png"
    messages = open_in_chromium(path, png)
    assert messages == []
    assert_not_blank(png)


def test_html_without_a_python_that_draws_is_refused_before_the_run(tmp_path):
    import os

    env = {**os.environ, "S2SIM_PYTHON": "/bin/false"}
    done = subprocess.run([str(binary()), "run", ROOT / "scenarios" / "mm1.toml", "--json", tmp_path / "r.json",
                           "--html", tmp_path / "r.html"], capture_output=True, text=True, env=env)
    assert done.returncode == 2
    assert "the HTML report is drawn by the s2sim Python package" in done.stderr
    assert not (tmp_path / "r.json").exists()  # nothing ran

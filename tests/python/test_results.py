"""Running from Python: DataFrames, quantiles, JSON, plots, pickling, and the same
figures as the command line with the same seed."""
import json
import math
import pickle
import subprocess

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

import s2sim
from s2sim.__main__ import binary


def test_run_gives_dataframes(small):
    res = small.run(seed=5)
    req = res.requests
    assert list(req.index) == ["users/home"]
    assert req.loc["users/home", "workload"] == "users"
    assert req.loc["users/home", "op"] == "home"
    # 300/s over 20 s: the count is Poisson(6000), within 5 sd (sd = sqrt(6000) ~ 77)
    assert abs(req.loc["users/home", "count"] - 6000) < 5 * math.sqrt(6000)
    assert req.loc["users/home", "p50_s"] <= req.loc["users/home", "p99_s"] <= req.loc["users/home", "max_s"]
    assert set(res.servers.index) == {"web-1", "web-2", "db"}
    # frontend work is 2 ms per request at 150/s per web server with 2 cores: utilisation 0.15
    assert res.servers.loc["web-1", "utilization"] == pytest.approx(0.15, abs=0.03)
    assert list(res.ops.index) == ["backend.read", "frontend.home"] or set(res.ops.index) == {
        "backend.read", "frontend.home"}
    assert res.links.empty  # no [[link]]: no network
    assert res.replication.empty
    assert res.seed == 5 and res.replications == 1


def test_quantiles_match_the_json(small):
    res = small.run(seed=2)
    lat = res.json["requests"]["users/home"]["latency_s"]
    assert res.quantile(0.99, "users/home") == pytest.approx(lat["p99"], rel=1e-12)
    assert res.quantile(0.5, "users/home") == pytest.approx(lat["p50"], rel=1e-12)
    q = res.quantiles()["users/home"].to_numpy()
    assert np.all(np.diff(q) >= 0)


def test_same_seed_same_figures_and_other_seed_differs(small):
    a, b, c = small.run(seed=7), small.run(seed=7), small.run(seed=8)
    assert a == b
    assert a.figures() != c.figures()


def test_results_pickle(small):
    res = small.run(seed=1, replications=2, jobs=2)
    back = pickle.loads(pickle.dumps(res))
    assert back == res
    assert back.requests.equals(res.requests)
    assert back.quantile(0.9, "users/home") == res.quantile(0.9, "users/home")


def test_replications_carry_confidence_intervals(small):
    res = small.run(seed=1, replications=4, jobs=2)
    assert res.replications == 4
    req = res.requests
    assert req.loc["users/home", "mean_s_ci95"] > 0
    assert len(res.runs) == 4
    # replication 0 runs with the master seed: it equals a single run
    single = small.run(seed=1)
    assert res.runs.iloc[0]["count"] == single.requests.loc["users/home", "count"]
    # jobs does not change the results
    assert small.run(seed=1, replications=4, jobs=1) == res


def test_python_and_command_line_give_identical_figures(root, tmp_path):
    path = root / "scenarios" / "mm1.toml"
    out = tmp_path / "cli.json"
    subprocess.run([str(binary()), "run", str(path), "--seed", "11", "--quiet", "--json", str(out)],
                   check=True)
    cli = json.loads(out.read_text())
    py = s2sim.load(path).run(seed=11).json
    for key in ("requests", "ops", "servers", "links", "seed", "events", "simulated_s"):
        assert py[key] == cli[key], key


def test_console_script_runs_the_bundled_program(root):
    import shutil
    import sys
    import pathlib

    exe = shutil.which("s2sim", path=str(pathlib.Path(sys.executable).parent))
    assert exe is not None
    done = subprocess.run([exe, "check", str(root / "scenarios" / "mm1.toml")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    bad = subprocess.run([exe, "run", "/nonexistent.toml"], capture_output=True, text=True)
    assert bad.returncode != 0


def test_plots_draw_on_agg(small):
    matplotlib.use("Agg")
    res = small.run(seed=1)
    ax = res.plot.latency_cdf()
    assert len(ax.get_lines()) == 1
    ax = res.plot.utilization()
    assert len(ax.patches) == 3
    if not res.timeseries.empty:
        ax = res.plot.timeseries("throughput_per_s")
        assert len(ax.get_lines()) == 1


def test_timeseries_when_present(small):
    ts = small.run(seed=1).timeseries
    assert {"kind", "name", "start_s", "length_s"} <= set(ts.columns)
    if not ts.empty:
        req = ts[ts["kind"] == "request"]
        # every completed request falls into one window: the counts add up to the total
        assert req["count"].sum() == small.run(seed=1).requests.loc["users/home", "count"]


def test_html_summary(small):
    html = small.run(seed=1)._repr_html_()
    assert "users/home" in html and "<table" in html


def test_every_bundled_scenario_runs_briefly(root):
    for path in sorted((root / "scenarios").glob("*.toml")):
        sc = s2sim.load(path)
        sc.scenario.duration = "2s"
        sc.scenario.warmup = "0s"
        res = sc.run(seed=1, replications=1)
        assert len(res.requests) > 0, path.name


def test_an_interrupt_stops_the_replication_running(small):
    # A Jupyter interrupt (SIGINT) must stop a long replication within seconds, not after it.
    import _thread
    import threading
    import time

    small.set("scenario.duration", "100000000s")  # hours of wall time if nothing stops it
    timer = threading.Timer(1.0, _thread.interrupt_main)
    timer.start()
    start = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            small.run(seed=1, replications=2, jobs=1)
    finally:
        timer.cancel()
    assert time.monotonic() - start < 10


def test_each_timeseries_plot_draws_its_dataframe_in_its_unit(small):
    res = small.run(seed=1)
    ts = res.timeseries
    assert not ts.empty
    cases = [("throughput_per_s", "request", 1.0, "throughput_per_s (1/s)"),
             ("p99_s", "request", 1e3, "p99_s (ms)"),
             ("count", "request", 1.0, "count (requests)"),
             ("utilization", "server", 100.0, "utilization (%)"),
             ("mean_queue", "server", 1.0, "mean_queue (jobs)")]
    for figure, kind, scale, label in cases:
        ax = res.plot.timeseries(figure)
        assert ax.get_ylabel() == label, figure
        part = ts[ts["kind"] == kind]
        lines = ax.get_lines()
        assert len(lines) == part["name"].nunique(), figure
        for line, (name, rows) in zip(lines, part.groupby("name", sort=False)):
            assert line.get_label() == name
            np.testing.assert_allclose(line.get_xdata(), rows["start_s"].to_numpy())
            np.testing.assert_allclose(line.get_ydata(), rows[figure].to_numpy() * scale, equal_nan=True)
        assert ax.get_title()
        plt.close("all")


def test_units_come_with_the_results(small):
    units = small.run(seed=1).json["units"]
    assert units["requests"]["throughput_per_s"] == "1/s"
    assert units["requests"]["latency_s"] == "s"
    assert units["timeseries"]["links"]["bytes"] == "bytes"


def test_failed_requests_are_timed_apart(small):
    sc = small
    sc.scenario.duration = "5s"
    res = sc.run(seed=1)
    req = res.requests
    for col in ("error_mean_s", "error_p99_s", "error_max_s"):
        assert col in req.columns
    # nothing failed here: no error latency, the success latency is there
    assert req["errors"].sum() == 0 and req["error_mean_s"].isna().all() and req["mean_s"].notna().all()


def test_timeseries_plots_mark_the_scenarios_events():
    from conftest import SMALL

    sc = s2sim.loads(SMALL + '\n[[event]]\nat = "8s"\naction = "slow"\ntarget = "db"\nfactor = 3\nfor = "4s"\n',
                     filename="slow.toml")
    res = sc.run(seed=1)
    assert res.plot.events() == [{"at_s": 8.0, "action": "slow", "target": "db", "for_s": 4.0}]
    ax = res.plot.timeseries("p99_s")
    assert any("slow db" in t.get_text() for t in ax.texts)
    plt.close("all")

"""Tables the model's components publish (the recorder): DataFrames, time series, plots,
the log, and sweep/compare accepting their names (docs/results.md, "Recorded tables")."""
import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

import s2sim
from s2sim.results import Results

# The JSON the C++ writer gives for a table "connections" pooled over 3 replications
# (shape checked on the C++ side by tests/scenario/recorded_tables_test.cpp).
POOLED = {
    "scenario": "hand-made", "seed": 1, "replications": 3, "simulated_s": 2.0,
    "requests": {}, "ops": {}, "servers": {}, "links": {},
    "recorded": {"connections": {"row_key": "service", "kinds": {
        "opened": "counter", "handshake_s": "latency", "open": "level", "ratio": "value"}}},
    "connections": {
        "db": {"opened": 18, "handshake_s": {"mean": 0.02, "p50": 0.02, "p90": 0.03, "p95": 0.03, "p99": 0.03,
                                              "p999": 0.03, "max": 0.03},
               "open": {"mean": 3.0, "max": 5.0}, "ratio": 0.375,
               "per_replication": {"opened": 6.0},
               "ci95": {"opened": 8.96, "handshake_s": {"mean": 0.095, "p50": 0.1, "p90": None, "p95": None,
                                                         "p99": None, "p999": None, "max": None},
                        "open": 4.3, "ratio": 1.59}},
        "cache": {"opened": 7, "handshake_s": {k: None for k in ("mean", "p50", "p90", "p95", "p99", "p999", "max")},
                  "open": {"mean": 0.0, "max": 0.0}, "ratio": None,
                  "per_replication": {"opened": 7 / 3}, "ci95": {"opened": 10.0}}},
    "units": {"connections": {"opened": "connections", "handshake_s": "s", "open": "connections", "ratio": "fraction"},
              "timeseries": {"connections": {"opened": "connections", "handshake_p50_s": "s", "handshake_p99_s": "s",
                                             "open": "connections", "ratio": "fraction"}}},
    "runs": [{"seed": 1, "timeseries": {
        "window_s": 1.0, "start_s": [0.0, 1.0], "length_s": [1.0, 1.0],
        "requests": {}, "servers": {},
        "connections": {"db": {"opened": [2, 1], "handshake_p50_s": [0.01, None], "handshake_p99_s": [0.02, None],
                               "open": [4.0, 0.0], "ratio": [0.25, 0.25]}}},
        "log": [{"at_s": 0.5, "table": "connections", "row": "db", "what": "note", "text": "db: opened 3",
                 "values": {"x": 1.5}}]}],
}


def test_a_published_table_is_a_dataframe_with_the_csv_columns():
    res = Results(POOLED)
    assert res.tables == ["requests", "ops", "servers", "links", "replication", "connections"]
    df = res.table("connections")
    assert df is res.connections or df.equals(res.connections)
    assert df.index.name == "service" and list(df.index) == ["db", "cache"]
    assert list(df.columns[:3]) == ["opened", "opened_per_replication", "opened_per_replication_ci95"]
    for col in ("handshake_mean_s", "handshake_mean_s_ci95", "handshake_p99_s", "handshake_max_s",
                "open", "open_ci95", "open_max", "ratio", "ratio_ci95"):
        assert col in df.columns, col
    assert df.loc["db", "opened"] == 18 and df.loc["db", "opened_per_replication"] == 6.0
    assert df.loc["db", "handshake_mean_s"] == 0.02 and df.loc["db", "handshake_mean_s_ci95"] == 0.095
    assert df.loc["db", "open"] == 3.0 and df.loc["db", "open_max"] == 5.0
    assert math.isnan(df.loc["cache", "ratio"]) and math.isnan(df.loc["cache", "handshake_mean_s"])
    with pytest.raises(KeyError, match="no table 'nope'"):
        res.table("nope")
    with pytest.raises(AttributeError):
        res.nope  # noqa: B018


def test_one_runs_table_has_no_interval_columns():
    import copy

    one = copy.deepcopy(POOLED)
    one["replications"] = 1
    for row in one["connections"].values():
        del row["ci95"], row["per_replication"]
    df = Results(one).table("connections")
    assert list(df.columns) == ["opened"] + [f"handshake_{k}_s" for k in
                                             ("mean", "p50", "p90", "p95", "p99", "p999", "max")] + \
        ["open", "open_max", "ratio"]


def test_a_published_tables_series_and_log():
    res = Results(POOLED)
    ts = res.timeseries
    part = ts[ts["kind"] == "connections"]
    assert list(part["opened"]) == [2, 1]
    assert part["handshake_p99_s"].isna().tolist() == [False, True]
    ax = res.plot.timeseries("handshake_p99_s")  # the kind is found from the figure
    assert ax.get_ylabel() == "handshake_p99_s (ms)"
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [20.0, np.nan])
    ax = res.plot.timeseries("ratio", kind="connections")
    assert ax.get_ylabel() == "ratio (%)"
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [25.0, 25.0])
    plt.close("all")
    log = res.log
    assert list(log.columns) == ["at_s", "table", "row", "what", "text", "x"]
    assert log.iloc[0]["text"] == "db: opened 3" and log.iloc[0]["x"] == 1.5


def test_random_failures_are_logged_and_marked():
    from conftest import SMALL

    sc = s2sim.loads(SMALL + '\n[[failure]]\ntarget = "db"\nmtbf = "const(6s)"\nmttr = "const(1s)"\n',
                     filename="random.toml")
    res = sc.run(seed=1)
    random = [e for e in res.plot.events() if e.get("random")]
    assert [(e["at_s"], e["action"]) for e in random][:3] == [(6.0, "fail"), (7.0, "recover"), (13.0, "fail")]
    assert list(res.log["what"][:2]) == ["fail", "recover"]
    ax = res.plot.timeseries("p99_s")
    assert any(t.get_text() == "fail db (random)" for t in ax.texts)
    plt.close("all")


def test_sweep_and_compare_check_table_names(small):
    with pytest.raises(ValueError, match="unknown table 'connections'"):
        s2sim.sweep(small, {"server.web.count": [1]}, table="connections")
    df = s2sim.compare({"a": small, "b": small.edited({"server.db.cores": 3})}, seed=1, replications=2,
                       table="servers")
    assert set(df["table"]) == {"servers"}
    with pytest.raises(ValueError, match="unknown table"):
        s2sim.compare({"a": small, "b": small}, seed=1, replications=2, table="nope")


def test_figures_added_to_a_core_table_are_its_columns():
    """The servers' `up` (added through the recorder when something can fail them): columns of
    Results.servers after the core ones, a series of kind "server", a column of the report."""
    from conftest import SMALL

    sc = s2sim.loads(SMALL + '\n[[failure]]\ntarget = "db"\nmtbf = "const(6s)"\nmttr = "const(1s)"\n',
                     filename="random.toml")
    one = sc.run(seed=1)
    # Measured [1 s, 21 s): db down over [6, 7), [13, 14) and [20, 21): up 17 of 20 s.
    servers = one.servers
    assert list(servers.columns[:5]) == ["utilization", "mean_queue", "max_queue", "completed", "rejected"]
    assert list(servers.columns[5:]) == ["up", "up_max"]
    assert servers.loc["db", "up"] == pytest.approx(0.85, abs=1e-12)
    assert servers.loc["web-1", "up"] == 1.0
    assert one.tables == ["requests", "ops", "servers", "links", "replication"]
    ts = one.timeseries
    db = ts[(ts["kind"] == "server") & (ts["name"] == "db")]
    # the fraction of each window that db was up, times its length: 17 s up in all
    assert (db["up"] * db["length_s"]).sum() == pytest.approx(17.0)
    assert db["up"].min() == pytest.approx(0.0, abs=1e-12) and db["up"].max() == pytest.approx(1.0)
    page = one.to_html()
    assert "<th>up <span class='muted'>fraction</span></th>" in page  # a column of the servers' table
    assert "<td>85 %</td>" in page

    pooled = sc.run(seed=1, replications=2)
    cols = list(pooled.servers.columns)
    assert cols[cols.index("rejected") + 1:] == ["up", "up_ci95", "up_max"]
    assert pooled.servers.loc["db", "up"] == pytest.approx(0.85, abs=1e-12)
    assert pooled.servers.loc["db", "up_ci95"] == pytest.approx(0.0, abs=1e-12)
    assert pooled.servers.loc["db", "utilization_ci95"] > 0  # the core's interval is still there

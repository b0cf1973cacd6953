"""compare and sweep, locally and on a Dask cluster of worker processes."""
import pandas as pd
import pytest

import s2sim


def test_compare_pairs_designs(small):
    rr = small.copy()
    p2 = small.edited({"service.frontend.balancer": "power_of_two"})
    slow = small.edited({"server.db.cores": 1, "service.backend.op.read.work": "exp(3ms)"})
    df = s2sim.compare({"round robin": rr, "power of two": p2, "slow db": slow}, seed=1, replications=5)
    assert set(df["design"]) == {"round robin", "power of two", "slow db"}
    mean = df[(df["name"] == "users/home") & (df["figure"] == "mean")].set_index("design")
    # a 3 ms db op on one core at 300/s (utilisation 0.9) is far slower: significant
    assert mean.loc["slow db", "significant"]
    assert mean.loc["slow db", "difference"] > 0.005
    assert pd.isna(mean.loc["round robin", "difference"])


def test_sweep_gives_one_row_per_point_and_class(small):
    df = s2sim.sweep(small, {"server.web.count": [1, 2], "server.db.cores": [2, 3]}, seed=1, replications=1)
    assert list(df.columns[:3]) == ["server.web.count", "server.db.cores", "request"]
    assert list(zip(df["server.web.count"], df["server.db.cores"])) == [(1, 2), (1, 3), (2, 2), (2, 3)]
    # the same point as a plain run gives the same figures
    one = small.edited({"server.web.count": 2, "server.db.cores": 3}).run(seed=1)
    assert df.iloc[3]["p99_s"] == one.requests.loc["users/home", "p99_s"]


def test_sweep_rejects_an_unknown_table(small):
    with pytest.raises(ValueError, match="unknown table"):
        s2sim.sweep(small, {"server.web.count": [1]}, table="nope")


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=40)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_a_dask_sweep_equals_a_local_one(small, dask_client):
    params = {"server.web.count": [1, 2, 3]}
    local = s2sim.sweep(small, params, seed=4, replications=2)
    remote = s2sim.sweep(small, params, seed=4, replications=2, client=dask_client)
    pd.testing.assert_frame_equal(local, remote)
    servers_local = s2sim.sweep(small, params, seed=4, replications=2, table="servers")
    servers_remote = s2sim.sweep(small, params, seed=4, replications=2, table="servers", client=dask_client)
    pd.testing.assert_frame_equal(servers_local, servers_remote)


def _assert_same_results(local, remote):
    """Equal JSON (but wall-clock times), DataFrames and pooled latency quantiles."""
    assert remote.figures() == local.figures()
    for table in ("requests", "ops", "servers", "links", "replication", "timeseries", "runs"):
        pd.testing.assert_frame_equal(getattr(local, table), getattr(remote, table), obj=table)
    pd.testing.assert_frame_equal(local.quantiles(), remote.quantiles())


def test_a_dask_run_equals_a_local_one(small, dask_client):
    local = small.run(seed=4, replications=3)
    remote = small.run(seed=4, replications=3, client=dask_client)
    assert remote.replications == 3
    assert list(remote.runs.drop_duplicates("replication")["seed"]) == \
        [4] + [s2sim._core.replication_seed(4, i) for i in (1, 2)]
    _assert_same_results(local, remote)
    # the p99 of the merged histograms of the three replications
    p99 = remote.quantile(0.99, "users/home")
    assert p99 == local.quantile(0.99, "users/home")
    assert p99 == remote.requests.loc["users/home", "p99_s"]
    # one replication (the file's default): the plain run's JSON
    _assert_same_results(small.run(seed=4), small.run(seed=4, client=dask_client))


def test_a_dask_run_chooses_the_warmup_and_meets_a_precision_like_a_local_one(small, dask_client):
    auto = small.edited({"scenario.warmup": "auto"})
    local = auto.run(precision=0.05, max_replications=12)
    remote = auto.run(precision=0.05, max_replications=12, client=dask_client)
    assert remote.seed == 3  # the file's
    assert remote.json["warmup"] == "auto (MSER)"
    assert remote.json["warmup_s"] == local.json["warmup_s"]
    assert remote.json["precision"] == local.json["precision"] == {"target": 0.05, "reached": True}
    assert 3 < remote.replications < 12  # a second round was needed, and enough
    _assert_same_results(local, remote)


def test_a_dask_run_reports_bad_values_like_a_local_one(small, dask_client):
    # Checked before anything is sent, the same way as for a local run.
    with pytest.raises(ValueError, match="precision must be a fraction"):
        small.run(precision=-1, client=dask_client)
    bad = small.edited({"server.web.cores": 0})
    with pytest.raises(s2sim.ConfigError):
        bad.run(client=dask_client)


def test_sweep_and_compare_carry_every_table(small):
    for table in ("requests", "ops", "servers", "links", "replication"):
        df = s2sim.sweep(small, {"server.web.count": [1, 2]}, table=table)
        assert "server.web.count" in df.columns, table
    df = s2sim.sweep(small, {"server.web.count": [1, 2]}, table="ops")
    assert set(df["op"]) == {"frontend.home", "backend.read"}
    assert list(df["server.web.count"].unique()) == [1, 2]
    cmp = s2sim.compare({"a": small, "b": small}, replications=2)
    assert {"request", "group", "op"} <= set(cmp["kind"])
    assert set(cmp.loc[cmp["kind"] == "op", "name"]) == {"frontend.home", "backend.read"}
    # identical designs: nothing is significant
    assert not cmp["significant"].any()


def test_a_linked_sweep_moves_its_keys_together(small):
    df = s2sim.sweep(small, {("server.web.count", "server.db.cores"): [(1, 2), (2, 3)], "scenario.seed": [1, 2]},
                     replications=1)
    assert list(df.columns[:4]) == ["server.web.count", "server.db.cores", "scenario.seed", "request"]
    assert list(zip(df["server.web.count"], df["server.db.cores"], df["scenario.seed"])) == [
        (1, 2, 1), (1, 2, 2), (2, 3, 1), (2, 3, 2)]
    # Each point is the scenario with those values: one web server works twice as hard as two.
    servers = s2sim.sweep(small, {("server.web.count", "server.db.cores"): [(1, 2), (2, 3)]}, replications=1,
                          seed=1, table="servers")
    web = servers["server"].str.startswith("web")
    one = servers[(servers["server.web.count"] == 1) & web]["utilization"].mean()
    two = servers[(servers["server.web.count"] == 2) & web]["utilization"].mean()
    assert one > 1.6 * two


def test_linked_sweep_values_are_checked(small):
    with pytest.raises(ValueError, match="each value is a tuple of 2"):
        s2sim.sweep(small, {("server.web.count", "server.db.cores"): [(1, 2), 3]})
    with pytest.raises(ValueError, match="name a key twice"):
        s2sim.sweep(small, {("server.web.count", "server.db.cores"): [(1, 2)], "server.db.cores": [1]})

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

"""Configuration errors become s2sim.ConfigError (a ValueError) with file, line and column."""
import pickle

import pytest

import s2sim

SMALL_BAD_BALANCER = """[scenario]
duration = "10s"

[[server]]
name = "web"

[service.frontend]
servers = ["web"]
balancer = "round_robbin"

[service.frontend.op.home]
work = "exp(1ms)"

[[workload]]
name = "users"
to = "frontend"
arrival = "poisson(10/s)"
mix = { home = 1.0 }
"""


def test_config_error_carries_its_position():
    sc = s2sim.loads(SMALL_BAD_BALANCER, filename="bad.toml")
    with pytest.raises(s2sim.ConfigError) as info:
        sc.run()
    e = info.value
    assert isinstance(e, ValueError)
    assert (e.file, e.line, e.column) == ("bad.toml", 9, 12)
    assert "round_robbin" in e.message
    assert str(e).startswith("bad.toml:9:12: error: ")


def test_a_bare_number_where_a_unit_is_required_is_an_error():
    with pytest.raises(s2sim.ConfigError) as info:
        s2sim.loads('[scenario]\nduration = 60\n', filename="x.toml").check()
    assert (info.value.line, info.value.column) == (2, 12)


def test_a_bad_override_path_raises_at_set(small):
    with pytest.raises(s2sim.ConfigError) as info:
        small.set("server.nope.count", 3)
    assert "nope" in info.value.message
    assert small.overrides == []  # the bad edit was not kept


def test_a_bad_override_value_points_into_the_override(small):
    small.set("server.web.cores", -1)
    with pytest.raises(s2sim.ConfigError) as info:
        small.run()
    assert info.value.file.startswith("--set")


def test_config_errors_pickle():
    e = s2sim.ConfigError("unknown key 'x'", "f.toml", 3, 4)
    back = pickle.loads(pickle.dumps(e))
    assert (back.file, back.line, back.column, back.message) == ("f.toml", 3, 4, "unknown key 'x'")
    assert str(back) == "f.toml:3:4: error: unknown key 'x'"


def test_a_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(OSError):
        s2sim.load(tmp_path / "missing.toml")

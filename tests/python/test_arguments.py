"""Bad arguments to the Python API raise ConfigError, ValueError or TypeError naming the
argument, never a silent edit, a library's own exception or a default."""
import os

import pytest

import s2sim


def test_a_path_with_an_equals_sign_is_refused(small):
    with pytest.raises(ValueError, match="path must not contain '='"):
        small.set("scenario.name=x", 3)
    assert small.overrides == []


@pytest.mark.parametrize("path", ["", "server..count", ".server", "server.web.count\n"])
def test_a_path_that_is_not_a_dotted_key_is_refused(small, path):
    with pytest.raises(ValueError, match="path"):
        small.set(path, 3)


def test_a_path_must_be_text(small):
    with pytest.raises(TypeError, match="path must be a str, got int"):
        small.set(3, 3)


@pytest.mark.parametrize("value", [b"ab", bytearray(b"ab"), ["ok", b"x"], {"k": b"x"}])
def test_bytes_are_not_written_as_lists_of_numbers(small, value):
    with pytest.raises(TypeError, match="value for 'scenario.name' must be a str.*got (bytes|bytearray)"):
        small.set("scenario.name", value)
    assert small.overrides == []


def test_a_lone_surrogate_is_a_value_error_naming_the_argument(small):
    with pytest.raises(ValueError, match="value for 'scenario.name' is not valid text"):
        small.set("scenario.name", "a\ud800b")
    with pytest.raises(ValueError, match="text is not valid text"):
        s2sim.loads("[scenario]\nname = \"\ud800\"\n")
    with pytest.raises(ValueError, match="filename is not valid text"):
        s2sim.loads("[scenario]\n", filename="\udcff.toml")


@pytest.mark.parametrize("arg, value, error, message", [
    ("replications", -1, ValueError, "replications must be from 1 to 100000, got -1"),
    ("replications", 0, ValueError, "replications must be from 1 to 100000, got 0"),
    ("replications", 2.5, TypeError, "replications must be an int, got float"),
    ("replications", True, TypeError, "replications must be an int, got bool"),
    ("jobs", -5, ValueError, "jobs must be from 1 to 4096, got -5"),
    ("seed", -1, ValueError, "seed must be from 0 to 18446744073709551615, got -1"),
    ("seed", 2**64, ValueError, "seed must be from 0 to 18446744073709551615"),
    ("seed", "1", TypeError, "seed must be an int, got str"),
    ("precision", float("nan"), ValueError, "precision must be a fraction from 1e-06 to 1"),
    ("precision", 0, ValueError, "precision must be a fraction"),
    ("precision", "0.1", TypeError, "precision must be a float, got str"),
    ("max_replications", 1, ValueError, "max_replications must be from 2 to 100000, got 1"),
])
def test_run_refuses_bad_arguments_before_running(small, arg, value, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        small.run(**{arg: value})


def test_invalid_toml_is_a_config_error_everywhere():
    sc = s2sim.loads("[scenario]\nduration = = \"5s\"\n", filename="bad.toml")
    for read in (lambda: sc.name, lambda: sc.data, lambda: list(sc.servers), lambda: sc.check()):
        with pytest.raises(s2sim.ConfigError) as info:
            read()
        assert info.value.file == "bad.toml"
        assert info.value.line == 2
        assert "invalid TOML" in info.value.message


def test_load_says_what_a_path_is(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        s2sim.load(tmp_path / "missing.toml")
    with pytest.raises(ValueError, match="is a folder"):
        s2sim.load(tmp_path)
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        s2sim.load(fifo)  # never opened: a FIFO without a writer would block for ever
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"[scenario]\nname = \"caf\xe9\"\n")
    with pytest.raises(s2sim.ConfigError, match="not UTF-8"):
        s2sim.load(latin)


def test_impossible_sizes_and_zero_time_loops_are_config_errors(small):
    with pytest.raises(s2sim.ConfigError, match="servers would need about .* of memory") as info:
        small.edited({"server.web.count": 2_000_000_000}).check()
    assert info.value.line == 1  # the override's position
    with pytest.raises(s2sim.ConfigError, match="rate 3e\\+09/s is above 1e9/s"):
        small.edited({"workload.0.arrival": "constant(3e9/s)"}).check()


def test_too_many_replications_for_memory_is_an_error(small):
    many = small.edited({"scenario.window": "1ms", "scenario.duration": "100s"})
    with pytest.raises(s2sim.Error, match="replications of about .* each need about"):
        many.run(replications=100_000)


@pytest.mark.parametrize("arg,value,error,message", [
    ("replications", -1, ValueError, "replications must be from 1"),
    ("jobs", -5, ValueError, "jobs must be from 1"),
    ("seed", -1, ValueError, "seed must be from 0"),
    ("seed", 1.5, TypeError, "seed must be an int"),
    ("precision", float("nan"), ValueError, "precision must be a fraction"),
])
def test_compare_and_sweep_refuse_bad_arguments_before_running(small, arg, value, error, message):
    with pytest.raises(error, match=message):
        s2sim.compare({"a": small, "b": small.copy()}, **{arg: value})
    if arg != "precision":  # sweep has no precision
        with pytest.raises(error, match=message):
            s2sim.sweep(small, {"server.web.count": [1, 2]}, **{arg: value})


def test_compare_and_sweep_say_what_a_design_or_scenario_must_be(small):
    with pytest.raises(TypeError, match=r"designs\['b'\] must be a Scenario, got str"):
        s2sim.compare({"a": small, "b": "shop.toml"})
    with pytest.raises(TypeError, match="designs must be a mapping"):
        s2sim.compare([small, small])
    with pytest.raises(TypeError, match="scenario must be a Scenario, got str"):
        s2sim.sweep("shop.toml", {"server.web.count": [1, 2]})
    with pytest.raises(TypeError, match="params must be a mapping"):
        s2sim.sweep(small, [("server.web.count", [1, 2])])

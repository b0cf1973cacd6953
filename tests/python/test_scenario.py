"""Loading, editing, copying and saving scenarios."""
import pickle

import pytest

import s2sim


def test_load_reads_the_file_and_its_folder(root):
    sc = s2sim.load(root / "scenarios" / "ecommerce.toml")
    assert sc.name == "ecommerce"
    assert sc.base_dir == str((root / "scenarios").resolve())
    assert sc.servers["web"].count == 4
    assert "frontend" in sc.services
    assert "ecommerce" in repr(sc)


def test_set_records_an_override_and_changes_the_effective_value(small):
    small.set("server.web.count", 6)
    assert small.overrides == ["server.web.count=6"]
    assert small.servers["web"].count == 6
    assert small.get("server.web.count") == 6
    # the original text is untouched
    assert "count = 2" in small.text


def test_attribute_access_edits_by_overrides(small):
    small.services["frontend"].balancer = "power_of_two"
    small.workloads["users"].arrival = "poisson(100/s)"
    small.scenario.duration = "5s"
    assert small.overrides == ['service.frontend.balancer="power_of_two"',
                               'workload.users.arrival="poisson(100/s)"', 'scenario.duration="5s"']
    assert small.services["frontend"].balancer == "power_of_two"
    assert small.services["backend"].op["read"].work == "exp(1ms)"
    assert small.check().startswith("")  # still a valid scenario


def test_inline_tables_and_lists_are_written_as_toml(small):
    small.services["frontend"].balancer = {"policy": "power_of_two", "choices": 2}
    assert small.services["frontend"].balancer == {"policy": "power_of_two", "choices": 2}
    small.check()


def test_copy_is_independent(small):
    other = small.copy()
    other.set("server.db.cores", 4)
    assert small.servers["db"].cores == 2
    assert other.servers["db"].cores == 4


def test_save_writes_the_edited_toml(small, tmp_path):
    small.set("server.web.count", 3)
    out = tmp_path / "edited.toml"
    small.save(out)
    again = s2sim.load(out)
    assert again.servers["web"].count == 3
    assert again.overrides == []


def test_scenarios_pickle(small):
    small.set("server.web.count", 3)
    back = pickle.loads(pickle.dumps(small))
    assert back == small
    assert back.servers["web"].count == 3


def test_unknown_names_are_key_errors(small):
    with pytest.raises(KeyError, match="no server named 'nope'"):
        small.servers["nope"]


def test_append_adds_an_entry_to_an_array_of_tables(small):
    small.append("event", {"at": "5s", "action": "fail", "target": "db", "for": "2s"})
    small.set("server+", {"name": "cache", "cores": 4})
    assert small.overrides[0] == 'event+={ at = "5s", action = "fail", target = "db", for = "2s" }'
    assert [e["at"] for e in small.data["event"]] == ["5s"]
    assert small.servers["cache"].cores == 4
    assert "2 events" not in small.check() and "1 event" in small.check()


def test_override_errors_point_into_the_override(small):
    with pytest.raises(s2sim.ConfigError) as info:
        small.set("event.0.at", "60s")
    assert str(info.value).startswith('--set event.0.at="60s":1:7: error: there is no entry 0 of \'event\'')
    assert "event+={ ... }" in str(info.value)

"""traffic/ is a domain package: it imports nothing of psn and nothing of the simulator (which uses it)."""

from tests.imports import forbidden_imports, tree_imports


def test_traffic_imports_neither_psn_nor_the_simulator() -> None:
    assert forbidden_imports("traffic", ("psn", "simulator")) == []


def test_the_reader_sees_traffic_s_own_imports() -> None:
    assert "traffic.utm" in tree_imports("traffic")["traffic/roads.py"]

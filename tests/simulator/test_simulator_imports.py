"""The simulator is a client of the server: it may use the pure packages (telemetry's topics, traffic's roads
and UTM helper) but never imports psn."""

from tests.imports import forbidden_imports, tree_imports


def test_simulator_never_imports_psn() -> None:
    assert forbidden_imports("simulator", ("psn",)) == []


def test_the_reader_sees_the_simulator_s_own_imports() -> None:
    assert "telemetry.topics" in tree_imports("simulator")["simulator/kpi_publisher.py"]

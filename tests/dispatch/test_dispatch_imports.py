"""dispatch/ is a domain package: a functional core that imports nothing of psn (its shell), of the simulator
or of video; it takes plain typed data."""

from tests.imports import forbidden_imports, tree_imports


def test_dispatch_imports_neither_psn_nor_the_simulator_nor_video() -> None:
    assert forbidden_imports("dispatch", ("psn", "simulator", "video")) == []


def test_the_reader_sees_dispatch_s_own_imports() -> None:
    # Not a vacuous pass: the reader finds what dispatch/ does import.
    imports = tree_imports("dispatch")
    assert "dispatch.status" in imports["dispatch/incident.py"]
    assert "telemetry.topics" in imports["dispatch/incident.py"]

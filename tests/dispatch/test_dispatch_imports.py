"""dispatch/ is a domain package: it takes plain inputs and imports nothing of psn, the simulator or video."""

from tests.imports import forbidden_imports, tree_imports


def test_dispatch_imports_neither_psn_nor_the_simulator_nor_video() -> None:
    assert forbidden_imports("dispatch", ("psn", "simulator", "video")) == []


def test_the_reader_sees_dispatch_s_files() -> None:
    assert "dispatch/__init__.py" in tree_imports("dispatch")

"""dispatch/ is a domain package: it imports nothing of psn, of the simulator or of video (they may use it)."""

from tests.imports import forbidden_imports


def test_dispatch_imports_neither_psn_nor_the_simulator_nor_video() -> None:
    assert forbidden_imports("dispatch", ("psn", "simulator", "video")) == []

"""psn never imports the simulator: it is a client of the server, and its commands plug into `psn` through
the `psn.cli` entry points. Launching it as a subprocess (`psn demo`) is not an import."""

from tests.imports import forbidden_imports, tree_imports


def test_no_module_under_psn_imports_the_simulator() -> None:
    assert forbidden_imports("psn", ("simulator",)) == []


def test_the_reader_sees_psn_s_own_imports() -> None:
    # Not a vacuous pass: psn/cli/__init__.py imports video's commands lazily, inside a function.
    assert "video.cli" in tree_imports("psn")["psn/cli/__init__.py"]

"""The import reader the package-boundary tests rely on (tests/imports.py), on hand-written sources."""

from tests.imports import imported_modules

IMPORTS = '''
import simulator
import simulator.radio as radio
from simulator.cli import register
from simulator import fleet


def lazy():
    import simulator.plots
    importlib.import_module("simulator.coverage")
    return import_module("simulator.sim"), __import__("simulator.plan")
'''

NOT_IMPORTS = '''
import simulatorx
from .simulator import cli
from . import simulator
# import simulator.cli
"""from simulator import cli"""
subprocess.Popen([sys.executable, "-m", "simulator.fleet", "--mqtt", url])
ARGV = ("-m", "simulator.bodycam")
importlib.import_module(name)
'''


def test_import_statements_and_import_module_calls_count() -> None:
    assert imported_modules(IMPORTS) == {
        "simulator", "simulator.radio", "simulator.cli", "simulator.plots", "simulator.coverage", "simulator.sim",
        "simulator.plan",
    }


def test_strings_comments_and_relative_imports_do_not() -> None:
    assert imported_modules(NOT_IMPORTS) == {"simulatorx"}

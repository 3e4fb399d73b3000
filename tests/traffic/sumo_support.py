"""One SUMO run of the small corridor scenario (bench/validation_scenarios.py `corridor`), shared by the SUMO
tests of this folder: run once per test session (about 7 s), its files removed at exit."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bench.sumo_output import EdgeData, Fcd, read_edge_data, read_fcd
from bench.sumo_scenario import EDGE_DATA_S, Run, Scenario, run
from bench.validation_scenarios import corridor


@dataclass(frozen=True)
class CorridorRun:
    scenario: Scenario
    outputs: Run
    fcd: Fcd
    truth: EdgeData


@cache
def corridor_run() -> CorridorRun:
    folder = Path(tempfile.mkdtemp(prefix="psn-sumo-corridor-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    scenario = corridor()
    outputs = run(scenario, folder)
    return CorridorRun(scenario, outputs, read_fcd(outputs.fcd),
                       read_edge_data(outputs.edge_data, scenario.graph.edges, EDGE_DATA_S))

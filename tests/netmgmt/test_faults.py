"""Fault commands as psn checks them: each row of a literal table is a command and either the document sent or
the problems named."""

from __future__ import annotations

import math

import pytest

from netmgmt.faults import FaultCommand, FaultError, check_fault

CELLS = {"BZE-PMD-1", "BZE-PMD-2"}
SITES = {"BZE-PMD"}


@pytest.mark.parametrize(("command", "document"), [
    (FaultCommand("cell_down", "BZE-PMD-2"), {"fault": "cell_down", "target": "BZE-PMD-2", "action": "inject"}),
    (FaultCommand("cell_down", "BZE-PMD-2", "clear"),
     {"fault": "cell_down", "target": "BZE-PMD-2", "action": "clear"}),
    (FaultCommand("site_down", "BZE-PMD", duration_s=300.0),
     {"fault": "site_down", "target": "BZE-PMD", "action": "inject", "duration_s": 300.0}),
    (FaultCommand("backhaul", "BZE-PMD", capacity=0.3),
     {"fault": "backhaul", "target": "BZE-PMD", "action": "inject", "capacity": 0.3}),
    (FaultCommand("backhaul", "BZE-PMD-1", duration_s=0.001, capacity=0.0),
     {"fault": "backhaul", "target": "BZE-PMD-1", "action": "inject", "duration_s": 0.001, "capacity": 0.0}),
    (FaultCommand("backhaul", "BZE-PMD-1", "clear"), {"fault": "backhaul", "target": "BZE-PMD-1", "action": "clear"}),
])
def test_a_whole_command_is_sent_as_asked(command: FaultCommand, document: dict[str, object]) -> None:
    assert check_fault(command, CELLS, SITES).document() == document


@pytest.mark.parametrize(("command", "problems"), [
    (FaultCommand("power_cut", "BZE-PMD-2"), "fault: 'power_cut' is not one of cell_down, site_down, backhaul"),
    (FaultCommand("cell_down", "BZE-PMD-2", "repair"), "action: 'repair' is not one of inject, clear"),
    (FaultCommand("cell_down", "BZE-PMD"), "target: no cell 'BZE-PMD' in the inventory"),
    (FaultCommand("site_down", "BZE-PMD-1"), "target: no site 'BZE-PMD-1' in the inventory"),
    (FaultCommand("backhaul", "BZE-XXX", capacity=0.5), "target: no cell or site 'BZE-XXX' in the inventory"),
    (FaultCommand("backhaul", "BZE-PMD"), "capacity: a backhaul inject needs the fraction of throughput left (0–1)"),
    (FaultCommand("backhaul", "BZE-PMD", capacity=1.5), "capacity: 1.5 is outside 0–1"),
    (FaultCommand("backhaul", "BZE-PMD", capacity=math.nan), "capacity: nan is outside 0–1"),
    (FaultCommand("cell_down", "BZE-PMD-2", capacity=0.5), "capacity: only a backhaul inject has one"),
    (FaultCommand("backhaul", "BZE-PMD", "clear", capacity=0.5), "capacity: only a backhaul inject has one"),
    (FaultCommand("cell_down", "BZE-PMD-2", duration_s=0.0), "duration_s: 0.0 is outside 0.001–1e+07 s"),
    (FaultCommand("cell_down", "BZE-PMD-2", duration_s=math.inf), "duration_s: inf is outside 0.001–1e+07 s"),
    (FaultCommand("cell_down", "BZE-PMD-2", "clear", duration_s=60.0),
     "duration_s: only an inject clears itself after a while"),
    (FaultCommand("site_down", "nowhere", "later", duration_s=-1.0),
     "action: 'later' is not one of inject, clear; target: no site 'nowhere' in the inventory; "
     "duration_s: -1.0 is outside 0.001–1e+07 s"),
])
def test_every_problem_is_named(command: FaultCommand, problems: str) -> None:
    with pytest.raises(FaultError) as caught:
        check_fault(command, CELLS, SITES)
    assert str(caught.value) == problems

"""Fault commands for the simulated network, as psn sends them (docs/protocol.md, "fault commands"): a trainer
or a network admin takes a cell or a site down, or slows a backhaul, to drill the operations centre. The
command is checked against the inventory's cells and sites with every problem named, and the document sent is
exactly the fields that apply to it: what the equipment reads is what was asked."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

FAULT_KINDS = ("cell_down", "site_down", "backhaul")
ACTIONS = ("inject", "clear")
# The equipment's bounds (simulator/netpolicy.py parse_fault): a millisecond to about 116 days.
MIN_DURATION_S, MAX_DURATION_S = 0.001, 1e7


class FaultError(ValueError):
    """The command is malformed or names what the inventory does not hold; the message names each problem."""


@dataclass(frozen=True, slots=True)
class FaultCommand:
    fault: str
    target: str
    action: str = "inject"
    duration_s: float | None = None  # an inject that clears itself after this long
    capacity: float | None = None  # a backhaul inject: the fraction of throughput left

    def document(self) -> dict[str, Any]:
        """The wire document: the optional fields only when given."""
        doc: dict[str, Any] = {"fault": self.fault, "target": self.target, "action": self.action}
        if self.duration_s is not None:
            doc["duration_s"] = self.duration_s
        if self.capacity is not None:
            doc["capacity"] = self.capacity
        return doc


def check_fault(command: FaultCommand, cells: Collection[str], sites: Collection[str]) -> FaultCommand:
    """`command` if it is whole and its target is in the inventory, else FaultError naming every problem."""
    problems = []
    kind, target, action = command.fault, command.target, command.action
    if kind not in FAULT_KINDS:
        problems.append(f"fault: {kind!r:.40} is not one of {', '.join(FAULT_KINDS)}")
    if action not in ACTIONS:
        problems.append(f"action: {action!r:.40} is not one of {', '.join(ACTIONS)}")
    wanted = {"cell_down": ("cell", cells), "site_down": ("site", sites)}.get(kind)
    if wanted is not None and target not in wanted[1]:
        problems.append(f"target: no {wanted[0]} {target!r:.70} in the inventory")
    if kind == "backhaul" and target not in cells and target not in sites:
        problems.append(f"target: no cell or site {target!r:.70} in the inventory")
    problems += _duration(command) + _capacity(command)
    if problems:
        raise FaultError("; ".join(problems))
    return command


def _duration(command: FaultCommand) -> list[str]:
    duration = command.duration_s
    if duration is None:
        return []
    if command.action == "clear":
        return ["duration_s: only an inject clears itself after a while"]
    if not (math.isfinite(duration) and MIN_DURATION_S <= duration <= MAX_DURATION_S):
        return [f"duration_s: {duration} is outside {MIN_DURATION_S:g}–{MAX_DURATION_S:g} s"]
    return []


def _capacity(command: FaultCommand) -> list[str]:
    capacity = command.capacity
    needs = command.fault == "backhaul" and command.action == "inject"
    if capacity is None:
        return ["capacity: a backhaul inject needs the fraction of throughput left (0–1)"] if needs else []
    if not needs:
        return ["capacity: only a backhaul inject has one"]
    if not (math.isfinite(capacity) and 0.0 <= capacity <= 1.0):
        return [f"capacity: {capacity} is outside 0–1"]
    return []

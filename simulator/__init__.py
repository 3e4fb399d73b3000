"""psn radio network simulator: Band 14 LTE plans, 3GPP propagation, QoS scheduling, capacity and coverage.

A client of the psn server that never imports it: the radio model talks to it over MQTT only (`psn sim run
--mqtt` cell KPIs; `psn sim network`, the live network equipment); the demo fleet, probe vehicles and body cams
send fixes and video (MQTT, HTTP, WebRTC).
Exports load lazily, so importing a sibling module (e.g. `simulator.fleet`) stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "PATH_LOSS_MODELS": ("simulator.radio.pathloss", "MODELS"),
    "VIDEO_RATES": ("simulator.capacity", "VIDEO_RATES"),
    "NetworkPlan": ("simulator.plan", "NetworkPlan"),
    "PlanError": ("simulator.plan", "PlanError"),
    "Scenario": ("simulator.scenario", "Scenario"),
    "ScenarioError": ("simulator.scenario", "ScenarioError"),
    "Uma3dCalibration": ("simulator.calibration", "Uma3dCalibration"),
    "cell_kpis": ("simulator.sim", "cell_kpis"),
    "coverage_raster": ("simulator.coverage", "coverage_raster"),
    "link_conditions": ("simulator.sim", "link_conditions"),
    "load_plan": ("simulator.plan", "load_plan"),
    "load_scenario": ("simulator.scenario", "load_scenario"),
    "make_probes": ("simulator.capacity", "make_probes"),
    "parse_plan": ("simulator.plan", "parse_plan"),
    "parse_scenario": ("simulator.scenario", "parse_scenario"),
    "run": ("simulator.sim", "run"),
    "video_capacity": ("simulator.capacity", "video_capacity"),
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'simulator' has no attribute {name!r}")
    module, attr = _EXPORTS[name]
    return getattr(import_module(module), attr)

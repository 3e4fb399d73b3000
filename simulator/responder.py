"""How a demo unit answers psn's commands, as a field unit's software would: acknowledge each command once (psn
resends until acknowledged, so a repeated id is acknowledged again and acted on never twice), drive an
assignment's route to the scene reporting `en_route`, then `on_scene`, stay a while, and report `available`.

Pure: `Responder.command` and `Responder.step` take the time and return the messages to publish as
(kind, payload) pairs; the fleet's shell publishes them on the unit's topics. Routes come in the command
([lon, lat] pairs from psn's road router); without one the unit heads straight for the scene.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from traffic.utm import to_utm

ON_SCENE_S = (120.0, 420.0)  # how long a demo unit stays at a scene (uniform)
RESPONSE_SPEEDUP = 1.25  # lights and sirens: faster than patrol, as far as the road allows
KNOWN = frozenset({"assignment", "message"})
Outgoing = list[tuple[str, dict[str, Any]]]


@dataclass
class Task:
    """The assignment a unit is working: its path to the scene (UTM metres) and when it may clear."""

    incident: str
    path: NDArray[np.float64]
    clear_at: float | None = None  # set on arrival


@dataclass
class Responder:
    answered: dict[str, dict[str, Any]] = field(default_factory=dict)  # command id → the ack it got
    task: Task | None = None

    def command(self, cmd: Any, here_xy: NDArray[np.float64], now: float) -> Outgoing:
        """The messages answering `cmd` (a decoded cmd payload); nothing for a payload without an id."""
        if not isinstance(cmd, dict) or not isinstance(cmd.get("id"), str):
            return []
        ref = cmd["id"]
        if ref in self.answered:  # a resend: the same answer again, acted on once
            return [("ack", {**self.answered[ref], "ts": now})]
        known = cmd.get("type") in KNOWN
        ack = {"ts": now, "ref": ref, "result": "accepted" if known else "rejected"}
        self.answered[ref] = ack
        out: Outgoing = [("ack", ack)]
        if cmd.get("type") != "assignment":
            return out
        if self.task is not None:
            out[0][1].update(result="rejected", note=f"busy on incident {self.task.incident}")
            return out
        path = _path(cmd, here_xy)
        if path is None:
            out[0][1].update(result="rejected", note="no usable location in the assignment")
            return out
        self.task = Task(str(cmd.get("incident", "")), path)
        return [*out, ("status", {"ts": now, "status": "en_route"})]

    def arrived(self, now: float, dwell_s: float) -> Outgoing:
        assert self.task is not None
        self.task.clear_at = now + dwell_s
        return [("status", {"ts": now, "status": "on_scene"})]

    def cleared(self, now: float) -> Outgoing:
        self.task = None
        return [("status", {"ts": now, "status": "available"})]


def _path(cmd: dict[str, Any], here_xy: NDArray[np.float64]) -> NDArray[np.float64] | None:
    """Here, then the route's points, then the scene itself, in UTM metres; None without a finite scene."""
    lat, lon = cmd.get("lat"), cmd.get("lon")
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in (lat, lon)):
        return None
    route = cmd.get("route") or []
    points = [p for p in route if isinstance(p, list | tuple) and len(p) == 2
              and all(isinstance(v, int | float) and math.isfinite(v) for v in p)]
    lonlat = np.array([*points, [lon, lat]], dtype=float)
    return np.vstack([here_xy.reshape(1, 2), to_utm(lonlat[:, 0], lonlat[:, 1])])

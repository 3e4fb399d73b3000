"""Which units to send to an incident: candidates from the live picture (positions) and the unit board (state,
incident), the road ETAs of every fitting unit from one reverse search over the shipped road graph, ranked with
their exclusion reasons by `dispatch.recommend`, and the route geometry of the top N only (a second search that
keeps predecessors, for N units instead of all). Blocking (scipy): callers run it off the event loop."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import numpy as np

import dispatch
from dispatch import Candidate, Incident, Recommendation
from psn.cad.board import UnitBoard
from psn.roads import RoadModel
from psn.state import LiveState
from traffic.graph import FloatArray
from traffic.router import Router

log = logging.getLogger(__name__)
Visible = Callable[[str, str], bool]  # (agency, "agency/unit") → may the caller see the unit


class Recommender:
    def __init__(self, state: LiveState, board: UnitBoard, roads: RoadModel,
                 live_speeds: Callable[[], FloatArray | None]) -> None:
        self.state = state
        self.board = board
        self.roads = roads
        self.live_speeds = live_speeds

    def router(self) -> Router:
        """The road router on live speeds where measured (free flow until traffic has any). The graph is built on
        the first recommendation (1.6 s for the shipped graph on the 2-core CI box): servers that never recommend
        (most tests) never pay it."""
        router = self.roads.router()
        speeds = self.live_speeds()
        return router if speeds is None else router.with_speeds(speeds)

    def candidates(self, visible: Visible) -> list[Candidate]:
        """Every unit the caller may see: those with a position in the live picture and those only on the board."""
        found: dict[str, Candidate] = {}
        for unit in self.state.snapshot():
            if visible(unit.agency, unit.id):
                status, incident = self.board.state(unit.id)
                position = (unit.lat, unit.lon) if unit.lat is not None and unit.lon is not None else None
                found[unit.id] = Candidate(unit.id, unit.agency, status, position, incident=incident)
        for entry in self.board.snapshot():
            agency = entry.unit.split("/", 1)[0]
            if entry.unit not in found and visible(agency, entry.unit):
                found[entry.unit] = Candidate(entry.unit, agency, entry.state, None, incident=entry.incident)
        return sorted(found.values(), key=lambda c: c.id)

    def recommend(self, incident: Incident, visible: Visible, top: int) -> dict[str, Any]:
        """The contract's JSON: ranked (with routes), more, excluded. DispatchError for a closed incident."""
        units = self.candidates(visible)
        target = (incident.location.lon, incident.location.lat)
        placed = [u for u in units if u.position is not None]
        router = self.router()
        seconds = router.travel_times_to(target, [(u.position[1], u.position[0]) for u in placed if u.position])
        eta = {u.id: float(s) for u, s in zip(placed, seconds, strict=True)}
        found: Recommendation = dispatch.recommend(incident, units, lambda u: eta.get(u.id, math.nan), top=top)
        routes = router.routes_to(target, np.array([(r.unit.position[1], r.unit.position[0])
                                                    for r in found.ranked if r.unit.position]).reshape(-1, 2))
        return {
            "ranked": [{"unit": r.unit.id, "agency": r.unit.agency, "eta_s": r.eta_s,
                        "route": [[lon, lat] for lon, lat in route.path]}
                       for r, route in zip(found.ranked, routes, strict=True)],
            "more": found.more,
            "excluded": [{"unit": e.unit.id, "reason": e.reason.value, "detail": e.detail} for e in found.excluded],
        }

"""What map matching hands to the segment-speed estimator: one measured speed on one directed edge.

Shared by `traffic.matching` (which makes them from matched fixes), `traffic.speeds` / `traffic.history` (which
aggregate them) and the psn shell that moves them between the two. No vehicle identity travels with a sample:
what leaves the matcher is already anonymous (docs/traffic.md, probe privacy). `token` is the matcher's number
for the vehicle that gave the sample (a counter, not derived from its name, new each time the matcher takes a
vehicle on), so that the drop detector can tell one standing vehicle from a queue; it is never stored, served
or published.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SpeedSample:
    edge: int  # directed edge index of the RoadGraph the matcher runs on
    ts: float  # epoch seconds at which the speed held (a fix's time, or the middle of the interval measured)
    speed_mps: float
    spot: bool  # True: the vehicle's own reported speed at a matched fix; False: path length / time between fixes
    pos_m: float = math.nan  # spot samples: metres along the edge from its tail; NaN: the whole edge
    token: int = -1  # the anonymous trace number (`traffic.pieces`); -1: unknown, a vehicle of its own

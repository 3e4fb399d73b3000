"""Fixes and probe positions off the bus → the map matcher, in batches (`Matcher.push_many`).

A unit's fixes are its own trace (vehicle key = the unit id); a probe's is `probe:{source}:{vehicle}`, so two feeds
that happen to pick the same pseudonym never share a trace. Positions go to UTM 16N metres here, in one vectorised
call per batch; nothing of them is kept outside the matcher's per-vehicle state. A unit's samples below
`UNIT_STILL_MPS` are dropped: parked, not queued.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from psn.events import FixAccepted, ProbeAccepted
from psn.traffic.engines import Matching
from traffic.samples import SpeedSample
from traffic.utm import to_utm

# A unit standing still is parked (a station, a scene) far more often than queued: its samples below this would
# read its road as jammed (measured: a unit parked on the 2 km test road, 1 fix/s, made the edge jammed at
# confidence 1.0 and 0.5 m/s for dispatch ETAs). Probes keep theirs: buses and taxis queue like the traffic.
UNIT_STILL_MPS = 1.0


def probe_key(source: str, vehicle: str) -> str:
    return f"probe:{source}:{vehicle}"


@dataclass
class Fed:
    """What one batch did: the speed samples the matcher decided, its outcomes counted by name, and the samples
    of units standing still, dropped."""

    samples: list[SpeedSample] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    standing: int = 0


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def feed(matcher: Matching, events: Sequence[FixAccepted | ProbeAccepted]) -> Fed:
    """Pushes every position of `events` (in order) and gathers what the matcher decided."""
    fed = Fed()
    if not events:
        return fed
    vehicles: list[str] = []
    rows: list[tuple[float, float, float, float, float]] = []  # ts, lon, lat, speed, heading
    for event in events:
        if isinstance(event, FixAccepted):
            fix = event.fix
            vehicles.append(fix.who.id)
            rows.append((fix.ts, fix.lon, fix.lat, _nan(fix.speed), _nan(fix.heading)))
        else:
            probe = event.probe
            vehicles.append(probe_key(probe.source, probe.vehicle))
            rows.append((probe.ts, probe.lon, probe.lat, _nan(probe.speed), _nan(probe.heading)))
    table = np.array(rows, dtype=float)
    xy = to_utm(table[:, 1], table[:, 2])
    units = [isinstance(event, FixAccepted) for event in events]
    # A push decides its own vehicle's samples (fixed lag: those of its previous fix), so they are that vehicle's.
    for unit, pushed in zip(units, matcher.push_many(vehicles, table[:, 0], xy, table[:, 3], table[:, 4]),
                            strict=True):
        fed.outcomes[str(pushed.outcome)] += 1
        kept = [s for s in pushed.samples if s.speed_mps >= UNIT_STILL_MPS] if unit else pushed.samples
        fed.standing += len(pushed.samples) - len(kept)
        fed.samples.extend(kept)
    return fed

"""Fixes and probe positions off the bus → the map matcher, in batches (`push_packed`: `Matcher.push_many` in the
matcher's process, its answer packed into arrays).

A unit's fixes are its own trace (vehicle key = the unit id); a probe's is `probe:{source}:{vehicle}`, so two feeds
that happen to pick the same pseudonym never share a trace. Positions go to UTM 16N metres here, in one vectorised
call per batch; nothing of them is kept outside the matcher's per-vehicle state. A unit's samples below
`UNIT_STILL_MPS` are dropped: parked, not queued.

Each event is checked on its own: one whose time or position is not a finite number in range (or that is not a
position at all) is counted as the outcome `bad` and left out, so it never costs the batch around it (the bus
loses a batch whose handler raises).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from psn.events import FixAccepted, ProbeAccepted
from psn.traffic.engines import Matching
from traffic.matching import OUTCOMES, Outcome
from traffic.samples import SpeedSample
from traffic.utm import to_utm

# A unit standing still is parked (a station, a scene) far more often than queued: its samples below this would
# read its road as jammed (measured: a unit parked on the 2 km test road, 1 fix/s, made the edge jammed at
# confidence 1.0 and 0.5 m/s for dispatch ETAs). Probes keep theirs: buses and taxis queue like the traffic.
UNIT_STILL_MPS = 1.0
_BAD = (math.nan,) * 5


def probe_key(source: str, vehicle: str) -> str:
    return f"probe:{source}:{vehicle}"


@dataclass
class Fed:
    """What one batch did: the speed samples the matcher decided, its outcomes counted by name, and the samples
    of units standing still, dropped."""

    samples: list[SpeedSample] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    standing: int = 0


def _row(event: Any) -> tuple[str, bool, tuple[Any, ...]]:
    """(vehicle key, is a unit, (ts, lon, lat, speed, heading)) of one event; raises on what is not a position."""
    if isinstance(event, FixAccepted):
        fix = event.fix
        return fix.who.id, True, (fix.ts, fix.lon, fix.lat, fix.speed, fix.heading)
    if not isinstance(event, ProbeAccepted):
        raise TypeError(f"not a position: {type(event).__name__}")
    probe = event.probe
    return probe_key(probe.source, probe.vehicle), False, (probe.ts, probe.lon, probe.lat, probe.speed, probe.heading)


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def _table(rows: list[tuple[Any, ...]]) -> np.ndarray[Any, Any]:
    """(n, 5) floats, None as NaN; a row holding what is not a number becomes all NaN (then judged bad)."""
    try:
        return np.array(rows, dtype=float)  # None → NaN
    except (TypeError, ValueError):
        table = np.empty((len(rows), 5))
        for i, row in enumerate(rows):
            try:
                table[i] = [_number(v) for v in row]
            except (TypeError, ValueError):
                table[i] = _BAD
        return table


def feed(matcher: Matching, events: Sequence[FixAccepted | ProbeAccepted]) -> Fed:
    """Pushes every valid position of `events` (in order) and gathers what the matcher decided."""
    fed = Fed()
    vehicles: list[str] = []
    units: list[bool] = []
    rows: list[tuple[Any, ...]] = []  # ts, lon, lat, speed, heading
    for event in events:
        try:
            vehicle, unit, row = _row(event)
        except (AttributeError, TypeError):
            vehicle, unit, row = "", False, _BAD
        vehicles.append(vehicle)
        units.append(unit)
        rows.append(row)
    if not rows:
        return fed
    table = _table(rows)
    with np.errstate(invalid="ignore"):
        good = (np.isfinite(table[:, :3]).all(axis=1) & (np.abs(table[:, 2]) <= 90) & (np.abs(table[:, 1]) <= 180)
                & ~np.isinf(table[:, 3:]).any(axis=1))
    if bad := int((~good).sum()):
        fed.outcomes[str(Outcome.BAD)] += bad
    kept = np.flatnonzero(good)
    if not len(kept):
        return fed
    table = table[kept]
    packed = matcher.push_packed([vehicles[i] for i in kept], table[:, 0], to_utm(table[:, 1], table[:, 2]),
                                 table[:, 3], table[:, 4])
    for code, count in enumerate(np.bincount(packed.outcome, minlength=len(OUTCOMES)).tolist()):
        if count:
            fed.outcomes[str(OUTCOMES[code])] += count
    # A push decides its own vehicle's samples (fixed lag: those of its previous fix), so they are that vehicle's.
    standing = np.asarray(units)[kept][packed.sample_of] & (packed.speed_mps < UNIT_STILL_MPS)
    fed.standing = int(standing.sum())
    fed.samples = packed.samples(~standing)
    return fed

"""SUMO's FCD turned into probe fixes: a seeded random share of the simulated vehicles, their 1 s FCD rows as
fixes (x, y in UTM 16N metres and lon/lat by `traffic.utm.to_lonlat`, speed, SUMO's angle as the compass
heading), times shifted to epoch seconds from EPOCH0, a multiple of the 300 s history bin so that SUMO's
intervals and psn's bins coincide.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bench.sumo_output import Fcd
from traffic.graph import FloatArray
from traffic.utm import to_lonlat

EPOCH0 = 1_764_000_000.0  # = 5,880,000 x 300 s: SUMO's t = 0 falls on a history bin boundary
NOT_TRAFFIC = "incident."  # the incident's stopped vehicles (bench/sumo_scenario.py) are never probes


@dataclass(frozen=True, eq=False)
class Probes:
    """Fixes in time order; `vehicle` is a pseudonym (the SUMO id's index among the chosen)."""

    ts: FloatArray  # epoch seconds
    vehicle: tuple[str, ...]
    xy: FloatArray
    lonlat: FloatArray
    speed_mps: FloatArray
    heading_deg: FloatArray

    def __len__(self) -> int:
        return len(self.ts)


def choose(fcd: Fcd, fraction: float, seed: int) -> NDArray[np.bool_]:
    """A mask over FCD rows: every row of round(fraction x vehicles) vehicles drawn without replacement (≥ 1),
    among the traffic (not the incident's stopped vehicles)."""
    traffic = np.array([not name.startswith(NOT_TRAFFIC) for name in fcd.ids], dtype=bool)
    candidates = np.flatnonzero(traffic)
    count = min(max(1, round(fraction * len(candidates))), len(candidates))
    chosen = np.zeros(len(fcd.ids), dtype=bool)
    chosen[np.random.default_rng(seed).choice(candidates, size=count, replace=False)] = True
    return chosen[fcd.vehicle]


def probes(fcd: Fcd, rows: NDArray[np.bool_]) -> Probes:
    pick = np.flatnonzero(rows)
    pseudonym = {v: f"p{k:05d}" for k, v in enumerate(np.unique(fcd.vehicle[pick]))}
    xy = fcd.xy[pick]
    return Probes(EPOCH0 + fcd.ts[pick], tuple(pseudonym[v] for v in fcd.vehicle[pick]), xy,
                  to_lonlat(xy).reshape(-1, 2), fcd.speed_mps[pick], fcd.angle_deg[pick] % 360.0)


def seconds(probes: Probes) -> list[slice]:
    """One slice of `probes` per distinct timestamp, in order."""
    cuts = np.flatnonzero(np.diff(probes.ts)) + 1
    edges = np.concatenate([[0], cuts, [len(probes.ts)]])
    return [slice(int(a), int(b)) for a, b in itertools.pairwise(edges) if b > a]



"""The demo's scripted slowdowns: where and when probe vehicles drive slower than the road allows.

A `Slowdown` is a circle on the map and a schedule on the demo's clock (seconds since the probe fleet started).
`CRASH` is an incident (a sudden crawl on ~1 km of the Philip Goldson Highway just north of Belize City, 10
minutes every 30), which the traffic service should raise as an alert; `RUSH_HOUR` is recurring congestion in
Belize City that builds up and eases off over minutes, so it shows as slow traffic and never as a sudden drop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from traffic.utm import to_utm


@dataclass(frozen=True, slots=True)
class Slowdown:
    name: str
    center: tuple[float, float]  # lon, lat
    radius_m: float
    first_s: float  # its first onset, seconds after the demo started
    every_s: float
    lasts_s: float  # from onset to the end of the easing off
    crawl_kmh: tuple[float, float] | None = None  # a crash: everyone crawls at a speed in this range
    factor: float = 1.0  # otherwise: this fraction of the speed the vehicle would drive
    ramp_s: float = 0.0  # build-up and easing-off time; 0 = sudden
    _xy: NDArray[np.float64] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_xy", to_utm(*self.center)[0])

    def strength(self, t: float) -> float:
        """0 (no effect) … 1 (full effect) at `t` seconds on the demo's clock."""
        if t < self.first_s:
            return 0.0
        into = (t - self.first_s) % self.every_s
        if into >= self.lasts_s:
            return 0.0
        if self.ramp_s <= 0:
            return 1.0
        return float(min(1.0, into / self.ramp_s, (self.lasts_s - into) / self.ramp_s))

    def covers(self, xy: NDArray[np.float64]) -> bool:
        """Whether the point (UTM metres) is on the affected stretch."""
        return math.hypot(float(xy[0] - self._xy[0]), float(xy[1] - self._xy[1])) <= self.radius_m

    def speed(self, free_mps: float, crawl_draw: float) -> float:
        """The speed at full strength of a vehicle that would drive `free_mps`; `crawl_draw` (0…1, drawn once per
        vehicle) picks its place in the crawl range."""
        if self.crawl_kmh is None:
            return free_mps * self.factor
        low, high = self.crawl_kmh
        return min(free_mps, (low + (high - low) * crawl_draw) / 3.6)


# The 2 km Philip Goldson Highway segment between Belize City and Ladyville: a 500 m circle on its midpoint
# covers 1 km of it and no other shipped road (the nearest, Lake Independence Boulevard, is 2 km away).
CRASH = Slowdown("crash on the Philip Goldson Highway", (-88.2399, 17.5306), 500.0,
                 first_s=600.0, every_s=1800.0, lasts_s=600.0, crawl_kmh=(10.0, 15.0))
# Central Belize City around the George Price Highway and Central American Boulevard: 60 % of the speed (the
# traffic view's "slow", and above the half of its usual speed at which a sudden drop is an incident), built up
# over 5 minutes, 15 minutes every 30.
RUSH_HOUR = Slowdown("rush hour in Belize City", (-88.2050, 17.5030), 900.0,
                     first_s=1200.0, every_s=1800.0, lasts_s=900.0, factor=0.6, ramp_s=300.0)
SLOWDOWNS = (CRASH, RUSH_HOUR)


def slowed(free_mps: float, xy: NDArray[np.float64], t: float, crawl_draw: float,
           slowdowns: tuple[Slowdown, ...] = SLOWDOWNS) -> float:
    """The speed of a vehicle that would drive `free_mps` at `xy` (UTM metres), `t` seconds into the demo."""
    speed = free_mps
    for slowdown in slowdowns:
        strength = slowdown.strength(t)
        if strength > 0 and slowdown.covers(xy):
            speed = min(speed, free_mps + (slowdown.speed(free_mps, crawl_draw) - free_mps) * strength)
    return speed

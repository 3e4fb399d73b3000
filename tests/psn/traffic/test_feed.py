"""Positions into the real map matcher (`psn.traffic.feed`): a unit parked on a road (at a station, at a scene)
gives no speed samples, so it does not read its road as jammed for the traffic view and dispatch ETAs; a moving
unit and a probe standing in a queue do give theirs."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, cast

import pytest

from psn.events import FixAccepted, ProbeAccepted
from psn.traffic import engines as analytics
from psn.traffic.engines import Engines
from psn.traffic.feed import feed
from telemetry import Fix, ProbeFix, UnitRef
from tests.psn.traffic import standins
from traffic.router import Router

T0 = 1_764_400_000.0


@pytest.fixture
def engines() -> Iterator[Engines]:
    built = analytics.build(Router(standins.road()))
    yield built
    built.close()


def unit_fix(unit: str, i: int, start_m: float, speed: float) -> FixAccepted:
    lon, lat = standins.along(start_m, speed, 1.0, i)
    return FixAccepted(Fix(UnitRef("police", unit), T0 + i, lat, lon, speed=speed, heading=90.0), T0 + i)


def test_a_parked_unit_gives_no_speeds_and_a_moving_one_does(engines: Engines) -> None:
    parked = feed(engines.matcher, [unit_fix("P-1", i, 1000.0, 0.0) for i in range(60)])
    assert (parked.samples, parked.outcomes["matched"], parked.standing) == ([], 60, 59)
    moving = feed(engines.matcher, [unit_fix("P-2", i, 200.0, 15.0) for i in range(20)])
    assert len(moving.samples) >= 19 and moving.standing == 0
    assert all(s.edge == 0 and s.speed_mps == pytest.approx(15.0, abs=0.5) for s in moving.samples)


def test_a_probe_standing_in_a_queue_keeps_its_speeds(engines: Engines) -> None:
    lon, lat = standins.along(1000.0, 0.0, 1.0, 0)
    queued = feed(engines.matcher, [ProbeAccepted(ProbeFix("bus-co", "b7", T0 + i, lat, lon, speed=0.0,
                                                          heading=90.0), T0 + i) for i in range(30)])
    assert len(queued.samples) >= 29 and {s.speed_mps for s in queued.samples} == {0.0}


def test_bad_events_are_counted_and_the_good_ones_around_them_still_matched(engines: Engines) -> None:
    moving = [unit_fix("P-3", i, 200.0, 15.0) for i in range(20)]
    lon, lat = standins.along(200.0, 15.0, 1.0, 3)
    bad: list[Any] = [
        FixAccepted(Fix(UnitRef("police", "P-4"), T0, math.nan, lon), T0),  # not finite
        FixAccepted(Fix(UnitRef("police", "P-4"), T0, cast(float, None), lon), T0),  # not a number
        FixAccepted(Fix(UnitRef("police", "P-4"), T0, 95.0, lon), T0),  # beyond a pole
        FixAccepted(Fix(UnitRef("police", "P-4"), T0, lat, lon, speed=cast(float, "fast")), T0),  # not a speed
        FixAccepted(cast(Fix, None), T0),  # no fix at all
        "not an event",
    ]
    fed = feed(engines.matcher, [*moving[:5], *bad[:3], *moving[5:12], *bad[3:], *moving[12:]])
    assert (fed.outcomes["bad"], fed.outcomes["matched"]) == (6, 20)
    assert len(fed.samples) >= 19
    assert all(s.edge == 0 and s.speed_mps == pytest.approx(15.0, abs=0.5) for s in fed.samples)


def test_a_position_beyond_a_pole_or_the_date_line_never_reaches_the_matcher() -> None:
    matcher = standins.Matcher()
    lon, lat = standins.along(200.0, 15.0, 1.0, 0)
    events = [FixAccepted(Fix(UnitRef("police", "P-5"), T0 + i, la, lo, speed=15.0), T0 + i)
              for i, (la, lo) in enumerate([(lat, lon), (90.5, lon), (lat, 181.0), (lat, -180.5), (lat, lon)])]
    fed = feed(matcher, events)
    assert [list(ts) for _, ts, _ in matcher.pushes] == [[T0, T0 + 4]]
    assert (fed.outcomes["bad"], fed.outcomes["matched"]) == (3, 2)

import json

import numpy as np
import pytest

from simulator.fleet import Fleet
from telemetry import Fix, decode
from tests.decoding import context
from traffic import load_roads


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return Fleet(load_roads(), 24, np.random.default_rng(1))


def test_units_are_police_and_nemo_and_move_along_roads(fleet: Fleet) -> None:
    assert {u.agency for u in fleet.units} == {"police", "nemo"}
    before = [fleet.fix(u, 0.0) for u in fleet.units]
    fleet.step(10.0)
    after = [fleet.fix(u, 10.0) for u in fleet.units]
    moved = sum(a["lat"] != b["lat"] or a["lon"] != b["lon"] for a, b in zip(before, after, strict=True))
    assert moved >= 20
    for fix in after:
        assert 15.8 < fix["lat"] < 18.6 and -89.3 < fix["lon"] < -87.4
        assert 0 <= fix["heading"] < 360


def test_fixes_are_valid_psn_v1_messages(fleet: Fleet) -> None:
    unit = fleet.units[0]
    message = json.dumps(fleet.fix(unit, 1_764_383_040.0)).encode()
    decoded = decode(f"psn/v1/{unit.agency}/{unit.unit}/telemetry", message, context(1_764_383_040.0))
    assert isinstance(decoded, Fix)


def test_a_long_drive_keeps_every_unit_on_the_map(fleet: Fleet) -> None:
    for _ in range(360):
        fleet.step(10.0)  # an hour
    for unit in fleet.units:
        fix = fleet.fix(unit, 0.0)
        assert 15.8 < fix["lat"] < 18.6

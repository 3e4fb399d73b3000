"""The demo units' answers to psn's commands, written out by hand from docs/protocol.md's cmd and ack sections."""

import numpy as np

from simulator.fleet import Fleet
from simulator.responder import Responder
from traffic import load_roads
from traffic.utm import to_utm

HERE = to_utm(-88.20, 17.50)[0]
ASSIGNMENT = {"id": "c-1", "ts": 10.0, "type": "assignment", "incident": "police-00007", "priority": 1,
              "lat": 17.51, "lon": -88.19, "route": [[-88.199, 17.501], [-88.195, 17.505]]}


def test_an_assignment_is_acknowledged_once_and_sets_the_unit_en_route() -> None:
    responder = Responder()
    assert responder.command(ASSIGNMENT, HERE, 11.0) == [
        ("ack", {"ts": 11.0, "ref": "c-1", "result": "accepted"}),
        ("status", {"ts": 11.0, "status": "en_route"}),
    ]
    assert responder.task is not None and responder.task.incident == "police-00007"
    # here, two route points, the scene: four points, starting where the unit is
    assert responder.task.path.shape == (4, 2) and np.allclose(responder.task.path[0], HERE)
    # psn resends until it hears the ack: the same answer again, acted on never twice
    assert responder.command(ASSIGNMENT, HERE, 31.0) == [("ack", {"ts": 31.0, "ref": "c-1", "result": "accepted"})]


def test_other_commands_are_answered_by_type() -> None:
    responder = Responder()
    assert responder.command({"id": "m-1", "type": "message", "text": "hi"}, HERE, 1.0) == [
        ("ack", {"ts": 1.0, "ref": "m-1", "result": "accepted"})]
    assert responder.command({"id": "r-1", "type": "reboot"}, HERE, 2.0) == [
        ("ack", {"ts": 2.0, "ref": "r-1", "result": "rejected"})]
    assert responder.command({"type": "assignment"}, HERE, 3.0) == []
    assert responder.command("not a command", HERE, 3.0) == []
    assert responder.command({"id": "a-2", "type": "assignment", "lat": None}, HERE, 4.0) == [
        ("ack", {"ts": 4.0, "ref": "a-2", "result": "rejected", "note": "no usable location in the assignment"})]
    responder.command(ASSIGNMENT, HERE, 5.0)
    assert responder.command({**ASSIGNMENT, "id": "c-2", "incident": "police-00008"}, HERE, 6.0) == [
        ("ack", {"ts": 6.0, "ref": "c-2", "result": "rejected", "note": "busy on incident police-00007"})]


def test_a_fleet_unit_drives_to_the_scene_stays_and_clears() -> None:
    fleet = Fleet(load_roads(), 12, np.random.default_rng(3))
    unit = fleet.units[0]
    start = fleet.fix(unit, 0.0)
    scene = {"id": "c-9", "type": "assignment", "incident": "police-00009", "lat": start["lat"] + 0.01,
             "lon": start["lon"], "route": []}
    sent = [(k, p["status"]) for _u, k, p in fleet.command(unit, scene, 100.0) if k == "status"]
    assert sent == [("status", "en_route")]
    reports: list[tuple[float, str]] = []
    for step in range(1, 200):  # 10 s steps; about 1.1 km straight to the scene, then 2 to 7 minutes there
        now = 100.0 + 10 * step
        reports += [(now, p["status"]) for _u, k, p in fleet.step(10.0, now) if k == "status"]
        if reports and reports[-1][1] == "available":
            break
    assert [status for _, status in reports] == ["on_scene", "available"]
    arrived, cleared = (t for t, _ in reports)
    assert arrived <= 100.0 + 1110 / 8.0 + 10  # at least 8 m/s
    assert 120.0 <= cleared - arrived <= 430.0
    here = fleet.fix(unit, 0.0)
    # It patrols on from the scene itself (0.0001° ≈ 11 m), not from a road vertex it would jump to.
    assert abs(here["lat"] - scene["lat"]) < 1e-4 and abs(here["lon"] - scene["lon"]) < 1e-4


def test_every_twelfth_unit_is_out_of_service_and_parked() -> None:
    fleet = Fleet(load_roads(), 24, np.random.default_rng(3))
    parked = [u for u in fleet.units if u.status == "out_of_service"]
    assert [fleet.units.index(u) for u in parked] == [11, 23]
    before = [fleet.fix(u, 0.0) for u in parked]
    fleet.step(60.0, 60.0)
    assert [fleet.fix(u, 0.0) for u in parked] == before

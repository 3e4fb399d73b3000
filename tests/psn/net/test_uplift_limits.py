"""What an uplift may name, over real HTTP against psn on a real Mosquitto: only units psn knows (a fix, a link
report, a device bound to it), a 422 naming the others after the rights are decided; at most qos_max_uplifts in
force (3 here), a 409 saying so beyond."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from psn.access import Role
from psn.clock import ManualClock
from psn.events import LinkAccepted
from telemetry import LinkReport, UnitRef
from tests.psn.net.qos_support import Equipment, audit, bearer, known, qos_server, token, uplift
from tests.support import RunningServer, wait_for

BODY_CAM = {"id": "BC-7", "kind": "body_cam", "agency": "police", "imei": "490154203237518", "unit": "P-3"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, ManualClock, Equipment]]:
    with qos_server(Path(tmp_path_factory.mktemp("qos-limits")), qos_max_uplifts=3) as (running, clock, broker):
        equipment = Equipment(broker.url)
        yield running, clock, equipment
        equipment.close()


def test_only_units_psn_knows_are_uplifted(world: tuple[RunningServer, ManualClock, Equipment]) -> None:
    server, clock, equipment = world
    dispatcher = token(server, "police", Role.DISPATCHER)
    known(server, "police/P-1")  # a fix
    link = LinkReport(UnitRef("police", "P-2"), clock.time(), "BZE-PMD-1", -90.0, 10.0, 1.0, 2.0)
    server.server.bus.publish(LinkAccepted(link, clock.time()))  # the network reports P-2's link
    wait_for(lambda: server.server.net_kpis.latest_link("police/P-2"))
    bound = httpx.post(f"{server.base_url}/api/v1/net/inventory/devices", json=BODY_CAM,
                       headers=bearer(token(server, "police", Role.NETWORK_ADMIN)))
    assert bound.status_code == 201, bound.text  # P-3 has a body cam in the inventory, never reported yet

    typo = uplift(server, dispatcher, units=["police/P-1", "police/P-l", "police/P-99"])
    assert typo.status_code == 422
    assert typo.json()["detail"] == ("units: psn does not know police/P-l, police/P-99 (no fix, status or link "
                                     "report from it, and no device bound to it)")
    assert [e["why"] for e in audit(server, "qos.uplift_refused")] == [typo.json()["detail"]]
    assert "police/P-1" not in equipment.latest()["units"]
    # Another agency's unknown unit is refused by right first: whether it exists does not leak to police.
    other = uplift(server, dispatcher, units=["fire/E-404"])
    assert other.status_code == 403 and "psn does not know" not in other.json()["detail"]

    answer = uplift(server, dispatcher, units=["police/P-1", "police/P-2", "police/P-3"])
    assert answer.status_code == 201, answer.text
    equipment.wait(lambda d: {"police/P-1", "police/P-2", "police/P-3"} <= set(d["units"]))
    httpx.delete(f"{server.base_url}/api/v1/net/uplifts/{answer.json()['id']}", headers=bearer(dispatcher))


def test_uplifts_in_force_and_units_per_uplift_are_capped(world: tuple[RunningServer, ManualClock,
                                                                         Equipment]) -> None:
    server, _clock, equipment = world
    dispatcher = token(server, "police", Role.DISPATCHER)
    units = [f"police/P-{i}" for i in range(10, 111)]
    known(server, *units)
    too_many = uplift(server, dispatcher, units=units)  # 101: more than one uplift names
    assert too_many.status_code == 422 and "at most 100" in too_many.text
    ids = []
    for unit in units[:3]:
        answer = uplift(server, dispatcher, units=[unit])
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    full = uplift(server, dispatcher, units=[units[3]])
    assert full.status_code == 409
    assert full.json()["detail"] == ("3 uplifts are in force, the most psn keeps at once (qos_max_uplifts): "
                                     "cancel one, or add these units to one in force")
    assert units[3] not in equipment.latest()["units"]
    assert httpx.delete(f"{server.base_url}/api/v1/net/uplifts/{ids[0]}", headers=bearer(dispatcher)).is_success
    assert uplift(server, dispatcher, units=units[3:103]).status_code == 201  # room again; 100 units is allowed
    equipment.wait(lambda d: set(units[3:103]) <= set(d["units"]))

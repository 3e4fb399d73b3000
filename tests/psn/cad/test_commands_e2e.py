"""Commands end to end: psn on a real Mosquitto, units as real paho clients on their `cmd` topics, consoles on
the live WebSocket. Assignment fields, acks, resends, forged and duplicate acks — expectations written by hand."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dispatch import create
from psn.access import Role
from psn.cad.assignments import assign
from tests.psn.cad.consoles import consoles
from tests.psn.cad.mqtt_unit import Unit
from tests.support import Mosquitto, RunningServer, make_settings, publish_fix, wait_for

TIMEOUT_S = 1.0  # the ack time-out in these tests: 2 resends, so unacknowledged about 3 s after sending


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    tmp = Path(tmp_path_factory.mktemp("cmd"))
    broker = Mosquitto(tmp).start()
    server = RunningServer(make_settings(tmp, broker.url, cmd_ack_timeout_s=TIMEOUT_S, cmd_resends=2)).start()
    for unit in ("P-1", "P-2", "P-3", "P-4"):
        publish_fix(broker.url, "police", unit, 17.5, -88.2)
    wait_for(lambda: len(server.server.state) == 4)
    try:
        yield server
    finally:
        server.stop()
        broker.stop()


def _metric(running: RunningServer, line: str) -> float:
    text = httpx.get(f"{running.base_url}/metrics", headers=running.headers("police", Role.NETWORK_ADMIN)).text
    found = re.search(rf"^{re.escape(line)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def _commands(running: RunningServer, **query: str) -> dict[str, dict[str, object]]:
    body = httpx.get(f"{running.base_url}/api/v1/commands", params=query, headers=running.headers("police")).json()
    return {c["id"]: c for c in body["commands"]}


def test_a_unit_receives_its_assignment_acks_it_and_the_dispatcher_sees_the_ack(running: RunningServer) -> None:
    unit = Unit(running.mqtt_url, "police", "P-1")
    incident, _ = create("police-00101", "p.disp", time.time() - 30, type="robbery", priority=1, lat=17.4986,
                         lon=-88.1986, notes="armed, two suspects", owner="police", address="Albert St",
                         place="Belize City")
    with consoles(running, police=running.token("police"), nemo=running.token("nemo")) as live:
        police, nemo = live["police"], live["nemo"]
        now = time.time()
        command_id = assign(running.server.cad.board, running.server.cad.commands, "police/P-1", incident,
                            [[-88.2, 17.5], [-88.1986, 17.4986]], "p.disp", now)
        wait_for(lambda: unit.received)
        received = unit.received[0]
        assert received == {"id": command_id, "ts": received["ts"], "type": "assignment",
                            "incident": "police-00101", "incident_type": "robbery", "priority": 1,
                            "lat": 17.4986, "lon": -88.1986, "address": "Albert St", "place": "Belize City",
                            "notes": "armed, two suspects", "route": [[-88.2, 17.5], [-88.1986, 17.4986]]}
        assert abs(received["ts"] - now) < 5
        unit.ack(command_id, "accepted")
        acked = wait_for(lambda: [e for e in police.of("command_ack") if e["command"]["id"] == command_id])
        assert acked[0]["command"]["state"] == "acknowledged" and acked[0]["command"]["unit"] == "police/P-1"
        assert [e["entry"] for e in police.of("unit_status")] == [
            {"unit": "police/P-1", "state": "dispatched", "incident": "police-00101", "since": now}]
        assert nemo.of("command_ack") == [] and nemo.of("unit_status") == []
    listed = _commands(running, incident="police-00101")[command_id]
    assert (listed["state"], listed["result"], listed["type"]) == ("acknowledged", "accepted", "assignment")
    unit.close()


def test_a_silent_unit_gets_the_same_id_again_then_the_dispatcher_is_alerted(running: RunningServer) -> None:
    unit = Unit(running.mqtt_url, "police", "P-2")
    with consoles(running, police=running.token("police")) as live:
        police = live["police"]
        command_id = running.server.cad.commands.send("police/P-2", "message", {"text": "call base"},
                                                      actor="p.disp")
        alert = wait_for(lambda: police.of("command_unacknowledged"), timeout=4 * TIMEOUT_S + 5)
    assert [m["id"] for m in unit.received] == [command_id] * 3  # sent, then resent twice
    assert len({(m["ts"], m["text"]) for m in unit.received}) == 1  # the same bytes each time
    assert alert[0]["command"]["id"] == command_id and alert[0]["command"]["state"] == "unacknowledged"
    assert alert[0]["command"]["attempts"] == 3
    assert _commands(running, unit="police/P-2")[command_id]["state"] == "unacknowledged"
    unit.close()


def test_a_forged_ack_is_refused_and_counted_and_a_duplicate_counts_once(running: RunningServer) -> None:
    victim, forger = Unit(running.mqtt_url, "police", "P-3"), Unit(running.mqtt_url, "police", "P-4")
    forged_before = _metric(running, "psn_cad_forged_acks_total")
    duplicates_before = _metric(running, 'psn_cad_acks_total{outcome="duplicate"}')
    with consoles(running, police=running.token("police")) as live:
        police = live["police"]
        command_id = running.server.cad.commands.send("police/P-3", "message", {"text": "hold"}, actor="p.disp")
        wait_for(lambda: victim.received)
        forger.ack(command_id, "done")  # on P-4's own ack topic, naming P-3's command
        wait_for(lambda: _metric(running, "psn_cad_forged_acks_total") == forged_before + 1)
        assert _commands(running, unit="police/P-3")[command_id]["state"] == "pending"
        events = httpx.get(f"{running.base_url}/api/v1/security/events", params={"kind": "forged_ack"},
                           headers=running.headers("police", Role.ADMIN)).json()["events"]
        assert events[0]["actor"] == "police/P-4" and events[0]["detail"]["ref"] == command_id
        victim.ack(command_id, "accepted")
        victim.ack(command_id, "accepted")  # the unit's QoS 1 redelivery
        wait_for(lambda: _metric(running, 'psn_cad_acks_total{outcome="duplicate"}') == duplicates_before + 1)
        # The counter can move before the first ack's live event reaches the console (both acks come at once
        # from a broker that sends without Nagle's delay, set_tcp_nodelay in tests/support.Mosquitto).
        acks = wait_for(lambda: [e for e in police.of("command_ack") if e["command"]["id"] == command_id])
    assert [e["command"]["state"] for e in acks] == ["acknowledged"]
    assert _commands(running, unit="police/P-3")[command_id]["state"] == "acknowledged"
    victim.close()
    forger.close()


def test_commands_are_for_dispatchers_of_agencies_that_may_view_the_unit(running: RunningServer) -> None:
    url = f"{running.base_url}/api/v1/commands"
    # (caller, query, status): a field officer has no desk; nemo does not see police units.
    for headers, query, status in [
        (running.headers("police", Role.FIELD_OFFICER), {}, 403),
        (running.headers("nemo"), {"unit": "police/P-1"}, 403),
        (running.headers("police"), {"unit": "nowhere/P-1"}, 422),
        (running.headers("police"), {"unit": "P-1"}, 422),
        (running.headers("police"), {"incident": "a b"}, 422),
    ]:
        response = httpx.get(url, params=query, headers=headers)
        assert response.status_code == status, (query, response.text)
        assert response.json()["detail"]
    assert httpx.get(url, headers=running.headers("nemo")).json() == {"commands": []}

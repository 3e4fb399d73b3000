"""psn and `psn sim network` together over a real Mosquitto, each really started: the policy psn publishes is the
one the equipment obeys. Units' fixes reach both; a dispatcher's uplift over HTTP shows as applied in the link
reports psn ingests, and its cancellation takes it off again; a unit psn knows streams video gets its rate."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from psn.access import Role
from psn.events import StreamStarted
from telemetry.topics import UnitKind, unit_topic
from tests.psn.net.qos_support import audit, bearer, uplift
from tests.support import Mosquitto, RunningServer, make_settings, publisher, wait_for

PMD = (17.5135, -88.1868)  # site BZE-PMD of the shipped plan; sector 2 points at 120 degrees


def near_pmd(metres: float) -> tuple[float, float]:
    b = math.radians(130)
    return (PMD[0] + metres * math.cos(b) / 111_320,
            PMD[1] + metres * math.sin(b) / (111_320 * math.cos(math.radians(PMD[0]))))


@pytest.fixture
def together(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[RunningServer]:
    running = RunningServer(make_settings(tmp_path, mosquitto.url), None).start()
    equipment = subprocess.Popen([sys.executable, "-m", "simulator.cli", "network", "--mqtt", mosquitto.url,
                                  "--period-s", "0.3"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield running
    finally:
        equipment.send_signal(signal.SIGTERM)
        _out, err = equipment.communicate(timeout=20)
        running.stop()
        assert equipment.returncode == 0, err


def test_an_uplift_psn_grants_is_applied_by_the_equipment_and_cancelled(together: RunningServer) -> None:
    server = together
    dispatcher = server.token("police", Role.DISPATCHER)
    units = publisher(server.mqtt_url)
    here = {"P-101": near_pmd(200), "P-102": near_pmd(300)}

    def link(unit: str) -> dict[str, Any] | None:
        for unit_id, (lat, lon) in here.items():  # field units report every second or so; here, every poll
            units.publish(unit_topic("police", unit_id, UnitKind.TELEMETRY),
                          json.dumps({"ts": time.time(), "lat": lat, "lon": lon}), qos=0)
        rows = httpx.get(f"{server.base_url}/api/v1/net/links", headers=bearer(dispatcher)).json()["links"]
        return next((row for row in rows if row["unit"] == f"police/{unit}"), None)

    try:
        first = wait_for(lambda: link("P-102"), timeout=20)
        assert (first["cell"], first["uplifted"], first["arp"]) == ("BZE-PMD-2", False, 6)  # police's profile
        answer = uplift(server, dispatcher, units=["police/P-102"], duration_s=600)
        assert answer.status_code == 201, answer.text
        lifted = wait_for(lambda: (row := link("P-102")) and row["uplifted"] and row)
        assert lifted["arp"] == 1
        server.server.bus.publish(StreamStarted("police:P-101", "police/P-101"))
        assert wait_for(lambda: (row := link("P-101")) and row["ul_mbps"] >= 1.08 and row)["uplifted"] is False
        cancelled = httpx.delete(f"{server.base_url}/api/v1/net/uplifts/{answer.json()['id']}",
                                 headers=bearer(dispatcher))
        assert cancelled.status_code == 200, cancelled.text
        back = wait_for(lambda: (row := link("P-102")) and not row["uplifted"] and row)
        assert back["arp"] == 6
        assert [e["target"] for e in audit(server, "qos.uplift_cancelled")] == [answer.json()["id"]]
        cells = httpx.get(f"{server.base_url}/api/v1/net/cells",
                          headers=bearer(server.token("police", Role.NETWORK_ADMIN))).json()["cells"]
        assert len(cells) == 165 and {c["state"] for c in cells} == {"up"}  # every cell of the plan reports
    finally:
        units.disconnect()
        units.loop_stop()

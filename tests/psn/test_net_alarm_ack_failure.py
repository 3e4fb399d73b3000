"""An acknowledgement the database could not store is not one: the dispatcher is told it failed, and trying again
once the database is back acknowledges the alarm (stored, on the feed), not "acknowledged already" for an
acknowledgement nobody else ever heard of. The failure is real: the alarms' table is renamed away meanwhile."""

from __future__ import annotations

from pathlib import Path

import httpx
import sqlalchemy as sa

from psn.access import Role
from psn.events import LinkAccepted
from telemetry import LinkReport, UnitRef
from tests.support import Mosquitto, RunningServer, make_settings, wait_for

AT = 1_764_612_000.0


def test_an_acknowledgement_that_was_not_stored_can_be_made_again(tmp_path: Path, mosquitto: Mosquitto) -> None:
    running = RunningServer(make_settings(tmp_path, mosquitto.url)).start()
    try:
        alarms = running.server.alarms
        for _ in range(2):  # out of coverage twice: unit_no_coverage raised
            running.server.bus.publish(LinkAccepted(LinkReport(UnitRef("police", "U-1"), AT, None, None, None,
                                                               0.0, 0.0), AT))
        wait_for(lambda: alarms.active_count("police/U-1") == 1)
        (alarm,) = httpx.get(f"{running.base_url}/api/v1/net/alarms",
                             headers=running.headers("police", Role.NETWORK_ADMIN)).json()["alarms"]
        url = f"{running.base_url}/api/v1/net/alarms/{alarm['id']}/ack"
        headers = running.headers("police", Role.NETWORK_ADMIN)
        engine = running.server.db.engine
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE net_alarms RENAME TO net_alarms_away"))
        assert httpx.post(url, headers=headers).status_code == 503  # the database error, named
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE net_alarms_away RENAME TO net_alarms"))
        answer = httpx.post(url, headers=headers)
        assert answer.status_code == 200, answer.text
        stored = httpx.get(f"{running.base_url}/api/v1/net/alarms/{alarm['id']}", headers=headers).json()
        assert (stored["state"], stored["history"][-1]["event"]) == ("acknowledged", "acknowledged")
    finally:
        running.stop()

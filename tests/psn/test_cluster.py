"""Two psn instances on one Mosquitto (MQTT 5 shared subscription) and one PostgreSQL database: each device message
is processed by one of them and stored once, and the consoles of both see every unit and every alert."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.psn.cluster import LiveUnits, stored_fixes, two_instances
from tests.support import Mosquitto, postgres_database, publish, publisher, wait_for

UNITS = [f"P-{n}" for n in range(1, 31)]
FIXES_EACH = 4
T0 = time.time() - 60


def test_fixes_are_processed_once_and_every_instance_shows_every_unit(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path).start()
    try:
        with postgres_database() as db_url, two_instances(tmp_path, broker.url, db_url) as (a, b):
            on_a, on_b = LiveUnits(a, a.token("police")), LiveUnits(b, b.token("police"))
            client = publisher(broker.url)
            for k in range(FIXES_EACH):
                for n, unit in enumerate(UNITS):
                    payload = f'{{"ts":{T0 + k},"lat":{17.25 + n / 1000},"lon":-88.77}}'
                    client.publish(f"psn/v1/police/{unit}/telemetry", payload, qos=1).wait_for_publish(10)
            client.disconnect()
            client.loop_stop()
            expected = {f"police/{unit}" for unit in UNITS}
            wait_for(lambda: stored_fixes(a) == len(UNITS) * FIXES_EACH, timeout=20)
            wait_for(lambda: on_a.units == expected and on_b.units == expected, timeout=20)
            assert set(a.units()) == expected and set(b.units()) == expected
            # Processed once: the two instances' acceptances add up to what was published, each took a share
            # (Mosquitto hands a shared subscription's messages round-robin), and neither saw a second copy.
            taken = (a.server.stats.accepted["psn/v1"], b.server.stats.accepted["psn/v1"])
            assert sum(taken) == len(UNITS) * FIXES_EACH and min(taken) > 0, taken
            assert not a.server.stats.rejected and not b.server.stats.rejected
            # Each shows every unit at its newest fix, whichever instance took it.
            for server in (a, b):
                assert {u["ts"] for u in server.units().values()} == {T0 + FIXES_EACH - 1}
            assert stored_fixes(a) == len(UNITS) * FIXES_EACH
            on_a.close()
            on_b.close()
    finally:
        broker.stop()


def test_an_alert_reaches_the_consoles_of_both_and_an_acknowledgement_on_b_reaches_a(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path).start()
    try:
        with postgres_database() as db_url, two_instances(tmp_path, broker.url, db_url) as (a, b):
            on_a, on_b = LiveUnits(a, a.token("police")), LiveUnits(b, b.token("police"))
            publish(broker.url, "psn/v1/police/P-1/alert",
                    {"ts": time.time(), "type": "emergency", "lat": 17.25, "lon": -88.77, "note": "shots fired"})
            wait_for(lambda: on_a.of("alert") and on_b.of("alert"), timeout=20)
            (seen_a,), (seen_b,) = on_a.of("alert"), on_b.of("alert")
            assert seen_a == seen_b
            alert = seen_a["alert"]
            assert (alert["unit"], alert["type"], alert["note"], alert["count"], alert["open"]) == (
                "police/P-1", "emergency", "shots fired", 1, True)
            for server in (a, b):  # open on both: each lists it
                listed = httpx.get(f"{server.base_url}/api/v1/alerts?open=true", headers=server.headers("police"))
                assert [x["id"] for x in listed.json()["alerts"]] == [alert["id"]]

            done = httpx.post(f"{b.base_url}/api/v1/alerts/{alert['id']}/ack", headers=b.headers("police"))
            assert done.status_code == 200, done.text
            wait_for(lambda: on_a.of("alert_acknowledged") and on_b.of("alert_acknowledged"), timeout=20)
            acked = on_a.of("alert_acknowledged")[0]["alert"]
            assert (acked["id"], acked["open"], acked["acknowledged_by"]) == (alert["id"], False, "police.test")
            listed = httpx.get(f"{a.base_url}/api/v1/alerts?open=true", headers=a.headers("police"))
            assert listed.json()["alerts"] == []
            again = httpx.post(f"{a.base_url}/api/v1/alerts/{alert['id']}/ack", headers=a.headers("police"))
            assert again.status_code == 409, again.text
            on_a.close()
            on_b.close()
    finally:
        broker.stop()

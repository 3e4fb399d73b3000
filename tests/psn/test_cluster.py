"""Two psn instances on one Mosquitto (MQTT 5 shared subscription) and one PostgreSQL database: each device message
is processed by one of them and stored once, and the consoles of both see every unit and every alert."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import sqlalchemy as sa

from psn.store.net_kpi_schema import net_kpi_raw
from psn.store.schema import geofence_events
from tests.psn.cluster import LiveUnits, stored_fixes, two_instances
from tests.support import Mosquitto, RunningServer, postgres_database, publish, publish_fix, publisher, wait_for

UNITS = [f"P-{n}" for n in range(1, 31)]
FIXES_EACH = 4
T0 = time.time() - 60
_NONE = SimpleNamespace(ts=None)
KPI = {"cell": "BZE-CTR-1", "ts": time.time() - 30, "connected_ues": 21, "prb_util_dl": 1.0, "prb_util_ul": 0.883,
       "thr_dl_mbps": 7.173, "thr_ul_mbps": 10.77, "mean_dl_sinr_db": 24.5, "bearers_rejected": 12,
       "bearers_preempted": 2}


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
            # Each heard the other's peer messages, never its own (MQTT 5 "no local" on the peers' subscription).
            for server in (a, b):
                assert server.server.peer_ingest is not None
                assert server.server.peer_ingest.received > 0 and server.server.peer_ingest.own == 0
            # Each shows every unit at its newest fix, whichever instance took it.
            for server in (a, b):
                assert {u["ts"] for u in server.units().values()} == {T0 + FIXES_EACH - 1}
            assert stored_fixes(a) == len(UNITS) * FIXES_EACH

            # A cell's KPI report: on the live view of both, stored once (by the instance that took it).
            publish(broker.url, "psn/v1/net/cell/BZE-CTR-1/kpi", KPI)
            wait_for(lambda: all(s.server.net_kpis.latest_kpi("BZE-CTR-1") is not None for s in (a, b)), timeout=20)
            for server in (a, b):
                server.server.bus.flush()
                assert server.server.net_kpis.store.flush()
            with a.server.db.engine.connect() as conn:
                assert conn.execute(sa.select(sa.func.count()).select_from(net_kpi_raw)).scalar_one() == 1
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


def test_each_instance_finds_every_geofence_crossing_and_one_stores_it(tmp_path: Path) -> None:
    square = [[-88.19, 17.49], [-88.17, 17.49], [-88.17, 17.51], [-88.19, 17.51], [-88.19, 17.49]]
    fence: dict[str, str] = {}

    def draw(a: RunningServer) -> None:  # before b starts: b loads it from the database
        made = httpx.post(f"{a.base_url}/api/v1/geofences", headers=a.headers("police"),
                          json={"name": "Station", "polygon": square, "units": ["police/P-1"]})
        assert made.status_code == 201, made.text
        fence.update(made.json())

    broker = Mosquitto(tmp_path).start()
    try:
        with postgres_database() as db_url, two_instances(tmp_path, broker.url, db_url, draw) as (a, b):
            on_a, on_b = LiveUnits(a, a.token("police")), LiveUnits(b, b.token("police"))
            t = time.time() - 60
            # Outside, in, out, in: each fix waited for on both instances, so each sees them in order.
            for k, lon in enumerate((-88.20, -88.18, -88.16, -88.18)):
                publish_fix(broker.url, "police", "P-1", 17.50, lon, ts=t + k)
                wait_for(lambda k=k: all((s.server.state.get("police/P-1") or _NONE).ts == t + k for s in (a, b)))
            expected = [("enter", t + 1), ("exit", t + 2), ("enter", t + 3)]
            for console in (on_a, on_b):
                wait_for(lambda c=console: len(c.of("geofence")) == 3)
                assert [(e["event"]["crossing"], e["event"]["ts"]) for e in console.of("geofence")] == expected
            a.server.bus.flush()
            b.server.bus.flush()
            with a.server.db.engine.connect() as conn:
                rows = conn.execute(sa.select(geofence_events.c.crossing, geofence_events.c.ts)
                                    .order_by(geofence_events.c.ts)).all()
            assert [tuple(r) for r in rows] == expected  # stored once, by whichever instance took the fix
            assert fence["name"] == "Station"
            on_a.close()
            on_b.close()
    finally:
        broker.stop()

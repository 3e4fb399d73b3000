"""End to end: real paho clients → real brokers → psn → REST, WebSocket, database."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
from websockets.sync.client import connect

from psn.access import Role
from tests.support import (
    Mosquitto,
    RunningServer,
    make_settings,
    publish,
    publish_fix,
    publisher,
    wait_for,
)


def units(server: RunningServer) -> dict[str, dict[str, Any]]:
    return server.units()


def stats(server: RunningServer) -> dict[str, Any]:
    return server.stats()


def test_fix_over_mosquitto_appears_in_api_and_websocket(psn_server: RunningServer) -> None:
    with connect(f"{psn_server.ws_url}/api/v1/live?access_token={psn_server.token('police')}") as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
        publish_fix(psn_server.mqtt_url, "police", "P-101", 17.4986, -88.1986, heading=270, speed=12.0)
        update = json.loads(ws.recv(timeout=5))
    assert update["type"] == "update"
    (unit,) = update["units"]
    assert unit["id"] == "police/P-101" and unit["heading"] == 270 and unit["speed"] == 12.0
    api = units(psn_server)["police/P-101"]
    assert (api["lat"], api["lon"], api["agency"]) == (17.4986, -88.1986, "police")


def test_status_and_track(psn_server: RunningServer) -> None:
    now = time.time()
    for i in range(5):
        publish_fix(psn_server.mqtt_url, "nemo", "N-201", 17.25 + i * 0.001, -88.77, ts=now - 5 + i)
    publish(psn_server.mqtt_url, "psn/v1/nemo/N-201/status", {"ts": now, "status": "on_scene"})
    wait_for(lambda: units(psn_server).get("nemo/N-201", {}).get("status") == "on_scene")
    psn_server.server.writer.flush()
    nemo = psn_server.headers("nemo")
    track = httpx.get(f"{psn_server.base_url}/api/v1/units/nemo/N-201/track", headers=nemo).json()
    assert track["geometry"]["type"] == "LineString"
    assert len(track["geometry"]["coordinates"]) == 5
    assert track["properties"]["times"] == sorted(track["properties"]["times"])
    window = httpx.get(f"{psn_server.base_url}/api/v1/units/nemo/N-201/track",
                       params={"since": now - 3.5, "until": now - 1.5}, headers=nemo).json()
    assert len(window["geometry"]["coordinates"]) == 2
    encoded = httpx.get(f"{psn_server.base_url}/api/v1/units/nemo%2FN-201/track", headers=nemo)
    assert encoded.status_code == 200
    assert httpx.get(f"{psn_server.base_url}/api/v1/units/nemo/NOPE/track", headers=nemo).status_code == 404


def test_out_of_order_fix_is_stored_but_never_moves_the_unit_back(psn_server: RunningServer) -> None:
    now = time.time()
    publish_fix(psn_server.mqtt_url, "police", "P-102", 17.50, -88.20, ts=now)
    wait_for(lambda: "police/P-102" in units(psn_server))
    publish_fix(psn_server.mqtt_url, "police", "P-102", 17.40, -88.30, ts=now - 30)
    wait_for(lambda: stats(psn_server)["late"] == 1)
    assert units(psn_server)["police/P-102"]["lat"] == 17.50
    psn_server.server.writer.flush()
    track = httpx.get(f"{psn_server.base_url}/api/v1/units/police/P-102/track", headers=psn_server.headers()).json()
    assert len(track["geometry"]["coordinates"]) == 2


BAD = [
    ("psn/v1/police/P-9/telemetry", b"{not json", "malformed_json"),
    ("psn/v1/police/P-9/telemetry", b'{"ts": %d, "lon": -88.2}', "missing_field"),
    ("psn/v1/police/P-9/telemetry", b'{"ts": 1, "lat": 17.5, "lon": -88.2}', "stale_timestamp"),
    ("psn/v1/police/P-9/telemetry", b'{"ts": %d, "lat": 95, "lon": -88.2}', "out_of_range"),
    ("psn/v1/police/P-9/telemetry", b'{"ts": %d, "lat": 48.85, "lon": 2.35}', "outside_service_area"),
    ("psn/v1/police/P-9/telemetry", b'{"ts": %d, "lat": 17.5, "lon": -88.2}', "future_timestamp"),
    ("psn/v1/police/P-9/telemetry", b'{"ts": %d, "lat": 17.5, "lon": -88.2, "x": "' + b"y" * 9000 + b'"}',
     "oversized"),
    ("psn/v1/aliens/P-9/telemetry", b'{"ts": %d, "lat": 17.5, "lon": -88.2}', "unknown_agency"),
]


def test_every_bad_input_class_is_counted_republished_and_harmless(psn_server: RunningServer) -> None:
    rejected: list[tuple[str, dict[str, Any]]] = []
    watcher = publisher(psn_server.mqtt_url)
    watcher.on_message = lambda _c, _u, m: rejected.append((m.topic, json.loads(m.payload)))
    watcher.subscribe("psn/v1/_rejected/#", qos=1)
    time.sleep(0.3)
    now = int(time.time())
    client = publisher(psn_server.mqtt_url)
    for topic, payload, reason in BAD:
        body = payload % (now + 3600 if reason == "future_timestamp" else now) if b"%d" in payload else payload
        client.publish(topic, body, qos=1)
        # A valid fix right behind every bad one: none may be lost or delayed.
        client.publish("psn/v1/police/P-8/telemetry", json.dumps({"ts": time.time(), "lat": 17.5, "lon": -88.2}),
                       qos=1).wait_for_publish(5)
    wait_for(lambda: stats(psn_server)["rejected_total"] == len(BAD))
    counts = stats(psn_server)
    assert counts["rejected"] == {reason: 1 for _, _, reason in BAD}
    assert counts["accepted"] == len(BAD)
    assert "police/P-9" not in units(psn_server) and "police/P-8" in units(psn_server)
    wait_for(lambda: len(rejected) == len(BAD))
    topics = {t for t, _ in rejected}
    assert "psn/v1/_rejected/unknown_agency/psn/v1/aliens/P-9/telemetry" in topics
    assert all(body["reason"] and body["detail"] for _, body in rejected)
    metrics = httpx.get(f"{psn_server.base_url}/metrics", headers=psn_server.headers("police", Role.NETWORK_ADMIN)).text
    assert 'psn_ingest_rejected_total{reason="oversized"} 1.0' in metrics
    assert httpx.get(f"{psn_server.base_url}/healthz").json()["mqtt"] == "connected"
    for c in (client, watcher):
        c.disconnect()
        c.loop_stop()


def test_owntracks_device_is_provisional_until_bound(psn_server: RunningServer) -> None:
    payload = {"_type": "location", "lat": 17.49, "lon": -88.19, "tst": int(time.time()), "acc": 9,
               "vel": 18, "cog": 45, "batt": 66, "tid": "jd"}
    publish(psn_server.mqtt_url, "owntracks/jdoe/pixel", payload)
    provisional = wait_for(lambda: units(psn_server).get("police/ot-jdoe-pixel"))
    assert provisional["bound"] is False and provisional["speed"] == pytest.approx(5.0)
    admin = psn_server.headers("police", Role.ADMIN)
    bind = httpx.put(f"{psn_server.base_url}/api/v1/devices/owntracks/jdoe/pixel",
                     json={"agency": "police", "unit": "P-110"}, headers=admin)
    assert bind.status_code == 200, bind.text
    publish(psn_server.mqtt_url, "owntracks/jdoe/pixel", {**payload, "tst": payload["tst"] + 1})
    bound = wait_for(lambda: units(psn_server).get("police/P-110"))
    assert bound["bound"] is True and bound["source"] == "owntracks"
    refused = httpx.put(f"{psn_server.base_url}/api/v1/devices/owntracks/jdoe/pixel",
                        json={"agency": "navy", "unit": "X"}, headers=admin)
    assert refused.status_code == 422
    not_theirs = httpx.put(f"{psn_server.base_url}/api/v1/devices/owntracks/jdoe/pixel",
                           json={"agency": "nemo", "unit": "N-1"}, headers=admin)
    assert not_theirs.status_code == 403


def test_embedded_broker_path(tmp_path: Path) -> None:
    server = RunningServer(make_settings(tmp_path, mqtt_url=None, demo=True)).start()  # the plain demo broker
    try:
        assert server.server.embedded is not None
        publish_fix(server.mqtt_url, "fire", "F-1", 17.25, -88.77)
        wait_for(lambda: "fire/F-1" in units(server))
    finally:
        server.stop()


def test_restart_keeps_stored_tracks_and_bindings(tmp_path: Path, mosquitto: Mosquitto) -> None:
    settings = make_settings(tmp_path, mosquitto.url)
    first = RunningServer(settings).start()
    now = time.time()
    for i in range(3):
        publish_fix(mosquitto.url, "ems", "E-1", 17.2 + i / 100, -88.7, ts=now - 3 + i)
    wait_for(lambda: stats(first)["accepted"] == 3)
    first.stop()
    second = RunningServer(settings).start()
    try:
        track = httpx.get(f"{second.base_url}/api/v1/units/ems/E-1/track", headers=second.headers("ems")).json()
        assert len(track["geometry"]["coordinates"]) == 3
        assert units(second)["ems/E-1"]["lat"] == pytest.approx(17.22)
    finally:
        second.stop()


def test_broker_restart_resumes_ingest(psn_server: RunningServer, mosquitto: Mosquitto) -> None:
    publish_fix(mosquitto.url, "police", "P-120", 17.5, -88.2)
    wait_for(lambda: "police/P-120" in units(psn_server))
    mqtt_client = psn_server.server.mqtt
    assert mqtt_client is not None
    mosquitto.stop()
    wait_for(lambda: not mqtt_client.connected.is_set(), timeout=10)
    assert httpx.get(f"{psn_server.base_url}/healthz").json()["mqtt"] == "reconnecting"
    mosquitto.start()
    wait_for(mqtt_client.connected.is_set, timeout=20)
    publish_fix(mosquitto.url, "police", "P-121", 17.5, -88.2)
    wait_for(lambda: "police/P-121" in units(psn_server))


def test_postgresql_end_to_end(tmp_path: Path, mosquitto: Mosquitto, pg_url: str) -> None:
    server = RunningServer(make_settings(tmp_path, mosquitto.url, db_url=pg_url)).start()
    try:
        assert server.server.db.dialect == "postgresql"
        now = time.time()
        for i in range(3):
            publish_fix(mosquitto.url, "bdf", "B-1", 17.1, -88.6 + i / 100, ts=now - 3 + i)
        wait_for(lambda: stats(server)["accepted"] == 3)
        server.server.writer.flush()
        track = httpx.get(f"{server.base_url}/api/v1/units/bdf/B-1/track", headers=server.headers("bdf")).json()
        assert [c[0] for c in track["geometry"]["coordinates"]] == pytest.approx([-88.6, -88.59, -88.58])
    finally:
        server.stop()


def test_client_that_is_not_mqtt_at_all(psn_server: RunningServer, mosquitto: Mosquitto) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", mosquitto.port)) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n\r\n")
    publish_fix(mosquitto.url, "police", "P-160", 17.5, -88.2)
    wait_for(lambda: "police/P-160" in units(psn_server))


def test_mqtt_v5_publisher(psn_server: RunningServer) -> None:
    client = publisher(psn_server.mqtt_url, mqtt5=True)
    info = client.publish("psn/v1/nemo/N-300/telemetry", json.dumps({"ts": time.time(), "lat": 17.5, "lon": -88.2}),
                          qos=1)
    info.wait_for_publish(5)
    assert info.rc == mqtt.MQTT_ERR_SUCCESS
    wait_for(lambda: "nemo/N-300" in units(psn_server))
    client.loop_stop()


def test_cell_kpis_from_the_simulators_publisher_are_routed_onto_the_bus(psn_server: RunningServer) -> None:
    """psn/v1/net/cell/{cell}/kpi was once refused as bad_topic: now decoded and published as KpiAccepted."""
    from psn.events import KpiAccepted
    from simulator.kpi_publisher import KpiPublisher

    heard: list[KpiAccepted] = []
    psn_server.server.bus.subscribe("test-kpi", heard.append, (KpiAccepted,))
    now = round(time.time(), 1)
    doc = {"cell": "BZE-PMD-1", "ts": now, "connected_ues": 12, "prb_util_dl": 0.41, "prb_util_ul": 0.22,
           "thr_dl_mbps": 8.5, "thr_ul_mbps": 3.1, "mean_dl_sinr_db": 9.4, "bearers_rejected": 0,
           "bearers_preempted": 1}
    url = psn_server.server.broker_url
    assert url is not None
    with KpiPublisher(url.host, url.port, client_id="test-enb") as enb:
        enb.publish([doc, {**doc, "cell": "BZE-PMD-2", "connected_ues": 3}])
    publish(psn_server.mqtt_url, "psn/v1/net/cell/BZE-PMD-3/kpi", {**doc, "cell": "BZE-PMD-1"})  # cells disagree
    wait_for(lambda: len(heard) == 2 and stats(psn_server)["rejected_total"] == 1)
    assert sorted((e.kpi.cell, e.kpi.connected_ues, e.kpi.bearers_preempted, e.kpi.ts) for e in heard) == [
        ("BZE-PMD-1", 12, 1, now), ("BZE-PMD-2", 3, 1, now)]
    counters = stats(psn_server)
    assert counters["accepted_by_source"] == {"net": 2} and counters["rejected"] == {"bad_field": 1}


def test_alerts_and_acks_over_mosquitto_are_on_the_bus(psn_server: RunningServer) -> None:
    from psn.events import AckAccepted, AlertAccepted

    heard: list[AlertAccepted | AckAccepted] = []
    psn_server.server.bus.subscribe("test-dispatch", heard.append, (AlertAccepted, AckAccepted))
    now = round(time.time(), 1)
    publish(psn_server.mqtt_url, "psn/v1/police/P-7/alert", {"ts": now, "type": "emergency", "lat": 17.5,
                                                             "lon": -88.2})
    publish(psn_server.mqtt_url, "psn/v1/police/P-7/ack", {"ts": now, "ref": "cmd-1", "result": "accepted"})
    publish(psn_server.mqtt_url, "psn/v1/police/P-7/ack", {"ts": now, "ref": "cmd-1", "result": "maybe"})
    wait_for(lambda: len(heard) == 2 and stats(psn_server)["rejected_total"] == 1)
    alert = next(e.alert for e in heard if isinstance(e, AlertAccepted))
    ack = next(e.ack for e in heard if isinstance(e, AckAccepted))
    assert (alert.who.id, alert.type, alert.lat, alert.lon, alert.ts) == ("police/P-7", "emergency", 17.5, -88.2, now)
    assert (ack.who.id, ack.ref, ack.result) == ("police/P-7", "cmd-1", "accepted")
    assert stats(psn_server)["rejected"] == {"bad_field": 1}

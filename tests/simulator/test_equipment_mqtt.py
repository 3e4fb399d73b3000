"""`psn sim network` end to end over a real Mosquitto: fixes and psn's retained policy in, KPIs psn's decoder
accepts and contract link reports out, a fault command that silences a cell, a clean stop on SIGTERM."""

import json
import math
import queue
import signal
import subprocess
import sys
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from simulator.equipment_mqtt import _coalesced
from telemetry.decode import decode
from telemetry.fix import CellKpi
from telemetry.rules import BBox, DecodeContext
from telemetry.topics import NET_FAULT_TOPIC, NET_POLICY_TOPIC, UnitKind, link_topic, unit_topic
from tests.support import Mosquitto, free_port, wait_for

PMD = (17.5135, -88.1868)  # BZE-PMD, sectors at 0 / 120 / 240 degrees (the shipped plan)
LINK_KEYS = {"agency", "unit", "ts", "cell", "rsrp_dbm", "sinr_db", "ul_mbps", "dl_mbps", "arp", "uplifted"}


def toward_sector_2(metres: float) -> tuple[float, float]:
    b = math.radians(130)
    return (PMD[0] + metres * math.cos(b) / 111_320,
            PMD[1] + metres * math.sin(b) / (111_320 * math.cos(math.radians(PMD[0]))))


def check_link_report(topic: str, doc: dict) -> None:
    """The contract's link report (net-contract.md), checked field by field."""
    assert set(doc) == LINK_KEYS and topic == link_topic(doc["agency"], doc["unit"])
    assert doc["cell"] is None or isinstance(doc["cell"], str)
    assert doc["rsrp_dbm"] is None or -156 <= doc["rsrp_dbm"] <= -30
    assert doc["sinr_db"] is None or -30 <= doc["sinr_db"] <= 60
    assert 0 <= doc["ul_mbps"] <= 10_000 and 0 <= doc["dl_mbps"] <= 10_000
    assert isinstance(doc["arp"], int) and 1 <= doc["arp"] <= 15 and isinstance(doc["uplifted"], bool)


def test_the_equipment_reports_obeys_the_policy_and_drops_a_faulty_cell(mosquitto: Mosquitto) -> None:
    kpis: list[tuple[str, bytes]] = []
    links: list[tuple[str, dict]] = []
    lock = threading.Lock()

    def got(_c: object, _u: object, m: mqtt.MQTTMessage) -> None:
        with lock:
            (kpis.append((m.topic, bytes(m.payload))) if m.topic.endswith("/kpi")
             else links.append((m.topic, json.loads(m.payload))))

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-psn", protocol=mqtt.MQTTv311)
    subscribed = threading.Event()
    client.on_connect = lambda c, *_: c.subscribe([("psn/v1/net/cell/+/kpi", 1), ("psn/v1/net/ue/+/+/link", 0)])
    client.on_subscribe = lambda *_: subscribed.set()
    client.on_message = got
    client.connect("127.0.0.1", mosquitto.port)
    client.loop_start()
    assert subscribed.wait(5)
    until = time.time() + 600
    policy = {"ts": time.time(), "seq": 1,
              "agencies": {"police": {"qci": 69, "video_qci": 67, "voice_qci": 65, "arp": 6, "pci": False,
                                      "pvi": True}},
              "units": {"police/P-101": {"video_ul_mbps": 1.08},
                        "police/P-102": {"uplift": "UP-3", "until": until, "arp": 1, "pci": True, "pvi": False}}}
    client.publish(NET_POLICY_TOPIC, json.dumps(policy), qos=1, retain=True).wait_for_publish(5)
    equipment = subprocess.Popen([sys.executable, "-m", "simulator.cli", "network", "--mqtt", mosquitto.url,
                                  "--period-s", "0.3"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    here = {"P-101": toward_sector_2(200), "P-102": toward_sector_2(300)}

    def latest(unit: str) -> dict | None:
        for unit_id, (lat, lon) in here.items():  # field units report every second or so; here, every poll
            client.publish(unit_topic("police", unit_id, UnitKind.TELEMETRY),
                           json.dumps({"ts": time.time(), "lat": lat, "lon": lon}), qos=0)
        with lock:
            mine = [doc for _, doc in links if doc["unit"] == unit]
        return mine[-1] if mine else None

    try:
        first = wait_for(lambda: latest("P-101"), timeout=20)
        assert first["cell"] == "BZE-PMD-2" and first["uplifted"] is False and first["arp"] == 6
        assert first["ul_mbps"] >= 1.08  # its GBR video bearer at the policy's rate, plus default data
        lifted = wait_for(lambda: latest("P-102"))
        assert lifted["uplifted"] is True and lifted["arp"] == 1 and lifted["ul_mbps"] < 1.0
        ctx = DecodeContext(now=time.time(), agencies=frozenset({"police"}), service_area=BBox(-90, 15, -87, 19))
        with lock:
            decoded = [decode(topic, payload, ctx) for topic, payload in kpis]
            for topic, doc in links:
                check_link_report(topic, doc)
        assert decoded and all(isinstance(k, CellKpi) for k in decoded)
        assert {k.cell for k in decoded} >= {"BZE-PMD-1", "BZE-PMD-2", "BZE-PMD-3"}
        pmd2 = [k for k in decoded if k.cell == "BZE-PMD-2"]
        assert pmd2[-1].connected_ues == 2 and pmd2[-1].thr_ul_mbps >= 1.08

        fault = {"fault": "cell_down", "target": "BZE-PMD-2", "action": "inject"}
        client.publish(NET_FAULT_TOPIC, json.dumps(fault), qos=1).wait_for_publish(5)
        moved = wait_for(lambda: (doc := latest("P-101")) and doc["cell"] != "BZE-PMD-2" and doc)
        assert moved["cell"] is None or not moved["cell"].startswith("BZE-PMD-2")

        def reporting_after(cell: str) -> set[float]:
            with lock:
                return {json.loads(p)["ts"] for t, p in kpis if t.endswith(f"/{cell}/kpi")
                        and json.loads(p)["ts"] >= moved["ts"]}

        wait_for(lambda: len(reporting_after("BZE-PMD-1")) >= 3)  # three more periods have gone by
        assert reporting_after("BZE-PMD-2") == set()
    finally:
        equipment.send_signal(signal.SIGTERM)
        out, err = equipment.communicate(timeout=20)
        client.loop_stop()
        client.disconnect()
    assert equipment.returncode == 0, err
    lines = out.splitlines()
    assert "165 cells" in lines[0]
    assert "units 2 attached" in lines[-1] and "faults: cell_down BZE-PMD-2" in lines[-1]
    assert "cells 164/165 reporting" in lines[-1]


def test_an_unreachable_broker_is_one_line_and_exit_2() -> None:
    port = free_port()  # nobody listens there
    done = subprocess.run([sys.executable, "-m", "simulator.cli", "network", "--mqtt", f"mqtt://127.0.0.1:{port}"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [f"psn sim: cannot reach MQTT broker 127.0.0.1:{port}: Connection refused"]


def test_a_period_takes_every_fault_but_only_the_newest_fix_of_each_unit() -> None:
    inbox: queue.SimpleQueue[tuple[str, bytes]] = queue.SimpleQueue()
    fix_1, fix_2 = unit_topic("police", "P-1", UnitKind.TELEMETRY), unit_topic("police", "P-2", UnitKind.TELEMETRY)
    for message in [(fix_1, b"a"), (NET_FAULT_TOPIC, b"f1"), (fix_2, b"b"), (fix_1, b"c"), (NET_POLICY_TOPIC, b"p1"),
                    (NET_FAULT_TOPIC, b"f2"), (NET_POLICY_TOPIC, b"p2")]:
        inbox.put(message)
    assert _coalesced(inbox) == [(NET_FAULT_TOPIC, b"f1"), (NET_FAULT_TOPIC, b"f2"), (fix_1, b"c"), (fix_2, b"b"),
                                 (NET_POLICY_TOPIC, b"p2")]
    assert inbox.empty()

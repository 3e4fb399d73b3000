import json
import shutil
import socket
import subprocess
import threading
import time

import numpy as np
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from simulator.kpi_publisher import KpiPublisher
from simulator.sim import cell_kpis, run

pytestmark = pytest.mark.skipif(shutil.which("mosquitto") is None, reason="needs the mosquitto binary")


@pytest.fixture
def broker(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield port
    proc.terminate()
    proc.wait(timeout=5)


def test_cell_kpis_arrive_at_a_real_subscriber(broker, small_plan, small_scenario) -> None:
    got: dict[str, dict] = {}
    subscribed = threading.Event()
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-sub", protocol=mqtt.MQTTv5)
    sub.on_connect = lambda c, *_: c.subscribe("psn/v1/net/cell/+/kpi", qos=1)
    sub.on_subscribe = lambda *_: subscribed.set()
    sub.on_message = lambda _c, _u, m: got.__setitem__(m.topic, json.loads(m.payload))
    sub.connect("127.0.0.1", broker)
    sub.loop_start()
    try:
        assert subscribed.wait(5)
        kpis = cell_kpis(run(np.random.default_rng(1), small_plan, small_scenario), 1234.5)
        with KpiPublisher("127.0.0.1", broker) as pub:
            assert pub.publish(kpis) == len(kpis)
        deadline = time.monotonic() + 5
        while len(got) < len(kpis) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        sub.loop_stop()
        sub.disconnect()
    assert set(got) == {f"psn/v1/net/cell/{k['cell']}/kpi" for k in kpis}
    first = got[f"psn/v1/net/cell/{kpis[0]['cell']}/kpi"]
    assert first["ts"] == 1234.5 and first["connected_ues"] == kpis[0]["connected_ues"]

import json
import threading
import time

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from simulator.kpi_publisher import KpiPublisher
from simulator.sim import cell_kpis, run
from tests.support import Mosquitto


def test_cell_kpis_arrive_at_a_real_subscriber(mosquitto: Mosquitto, small_plan, small_scenario) -> None:
    # A private Mosquitto on a free port (tests/support.py); `make test` installs the binary, and a missing one
    # fails here loudly instead of skipping.
    got: dict[str, dict] = {}
    subscribed = threading.Event()
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-sub", protocol=mqtt.MQTTv5)
    sub.on_connect = lambda c, *_: c.subscribe("psn/v1/net/cell/+/kpi", qos=1)
    sub.on_subscribe = lambda *_: subscribed.set()
    sub.on_message = lambda _c, _u, m: got.__setitem__(m.topic, json.loads(m.payload))
    sub.connect("127.0.0.1", mosquitto.port)
    sub.loop_start()
    try:
        assert subscribed.wait(5)
        kpis = cell_kpis(run(np.random.default_rng(1), small_plan, small_scenario), 1234.5)
        with KpiPublisher("127.0.0.1", mosquitto.port) as pub:
            assert pub.publish(kpis) == len(kpis)
        deadline = time.monotonic() + 5
        while len(got) < len(kpis) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        sub.disconnect()
        sub.loop_stop()
    assert set(got) == {f"psn/v1/net/cell/{k['cell']}/kpi" for k in kpis}
    first = got[f"psn/v1/net/cell/{kpis[0]['cell']}/kpi"]
    assert first["ts"] == 1234.5 and first["connected_ues"] == kpis[0]["connected_ues"]

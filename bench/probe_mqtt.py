"""The end-to-end variant: probe fixes published to a running psn over MQTT, its estimates read back over REST.

Each second of fixes goes out on `psn/v1/probes/{source}` (`telemetry.topics.probe_topic`, payload as in
docs/protocol.md "Probes": ts, vehicle, lat, lon, speed, heading) at QoS 1, after `advance(ts)` has moved psn's
clock to that second: the replay is faster than real time, and psn refuses fixes more than `max_future_s`
ahead of its clock. psn's history bins are then read with `GET /api/v1/traffic/segments?at=…&all=true`, one per
SUMO interval.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

import httpx
import numpy as np
import paho.mqtt.client as mqtt
from numpy.typing import NDArray
from paho.mqtt.enums import CallbackAPIVersion

from bench.probe_fixes import EPOCH0, Probes, seconds
from psn.mqtt import BrokerURL
from telemetry.topics import probe_topic
from traffic.graph import FloatArray


def payload(fixes: Probes, k: int) -> bytes:
    lon, lat = fixes.lonlat[k]
    return json.dumps({"ts": float(fixes.ts[k]), "vehicle": fixes.vehicle[k], "lat": round(float(lat), 7),
                       "lon": round(float(lon), 7), "speed": round(float(fixes.speed_mps[k]), 2),
                       "heading": round(float(fixes.heading_deg[k]), 1)}).encode()


def publish(fixes: Probes, mqtt_url: str, advance: Callable[[float], None], source: str = "sumo") -> int:
    """Publishes every fix, second by second; returns how many went out (each acknowledged by the broker)."""
    url = BrokerURL.parse(mqtt_url)
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    client.max_inflight_messages_set(1000)
    client.connect(url.host, url.port)
    client.loop_start()
    topic, sent = probe_topic(source), 0
    try:
        for step in seconds(fixes):
            advance(float(fixes.ts[step.start]))
            infos = [client.publish(topic, payload(fixes, k), qos=1) for k in range(step.start, step.stop)]
            for info in infos:
                info.wait_for_publish(timeout=10)
            sent += len(infos)
    finally:
        client.disconnect()
        client.loop_stop()
    return sent


def segment_bins(base_url: str, headers: Mapping[str, str], begin: FloatArray, edges: int
                 ) -> tuple[FloatArray, NDArray[np.int64]]:
    """psn's history bin mean speed (m/s, NaN where none) and sample count per SUMO interval per edge."""
    speed, samples = np.full((len(begin), edges), np.nan), np.zeros((len(begin), edges), dtype=np.int64)
    for row, start in enumerate(begin):
        reply = httpx.get(f"{base_url}/api/v1/traffic/segments", params={"at": EPOCH0 + start, "all": "true"},
                          headers=dict(headers), timeout=30)
        reply.raise_for_status()
        for feature in reply.json()["features"]:
            props = feature["properties"]
            if props["speed_kmh"] is not None:
                speed[row, props["edge"]] = props["speed_kmh"] / 3.6
            samples[row, props["edge"]] = props["samples"]
    return speed, samples

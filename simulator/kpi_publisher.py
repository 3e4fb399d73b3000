"""MQTT adapter: publish cell KPIs like an eNodeB agent would, on `telemetry.topics.cell_kpi_topic` (MQTT v5)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from telemetry.topics import cell_kpi_topic


class KpiPublisher:
    def __init__(self, host: str = "127.0.0.1", port: int = 1883, client_id: str = "psn-sim") -> None:
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        self._host, self._port = host, port

    def __enter__(self) -> KpiPublisher:
        self._client.connect(self._host, self._port)
        self._client.loop_start()
        return self

    def __exit__(self, *_: object) -> None:
        self._client.loop_stop()
        self._client.disconnect()

    def publish(self, kpis: Iterable[dict[str, Any]], timeout_s: float = 5.0) -> int:
        """Publish each KPI document (QoS 1, retained so a late dashboard sees the last value)."""
        infos = [
            self._client.publish(cell_kpi_topic(k["cell"]), json.dumps(k, separators=(",", ":")), qos=1,
                                 retain=True)
            for k in kpis
        ]
        for info in infos:
            info.wait_for_publish(timeout_s)
        return len(infos)

"""The network end to end, really started: psn on its own Mosquitto, `psn sim network` as the equipment in a
subprocess, field units that report their position every second over MQTT, and the simulator's body cams
publishing live video to psn by WHIP (each a subprocess, as in the demo)."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.psn.net.qos_support import bearer
from tests.support import Mosquitto, RunningServer, make_settings, publisher, wait_for

# BZE-PMD, the shipped plan's site in Belize City; its sector 2 points at 120 degrees.
PMD = (17.5135, -88.1868)


def near_pmd(bearing_deg: float, metres: float) -> tuple[float, float]:
    """(lat, lon) `metres` from BZE-PMD on `bearing_deg` (flat-earth: a few hundred metres)."""
    b = math.radians(bearing_deg)
    return (PMD[0] + metres * math.cos(b) / 111_320,
            PMD[1] + metres * math.sin(b) / (111_320 * math.cos(math.radians(PMD[0]))))


class FieldUnits:
    """Units that publish a fix every second (psn/v1 telemetry), as their gateways do, until closed."""

    def __init__(self, mqtt_url: str, units: dict[str, tuple[float, float]]) -> None:
        self.units = units  # "agency/unit" -> (lat, lon)
        self._client = publisher(mqtt_url, mqtt5=False)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for unit_id, (lat, lon) in self.units.items():
                agency, unit = unit_id.split("/")
                self._client.publish(f"psn/v1/{agency}/{unit}/telemetry",
                                     json.dumps({"ts": time.time(), "lat": lat, "lon": lon}), qos=0)
            self._stop.wait(1.0)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._client.disconnect()
        self._client.loop_stop()


@dataclass
class Network:
    """psn, its broker, the equipment process, and the processes the test starts (stopped on leaving)."""

    psn: RunningServer
    broker: Mosquitto
    tmp: Path
    equipment: subprocess.Popen[str]
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    def get(self, path: str, token: str, **params: Any) -> Any:
        answer = httpx.get(f"{self.psn.base_url}{path}", params=params, headers=bearer(token))
        assert answer.status_code == 200, f"GET {path}: {answer.status_code} {answer.text}"
        return answer.json()

    def links(self, token: str) -> dict[str, dict[str, Any]]:
        """The latest link report of each unit `token` may view, by its "agency/unit" (the row's `unit`)."""
        return {k["unit"]: k for k in self.get("/api/v1/net/links", token)["links"]}

    def body_cam(self, agency: str, unit: str) -> None:
        """The simulator's body cam of `agency/unit` publishing to psn by WHIP (small and slow: it only has to be
        a live stream psn knows of)."""
        token = self.psn.server.auth.issue_device(agency, unit, 600).token
        self.processes.append(subprocess.Popen(
            [sys.executable, "-m", "simulator.bodycam", "--base", self.psn.base_url, "--stream", f"{agency}:{unit}",
             "--token", token, "--ice-address", "127.0.0.1", "--width", "160", "--height", "96", "--fps", "5"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))

    def equipment_output(self) -> str:
        return (self.tmp / "equipment.out").read_text()


@contextmanager
def network(tmp: Path, period_s: float, load: dict[str, Any] | None = None,
            **settings: Any) -> Iterator[Network]:
    """psn (its KPI period the equipment's) on a fresh Mosquitto and `psn sim network` against it, `load` as the
    equipment's background scenario; returns once the equipment is subscribed (its first line printed)."""
    with ExitStack() as stack:
        broker = Mosquitto(tmp).start()
        stack.callback(broker.stop)
        psn = RunningServer(make_settings(tmp, broker.url, net_kpi_period_s=period_s, **settings)).start()
        stack.callback(psn.stop)
        command = [sys.executable, "-m", "simulator.cli", "network", "--mqtt", broker.url, "--period-s", str(period_s)]
        if load is not None:
            (tmp / "load.json").write_text(json.dumps(load))
            command += ["--load", str(tmp / "load.json")]
        out = (tmp / "equipment.out").open("w")
        stack.callback(out.close)
        equipment = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE, text=True)
        net = Network(psn, broker, tmp, equipment)
        stack.callback(_stop, net)
        wait_for(lambda: "psn sim network:" in net.equipment_output() or equipment.poll() is not None, timeout=60)
        assert equipment.poll() is None, equipment.communicate()[1]
        yield net


def _stop(net: Network) -> None:
    for process in [*net.processes, net.equipment]:
        process.send_signal(signal.SIGTERM)
    for process in [*net.processes, net.equipment]:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Listener:
    """A client of the broker that keeps every message on `topic` (JSON), in arrival order."""

    def __init__(self, mqtt_url: str, topic: str) -> None:
        self.messages: list[dict[str, Any]] = []
        subscribed = threading.Event()
        self._client = publisher(mqtt_url)
        self._client.on_message = lambda _c, _u, m: self.messages.append(json.loads(m.payload))
        self._client.on_subscribe = lambda *_args: subscribed.set()
        self._client.subscribe(topic, qos=1)
        wait_for(subscribed.is_set)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

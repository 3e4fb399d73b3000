"""`psn broker-config` for production: a real Mosquitto started from the generated file keeps psn's session, and
the QoS 1 message queued for it while psn was away, across a broker restart; with persistence off it does not
(the same file with one line changed: the check that the test can tell the two apart)."""

from __future__ import annotations

import getpass
import io
import queue
import subprocess
import sys
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from psn.cli import main
from psn.events import Receipt
from psn.mqtt import BrokerURL, MqttClient, TLSFiles, free_port
from tests.support import MOSQUITTO, wait_for

TIMEOUT = 10.0
pytestmark = pytest.mark.timeout(90)


def _psn(*argv: str, stdin: str = "") -> None:
    saved, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        assert main(list(argv)) == 0
    finally:
        sys.stdin = saved


class Broker:
    def __init__(self, conf: Path) -> None:
        self.conf, self.log = conf, conf.with_suffix(".log")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        starts = self._log().count(" running")
        with self.log.open("ab") as log:
            process = self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.conf), "-v"], stderr=log)
        wait_for(lambda: self._log().count(" running") > starts or process.poll() is not None, timeout=TIMEOUT)
        assert process.poll() is None, self._log()

    def _log(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()  # a clean stop: Mosquitto saves its in-memory store
        self.process.wait(timeout=TIMEOUT)


def _configure(tmp: Path) -> tuple[Path, int]:
    data = tmp / "data"
    _psn("pki", "init", "--data-dir", str(data))
    _psn("pki", "issue-unit", "police", "P-1", "--p12-password-stdin", "--out", str(tmp / "units"),
         "--data-dir", str(data), stdin="secret\n")
    port = free_port()
    _psn("broker-config", "--out", str(tmp / "broker"), "--port", str(port), "--run-as", getpass.getuser(),
         "--data-dir", str(data))
    return tmp / "broker", port


def _unit(tmp: Path, port: int) -> mqtt.Client:
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="P-1", protocol=mqtt.MQTTv5)
    client.tls_set(ca_certs=str(tmp / "broker" / "ca.pem"), certfile=str(tmp / "units" / "police.P-1.pem"),
                   keyfile=str(tmp / "units" / "police.P-1.key"))
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def _send(unit: mqtt.Client, body: bytes) -> None:
    unit.publish("psn/v1/police/P-1/status", body, qos=1).wait_for_publish(TIMEOUT)  # PUBACK: the broker has it


@pytest.mark.parametrize("persistence", [True, False])
def test_message_queued_for_psn_survives_a_broker_restart(tmp_path: Path, persistence: bool) -> None:
    out, port = _configure(tmp_path)
    conf = out / "mosquitto.conf"
    text = conf.read_text()
    assert "persistence true" in text.splitlines() and f"persistence_location {out / 'persistence'}/" in text
    if not persistence:
        conf.write_text(text.replace("persistence true", "persistence false"))
    broker = Broker(conf)
    broker.start()
    received: queue.Queue[bytes] = queue.Queue()
    tls = TLSFiles(str(out / "ca.pem"), str(out / "psn-server.pem"), str(out / "psn-server.key"))

    def sink(_topic: str, payload: bytes, receipt: Receipt | None = None, _redelivered: bool = False) -> None:
        received.put(payload)
        if receipt is not None:
            receipt.expect(0)  # nothing durable to wait for: acknowledged at once, as psn does a rejection

    def psn() -> MqttClient:
        client = MqttClient(BrokerURL.parse(f"mqtts://127.0.0.1:{port}"), "psn-server", ["psn/v1/#"],
                            sink, tls=tls)
        client.start()
        return client

    seen: list[bytes] = []

    def through(marker: bytes) -> bool:
        """psn's MqttClient does not wait for its SUBACK: send `marker` until one comes through."""
        _send(unit, marker)
        try:
            while True:
                seen.append(received.get(timeout=0.2))
        except queue.Empty:
            return marker in seen

    client = psn()
    unit = _unit(tmp_path, port)
    try:
        wait_for(lambda: through(b"before"), timeout=TIMEOUT)
        client.stop()
        _send(unit, b"while psn is away")
        unit.disconnect()
        unit.loop_stop()
        broker.stop()
        broker.start()
        client = psn()
        unit = _unit(tmp_path, port)
        wait_for(lambda: through(b"after"), timeout=TIMEOUT)
    finally:
        client.stop()
        unit.disconnect()
        unit.loop_stop()
        broker.stop()
    got = [body for body in seen if body != b"before"]
    got = got[:got.index(b"after") + 1]
    assert got == ([b"while psn is away", b"after"] if persistence else [b"after"])
    assert any((out / "persistence").iterdir()) == persistence

"""Transport security end to end, with real components: units with certificates from `psn pki`, a real
Mosquitto configured by `psn broker-config` with psn connected over mTLS, the embedded broker in TLS mode,
and HTTPS. Every refused client also tries to publish; none of it may reach the live state."""

from __future__ import annotations

import contextlib
import getpass
import io
import json
import queue
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from crypto.pki import load_ca
from psn.access import Role
from psn.cli import main as psn
from psn.mqtt.certs import ca_dir, open_ca
from tests.support import MOSQUITTO, RunningServer, free_port, make_settings, wait_for

pytestmark = pytest.mark.timeout(60)
TIMEOUT = 5.0


def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = "") -> str:
    """Run `psn …` in-process (the same parser and functions as the console script) and return its stdout."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    assert psn(list(argv)) == 0, capsys.readouterr()
    return capsys.readouterr().out


class Unit:
    """An MQTT 3.1.1 client over TLS (or plain TCP), presenting a unit certificate or none."""

    def __init__(self, port: int, ca: Path | None, bundle: Path | None, client_id: str = "") -> None:
        self.outcome: queue.Queue[bool] = queue.Queue()
        self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=mqtt.MQTTv311)
        if ca is not None:
            cert, key = (f"{bundle}.pem", f"{bundle}.key") if bundle else (None, None)
            self.client.tls_set(str(ca), cert, key)
        self.client.on_connect = lambda c, u, f, reason, p: self.outcome.put(not reason.is_failure)
        self.client.on_disconnect = lambda c, u, f, reason, p: self.outcome.put(False)
        self.connected = False
        try:
            self.client.connect("127.0.0.1", port, keepalive=30)
        except (ssl.SSLError, OSError):
            return
        self.client.loop_start()
        with contextlib.suppress(queue.Empty):
            self.connected = self.outcome.get(timeout=TIMEOUT)

    def publish_fix(self, agency: str, unit: str, ts: float | None = None) -> None:
        body = json.dumps({"ts": ts or time.time(), "lat": 17.5, "lon": -88.2})
        info = self.client.publish(f"psn/v1/{agency}/{unit}/telemetry", body, qos=1)
        if self.connected:
            info.wait_for_publish(TIMEOUT)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def issue_units(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, data: Path) -> Path:
    """P-12 and P-13 valid, P-99 revoked (a stolen phone); returns the bundle directory."""
    units = data / "pki" / "units"
    for unit in ("P-12", "P-13", "P-99"):
        cli(capsys, monkeypatch, "pki", "issue-unit", "police", unit, "--p12-password-stdin", "--data-dir", str(data),
            stdin="device-pw\n")
    cli(capsys, monkeypatch, "pki", "revoke", "police/P-99", "--reason", "key_compromise", "--data-dir", str(data))
    return units


def attempt_everything_refused(port: int, ca: Path, units: Path) -> list[Unit]:
    """The four classes that must not get anything in: no certificate, revoked, spoofing, plain TCP."""
    attempts = [
        Unit(port, ca, None, "nocert"),
        Unit(port, ca, units / "police.P-99", "police/P-99"),
        Unit(port, None, None, "plain"),
    ]
    assert not any(a.connected for a in attempts)
    spoofer = Unit(port, ca, units / "police.P-12", "police/P-12:spoofer")
    assert spoofer.connected
    attempts.append(spoofer)
    for attempt, unit in zip(attempts, ("NOCERT", "P-99", "PLAIN", "P-13"), strict=True):
        attempt.publish_fix("police", unit)
    return attempts


def only_p12_arrived(server: RunningServer, honest: Unit) -> None:
    # The same honest publisher's later fix is the marker: once it is in, anything forged before it would be too.
    honest.publish_fix("police", "P-12", ts=time.time())
    wait_for(lambda: server.stats()["accepted"] >= 2, timeout=TIMEOUT)
    assert set(server.units()) == {"police/P-12"}
    assert server.stats()["accepted"] == 2


@pytest.fixture
def mosquitto_mtls(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, Path, Path]]:
    """A real Mosquitto run with exactly what `psn broker-config` wrote."""
    data, out, port = tmp_path, tmp_path / "broker", free_port()
    cli(capsys, monkeypatch, "pki", "init", "--data-dir", str(data))
    units = issue_units(capsys, monkeypatch, data)
    printed = cli(capsys, monkeypatch, "broker-config", "--out", str(out), "--port", str(port),
                  "--run-as", getpass.getuser(), "--data-dir", str(data))
    assert f"--mqtt mqtts://127.0.0.1:{port} --mqtt-ca {out / 'ca.pem'}" in printed
    log = tmp_path / "mosquitto.log"
    process = subprocess.Popen([MOSQUITTO, "-c", str(out / "mosquitto.conf")], stderr=log.open("wb"))
    wait_for(lambda: process.poll() is not None or _listening(port), timeout=10)
    assert process.poll() is None, log.read_text()
    yield port, out, units
    process.terminate()
    process.wait(timeout=10)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_mosquitto_from_broker_config_with_psn_over_mtls(tmp_path: Path,
                                                         mosquitto_mtls: tuple[int, Path, Path]) -> None:
    port, out, units = mosquitto_mtls
    settings = make_settings(tmp_path, f"mqtts://127.0.0.1:{port}", mqtt_ca=str(out / "ca.pem"),
                             mqtt_cert=str(out / "psn-server.pem"), mqtt_key=str(out / "psn-server.key"))
    server = RunningServer(settings).start()  # start() waits until psn's mTLS session is up
    attempts: list[Unit] = []
    try:
        honest = Unit(port, out / "ca.pem", units / "police.P-12", "police/P-12")
        assert honest.connected
        honest.publish_fix("police", "P-12", ts=time.time() - 1)
        assert wait_for(lambda: "police/P-12" in server.units(), timeout=TIMEOUT)
        attempts = attempt_everything_refused(port, out / "ca.pem", units)
        only_p12_arrived(server, honest)
        attempts.append(honest)
    finally:
        for attempt in attempts:
            attempt.close()
        server.stop()


def test_embedded_broker_in_tls_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    server = RunningServer(make_settings(tmp_path, None)).start()  # not the demo: the CA is created on first start
    attempts: list[Unit] = []
    try:
        assert server.mqtt_url.startswith("mqtts://")
        port, ca = int(server.mqtt_url.rsplit(":", 1)[1]), ca_dir(tmp_path) / "ca.pem"
        units = issue_units(capsys, monkeypatch, tmp_path)  # while it runs: the broker follows the CA index
        honest = Unit(port, ca, units / "police.P-12", "police/P-12")
        assert honest.connected
        honest.publish_fix("police", "P-12", ts=time.time() - 1)
        assert wait_for(lambda: "police/P-12" in server.units(), timeout=TIMEOUT)
        attempts = attempt_everything_refused(port, ca, units)
        # A unit may not take psn's client id: that would hand it psn's session and its subscription to '#'.
        thief = Unit(port, ca, units / "police.P-13", server.settings.mqtt_client_id)
        assert not thief.connected
        attempts += [thief, honest]
        only_p12_arrived(server, honest)
        assert server.server.mqtt is not None and server.server.mqtt.connects == 1  # psn was never kicked off

        admin = server.headers("police", Role.ADMIN)
        events = httpx.get(f"{server.base_url}/api/v1/security/events", headers=admin).json()
        by_kind = {e["kind"]: e for e in events["events"]}
        assert by_kind["spoofed_topic"]["actor"] == "police/P-12"
        assert by_kind["spoofed_topic"]["detail"]["topic"] == "psn/v1/police/P-13/telemetry"
        assert by_kind["revoked_certificate"]["detail"]["unit"] == "police/P-99"
    finally:
        for attempt in attempts:
            attempt.close()
        server.stop()


def test_embedded_broker_delivers_units_only_their_commands(tmp_path: Path) -> None:
    server = RunningServer(make_settings(tmp_path, None)).start()
    try:
        now = time.time()
        ca = open_ca(tmp_path, now=now)
        for unit in ("P-12", "P-13"):
            ca.issue_unit("police", unit, now=now).write(tmp_path / "u", f"police.{unit}")
        port = int(server.mqtt_url.rsplit(":", 1)[1])
        reader = Unit(port, ca.cert_path, tmp_path / "u" / "police.P-12", "police/P-12")
        got: queue.Queue[str] = queue.Queue()
        reader.client.on_message = lambda c, u, m: got.put(m.topic)
        reader.client.subscribe("#", qos=1)
        time.sleep(0.3)
        other = Unit(port, ca.cert_path, tmp_path / "u" / "police.P-13", "police/P-13")
        other.publish_fix("police", "P-13")
        assert server.server.mqtt is not None
        server.server.mqtt.publish("psn/v1/police/P-13/cmd/go", b"x", qos=1)
        server.server.mqtt.publish("psn/v1/police/P-12/cmd/go", b"marker", qos=1)
        assert got.get(timeout=TIMEOUT) == "psn/v1/police/P-12/cmd/go"  # nothing of P-13 before it
        reader.close()
        other.close()
    finally:
        server.stop()


def test_https_with_hsts_and_plain_http_refused_off_loopback(tmp_path: Path) -> None:
    now = time.time()
    ca = open_ca(tmp_path, now=now, create=True)
    ca.issue_server(["localhost", "127.0.0.1"], now=now).write(tmp_path / "web", "https")
    port = free_port()
    base = [sys.executable, "-m", "psn", "serve", "--data-dir", str(tmp_path), "--port", str(port)]
    refused = subprocess.run([*base, "--host", "0.0.0.0"], capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0 and "refusing plain HTTP" in refused.stderr
    web = subprocess.Popen([*base, "--tls-cert", str(tmp_path / "web" / "https.pem"),
                            "--tls-key", str(tmp_path / "web" / "https.key")], stderr=subprocess.DEVNULL)
    try:
        def health() -> httpx.Response | None:
            try:
                return httpx.get(f"https://127.0.0.1:{port}/healthz", verify=ssl.create_default_context(
                    cafile=str(ca.cert_path)))
            except httpx.TransportError:
                return None

        response: Any = wait_for(health, timeout=30, interval=0.2)
        assert response.status_code == 200
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/healthz")  # no plain HTTP beside it
    finally:
        web.terminate()
        web.wait(timeout=20)


def test_pki_and_broker_config_cli_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    data = ["--data-dir", str(tmp_path)]
    assert "created" in cli(capsys, monkeypatch, "pki", "init", "--name", "Belize PSN CA", *data)
    assert psn(["pki", "init", *data]) == 2  # never overwrites a CA
    printed = cli(capsys, monkeypatch, "pki", "issue-unit", "nemo", "N-1", "--p12-password-stdin", *data,
                  stdin="device-pw\n")
    p12 = tmp_path / "pki" / "units" / "nemo.N-1.p12"
    assert str(p12) in printed
    from cryptography.hazmat.primitives.serialization import pkcs12

    bundle = pkcs12.load_pkcs12(p12.read_bytes(), b"device-pw")
    assert bundle.cert is not None
    ca = load_ca(ca_dir(tmp_path))
    assert ca.identity_from_cert(bundle.cert.certificate, now=time.time()).cn == "nemo/N-1"
    assert psn(["pki", "issue-unit", "navy", "X-1", "--p12-password-stdin", *data]) == 2  # unknown agency
    cli(capsys, monkeypatch, "pki", "issue-server", "psn.example.bz", "127.0.0.5", *data)
    assert (tmp_path / "pki" / "servers" / "psn.example.bz.pem").exists()

    out = tmp_path / "broker"
    cli(capsys, monkeypatch, "broker-config", "--out", str(out), "--port", "18883", *data)
    conf = (out / "mosquitto.conf").read_text()
    # The default sizing: 1,000 units x 1 fix/s x a 120 s psn outage to ride out = 120,000 queued messages.
    for line in ("tls_version tlsv1.3", "require_certificate true", "use_identity_as_username true",
                 f"crlfile {out / 'crl.pem'}", "max_queued_messages 120000", "listener 18883 127.0.0.1"):
        assert line in conf
    acl = (out / "acl").read_text()
    assert "user psn-server" in acl and "user nemo/N-1" in acl and "pattern write owntracks/%u/#" in acl
    broker_cert = (out / "broker.pem").read_bytes()

    serial = f"{bundle.cert.certificate.serial_number:x}"
    assert "revoked nemo/N-1" in cli(capsys, monkeypatch, "pki", "revoke", serial, "--reason", "superseded", *data)
    assert psn(["pki", "revoke", "nemo/N-1", *data]) == 2  # nothing left to revoke
    cli(capsys, monkeypatch, "pki", "crl", "--days", "2", *data)
    listing = cli(capsys, monkeypatch, "pki", "list", *data)
    rows = [line.split()[:3] for line in listing.splitlines() if line.startswith(serial)]
    assert rows == [[serial, "unit", "nemo/N-1"]]
    assert "revoked (superseded)" in listing
    cli(capsys, monkeypatch, "broker-config", "--out", str(out), "--port", "18883", *data)
    assert (out / "broker.pem").read_bytes() == broker_cert  # re-runs keep the broker's certificate
    assert "user nemo/N-1" not in (out / "acl").read_text()  # revoked units leave the ACL

    cli(capsys, monkeypatch, "audit", "verify", *data)
    audit = (tmp_path / "audit" / "audit.jsonl").read_text()
    for action in ("pki.init", "pki.issue_unit", "pki.issue_server", "pki.revoke", "pki.crl", "pki.broker_config"):
        assert f'"{action}"' in audit

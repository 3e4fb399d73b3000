"""A real Mosquitto with the config, ACL, certificates and CRL that `crypto` generates: mTLS 1.3 end to end."""

from __future__ import annotations

import getpass
import queue
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from crypto.broker_config import BrokerConfig, TlsFiles, render_mosquitto_conf
from crypto.pki import CertificateAuthority, init_ca
from psn.mqtt.acl import render_acl
from tests.support import MOSQUITTO, free_port, wait_for

TIMEOUT = 10.0
# A well-formed MQTT 3.1.1 CONNECT (clean session, keepalive 30 s, empty client id).
CONNECT = bytes([0x10, 12, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 30, 0, 0])
pytestmark = pytest.mark.timeout(90)


@dataclass
class Broker:
    ca: CertificateAuthority
    certs: Path
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, name: str | None, client_id: str) -> Session:
        """An MQTT v5 session over TLS presenting `name`'s certificate (None: no client certificate)."""
        return Session(self, name, client_id)


class Session:
    def __init__(self, broker: Broker, name: str | None, client_id: str) -> None:
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self._outcome: queue.Queue[bool] = queue.Queue()
        self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=mqtt.MQTTv5)
        cert = (str(broker.certs / f"{name}.pem"), str(broker.certs / f"{name}.key")) if name else (None, None)
        self.client.tls_set(ca_certs=str(broker.ca.cert_path), certfile=cert[0], keyfile=cert[1])
        self.client.on_connect = lambda c, u, f, reason, p: self._outcome.put(not reason.is_failure)
        self.client.on_disconnect = lambda c, u, f, reason, p: self._outcome.put(False)
        self.client.on_message = lambda c, u, msg: self.messages.put((msg.topic, bytes(msg.payload)))
        self.connected = False
        try:
            self.client.connect("127.0.0.1", broker.port, keepalive=30)
        except (ssl.SSLError, OSError):
            return
        self.client.loop_start()
        try:
            self.connected = self._outcome.get(timeout=TIMEOUT)
        except queue.Empty:
            self.connected = False

    def tls_version(self) -> str | None:
        sock = self.client.socket()
        return sock.version() if isinstance(sock, ssl.SSLSocket) else None

    def subscribe(self, *filters: str) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *_: done.set()
        self.client.subscribe([(f, 1) for f in filters])
        assert done.wait(TIMEOUT), "no SUBACK"

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(TIMEOUT)

    def received_until(self, marker: bytes) -> list[tuple[str, bytes]]:
        """Messages up to and including `marker`: what was delivered before it, in order."""
        seen: list[tuple[str, bytes]] = []
        deadline = time.monotonic() + TIMEOUT
        while not seen or seen[-1][1] != marker:
            seen.append(self.messages.get(timeout=max(0.01, deadline - time.monotonic())))
        return seen

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def start_broker(tmp: Path, ca: CertificateAuthority, certs: Path, demo_plain_port: int | None = None) -> Broker:
    now = time.time()  # the broker checks certificates against the real clock
    ca.crl(now=now)
    acl = tmp / "acl"
    acl.write_text(render_acl(ca.active_units(now=now)))
    port = free_port()
    tls = TlsFiles(ca.cert_path, certs / "broker.pem", certs / "broker.key", ca.crl_path)
    # `user`: started as root, Mosquitto would otherwise become "mosquitto" and lose the 0600 files.
    config = BrokerConfig(tls, acl, port=port, user=getpass.getuser(), demo_plain_port=demo_plain_port)
    conf = tmp / f"mosquitto-{port}.conf"
    conf.write_text(render_mosquitto_conf(config) + "log_dest stderr\nlog_type all\n")
    log = tmp / f"mosquitto-{port}.log"
    process = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stderr=log.open("wb"))
    wait_for(lambda: "running" in log.read_text() or process.poll() is not None, timeout=TIMEOUT)
    assert process.poll() is None, log.read_text()
    return Broker(ca, certs, port, process, log)


def stop(broker: Broker) -> None:
    broker.process.terminate()
    broker.process.wait(timeout=TIMEOUT)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> tuple[CertificateAuthority, Path]:
    tmp = tmp_path_factory.mktemp("mtls")
    now = time.time()
    ca = init_ca(tmp / "ca", "PSN Test CA", now=now)
    certs = tmp / "certs"
    ca.issue_server(["localhost", "127.0.0.1", "::1"], now=now).write(certs, "broker")
    ca.issue_service("psn-server", now=now).write(certs, "psn-server")
    for agency, unit in [("police", "P-12"), ("police", "P-13"), ("fire", "F-1"), ("police", "P-99")]:
        issued = ca.issue_unit(agency, unit, now=now)
        issued.write(certs, f"{agency}.{unit}")
    ca.revoke(issued.serial, now=now)  # the last one, P-99: a stolen phone
    return ca, certs


@pytest.fixture(scope="module")
def broker(pki: tuple[CertificateAuthority, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    running = start_broker(tmp_path_factory.mktemp("broker"), *pki)
    yield running
    stop(running)


@pytest.fixture
def server(broker: Broker) -> Iterator[Session]:
    session = broker.client("psn-server", "psn-server")
    assert session.connected, broker.log.read_text()
    session.subscribe("psn/v1/#")
    yield session
    session.close()


def test_unit_publishes_its_own_topic_over_tls13(broker: Broker, server: Session) -> None:
    unit = broker.client("police.P-12", "P-12")
    assert unit.connected, broker.log.read_text()
    assert unit.tls_version() == "TLSv1.3"
    unit.publish("psn/v1/police/P-12/telemetry", b'{"lat":17.25}')
    assert server.received_until(b'{"lat":17.25}') == [("psn/v1/police/P-12/telemetry", b'{"lat":17.25}')]
    unit.close()


def test_unit_cannot_publish_as_another_unit(broker: Broker, server: Session) -> None:
    unit = broker.client("police.P-12", "P-12-spoof")
    assert unit.connected
    for topic in ("psn/v1/police/P-13/telemetry", "psn/v1/fire/F-1/telemetry", "psn/v1/police/_broadcast/x"):
        unit.publish(topic, b"forged")
    unit.publish("psn/v1/police/P-12/status", b"marker")
    # Same publisher, QoS 1: had a forged message been delivered, it would precede the marker.
    assert server.received_until(b"marker") == [("psn/v1/police/P-12/status", b"marker")]
    unit.close()


def test_unit_reads_only_its_commands_and_its_agency_broadcast(broker: Broker, server: Session) -> None:
    unit = broker.client("police.P-12", "P-12-reader")
    assert unit.connected
    unit.subscribe("psn/v1/#", "psn/v1/police/P-12/cmd/#", "psn/v1/police/_broadcast/#", "psn/v1/fire/_broadcast/#")
    for topic in ("psn/v1/police/P-13/cmd/go", "psn/v1/fire/_broadcast/all", "psn/v1/police/P-13/telemetry"):
        server.publish(topic, b"not for P-12")
    server.publish("psn/v1/police/_broadcast/all", b"all police")
    server.publish("psn/v1/police/P-12/cmd/go", b"marker")
    got = {(t, p) for t, p in unit.received_until(b"marker")}
    assert got == {("psn/v1/police/_broadcast/all", b"all police"), ("psn/v1/police/P-12/cmd/go", b"marker")}
    unit.close()


def test_no_certificate_and_revoked_certificate_are_refused(broker: Broker) -> None:
    assert not broker.client(None, "anonymous").connected
    assert not broker.client("police.P-99", "stolen-phone").connected
    # The TLS alert says why: the only difference between P-99's certificate and the others is the CRL.
    assert tls_alert(broker, None) == "TLSV13_ALERT_CERTIFICATE_REQUIRED"
    assert tls_alert(broker, "police.P-99") == "SSLV3_ALERT_CERTIFICATE_REVOKED"
    assert tls_alert(broker, "police.P-13") == "no alert: CONNACK"


def test_revocation_reaches_a_running_broker_on_sighup(
    pki: tuple[CertificateAuthority, Path], tmp_path: Path
) -> None:
    ca, certs = pki
    lost = ca.issue_unit("ems", "E-50", now=time.time())
    lost.write(certs, "ems.E-50")
    running = start_broker(tmp_path, ca, certs)
    try:
        assert tls_alert(running, "ems.E-50") == "no alert: CONNACK"
        ca.revoke(lost.serial, now=time.time())
        ca.crl(now=time.time())
        running.process.send_signal(signal.SIGHUP)
        wait_for(lambda: "Reloading config" in running.log.read_text(), timeout=TIMEOUT)
        assert wait_for(lambda: tls_alert(running, "ems.E-50") == "SSLV3_ALERT_CERTIFICATE_REVOKED", timeout=TIMEOUT)
    finally:
        stop(running)


def tls_alert(broker: Broker, name: str | None) -> str:
    context = ssl.create_default_context(cafile=str(broker.ca.cert_path))
    if name:
        context.load_cert_chain(broker.certs / f"{name}.pem", broker.certs / f"{name}.key")
    with (
        socket.create_connection(("127.0.0.1", broker.port), timeout=TIMEOUT) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        try:
            # Read first: a refused client's alert follows the handshake. Sending first would race the
            # alert against the TCP reset the broker's close causes when our CONNECT is left unread.
            tls.settimeout(1.0)
            try:
                reply = tls.recv(16)
            except TimeoutError:
                tls.settimeout(TIMEOUT)
                tls.sendall(CONNECT)
                reply = tls.recv(16)
        except ssl.SSLError as exc:
            return str(exc.reason)
    return "no alert: CONNACK" if reply.startswith(b"\x20") else f"no alert: {reply!r}"


def test_plain_tcp_to_the_tls_port_gets_no_mqtt(broker: Broker) -> None:
    """A CONNECT sent without TLS gets no CONNACK: the connection is dropped."""
    with socket.create_connection(("127.0.0.1", broker.port), timeout=TIMEOUT) as sock:
        sock.sendall(CONNECT)
        try:
            reply = sock.recv(16)
        except ConnectionResetError:
            reply = b""
    assert not reply.startswith(b"\x20"), f"got a CONNACK over plain TCP: {reply!r}"


def test_only_the_tls_listener_unless_a_demo_listener_is_asked_for(
    broker: Broker, pki: tuple[CertificateAuthority, Path], tmp_path: Path
) -> None:
    assert _listen_ports(broker.log) == [broker.port]
    demo_port = free_port()
    demo = start_broker(tmp_path, *pki, demo_plain_port=demo_port)
    try:
        assert sorted(_listen_ports(demo.log)) == sorted([demo.port, demo_port])
        plain = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        assert plain.connect("127.0.0.1", demo_port) == mqtt.MQTT_ERR_SUCCESS
        plain.disconnect()
    finally:
        stop(demo)


def _listen_ports(log: Path) -> list[int]:
    prefix = "Opening ipv4 listen socket on port "
    return [int(line.split(prefix)[1].rstrip(".")) for line in log.read_text().splitlines() if prefix in line]

"""Probe feeds' certificates end to end: `psn pki issue-probe` through the real CLI, a real Mosquitto configured
by `psn broker-config` (mTLS) and psn connected to it. A probe certificate publishes its own
`psn/v1/probes/{source}` and nothing else; a revoked one is refused."""

from __future__ import annotations

import contextlib
import getpass
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from crypto.pki import load_ca
from psn.cli import main as psn
from psn.mqtt.certs import ca_dir, open_ca
from tests.psn.test_transport_security import TIMEOUT, Unit, _listening, cli
from tests.support import MOSQUITTO, RunningServer, free_port, make_settings, wait_for

pytestmark = pytest.mark.timeout(60)


def _publish(client: Unit, topic: str, body: dict[str, object], retain: bool = False) -> None:
    client.client.publish(topic, json.dumps(body), qos=1, retain=retain).wait_for_publish(TIMEOUT)


def _probe(vehicle: str) -> dict[str, object]:
    return {"ts": time.time(), "vehicle": vehicle, "lat": 17.5, "lon": -88.2, "speed": 12.0}


@contextlib.contextmanager
def configured_mosquitto(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                         command: str, names: tuple[str, ...], revoke: str) -> Iterator[tuple[int, Path, Path]]:
    """Mosquitto as `psn broker-config` wrote it, after `pki init`, issuing the unit police/P-12, `pki {command}`
    for each of `names` and revoking `revoke`; (port, broker config dir, pki dir)."""
    data, out, port = ["--data-dir", str(tmp_path)], tmp_path / "broker", free_port()
    cli(capsys, monkeypatch, "pki", "init", *data)
    cli(capsys, monkeypatch, "pki", "issue-unit", "police", "P-12", "--p12-password-stdin", *data, stdin="pw\n")
    for name in names:
        cli(capsys, monkeypatch, "pki", command, name, "--p12-password-stdin", *data, stdin="pw\n")
    assert f"revoked {revoke}" in cli(capsys, monkeypatch, "pki", "revoke", revoke, *data)
    cli(capsys, monkeypatch, "broker-config", "--out", str(out), "--port", str(port), "--run-as", getpass.getuser(),
        *data)
    log = tmp_path / "mosquitto.log"
    process = subprocess.Popen([MOSQUITTO, "-c", str(out / "mosquitto.conf")], stderr=log.open("wb"))
    wait_for(lambda: process.poll() is not None or _listening(port), timeout=10)
    assert process.poll() is None, log.read_text()
    try:
        yield port, out, tmp_path / "pki"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def probe_broker(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, Path, Path]]:
    """Two probe feeds besides the unit, one of them revoked."""
    with configured_mosquitto(tmp_path, capsys, monkeypatch, "issue-probe", ("belize-buses", "taxis"),
                              "probes/taxis") as broker:
        yield broker


def psn_over_mtls(tmp_path: Path, port: int, out: Path) -> RunningServer:
    """psn started on the Mosquitto of `configured_mosquitto`, with the `psn-server` certificate it issued."""
    settings = make_settings(tmp_path, f"mqtts://127.0.0.1:{port}", mqtt_ca=str(out / "ca.pem"),
                             mqtt_cert=str(out / "psn-server.pem"), mqtt_key=str(out / "psn-server.key"))
    return RunningServer(settings).start()


def test_a_probe_certificate_publishes_its_own_feed_only(tmp_path: Path,
                                                          probe_broker: tuple[int, Path, Path]) -> None:
    port, out, pki = probe_broker
    ca = out / "ca.pem"
    server = psn_over_mtls(tmp_path, port, out)
    clients: list[Unit] = []
    try:
        revoked = Unit(port, ca, pki / "probes" / "probes.taxis", "probes/taxis")
        buses = Unit(port, ca, pki / "probes" / "probes.belize-buses", "probes/belize-buses")
        unit = Unit(port, ca, pki / "units" / "police.P-12", "police/P-12")
        clients += [revoked, buses, unit]
        assert not revoked.connected
        assert buses.connected and unit.connected
        _publish(buses, "psn/v1/probes/taxis", _probe("spoofed-source"))  # another source's feed
        _publish(buses, "psn/v1/police/P-12/telemetry", {"ts": time.time(), "lat": 17.5, "lon": -88.2})
        # The unit patterns name `psn/v1/probes/{source}/…` and `owntracks/probes/{source}` for a feed's CN: the
        # latter would put an OwnTracks unit on the map.
        _publish(buses, "psn/v1/probes/belize-buses/telemetry", {"ts": time.time(), "lat": 17.5, "lon": -88.2})
        _publish(buses, "owntracks/probes/belize-buses", {"_type": "location", "tst": int(time.time()),
                                                          "lat": 17.5, "lon": -88.2})
        _publish(unit, "psn/v1/probes/belize-buses", _probe("unit-as-probe"))  # a unit is no probe feed
        # Each publisher's later message is the marker: anything refused before it would have arrived first.
        _publish(unit, "psn/v1/police/P-12/telemetry", {"ts": time.time(), "lat": 17.5, "lon": -88.2})
        _publish(buses, "psn/v1/probes/belize-buses", _probe("bus-7"))
        wait_for(lambda: server.stats()["probes"]["accepted"] >= 1 and server.stats()["accepted"] >= 1,
                 timeout=TIMEOUT)
        stats = server.stats()
        assert stats["probes"] == {"accepted": 1, "rejected": {}}
        # The probe and the unit's own fix: the probe feed's fix on the unit's topic never reached psn.
        assert stats["accepted"] == 2
        assert set(server.units()) == {"police/P-12"}
        assert stats["rejected"] == {}  # nor did the feed's publish below its topic (bad_topic)
    finally:
        for client in clients:
            client.close()
        server.stop()


def test_issue_probe_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                         monkeypatch: pytest.MonkeyPatch) -> None:
    data = ["--data-dir", str(tmp_path)]
    cli(capsys, monkeypatch, "pki", "init", *data)
    printed = cli(capsys, monkeypatch, "pki", "issue-probe", "belize-buses", "--p12-password-stdin", *data,
                  stdin="feed-pw\n")
    p12 = tmp_path / "pki" / "probes" / "probes.belize-buses.p12"
    assert str(p12) in printed and "psn/v1/probes/belize-buses only" in printed
    bundle = pkcs12.load_pkcs12(p12.read_bytes(), b"feed-pw")
    assert bundle.cert is not None
    record = load_ca(ca_dir(tmp_path)).check(bundle.cert.certificate, now=time.time())
    assert (record.kind, record.subject) == ("probe", "probes/belize-buses")

    for bad in ("a/b", "bus fleet", "+", "#", "x" * 65, ""):
        capsys.readouterr()
        assert psn(["pki", "issue-probe", bad, "--p12-password-stdin", *data]) == 2
        assert "probe source" in capsys.readouterr().err
    assert not list((tmp_path / "pki" / "probes").glob("probes.a*"))

    serial = f"{bundle.cert.certificate.serial_number:x}"
    rows = [line.split()[:3] for line in cli(capsys, monkeypatch, "pki", "list", *data).splitlines()
            if line.startswith(serial)]
    assert rows == [[serial, "probe", "probes/belize-buses"]]
    assert "revoked probes/belize-buses" in cli(capsys, monkeypatch, "pki", "revoke", "probes/belize-buses", *data)
    assert psn(["pki", "revoke", "probes/belize-buses", *data]) == 2  # nothing left to revoke
    assert "revoked (unspecified)" in cli(capsys, monkeypatch, "pki", "list", *data)
    cli(capsys, monkeypatch, "audit", "verify", *data)
    assert '"pki.issue_probe"' in (tmp_path / "audit" / "audit.jsonl").read_text()


def test_the_embedded_broker_takes_a_probe_certificate_for_its_own_feed(tmp_path: Path) -> None:
    server = RunningServer(make_settings(tmp_path, None)).start()  # TLS mode: the CA is created on first start
    feed: Unit | None = None
    try:
        now = time.time()
        ca = open_ca(tmp_path, now=now)
        ca.issue_probe("belize-buses", now=now).write(tmp_path / "p", "probes.belize-buses")
        port = int(server.mqtt_url.rsplit(":", 1)[1])
        feed = Unit(port, ca.cert_path, tmp_path / "p" / "probes.belize-buses", "probes/belize-buses")
        assert feed.connected
        _publish(feed, "psn/v1/probes/taxis", _probe("spoofed-source"))
        _publish(feed, "psn/v1/probes/belize-buses", _probe("bus-7"))
        wait_for(lambda: server.stats()["probes"]["accepted"] >= 1, timeout=TIMEOUT)
        assert server.stats()["probes"] == {"accepted": 1, "rejected": {}}
        assert [e.actor for e in server.server.security.recent(kind="spoofed_topic")] == ["probes/belize-buses"]
    finally:
        if feed is not None:
            feed.close()
        server.stop()

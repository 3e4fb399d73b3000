"""Network equipment's certificates end to end: `psn pki issue-equipment` through the real CLI, a real Mosquitto
configured by `psn broker-config` (mTLS) and psn connected to it; then the embedded broker with the same rules.
Equipment publishes KPIs and link reports and reads psn's network commands and the units' positions; it cannot
pose as a unit, and a unit cannot publish KPIs or link reports."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crypto.pki import load_ca
from psn.cli import main as psn
from psn.mqtt.certs import ca_dir, open_ca
from tests.psn.test_probe_certificates import _publish, configured_mosquitto, psn_over_mtls
from tests.psn.test_transport_security import TIMEOUT, Unit, cli
from tests.support import RunningServer, make_settings, wait_for

pytestmark = pytest.mark.timeout(60)
KPI = "psn/v1/net/cell/BZE-PMD-1/kpi"
LINK = "psn/v1/net/ue/police/P-12/link"


def _kpi(cell: str = "BZE-PMD-1", ues: int = 12) -> dict[str, Any]:
    return {"cell": cell, "ts": time.time(), "connected_ues": ues, "prb_util_dl": 0.4, "prb_util_ul": 0.2,
            "thr_dl_mbps": 8.5, "thr_ul_mbps": 3.1, "bearers_rejected": 0, "bearers_preempted": 0}


def _link(unit: str = "P-12", ul: float = 1.08) -> dict[str, Any]:
    return {"agency": "police", "unit": unit, "ts": time.time(), "cell": "BZE-PMD-1", "rsrp_dbm": -97.5,
            "sinr_db": 12.3, "ul_mbps": ul, "dl_mbps": 0.2}


def _fix() -> dict[str, Any]:
    return {"ts": time.time(), "lat": 17.5, "lon": -88.2}


def _listen(client: Unit, *filters: str) -> queue.Queue[str]:
    heard: queue.Queue[str] = queue.Queue()
    client.client.on_message = lambda _c, _u, message: heard.put(message.topic)
    subscribed: queue.Queue[bool] = queue.Queue()
    client.client.on_subscribe = lambda *_args: subscribed.put(True)
    client.client.subscribe([(f, 1) for f in filters])
    subscribed.get(timeout=TIMEOUT)
    return heard


@pytest.fixture
def equipment_broker(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                     monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, Path, Path]]:
    """Two pieces of equipment besides the unit, one of them revoked."""
    with configured_mosquitto(tmp_path, capsys, monkeypatch, "issue-equipment", ("enb-1", "enb-2"),
                              "net/enb-2") as broker:
        yield broker


def test_equipment_reports_the_network_and_a_unit_cannot(tmp_path: Path,
                                                        equipment_broker: tuple[int, Path, Path]) -> None:
    port, out, pki = equipment_broker
    ca = out / "ca.pem"
    server = psn_over_mtls(tmp_path, port, out)
    clients: list[Unit] = []
    try:
        revoked = Unit(port, ca, pki / "equipment" / "net.enb-2", "net/enb-2")
        enb = Unit(port, ca, pki / "equipment" / "net.enb-1", "net/enb-1")
        unit = Unit(port, ca, pki / "units" / "police.P-12", "police/P-12")
        psn_side = Unit(port, ca, out / "psn-server", "psn-server:test")
        clients += [revoked, enb, unit, psn_side]
        assert not revoked.connected
        assert enb.connected and unit.connected and psn_side.connected
        heard = _listen(enb, "psn/v1/net/cmd/#", "psn/v1/+/+/telemetry")
        # A unit is no network equipment: neither KPIs nor link reports, not even its own.
        _publish(unit, "psn/v1/net/cell/BZE-PMD-2/kpi", _kpi("BZE-PMD-2"))
        _publish(unit, LINK, _link(ul=99.0))
        # The unit patterns name psn/v1/net/enb-1/… and owntracks/net/enb-1 for the equipment's CN.
        _publish(enb, "psn/v1/net/enb-1/telemetry", _fix())
        _publish(enb, "owntracks/net/enb-1", {"_type": "location", "tst": int(time.time()), "lat": 17.5,
                                              "lon": -88.2})
        _publish(enb, "psn/v1/police/P-12/telemetry", _fix())  # nor a unit's own topic
        _publish(psn_side, "psn/v1/net/cmd/policy", {"ts": time.time(), "seq": 1}, retain=True)
        _publish(unit, "psn/v1/police/P-12/telemetry", _fix())  # the markers: each publisher's last
        _publish(enb, LINK, _link())
        _publish(enb, KPI, _kpi())
        kpis = server.server.net_kpis
        wait_for(lambda: kpis.latest_kpi("BZE-PMD-1") is not None and kpis.latest_link("police/P-12") is not None
                 and "police/P-12" in server.units(), timeout=TIMEOUT)
        assert kpis.cell_loads() == {"BZE-PMD-1": 0.2}
        link = kpis.latest_link("police/P-12")
        assert link is not None and link.ul_mbps == 1.08
        stats = server.stats()
        assert stats["accepted_by_source"] == {"net": 2, "psn/v1": 1}
        assert set(server.units()) == {"police/P-12"} and stats["rejected"] == {}
        # The equipment hears psn's command and where the unit is, and nothing it was refused.
        # (psn retains its own policy document at start too: two policies, one fix, in some order.)
        topics = [heard.get(timeout=TIMEOUT) for _ in range(3)]
        assert sorted(topics) == ["psn/v1/net/cmd/policy"] * 2 + ["psn/v1/police/P-12/telemetry"]
        assert heard.empty()
    finally:
        for client in clients:
            client.close()
        server.stop()


def test_issue_equipment_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    data = ["--data-dir", str(tmp_path)]
    cli(capsys, monkeypatch, "pki", "init", *data)
    printed = cli(capsys, monkeypatch, "pki", "issue-equipment", "enb-1", "--p12-password-stdin", *data,
                  stdin="pw\n")
    pem = tmp_path / "pki" / "equipment" / "net.enb-1.pem"
    assert str(pem) in printed and "psn/v1/net/ue/+/+/link" in printed
    record = load_ca(ca_dir(tmp_path)).index
    assert [(r.kind, r.subject) for r in record.values()] == [("equipment", "net/enb-1")]
    for bad in ("a/b", "enb 1", "+", "#", "_x", "x" * 65, ""):
        capsys.readouterr()
        assert psn(["pki", "issue-equipment", bad, "--p12-password-stdin", *data]) == 2
        assert "equipment name" in capsys.readouterr().err
    assert "revoked net/enb-1" in cli(capsys, monkeypatch, "pki", "revoke", "net/enb-1", *data)
    assert '"pki.issue_equipment"' in (tmp_path / "audit" / "audit.jsonl").read_text()


def test_the_embedded_broker_takes_equipment_for_the_network_only(tmp_path: Path) -> None:
    server = RunningServer(make_settings(tmp_path, None)).start()  # TLS mode: the CA is created on first start
    clients: list[Unit] = []
    try:
        now = time.time()
        ca = open_ca(tmp_path, now=now)
        ca.issue_equipment("enb-1", now=now).write(tmp_path / "e", "net.enb-1")
        ca.issue_unit("police", "P-12", now=now).write(tmp_path / "u", "police.P-12")
        port = int(server.mqtt_url.rsplit(":", 1)[1])
        enb = Unit(port, ca.cert_path, tmp_path / "e" / "net.enb-1", "net/enb-1")
        unit = Unit(port, ca.cert_path, tmp_path / "u" / "police.P-12", "police/P-12")
        clients += [enb, unit]
        assert enb.connected and unit.connected
        _publish(unit, "psn/v1/net/cell/BZE-PMD-2/kpi", _kpi("BZE-PMD-2"))
        _publish(enb, "psn/v1/police/P-12/telemetry", _fix())
        _publish(enb, KPI, _kpi())
        kpis = server.server.net_kpis
        wait_for(lambda: kpis.latest_kpi("BZE-PMD-1") is not None, timeout=TIMEOUT)
        assert kpis.cell_loads() == {"BZE-PMD-1": 0.2} and server.units() == {}
        refused = {(e.actor, e.detail.get("topic")) for e in server.server.security.recent(kind="spoofed_topic")}
        assert refused == {("police/P-12", "psn/v1/net/cell/BZE-PMD-2/kpi"),
                           ("net/enb-1", "psn/v1/police/P-12/telemetry")}
    finally:
        for client in clients:
            client.close()
        server.stop()

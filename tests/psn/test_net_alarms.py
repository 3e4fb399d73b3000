"""Network alarms end to end: KPIs over a real Mosquitto into a really started psn (manual clock), the alarm out on
psn/v1/_alarms/{kind}, on the live WebSocket and over HTTP; acknowledgement rights; a restart keeps it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from websockets.sync.client import connect

from psn.access import Role
from psn.clock import ManualClock
from psn.events import LinkAccepted
from telemetry import LinkReport, UnitRef
from tests import support
from tests.support import Mosquitto, RunningServer, make_settings, publisher, wait_for

CELL = "BZE-PMD-1"
ALARMS = "/api/v1/net/alarms"
SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "schemas" / "net-alarm.json"


class Feed(support.Feed):
    def states(self) -> list[tuple[str, str, str, int]]:
        with self._lock:
            return [(topic, m["id"], m["state"], m["count"]) for topic, m in self.messages]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_764_612_000.0)


@pytest.fixture
def server(tmp_path: Path, mosquitto: Mosquitto, clock: ManualClock) -> Iterator[RunningServer]:
    running = RunningServer(make_settings(tmp_path, mosquitto.url), clock).start()
    yield running
    running.stop()


def kpi(clock: ManualClock, **change: Any) -> dict[str, Any]:
    return {"cell": CELL, "ts": clock.time(), "connected_ues": 12, "prb_util_dl": 0.41, "prb_util_ul": 0.22,
            "thr_dl_mbps": 8.5, "thr_ul_mbps": 3.1, "bearers_rejected": 0, "bearers_preempted": 0, **change}


def get(server: RunningServer, path: str, token: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{server.base_url}{path}", params=params, headers={"Authorization": f"Bearer {token}"})


def ack(server: RunningServer, alarm_id: str, token: str) -> httpx.Response:
    return httpx.post(f"{server.base_url}{ALARMS}/{alarm_id}/ack", headers={"Authorization": f"Bearer {token}"})


def send(server: RunningServer, url: str, bodies: list[str | bytes], accepted: int) -> None:
    """Publishes KPI documents of the cell, waits until psn has `accepted` in all and the alarms have them."""
    client = publisher(url)
    for body in bodies:
        client.publish(f"psn/v1/net/cell/{CELL}/kpi", body, qos=1).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()
    wait_for(lambda: server.stats()["accepted_by_source"] == {"net": accepted})
    assert server.server.bus.flush()


def silence_a_cell(server: RunningServer, clock: ManualClock, url: str) -> None:
    """Two KPIs of the cell with malformed ones between (rejected, harmless), then 16 s without one."""
    send(server, url, [json.dumps(kpi(clock)), b"{not json", json.dumps(kpi(clock, prb_util_dl="lots")),
                       json.dumps(kpi(clock, bearers_rejected=-1)), json.dumps(kpi(clock))], accepted=2)
    assert server.stats()["rejected_total"] == 3
    clock.advance(16.0)  # more than 3 periods of 5 s


def test_a_silent_cell_raises_an_alarm_that_netops_acknowledges_and_that_clears(
        server: RunningServer, clock: ManualClock, mosquitto: Mosquitto) -> None:
    feed = Feed(mosquitto.url, "psn/v1/_alarms/#")
    rejected = Feed(mosquitto.url, "psn/v1/_rejected/#")
    netops = server.token("police", Role.NETWORK_ADMIN, name="netops")
    officer = server.token("police", Role.FIELD_OFFICER)
    start = clock.time()
    with connect(f"{server.ws_url}/api/v1/live?access_token={netops}") as ws, \
            connect(f"{server.ws_url}/api/v1/live?access_token={officer}") as officer_ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
        assert json.loads(officer_ws.recv(timeout=5))["type"] == "snapshot"
        silence_a_cell(server, clock, mosquitto.url)
        wait_for(lambda: feed.states() == [("psn/v1/_alarms/cell_silent", "AL-1", "raised", 1)])
        live = [json.loads(ws.recv(timeout=5))]
        while live[-1]["type"] != "net_alarm":  # the cell's KPIs (net_kpi) come first
            live.append(json.loads(ws.recv(timeout=5)))
        assert {m["type"] for m in live[:-1]} <= {"net_kpi"} and live[-1]["alarm"]["id"] == "AL-1"
        server.server.hub.notify("marker", {}, lambda _who: True)  # events reach each client in order
        assert json.loads(officer_ws.recv(timeout=5))["type"] == "marker"  # no alarm before it: not an officer's
    assert feed.messages[0][1] == {
        "id": "AL-1", "kind": "cell_silent", "target": CELL, "severity": "critical", "state": "raised",
        "raised": start + 16, "changed": start + 16, "count": 1, "detail": "no KPI for 16 s (limit 15 s)",
        "acknowledged_by": None, "acknowledged": None}
    wait_for(lambda: len(rejected.messages) == 3)
    listed = get(server, ALARMS, netops).json()["alarms"]
    assert [(a["id"], a["kind"], a["target"], a["state"]) for a in listed] == [("AL-1", "cell_silent", CELL, "raised")]

    assert get(server, ALARMS, officer).status_code == 403
    refused = ack(server, "AL-1", officer)
    assert refused.status_code == 403 and "manage network" in refused.json()["detail"]
    done = ack(server, "AL-1", netops)
    assert done.status_code == 200
    assert (done.json()["state"], done.json()["acknowledged_by"]) == ("acknowledged", "netops")
    assert ack(server, "AL-1", netops).status_code == 409
    assert ack(server, "AL-404", netops).status_code == 404
    assert ack(server, "DROP TABLE", netops).status_code == 422
    assert '"net_alarm.ack"' in server.server.audit.file.path.read_text()

    for n in range(7):  # the cell reports again every 5 s; 30 s later (the clear delay) the alarm clears
        send(server, mosquitto.url, [json.dumps(kpi(clock))], accepted=3 + n)
        if n < 6:
            clock.advance(5.0)
    wait_for(lambda: len(feed.messages) == 3)
    assert feed.states() == [("psn/v1/_alarms/cell_silent", "AL-1", s, 1) for s in ("raised", "acknowledged",
                                                                                  "cleared")]
    for _topic, message in feed.messages:
        Draft202012Validator(json.loads(SCHEMA.read_text())).validate(message)
    assert get(server, ALARMS, netops).json() == {"alarms": []}
    assert [a["state"] for a in get(server, ALARMS, netops, state="all").json()["alarms"]] == ["cleared"]
    assert get(server, ALARMS, netops, state="all", since=start + 47).json() == {"alarms": []}
    one = get(server, f"{ALARMS}/AL-1", netops).json()
    assert [(h["at"], h["event"], h["by"]) for h in one["history"]] == [
        (start + 16, "raised", None), (start + 16, "acknowledged", "netops"), (start + 46, "cleared", None)]
    assert ack(server, "AL-1", netops).status_code == 409
    clock.advance(601.0)  # silent again, past the hold-down: a new alarm, and AL-1 is only in the store
    wait_for(lambda: feed.states()[3:] == [("psn/v1/_alarms/cell_silent", "AL-2", "raised", 1)])
    late = ack(server, "AL-1", netops)
    assert late.status_code == 409 and "cleared" in late.json()["detail"]
    metrics = httpx.get(f"{server.base_url}/metrics", headers={"Authorization": f"Bearer {netops}"}).text
    assert 'psn_net_alarm_transitions_total{event="raised",kind="cell_silent"} 2.0' in metrics
    assert 'psn_net_alarm_forgotten{what="cells"} 0.0' in metrics
    feed.close()
    rejected.close()


def test_a_restart_keeps_active_alarms_and_their_numbering(tmp_path: Path, mosquitto: Mosquitto,
                                                            clock: ManualClock) -> None:
    settings = make_settings(tmp_path, mosquitto.url)
    first = RunningServer(settings, clock).start()
    silence_a_cell(first, clock, mosquitto.url)
    wait_for(lambda: [a.id for a in first.server.alarms.active()] == ["AL-1"])
    netops = first.token("police", Role.NETWORK_ADMIN, name="netops")
    assert ack(first, "AL-1", netops).status_code == 200
    first.stop()

    again = RunningServer(make_settings(tmp_path, mosquitto.url), clock).start()
    try:
        listed = get(again, ALARMS, again.token("police", Role.NETWORK_ADMIN, name="netops")).json()["alarms"]
        assert [(a["id"], a["state"], a["acknowledged_by"]) for a in listed] == [("AL-1", "acknowledged", "netops")]
        link = LinkReport(UnitRef("police", "P-101"), clock.time(), None, None, None, 0.0, 0.0)
        for _ in range(2):
            again.server.bus.publish(LinkAccepted(link, clock.time()))
        wait_for(lambda: [a.id for a in again.server.alarms.active()] == ["AL-1", "AL-2"])
    finally:
        again.stop()


def test_a_unit_out_of_coverage_is_named_only_to_those_who_may_view_the_unit(
        server: RunningServer, clock: ManualClock) -> None:
    link = LinkReport(UnitRef("police", "P-101"), clock.time(), None, None, None, 0.0, 0.0)
    for _ in range(2):
        server.server.bus.publish(LinkAccepted(link, clock.time()))
    wait_for(lambda: server.server.alarms.active_count("police/P-101") == 1)
    seen = {}
    for agency, role in (("police", Role.ADMIN), ("fire", Role.ADMIN), ("police", Role.NETWORK_ADMIN)):
        alarms = get(server, ALARMS, server.token(agency, role)).json()["alarms"]
        one = get(server, f"{ALARMS}/AL-1", server.token(agency, role)).json()
        assert one["target"] == alarms[0]["target"]
        seen[agency, role] = (alarms[0]["kind"], alarms[0]["target"])
    assert seen == {("police", Role.ADMIN): ("unit_no_coverage", "police/P-101"),
                    ("fire", Role.ADMIN): ("unit_no_coverage", "police/…"),
                    ("police", Role.NETWORK_ADMIN): ("unit_no_coverage", "police/…")}


def test_a_database_refusing_a_change_costs_its_history_entry_only(
        server: RunningServer, clock: ManualClock, mosquitto: Mosquitto, monkeypatch: pytest.MonkeyPatch) -> None:
    from psn.net.alarm_store import AlarmStore

    feed = Feed(mosquitto.url, "psn/v1/_alarms/#")
    real_write = AlarmStore.write

    def refuse(_store: AlarmStore, _changes: Any) -> None:
        raise RuntimeError("database down")

    monkeypatch.setattr(AlarmStore, "write", refuse)
    link = LinkReport(UnitRef("police", "P-101"), clock.time(), None, None, None, 0.0, 0.0)
    for _ in range(2):
        server.server.bus.publish(LinkAccepted(link, clock.time()))
    wait_for(lambda: feed.states() == [("psn/v1/_alarms/unit_no_coverage", "AL-1", "raised", 1)])
    monkeypatch.setattr(AlarmStore, "write", real_write)
    netops = server.token("police", Role.NETWORK_ADMIN, name="netops")
    assert ack(server, "AL-1", netops).status_code == 200
    one = get(server, f"{ALARMS}/AL-1", netops).json()
    assert (one["state"], one["acknowledged_by"], [h["event"] for h in one["history"]]) == (
        "acknowledged", "netops", ["acknowledged"])
    metrics = httpx.get(f"{server.base_url}/metrics", headers={"Authorization": f"Bearer {netops}"}).text
    assert "psn_net_alarm_store_failures_total 1.0" in metrics
    feed.close()


def test_the_silent_alarm_follows_the_configured_kpi_period(tmp_path: Path, mosquitto: Mosquitto,
                                                             clock: ManualClock) -> None:
    """Cells reporting every 10 s: the alarm and the cells view both call a cell silent after 3 × 10 s."""
    running = RunningServer(make_settings(tmp_path, mosquitto.url, net_kpi_period_s=10.0), clock).start()
    netops = running.token("police", Role.NETWORK_ADMIN, name="netops")
    try:
        send(running, mosquitto.url, [json.dumps(kpi(clock))], accepted=1)
        clock.advance(29.0)
        running.server.alarms.tick()
        assert running.server.alarms.active() == []
        assert [c["state"] for c in get(running, "/api/v1/net/cells", netops).json()["cells"]] == ["up"]
        clock.advance(2.0)
        running.server.alarms.tick()
        assert [(a.kind, a.detail) for a in running.server.alarms.active()] == [
            ("cell_silent", "no KPI for 31 s (limit 30 s)")]
        assert [c["state"] for c in get(running, "/api/v1/net/cells", netops).json()["cells"]] == ["silent"]
    finally:
        running.stop()


def test_a_cell_that_falls_silent_while_psn_restarts_raises_its_alarm(tmp_path: Path, mosquitto: Mosquitto,
                                                                     clock: ManualClock) -> None:
    """The cells view restores each cell that reported within the hour (then `silent` until it reports again);
    the alarms expect the same cells: one that never reports again is cell_silent 3 periods after the start."""
    first = RunningServer(make_settings(tmp_path, mosquitto.url), clock).start()
    send(first, mosquitto.url, [json.dumps(kpi(clock))], accepted=1)
    assert first.server.net_kpis.store.flush()
    first.stop()
    clock.advance(60.0)  # the site goes down while psn is down
    again = RunningServer(make_settings(tmp_path, mosquitto.url), clock).start()
    netops = again.token("police", Role.NETWORK_ADMIN, name="netops")

    def state() -> tuple[str, int]:
        (cell,) = get(again, "/api/v1/net/cells", netops).json()["cells"]
        return cell["state"], cell["kpi"]["connected_ues"]

    try:
        assert state() == ("unknown", 12)  # its KPI restored; whether it is up, nobody knows yet
        clock.advance(15.0)
        again.server.alarms.tick()
        assert again.server.alarms.active() == [] and state() == ("unknown", 12)  # 3 periods from the start
        clock.advance(1.0)
        again.server.alarms.tick()
        assert [(a.kind, a.target) for a in again.server.alarms.active()] == [("cell_silent", CELL)]
        assert state() == ("silent", 12)
    finally:
        again.stop()

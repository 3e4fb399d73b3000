"""Live cells, KPI history and units' links over real Mosquitto, real HTTP and the live WebSocket: what each
principal gets, the KPI aggregates against values worked out by hand, and clear refusals of bad queries."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import connect

from psn.access import Role
from psn.clock import ManualClock
from tests.support import Mosquitto, RunningServer, make_settings, publisher, wait_for

KPI_URL = "/api/v1/net/cells/{}/kpi"


def kpi(cell: str, ts: float, dl: float, ul: float, ues: int, rejected: int = 0, preempted: int = 0) -> dict[str, Any]:
    return {"cell": cell, "ts": ts, "connected_ues": ues, "prb_util_dl": dl, "prb_util_ul": ul,
            "thr_dl_mbps": 20 * dl, "thr_ul_mbps": 10 * ul, "mean_dl_sinr_db": 9.5, "bearers_rejected": rejected,
            "bearers_preempted": preempted}


def link(agency: str, unit: str, ts: float, cell: str | None = "BZE-PMD-1") -> dict[str, Any]:
    return {"agency": agency, "unit": unit, "ts": ts, "cell": cell, "rsrp_dbm": -97.5 if cell else None,
            "sinr_db": 12.3 if cell else None, "ul_mbps": 1.08 if cell else 0, "dl_mbps": 0.2 if cell else 0,
            "arp": 1, "uplifted": True}


def send(server: RunningServer, messages: list[tuple[str, dict[str, Any]]]) -> None:
    client = publisher(server.mqtt_url)
    for topic, body in messages:
        client.publish(topic, json.dumps(body), qos=1).wait_for_publish(timeout=10)
    client.disconnect()
    client.loop_stop()


def get(server: RunningServer, path: str, token: str, **params: Any) -> httpx.Response:
    return httpx.get(server.base_url + path, params=params, headers={"Authorization": f"Bearer {token}"})


def test_cells_kpis_and_links_reach_who_may_see_them(psn_server: RunningServer) -> None:
    admin = psn_server.token("police", Role.NETWORK_ADMIN)
    police, fire = psn_server.token("police"), psn_server.token("fire")
    now = time.time()
    with connect(f"{psn_server.ws_url}/api/v1/live?access_token={admin}") as admin_ws, \
            connect(f"{psn_server.ws_url}/api/v1/live?access_token={police}") as police_ws:
        for ws in (admin_ws, police_ws):
            assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
        send(psn_server, [("psn/v1/net/cell/BZE-PMD-1/kpi", kpi("BZE-PMD-1", now, 0.4, 0.8, 12, 2, 1)),
                          ("psn/v1/net/ue/police/P-101/link", link("police", "P-101", now)),
                          ("psn/v1/net/ue/fire/F-1/link", link("fire", "F-1", now, cell=None))])
        seen_by_admin = json.loads(admin_ws.recv(timeout=5))
        seen_by_police = json.loads(police_ws.recv(timeout=5))
    assert seen_by_admin["type"] == "net_kpi" and seen_by_admin["cell"] == "BZE-PMD-1"
    assert seen_by_admin["kpi"]["prb_util_ul"] == 0.8
    assert seen_by_police == {"type": "net_link", "link": {
        "unit": "police/P-101", "agency": "police", "ts": now, "cell": "BZE-PMD-1", "rsrp_dbm": -97.5,
        "sinr_db": 12.3, "ul_mbps": 1.08, "dl_mbps": 0.2, "arp": 1, "uplifted": True}}

    wait_for(lambda: get(psn_server, "/api/v1/net/links", fire).json()["links"] != [])
    # The KPI names 2 rejected and 1 pre-empted bearer: an admission_rejected and a preempted alarm on the cell.
    wait_for(lambda: get(psn_server, "/api/v1/net/cells", admin).json()["cells"][0]["alarms"] == 2)
    cells = get(psn_server, "/api/v1/net/cells", admin).json()["cells"]
    assert cells == [{"id": "BZE-PMD-1", "site": "BZE-PMD", "lat": None, "lon": None, "azimuth_deg": None,
                      "state": "up", "kpi": {k: v for k, v in kpi("BZE-PMD-1", now, 0.4, 0.8, 12, 2, 1).items()
                                             if k != "cell"}, "alarms": 2}]
    assert [x["unit"] for x in get(psn_server, "/api/v1/net/links", police).json()["links"]] == ["police/P-101"]
    assert get(psn_server, "/api/v1/net/links", fire).json()["links"] == [
        {**link("fire", "F-1", now, cell=None), "unit": "fire/F-1", "ul_mbps": 0.0, "dl_mbps": 0.0}]
    assert get(psn_server, "/api/v1/net/links", admin).json()["links"] == []  # no unit view: not the units' links
    assert get(psn_server, "/api/v1/net/links", admin).json()["period_s"] == 5.0  # the page greys older than 3
    for path in ("/api/v1/net/cells", KPI_URL.format("BZE-PMD-1")):
        refused = get(psn_server, path, police)
        assert refused.status_code == 403 and "network" in refused.json()["detail"]
    assert httpx.get(psn_server.base_url + "/api/v1/net/cells").status_code == 401
    service = psn_server.server.net_kpis
    assert service.cell_loads() == {"BZE-PMD-1": 0.8}
    assert service.latest_link("fire/F-1") is not None and service.latest_link("fire/F-1").cell is None


def test_history_raw_and_aggregated_by_hand(psn_server: RunningServer) -> None:
    admin = psn_server.token("police", Role.NETWORK_ADMIN)
    minute = math.floor(time.time() / 60) * 60 - 300  # five minutes ago: closed (its end + 15 s is past)
    samples = [kpi("HWY-22-2", minute + 5, 0.2, 0.1, 4, 1, 0), kpi("HWY-22-2", minute + 25, 0.4, 0.3, 9, 0, 2),
               kpi("HWY-22-2", minute + 45, 0.9, 0.5, 2, 3, 1), kpi("HWY-22-2", minute + 65, 0.1, 0.1, 1)]
    # The last sample comes twice (a QoS 1 redelivery, or the broker's retained copy): stored once.
    send(psn_server, [("psn/v1/net/cell/HWY-22-2/kpi", s) for s in [*samples, samples[-1]]])
    wait_for(lambda: psn_server.server.net_kpis.latest_kpi("HWY-22-2") is not None)
    assert psn_server.server.net_kpis.store.flush()
    raw = get(psn_server, KPI_URL.format("HWY-22-2"), admin, **{"from": minute, "to": minute + 60, "step": 5}).json()
    assert (raw["source"], raw["step_s"]) == ("raw", 5)
    assert [(p["ts"], p["prb_util_dl"], p["connected_ues"]) for p in raw["points"]] == [
        (minute + 5, 0.2, 4), (minute + 25, 0.4, 9), (minute + 45, 0.9, 2)]
    wait_for(lambda: get(psn_server, KPI_URL.format("HWY-22-2"), admin,
                         **{"from": minute, "to": minute + 120, "step": 60}).json()["points"] != [])
    one = get(psn_server, KPI_URL.format("HWY-22-2"), admin, **{"from": minute, "to": minute + 120, "step": 60}).json()
    assert (one["cell"], one["source"], one["step_s"]) == ("HWY-22-2", "1m", 60)
    first, second = one["points"]
    # (0.2 + 0.4 + 0.9) / 3 = 0.5; (0.1 + 0.3 + 0.5) / 3 = 0.3; max of 4, 9, 2; sums 4 and 3.
    assert first["ts"] == minute and math.isclose(first["prb_util_dl"], 0.5) and math.isclose(first["prb_util_ul"], 0.3)
    assert math.isclose(first["thr_dl_mbps"], 10.0) and math.isclose(first["thr_ul_mbps"], 3.0)
    assert (first["connected_ues"], first["bearers_rejected"], first["bearers_preempted"]) == (9, 4, 3)
    assert (second["ts"], second["prb_util_dl"], second["connected_ues"]) == (minute + 60, 0.1, 1)
    assert psn_server.server.stats.registry.get_sample_value("psn_net_kpi_written_total") == 4
    # 120 s steps start at multiples of 120 s: both minutes in one, (0.2 + 0.4 + 0.9 + 0.1) / 4 = 0.4, or each
    # minute in its own step.
    two = get(psn_server, KPI_URL.format("HWY-22-2"), admin, **{"from": minute - 60, "to": minute + 120,
                                                              "step": 120}).json()
    got = [(p["ts"], round(p["prb_util_dl"], 9), p["connected_ues"], p["bearers_rejected"]) for p in two["points"]]
    if minute % 120 == 0:
        assert got == [(minute, 0.4, 9, 4)]
    else:
        assert got == [(minute - 60, 0.5, 9, 4), (minute + 60, 0.1, 1, 0)]


def test_bad_queries_are_refused_with_the_limit_named(psn_server: RunningServer) -> None:
    admin = psn_server.token("police", Role.NETWORK_ADMIN)
    send(psn_server, [("psn/v1/net/cell/BZE-PMD-2/kpi", kpi("BZE-PMD-2", time.time(), 0.5, 0.5, 3))])
    wait_for(lambda: psn_server.server.net_kpis.latest_kpi("BZE-PMD-2") is not None)
    now = time.time()
    url = KPI_URL.format("BZE-PMD-2")
    cases = [
        ({"from": now - 86400, "to": now, "step": 30}, 400, "at least 44 s"),
        ({"from": now - 52 * 3600, "to": now - 49 * 3600, "step": 90}, 400, "raw samples are kept 48 h"),
        ({"from": now - 40 * 86400, "to": now, "step": 1860}, 400, "1-min aggregates are kept 30 days"),
        ({"from": now, "to": now - 60}, 400, "must be after"),
        ({"step": 0}, 422, "step"),
        ({"step": "often"}, 422, "step"),
        ({"from": "nan"}, 422, "from"),
        ({"to": -1}, 422, "to"),
    ]
    for params, status, words in cases:
        response = get(psn_server, url, admin, **params)
        assert response.status_code == status and words in json.dumps(response.json()["detail"]), (params,
                                                                                                    response.text)
    missing = get(psn_server, KPI_URL.format("NOPE-1"), admin)
    assert missing.status_code == 404 and "NOPE-1" in missing.json()["detail"]
    assert get(psn_server, KPI_URL.format("bad cell"), admin).status_code == 422


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(window=st.floats(-100, 500 * 86400), back=st.floats(0, 500 * 86400),
       step=st.none() | st.integers(-5, 5) | st.integers(1, 200_000))
def test_any_window_and_step_is_answered_or_refused_clearly(psn_server: RunningServer, window: float, back: float,
                                                            step: int | None) -> None:
    if psn_server.server.net_kpis.latest_kpi("FUZ-1") is None:  # the first example: a cell to ask about
        send(psn_server, [("psn/v1/net/cell/FUZ-1/kpi", kpi("FUZ-1", time.time(), 0.5, 0.5, 3))])
        wait_for(lambda: psn_server.server.net_kpis.latest_kpi("FUZ-1") is not None)
    token = psn_server.token("police", Role.NETWORK_ADMIN)
    now = time.time()
    end = now - back
    start = end - window
    params: dict[str, Any] = {"from": start, "to": end}
    if step is not None:
        params["step"] = step
    response = get(psn_server, KPI_URL.format("FUZ-1"), token, **params)
    if (step is not None and step < 1) or start < 0:
        assert response.status_code == 422, response.text
        return
    if start >= end:
        assert response.status_code == 400 and "must be after" in response.json()["detail"]
        return
    if response.status_code == 400:
        detail = response.json()["detail"]
        if "too fine" in detail:  # only for a step given: without one psn picks a coarse enough step
            assert step is not None and (end - start) / step > 2000
        elif "raw samples are kept 48 h" in detail:
            assert step is not None and step % 60 != 0 and start < now - 48 * 3600
        else:
            assert "1-min aggregates are kept 30 days" in detail, detail
            assert step is not None and step % 900 != 0 and start < now - 30 * 86400
        return
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cell"] == "FUZ-1" and (step is None or body["step_s"] == step)
    assert (end - start) / body["step_s"] <= 2000
    assert body["source"] == ("15m" if body["step_s"] % 900 == 0 else "1m" if body["step_s"] % 60 == 0 else "raw")
    assert all(start - body["step_s"] < p["ts"] < end for p in body["points"])


def test_a_restart_keeps_the_latest_kpis(psn_server: RunningServer) -> None:
    admin = psn_server.token("police", Role.NETWORK_ADMIN)
    now = time.time()
    send(psn_server, [("psn/v1/net/cell/BZE-CTR-1/kpi", kpi("BZE-CTR-1", now - 2, 0.3, 0.6, 7)),
                      ("psn/v1/net/cell/BZE-CTR-1/kpi", kpi("BZE-CTR-1", now - 1, 0.5, 0.7, 8))])
    service = psn_server.server.net_kpis
    wait_for(lambda: (latest := service.latest_kpi("BZE-CTR-1")) is not None and latest.connected_ues == 8)
    assert service.store.flush()
    service._kpis.clear()
    service._received.clear()
    service.load()  # what a restarted server does
    (cell,) = get(psn_server, "/api/v1/net/cells", admin).json()["cells"]
    assert (cell["id"], cell["kpi"]["connected_ues"], cell["kpi"]["ts"]) == ("BZE-CTR-1", 8, now - 1)


@dataclass(frozen=True)
class Cell:
    """What the inventory's `netmgmt.inventory.Cell` offers that the cells list reads."""

    id: str
    site: str
    lat: float
    lon: float
    azimuth_deg: float


class Inventory:
    CELLS = (Cell("BZE-PMD-1", "BZE-PMD", 17.25, -88.77, 0.0), Cell("BZE-PMD-2", "BZE-PMD", 17.25, -88.77, 120.0))

    def cell(self, cell_id: str) -> Cell | None:
        return next((c for c in self.CELLS if c.id == cell_id), None)

    def cells(self) -> tuple[Cell, ...]:
        return self.CELLS


class Alarms:
    """Counts its readings: one per listing, not one per cell (each reads every active alarm: 500 cells beside
    5,000 units out of coverage took 0.64 s a listing, measured)."""

    def __init__(self) -> None:
        self.readings = 0

    def active_counts(self) -> dict[str, int]:
        self.readings += 1
        return {"BZE-PMD-1": 2}


def test_cells_from_the_inventory_up_silent_and_unknown(tmp_path: Path, mosquitto: Mosquitto) -> None:
    clock = ManualClock(time.time())
    server = RunningServer(make_settings(tmp_path, mosquitto.url), clock).start()
    try:
        server.server.net_kpis.directory = Inventory()  # what the lead wires: the inventory, the alarms
        server.server.net_kpis.alarms = alarms = Alarms()
        admin = server.token("police", Role.NETWORK_ADMIN)
        send(server, [("psn/v1/net/cell/BZE-PMD-1/kpi", kpi("BZE-PMD-1", clock.now, 0.4, 0.8, 12)),
                      ("psn/v1/net/cell/ROGUE-1/kpi", kpi("ROGUE-1", clock.now, 0.1, 0.1, 1))])
        wait_for(lambda: len(server.server.net_kpis.cell_loads()) == 2)
        rows = get(server, "/api/v1/net/cells", admin).json()["cells"]
        assert [(c["id"], c["site"], c["lat"], c["azimuth_deg"], c["state"], c["alarms"], c["kpi"] is None)
                for c in rows] == [("BZE-PMD-1", "BZE-PMD", 17.25, 0.0, "up", 2, False),
                                   ("BZE-PMD-2", "BZE-PMD", 17.25, 120.0, "unknown", 0, True),
                                   ("ROGUE-1", "ROGUE", None, None, "up", 0, False)]
        assert alarms.readings == 1
        assert get(server, KPI_URL.format("BZE-PMD-2"), admin).json()["points"] == []  # known, never reported
        clock.advance(15)  # three 5 s periods: still up
        assert get(server, "/api/v1/net/cells", admin).json()["cells"][0]["state"] == "up"
        clock.advance(0.5)
        assert [c["state"] for c in get(server, "/api/v1/net/cells", admin).json()["cells"]] == [
            "silent", "unknown", "silent"]
    finally:
        server.stop()


def test_links_and_cells_held_are_bounded_the_longest_unreported_forgotten(tmp_path: Path,
                                                                           mosquitto: Mosquitto) -> None:
    """An equipment certificate may name any unit and any cell: psn keeps the latest of at most `max_links` units
    and `max_cells` cells, forgetting the one reported longest ago (counted)."""
    from psn.events import KpiAccepted, LinkAccepted
    from telemetry import CellKpi, LinkReport, UnitRef

    clock = ManualClock(time.time())
    server = RunningServer(make_settings(tmp_path, mosquitto.url), clock).start()
    try:
        service, bus = server.server.net_kpis, server.server.bus
        service.max_links, service.max_cells = 3, 2
        for n in (1, 2, 3, 1, 4, 5):  # P-1 again after P-3: then P-2 and P-3 are the ones reported longest ago
            clock.advance(1.0)
            report = LinkReport(UnitRef("police", f"P-{n}"), clock.time(), "C-1", -97.0, 12.0, 1.0, 0.2)
            bus.publish(LinkAccepted(report, clock.time()))
        for cell in ("C-1", "C-2", "C-1", "C-3"):
            clock.advance(1.0)
            bus.publish(KpiAccepted(CellKpi(cell, clock.time(), 3, 0.2, 0.1, 2.0, 1.0, None, 0, 0), clock.time()))
        dispatcher, admin = server.token("police", Role.DISPATCHER), server.token("police", Role.NETWORK_ADMIN)
        assert [x["unit"] for x in get(server, "/api/v1/net/links", dispatcher).json()["links"]] == [
            "police/P-1", "police/P-4", "police/P-5"]
        assert [c["id"] for c in get(server, "/api/v1/net/cells", admin).json()["cells"]] == ["C-1", "C-3"]
        registry = server.server.stats.registry
        assert registry.get_sample_value("psn_net_links_forgotten_total") == 2
        assert registry.get_sample_value("psn_net_cells_forgotten_total") == 1
    finally:
        server.stop()

"""Response KPIs over incidents whose timelines are built with hand-chosen times (medians worked out by hand)."""

from __future__ import annotations

import httpx

from psn.clock import ManualClock
from tests.psn.cad.conftest import T0
from tests.support import RunningServer, wait_for


def create(server: RunningServer, agency: str, priority: int, lat: float, lon: float) -> str:
    body = {"type": "other", "priority": priority, "lat": lat, "lon": lon, "notes": "call"}
    return str(httpx.post(f"{server.base_url}/api/v1/incidents", json=body,
                          headers={"Authorization": f"Bearer {server.token(agency)}"}).json()["id"])


def respond(server: RunningServer, unit: str, incident: str, times: list[float]) -> None:
    board, book = server.server.cad.board, server.server.cad.incidents
    for state, ts in zip(("dispatched", "en_route", "on_scene"), times, strict=False):
        board.change(unit, state, ts, actor="test", via="console", incident=incident)
    wait_for(lambda: len(book.get(incident).timeline) == 1 + len(times))  # type: ignore[union-attr]


def kpis(server: RunningServer, agency: str, **params: float) -> dict[str, object]:
    answer = httpx.get(f"{server.base_url}/api/v1/kpi/response", params=params,
                       headers={"Authorization": f"Bearer {server.token(agency)}"})
    assert answer.status_code == 200
    return dict(answer.json())


def test_kpis_by_agency_priority_and_district(server: RunningServer, clock: ManualClock) -> None:
    a = create(server, "police", 1, 17.5046, -88.1962)  # Belize City: Belize district; called at T0
    respond(server, "police/P-1", a, [T0 + 60, T0 + 120, T0 + 600])
    clock.advance(10)
    b = create(server, "police", 2, 17.2493, -88.7871)  # Belmopan: Cayo; called at T0 + 10
    respond(server, "police/P-2", b, [T0 + 190, T0 + 250, T0 + 1210])
    c = create(server, "nemo", 1, 17.5, -87.5)  # at sea, east of the reef: in no district
    respond(server, "nemo/N-1", c, [T0 + 40])

    a_only = {"call_to_dispatch": {"median_s": 60.0, "p90_s": 60.0, "count": 1},
              "dispatch_to_en_route": {"median_s": 60.0, "p90_s": 60.0, "count": 1},
              "en_route_to_on_scene": {"median_s": 480.0, "p90_s": 480.0, "count": 1},
              "call_to_on_scene": {"median_s": 600.0, "p90_s": 600.0, "count": 1}}
    b_only = {"call_to_dispatch": {"median_s": 180.0, "p90_s": 180.0, "count": 1},
              "dispatch_to_en_route": {"median_s": 60.0, "p90_s": 60.0, "count": 1},
              "en_route_to_on_scene": {"median_s": 960.0, "p90_s": 960.0, "count": 1},
              "call_to_on_scene": {"median_s": 1200.0, "p90_s": 1200.0, "count": 1}}
    # Two values x < y: median (x + y) / 2, 90th percentile x + 0.9 (y - x).
    both = {"call_to_dispatch": {"median_s": 120.0, "p90_s": 168.0, "count": 2},
            "dispatch_to_en_route": {"median_s": 60.0, "p90_s": 60.0, "count": 2},
            "en_route_to_on_scene": {"median_s": 720.0, "p90_s": 912.0, "count": 2},
            "call_to_on_scene": {"median_s": 900.0, "p90_s": 1140.0, "count": 2}}
    assert kpis(server, "police") == {
        "stages": ["call_to_dispatch", "dispatch_to_en_route", "en_route_to_on_scene", "call_to_on_scene"],
        "overall": both, "by_agency": {"police": both}, "by_priority": {"1": a_only, "2": b_only},
        "by_district": {"Belize": a_only, "Cayo": b_only}}
    nemo_only = {"call_to_dispatch": {"median_s": 30.0, "p90_s": 30.0, "count": 1}}
    nemo = kpis(server, "nemo")
    assert (nemo["overall"], nemo["by_district"]) == (nemo_only, {"outside": nemo_only})
    assert kpis(server, "police", since=T0 + 5)["overall"] == b_only
    assert kpis(server, "police", until=T0 + 5)["overall"] == a_only


def test_bad_windows(server: RunningServer) -> None:
    headers = {"Authorization": f"Bearer {server.token('police')}"}
    for query in ("since=10&until=5", "since=-1", "until=nan", "since=1e20"):
        answer = httpx.get(f"{server.base_url}/api/v1/kpi/response?{query}", headers=headers)
        assert answer.status_code == 422 and answer.json()["detail"]
    empty = httpx.get(f"{server.base_url}/api/v1/kpi/response", headers=headers).json()
    assert (empty["overall"], empty["by_agency"]) == ({}, {})

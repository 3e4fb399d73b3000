"""Which unit to send, on a real psn with units placed by hand around Belize and a real road search."""

from __future__ import annotations

import httpx
import pytest

from psn.access import Agreement, Resource
from tests.psn.cad.conftest import T0
from tests.support import RunningServer, publish_fix, wait_for

BELIZE_CITY = (17.5046, -88.1962)
LADYVILLE = (17.557, -88.2987)  # about 15 km up the Philip Goldson Highway
BELMOPAN = (17.2493, -88.7871)  # about 80 km by the George Price Highway
UNITS = {("police", "P-LADY"): LADYVILLE, ("police", "P-BMP"): BELMOPAN, ("police", "P-OOS"): BELIZE_CITY,
         ("nemo", "N-1"): BELIZE_CITY}


@pytest.fixture
def placed(server: RunningServer) -> str:
    for (agency, unit), (lat, lon) in UNITS.items():
        publish_fix(server.mqtt_url, agency, unit, lat, lon)
    wait_for(lambda: len(server.server.state) == len(UNITS))
    server.server.cad.board.change("police/P-OOS", "out_of_service", T0, actor="police.test", via="console")
    # NEMO lets police see its units: the NEMO unit is then a candidate, and refused for a robbery.
    server.server.sharing.add_agreement(Agreement("nemo", "police", frozenset({Resource.UNIT})), "test")
    body = {"type": "robbery", "priority": 1, "lat": BELIZE_CITY[0], "lon": BELIZE_CITY[1], "notes": "armed"}
    answer = httpx.post(f"{server.base_url}/api/v1/incidents", json=body,
                        headers={"Authorization": f"Bearer {server.token('police')}"})
    return str(answer.json()["id"])


def recommend(server: RunningServer, incident: str, agency: str = "police", top: int | str = 5) -> httpx.Response:
    return httpx.get(f"{server.base_url}/api/v1/incidents/{incident}/recommendation", params={"top": top},
                     headers={"Authorization": f"Bearer {server.token(agency)}"}, timeout=30)


def test_nearest_by_road_first_and_the_rest_with_reasons(server: RunningServer, placed: str) -> None:
    answer = recommend(server, placed).json()
    assert [(r["unit"], r["agency"]) for r in answer["ranked"]] == [("police/P-LADY", "police"),
                                                                    ("police/P-BMP", "police")]
    lady, bmp = (r["eta_s"] for r in answer["ranked"])
    assert 300 < lady < 1800  # 15 km: between 30 and 180 km/h on average
    assert 2400 < bmp < 9600  # 80 km: between 30 and 120 km/h
    for ranked, start in zip(answer["ranked"], (LADYVILLE, BELMOPAN), strict=True):
        assert ranked["route"][0] == [start[1], start[0]] and ranked["route"][-1] == [BELIZE_CITY[1],
                                                                                        BELIZE_CITY[0]]
    assert answer["more"] == 0
    assert [(e["unit"], e["reason"]) for e in answer["excluded"]] == [("nemo/N-1", "wrong_agency"),
                                                                       ("police/P-OOS", "out_of_service")]
    assert answer["excluded"][0]["detail"] == "robbery needs police, not nemo"
    top1 = recommend(server, placed, top=1).json()
    assert ([r["unit"] for r in top1["ranked"]], top1["more"]) == (["police/P-LADY"], 1)


def test_only_visible_units_and_viewable_incidents(server: RunningServer, placed: str) -> None:
    assert recommend(server, placed, "nemo").status_code == 404
    for top in (0, 51, "x"):
        assert recommend(server, placed, top=top).status_code == 422
    server.server.sharing.remove_agreement(server.server.sharing.agreements[0].id)
    answer = recommend(server, placed).json()
    assert "nemo/N-1" not in {e["unit"] for e in answer["excluded"]}
    httpx.post(f"{server.base_url}/api/v1/incidents/{placed}/close", json={"disposition": "done"},
               headers={"Authorization": f"Bearer {server.token('police')}"})
    assert recommend(server, placed).status_code == 409

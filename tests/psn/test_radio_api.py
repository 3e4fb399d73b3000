"""Radio conditions at a point over real HTTP, on a hand-made coverage map whose every pixel's answer is worked out
below by hand; the coverage overlay; who may ask; a bad map fails the start; lat/lon fuzzed."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, shape

from psn.access import Role
from psn.server import Server
from tests.radio_map import EXPECTED, PIXELS, point, write_map
from tests.support import Mosquitto, RunningServer, make_settings

URL = "/api/v1/net/radio"
LOADS = {"BZE-PMD-1": 0.3, "BZE-PMD-2": 0.88}  # live UL PRB loads; BZE-LDV-1 has no KPI
@pytest.fixture(scope="module")
def radio_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    tmp = tmp_path_factory.mktemp("radio")
    broker = Mosquitto(tmp).start()
    running = RunningServer(make_settings(tmp, broker.url, coverage_file=write_map(tmp / "coverage.npz")))
    running.server.radio.cell_loads = lambda: LOADS  # the KPI part's cell_loads, wired by the server at merge
    running.start()
    yield running
    running.stop()
    broker.stop()


def ask(server: RunningServer, params: dict[str, Any], role: Role = Role.DISPATCHER) -> httpx.Response:
    return httpx.get(server.base_url + URL, params=params, headers=server.headers("police", role))


def check(body: dict[str, Any], r: int, c: int) -> None:
    coverage, load, source, mbps, verdict = EXPECTED[(r, c)]
    cell = PIXELS[(r, c)][0]
    assert (body["coverage"], body["cell_load_ul"], body["load_source"], body["verdict"]) == (
        coverage, load, source, verdict)
    assert body["ul_mbps"] == pytest.approx(mbps, abs=0.006)
    assert body["cell"] == (None if coverage == "none" else cell)
    assert (body["rsrp_dbm"], body["ul_sinr_db"], body["sinr_db"]) == (PIXELS[(r, c)][1], PIXELS[(r, c)][2], 12.0)
    assert body["video"] == {k: mbps >= rate for k, rate in (("480p", 0.53), ("720p", 1.08), ("1080p", 2.76))}


def test_each_pixel_answers_its_hand_worked_verdict(radio_server: RunningServer) -> None:
    for r, c in EXPECTED:
        lat, lon = point(r, c)
        got = ask(radio_server, {"lat": lat, "lon": lon})
        assert got.status_code == 200, got.text
        body = got.json()
        assert (body["lat"], body["lon"]) == (lat, lon)
        check(body, r, c)
    lat, lon = point(1, 0)
    assert "planning load 0.50 assumed" in ask(radio_server, {"lat": lat, "lon": lon}).json()["basis"]


def test_outside_the_map_or_the_country_is_404_with_a_reason(radio_server: RunningServer) -> None:
    for lat, lon in (point(1, 2), point(0, 3), (16.5, -89.5), (0.0, 0.0)):
        got = ask(radio_server, {"lat": lat, "lon": lon})
        assert got.status_code == 404 and "outside the area the coverage map covers" in got.json()["detail"]


def test_bad_coordinates_are_422(radio_server: RunningServer) -> None:
    for params in ({"lat": 91, "lon": -88.2}, {"lat": 17.5, "lon": -181}, {"lat": "nan", "lon": -88.2},
                   {"lat": "north", "lon": -88.2}, {"lon": -88.2}, {"lat": 17.5, "lon": "inf"}):
        assert ask(radio_server, params).status_code == 422, params


def test_who_may_ask(radio_server: RunningServer) -> None:
    lat, lon = point(0, 0)
    params = {"lat": lat, "lon": lon}
    for role in (Role.DISPATCHER, Role.FIELD_OFFICER, Role.TRAINER, Role.NETWORK_ADMIN, Role.ADMIN):
        assert ask(radio_server, params, role).status_code == 200, role
    refused = ask(radio_server, params, Role.TRAFFIC_MANAGER)
    assert refused.status_code == 403 and "may view unit" in refused.json()["detail"]
    assert httpx.get(radio_server.base_url + URL, params=params).status_code == 401


def test_the_overlay_is_gzipped_class_polygons_over_the_country(radio_server: RunningServer) -> None:
    got = httpx.get(radio_server.base_url + "/api/v1/net/coverage", headers=radio_server.headers("police"))
    assert got.status_code == 200 and got.headers["content-encoding"] == "gzip"
    classes = {f["properties"]["class"]: shape(f["geometry"]) for f in got.json()["features"]}
    assert set(classes) == {"good", "fair", "poor"}
    for (r, c), (coverage, *_) in EXPECTED.items():
        lat, lon = point(r, c)
        assert [k for k, g in classes.items() if g.contains(Point(lon, lat))] == ([] if coverage == "none"
                                                                                  else [coverage])
    lat, lon = point(1, 2)  # RSRP -80 there, but outside the country: no class
    assert not any(g.contains(Point(lon, lat)) for g in classes.values())
    plain = httpx.get(radio_server.base_url + "/api/v1/net/coverage", headers={
        **radio_server.headers("police"), "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.json() == got.json()


def test_no_map_is_503_saying_how_to_make_one(psn_server: RunningServer) -> None:
    for path in (URL + "?lat=17.5&lon=-88.2", "/api/v1/net/coverage"):
        got = httpx.get(psn_server.base_url + path, headers=psn_server.headers("police"))
        assert got.status_code == 503 and "run `psn sim coverage" in got.json()["detail"], path


def test_a_bad_map_file_fails_the_start_with_its_reason(tmp_path: Path) -> None:
    bad = tmp_path / "coverage.npz"
    bad.write_bytes(b"not a zip")
    server = Server(make_settings(tmp_path, "mqtt://127.0.0.1:1", coverage_file=bad))
    with pytest.raises(ValueError, match=f"{bad}: cannot read a coverage map"):
        asyncio.run(server.start())


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(st.sampled_from(sorted(EXPECTED)), st.floats(-490, 490), st.floats(-490, 490))
def test_any_point_of_a_pixel_gets_that_pixels_answer(radio_server: RunningServer, rc: tuple[int, int],
                                                      dx: float, dy: float) -> None:
    lat, lon = point(*rc, dx, dy)
    got = ask(radio_server, {"lat": lat, "lon": lon})
    assert got.status_code == 200, got.text
    check(got.json(), *rc)


def _number(text: str) -> float | None:
    """The finite number a query value spells; Python's float() also reads non-ASCII digits, which psn does not."""
    if not text.isascii():
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@FUZZ
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.text(max_size=12)),
       st.one_of(st.floats(-200, 200).map(repr), st.text(max_size=12)))
def test_any_lat_lon_is_answered_or_refused_with_a_reason(radio_server: RunningServer, lat: str, lon: str) -> None:
    got = ask(radio_server, {"lat": lat, "lon": lon})
    la, lo = _number(lat.strip()), _number(lon.strip())
    valid = la is not None and lo is not None and -90 <= la <= 90 and -180 <= lo <= 180
    assert got.status_code in ((200, 404) if valid else (422,)), (lat, lon, got.text)
    if got.status_code == 200:
        assert got.json()["cell"] in (*{p[0] for p in PIXELS.values()}, None)
    else:
        assert got.json()["detail"]


def test_a_silent_serving_cell_is_no_live_video(tmp_path: Path, mosquitto: Mosquitto) -> None:
    """The cells view calls a cell silent after 3 periods without a KPI (its site down): the radio answer at a
    point it serves says so, instead of the planning prediction at its last load."""
    from psn.clock import ManualClock
    from psn.events import KpiAccepted
    from telemetry import CellKpi

    clock = ManualClock(1_764_612_000.0)
    running = RunningServer(make_settings(tmp_path, mosquitto.url, coverage_file=write_map(tmp_path / "c.npz")),
                            clock).start()
    try:
        running.server.bus.publish(KpiAccepted(CellKpi("BZE-PMD-1", clock.time(), 4, 0.3, 0.3, 9.0, 3.0, None, 0,
                                                       0), clock.time()))
        lat, lon = point(0, 0)
        check(ask(running, {"lat": lat, "lon": lon}).json(), 0, 0)  # up: 1080p at its live load 0.3
        clock.advance(16.0)  # more than 3 periods of 5 s
        body = ask(running, {"lat": lat, "lon": lon}).json()
        assert (body["cell"], body["ul_mbps"], body["video"], body["verdict"]) == (
            "BZE-PMD-1", 0.0, {"480p": False, "720p": False, "1080p": False},
            "Live video will not work here (BZE-PMD-1 silent: down?)")
        assert "BZE-PMD-1 silent: no KPI for more than 3 periods" in body["basis"]
    finally:
        running.stop()

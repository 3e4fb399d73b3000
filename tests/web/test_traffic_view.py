"""The traffic manager's page `/traffic` in real chromium against a real psn: the traffic REST answers by its
contract (`traffic_contract.py`, through Playwright's routing), the live events come through psn's own
WebSocket (`server.hub.notify`, the path the traffic service uses)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from psn.access import Role
from psn.traffic import engines as analytics
from psn.traffic import rows, views
from psn.traffic.tick import Picture
from tests.browser import chromium
from tests.psn.traffic import standins
from tests.support import RunningServer, server_with_units, wait_for
from tests.web.console_pages import doc_image
from tests.web.traffic_contract import (
    EAST,
    MID,
    ROAD_LAT,
    WEST,
    TrafficApi,
    alert,
    corridor,
    hex_colour,
    nearest_level,
    segment,
)
from tests.web.traffic_contract import camera as contract_camera
from traffic.corridors import Corridor
from traffic.detect import TrafficAlert
from traffic.router import Router
from traffic.samples import SpeedSample

DESK: ViewportSize = {"width": 1280, "height": 720}
# Canvas pixel `dy` CSS pixels below a map position (through the segments' own canvas).
PIXEL = """([lat, lon, dy]) => {
  const st = window.trafficState; const m = st.map;
  const p = m.latLngToContainerPoint([lat, lon]); const box = m.getContainer().getBoundingClientRect();
  const canvas = st.segments.lines.get(1)._renderer._container; const cr = canvas.getBoundingClientRect();
  const s = canvas.width / cr.width;
  const x = Math.round((box.left + p.x - cr.left) * s); const y = Math.round((box.top + p.y + dy - cr.top) * s);
  return Array.from(canvas.getContext("2d").getImageData(x, y, 1, 1).data);
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with server_with_units(Path(tmp_path_factory.mktemp("traffic-view")), []) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def open_traffic(browser: Browser, server: RunningServer, api: TrafficApi, role: Role, start: str = "/",
                 viewport: ViewportSize = DESK, clock_at: float | None = None) -> tuple[Page, list[str]]:
    """`clock_at`: the page's clock starts there and the test moves it (Playwright's clock)."""
    page = browser.new_context(viewport=viewport).new_page()
    if clock_at is not None:
        page.clock.install(time=clock_at)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Refused fetches are logged by the browser itself (the map's /stats for a dispatcher): what the page shows
    # of them is checked where it matters.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "Failed to load resource" not in
            m.text else None)
    api.serve(page)
    token = server.token("police", role, name=f"traffic.{role}")
    page.goto(f"{server.base_url}/login?token={token}")
    if start != "/":
        page.goto(server.base_url + start)
    expect(page.locator("#status")).to_contain_text("live ✓", timeout=20_000)
    return page, errors


def style(page: Page, edge: int) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate("(e) => window.trafficState.segments.style(e)", edge)
    return result


def notify(server: RunningServer, kind: str, data: dict[str, Any]) -> None:
    server.server.hub.notify(kind, data, lambda who: True)


def loaded(page: Page) -> None:
    wait_for(lambda: page.evaluate("window.trafficState && window.trafficState.loaded"), timeout=15)


def test_a_traffic_manager_lands_on_traffic_and_sees_segments_by_level(server: RunningServer,
                                                                        browser: Browser) -> None:
    api = TrafficApi()
    page, errors = open_traffic(browser, server, api, Role.TRAFFIC_MANAGER)
    assert page.url == f"{server.base_url}/traffic"
    loaded(page)
    assert ("GET", "/api/v1/traffic/segments?all=true") in api.requests
    for edge, level in [(1, "free"), (2, "jammed"), (3, "unknown"), (4, "slow")]:
        assert style(page, edge)["color"] == hex_colour(level)
    assert style(page, 3)["weight"] < style(page, 1)["weight"]  # no data: thin
    # Both directions of the road are visible: eastbound drawn south of the centre line, westbound north (at the
    # first view's zoom: a zoom change re-lays the whole base map, seconds on a busy machine).
    wait_for(lambda: nearest_level(page.evaluate(PIXEL, [ROAD_LAT, MID, 3])) == "free")
    assert nearest_level(page.evaluate(PIXEL, [ROAD_LAT, MID, -3])) == "jammed"
    # The lists: newest alert first and loud, the old one dim; the offline camera greyed; the corridor's times.
    expect(page.locator("#alerts li")).to_have_count(2)
    expect(page.locator("#alerts li").first).to_have_class("alert active")
    expect(page.locator("#alerts li").first).to_contain_text("Western Hwy westbound (from 3.0 km)")  # piece at 3,000 m
    expect(page.locator("#alerts li").nth(1)).to_have_class("alert cleared")
    expect(page.locator("#cameras li.offline")).to_contain_text("Hattieville")
    expect(page.locator(".camera-icon.offline")).to_have_count(1)
    expect(page.locator("#corridors li")).to_contain_text("1 h 18 min now · free flow 1 h 00 min")
    expect(page.locator("#corridors li svg path")).to_have_count(1)
    # A click on a segment opens its details with the history chart.
    page.evaluate("window.trafficState.details.open(2)")
    expect(page.locator("#segment")).to_contain_text("9 km/h (free flow 80 km/h)")
    expect(page.locator("#segment-chart svg")).to_be_visible()
    assert any(p.startswith("/api/v1/traffic/segments/2/history?since=") for _, p in api.requests)
    assert errors == []


def test_a_live_event_repaints_only_the_changed_segment(server: RunningServer, browser: Browser) -> None:
    api = TrafficApi()
    page, errors = open_traffic(browser, server, api, Role.TRAFFIC_MANAGER)
    loaded(page)
    page.evaluate("window.notReloaded = true")
    before = len(api.requests)
    eastbound = segment(1, [[WEST, ROAD_LAT], [EAST, ROAD_LAT]], "congested", 30.0, now=time.time())
    ts = time.time()
    notify(server, "traffic", {"ts": ts, "segments": [  # a whole feature, or only the properties
        eastbound, {"edge": 4, "level": "jammed", "speed_kmh": 5.0, "confidence": 0.8, "samples": 20}],
        "corridors": [{"id": "bzc-bmp", "name": "Belize City → Belmopan", "free_flow_s": 3600.0,
                       "travel_s": 6000.0, "index": 1.67, "coverage": 0.7, "level": "congested"}]})
    wait_for(lambda: style(page, 1)["color"] == hex_colour("congested"))
    assert style(page, 4)["color"] == hex_colour("jammed")
    assert style(page, 2)["color"] == hex_colour("jammed")  # not named: unchanged
    expect(page.locator("#corridors li")).to_contain_text("1 h 40 min now")
    # A row without history (the server sends it only when a 5-minute bin closes): the current bin's point is
    # the travel time now, the older points stay.
    history = page.evaluate("window.trafficState.corridors.rows.get('bzc-bmp').history")
    assert history[-1] == [ts - ts % 300, 6000.0] and len(history) >= 70
    assert all(t < ts - ts % 300 for t, _ in history[:-1])
    notify(server, "traffic_alert", {"alert": {**api.alerts["a-new"], "id": "a-live", "raised": time.time()}})
    expect(page.locator("#alerts li").first).to_have_attribute("data-id", "a-live")
    notify(server, "traffic_camera", {"camera": {"id": "cam-2", "live": True, "last_minute": {"a_to_b": 11,
                                                                                               "b_to_a": 4}}})
    expect(page.locator('#cameras li[data-id="cam-2"]')).to_contain_text("to Belmopan: 11")
    expect(page.locator(".camera-icon.offline")).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True
    assert len(api.requests) == before  # no re-read: the events carried everything
    assert errors == []


def test_the_slider_shows_history_and_holds_live_events_until_back_to_live(server: RunningServer,
                                                                             browser: Browser) -> None:
    api = TrafficApi()
    page, errors = open_traffic(browser, server, api, Role.DISPATCHER, start="/traffic")
    loaded(page)
    page.evaluate("window.trafficState.details.open(1)")
    expect(page.locator("#segment")).to_contain_text("78 km/h")
    page.locator("#time").fill("-3")  # 15 minutes ago
    expect(page.locator("#history-banner")).to_be_visible()
    expect(page.locator("#history-banner")).to_contain_text("Viewing")
    ats = [float(p.split("at=")[1]) for _, p in api.requests if "at=" in p]
    assert len(ats) == 1 and 900 <= time.time() - ats[0] < 960
    wait_for(lambda: style(page, 1)["color"] == hex_colour("congested"))  # that bin's level
    expect(page.locator("#segment")).to_contain_text("30 km/h")  # the open panel follows
    assert style(page, 2)["color"] == hex_colour("unknown")  # not measured in that bin
    notify(server, "traffic", {"ts": time.time(), "segments": [{"edge": 2, "level": "free", "speed_kmh": 75.0}],
                               "corridors": []})
    wait_for(lambda: page.evaluate("window.trafficState.events") == 1)
    assert style(page, 2)["color"] == hex_colour("unknown")  # held while history is shown
    page.click("#back-to-live")
    expect(page.locator("#history-banner")).to_be_hidden()
    expect(page.locator("#time-label")).to_have_text("live")
    assert style(page, 2)["color"] == hex_colour("free")  # the held event, now painted
    assert style(page, 1)["color"] == hex_colour("free")
    assert errors == []


def test_acknowledge_is_for_traffic_managers_only(server: RunningServer, browser: Browser) -> None:
    api = TrafficApi()
    page, errors = open_traffic(browser, server, api, Role.TRAFFIC_MANAGER)
    loaded(page)
    buttons = page.locator("#alerts li[data-id='a-new'] button.ack")
    expect(buttons).to_have_count(1)
    buttons.click()
    expect(buttons).to_have_count(0)
    expect(page.locator("#alerts li[data-id='a-new']")).to_contain_text("ack traffic.manager")
    assert ("POST", "/api/v1/traffic/alerts/a-new/ack?") in api.requests
    expect(page.locator("#nav-map")).to_be_hidden()  # no unit of their own to see on the map
    assert errors == []

    viewer, errors = open_traffic(browser, server, TrafficApi(), Role.DISPATCHER)
    assert viewer.url == f"{server.base_url}/"  # a dispatcher stays on the map and console
    expect(viewer.locator("#nav-traffic")).to_be_visible()
    viewer.click("#nav-traffic")
    expect(viewer.locator("#status")).to_contain_text("live ✓", timeout=20_000)
    loaded(viewer)
    expect(viewer.locator("#alerts li")).to_have_count(2)
    expect(viewer.locator("button.ack")).to_have_count(0)
    expect(viewer.locator("#nav-map")).to_be_visible()
    assert errors == []


def test_a_field_officer_is_told_the_role_cannot_see_traffic(server: RunningServer, browser: Browser) -> None:
    api = TrafficApi(denied="no role of traffic.field_officer may view traffic")
    page, errors = open_traffic(browser, server, api, Role.FIELD_OFFICER, start="/traffic")
    expect(page.locator("#denied")).to_contain_text("Your role cannot see traffic")
    expect(page.locator("#side")).to_be_hidden()
    assert errors == []


def test_signed_out_goes_to_sign_in_and_back(server: RunningServer, browser: Browser) -> None:
    page = browser.new_context().new_page()
    page.goto(f"{server.base_url}/traffic")
    assert page.url == f"{server.base_url}/login?next=/traffic"


def test_on_a_phone_the_lists_go_under_the_map_and_the_screenshot(server: RunningServer, browser: Browser) -> None:
    page, errors = open_traffic(browser, server, TrafficApi(), Role.TRAFFIC_MANAGER,
                                viewport={"width": 390, "height": 844})
    loaded(page)
    map_box = page.locator("#map").bounding_box()
    side_box = page.locator("#side").bounding_box()
    assert map_box and side_box and side_box["y"] >= map_box["y"] + map_box["height"]
    assert side_box["width"] >= 380
    desk, _ = open_traffic(browser, server, TrafficApi(), Role.TRAFFIC_MANAGER)
    loaded(desk)
    desk.evaluate("window.trafficState.map.setView([17.45, -88.37], 10, {animate: false})")
    desk.evaluate("window.trafficState.details.open(2)")
    expect(desk.locator("#segment-chart svg")).to_be_visible()
    desk.screenshot(path=str(doc_image("traffic-view.png")))
    assert errors == []


def test_the_contract_answers_carry_the_fields_the_real_api_sends(server: RunningServer) -> None:
    """The routed answers above stand in for the API: each row has exactly the fields psn's own rows have (a
    field only the stand-in sends would let the page rely on something the server never says)."""
    picture = Picture(analytics.build(Router(standins.road())))
    engines = picture.engines
    engines.corridors = {"w--e": Corridor("w--e", "W – E", "W", "E", standins.WEST, standins.EAST)}
    engines.corridor_edges = {"w--e": np.array([0])}
    engines.speeds.add([SpeedSample(0, time.time(), 10.0, True)])
    picture.tick(time.time())
    real_segment = views.segments(picture, time.time(), everything=True)["features"][0]
    real_alert = rows.alert_row(engines, TrafficAlert("a-1", 0, time.time(), 2.0, 10.0), None)
    manager = server.headers("police", Role.TRAFFIC_MANAGER)
    camera = {"id": "cam-9", "name": "Haulover", "lat": 17.52, "lon": -88.21, "bearing_deg": 90.0,
              "stream": "police:CAM-9", "line": [[0.1, 0.5], [0.9, 0.5]]}
    assert httpx.post(f"{server.base_url}/api/v1/traffic/cameras", json=camera, headers=manager).status_code == 201
    [real_camera] = httpx.get(f"{server.base_url}/api/v1/traffic/cameras", headers=manager).json()["cameras"]
    now = time.time()
    assert set(segment(1, [], "free", 1.0)) == set(real_segment)
    assert set(segment(1, [], "free", 1.0)["properties"]) == set(real_segment["properties"])
    assert set(alert("a", 1, now)) == set(real_alert)
    assert set(corridor(now)) == set(views.corridors(picture)[0])
    assert set(contract_camera("c", "n", True, now)) == set(real_camera)

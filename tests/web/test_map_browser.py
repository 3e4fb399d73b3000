"""The live map in a real browser against a real psn server fed over MQTT.

Debian's chromium driven by Playwright (never `playwright install`). Units are drawn on a canvas,
so the page exposes `window.psnMap.unitPoint(id)` (page pixels of a unit's marker, null when hidden)
and the test clicks at those pixels like a user would.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from psn.access import Agreement, Resource
from tests.browser import chromium
from tests.support import RunningServer, publish, publisher
from traffic import DEFAULT_CONNECTORS, DEFAULT_ROADS

pytestmark = pytest.mark.browser

# (agency, unit, lat, lon): Belize City, Belmopan, Dangriga, Orange Walk.
FLEET = [
    ("police", "P-101", 17.50, -88.20),
    ("fire", "F-7", 17.25, -88.77),
    ("ems", "E-3", 16.97, -88.23),
    ("police", "P-102", 18.08, -88.56),
]
MOVER = "police/P-101"
AGENCY_CYCLE = ["police", "nemo", "fire", "ems", "bdf"]


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def share_with_police(server: RunningServer) -> None:
    """The test watches as a police dispatcher to whom every other agency shares its units and tracks
    (a standing agreement): which units a screen may show is the access rules' business, tested elsewhere."""
    for owner in AGENCY_CYCLE[1:]:
        agreement = Agreement(owner, "police", frozenset({Resource.UNIT, Resource.TRACK}))
        server.server.sharing.add_agreement(agreement, created_by="test")


@pytest.fixture
def fleet(psn_server: RunningServer, publish_fix: Callable[..., None]) -> RunningServer:
    share_with_police(psn_server)
    for agency, unit, lat, lon in FLEET:
        publish_fix(psn_server.mqtt_url, agency, unit, lat, lon, heading=90, speed=12.0)
    # A unit silent for five minutes: shown faded and flagged stale.
    publish_fix(psn_server.mqtt_url, "nemo", "N-4", 16.10, -88.81, ts=time.time() - 300)
    # An OwnTracks phone nobody has bound to a unit yet: shown as provisional.
    publish(psn_server.mqtt_url, "owntracks/alice/phone",
            {"_type": "location", "tst": int(time.time()), "lat": 17.20, "lon": -88.50, "batt": 64},
            mqtt5=False)
    return psn_server


def open_map(browser: Browser, server: RunningServer, units: str, clock_at: float | None = None,
             **context: Any) -> tuple[Page, list[str]]:
    """Signs in as a police dispatcher (the token link `psn demo` prints) and waits for the live picture; the
    browser's clock starts at `clock_at` (Playwright's clock) when given."""
    page = browser.new_context(**context).new_page()
    if clock_at is not None:
        page.clock.install(time=clock_at)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.base_url}/login?token={server.token('police', name='police.dispatch')}")
    expect(page).to_have_url(f"{server.base_url}/")
    expect(page.locator("#status")).to_contain_text(units, timeout=30_000)
    expect(page.locator("#status")).to_contain_text("live ✓")
    return page, errors


def unit_point(page: Page, unit_id: str) -> dict[str, float] | None:
    return page.evaluate("id => window.psnMap.unitPoint(id)", unit_id)


def drive(mqtt_url: str, publish_fix: Callable[..., None], stop: threading.Event) -> None:
    """Drives the mover west out of Belize City, one fix every 0.3 s, until told to stop."""
    lat, lon = 17.50, -88.20
    while not stop.is_set():
        lat, lon = lat - 0.004, lon - 0.02
        publish_fix(mqtt_url, "police", "P-101", lat, lon, heading=260, speed=15.0)
        stop.wait(0.3)


def test_live_map_desktop(
    fleet: RunningServer, browser: Browser, publish_fix: Callable[..., None], artifacts: Path
) -> None:
    page, errors = open_map(browser, fleet, "6 units", viewport={"width": 1280, "height": 800})

    # Base layers from the package: six district outlines, the road network, town labels.
    expect(page.locator("path.district")).to_have_count(6)
    assert page.locator("path.road").count() > 100
    expect(page.locator(".lbl-place", has_text="Belize City")).to_be_visible()
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("© OpenStreetMap contributors")
    expect(page.locator("#user-name")).to_have_text("police.dispatch · Police")
    # The road network check is a layer to switch on: each reviewed connector is a line on the map.
    expect(page.locator("path.road-check")).to_have_count(0)
    page.get_by_label("Road network check").check()
    expect(page.locator("path.road-check-connector")).to_have_count(
        len(json.loads(DEFAULT_CONNECTORS.read_text())["connectors"]))
    page.get_by_label("Road network check").uncheck()
    expect(page.locator("path.road-check")).to_have_count(0)
    # Two police units plus the unbound phone, which lands in the default agency (police).
    expect(page.locator("#filters [data-agency=police] b")).to_have_text("3")

    # Units move while fixes arrive over MQTT.
    stop = threading.Event()
    driver = threading.Thread(target=drive, args=(fleet.mqtt_url, publish_fix, stop), daemon=True)
    driver.start()
    try:
        before = unit_point(page, MOVER)
        assert before is not None
        page.wait_for_function(
            "([id, x]) => { const p = window.psnMap.unitPoint(id); return p && p.x < x - 5; }",
            arg=[MOVER, before["x"]],
            timeout=10_000,
        )
    finally:
        stop.set()
        driver.join()

    # Clicking the unit opens its details and draws its stored track.
    time.sleep(0.6)  # let the last coalesced update land so the marker is where we click
    at = unit_point(page, MOVER)
    assert at is not None
    page.mouse.click(at["x"], at["y"])
    panel = page.locator("#panel")
    expect(panel).to_be_visible()
    expect(page.locator("#panel-title")).to_have_text(MOVER)
    expect(panel.locator("[data-field=speed]")).to_have_text("54 km/h")
    expect(panel.locator("[data-field=heading]")).to_have_text("260° W")
    expect(panel.locator("[data-field=last-fix]")).to_contain_text("s ago")
    expect(page.locator("#panel-track")).to_contain_text("Track:")
    expect(page.locator("path.track")).to_have_count(1)
    page.screenshot(path=artifacts / "map-desktop.png")
    page.get_by_role("button", name="Centre on map").click()
    page.wait_for_function("window.psnMap.map.getZoom() >= 13")
    page.wait_for_timeout(500)  # let the zoom animation settle before the picture
    page.screenshot(path=artifacts / "map-desktop-unit.png")

    # The agency filter hides that agency's units and leaves the others.
    page.locator("#filters [data-agency=police]").click()
    page.wait_for_function("id => window.psnMap.unitPoint(id) === null", arg=MOVER)
    assert unit_point(page, "police/P-102") is None
    assert unit_point(page, "fire/F-7") is not None
    expect(panel).to_be_hidden()
    page.locator("#filters [data-agency=police]").click()
    page.wait_for_function("id => window.psnMap.unitPoint(id) !== null", arg=MOVER)

    # Search by id finds the unbound OwnTracks phone, shown as provisional.
    page.locator("#search-input").fill("ot-alice")
    page.locator("#search-input").press("Enter")
    expect(page.locator("#panel-title")).to_contain_text("ot-alice-phone")
    expect(page.locator("#panel-flags")).to_contain_text("provisional")
    expect(panel.locator("[data-field=battery]")).to_have_text("64 %")
    page.locator("#search-input").fill("N-4")
    page.locator("#search-input").press("Enter")
    expect(page.locator("#panel-title")).to_have_text("nemo/N-4")
    expect(page.locator("#panel-flags")).to_contain_text("stale")
    expect(panel.locator("[data-field=last-fix]")).to_contain_text("5 min ago")
    assert errors == []

    # When the server goes away the page says so instead of showing a frozen picture as live.
    fleet.stop()
    expect(page.locator("#status")).to_have_text("reconnecting…", timeout=15_000)


def test_live_map_phone(fleet: RunningServer, browser: Browser, artifacts: Path) -> None:
    page, errors = open_map(
        browser,
        fleet,
        "6 units",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    expect(page.locator("path.district")).to_have_count(6)
    at = unit_point(page, "fire/F-7")
    assert at is not None
    page.touchscreen.tap(at["x"], at["y"])
    sheet = page.locator("#panel")
    expect(page.locator("#panel-title")).to_have_text("fire/F-7")
    # A bottom sheet: full width, anchored to the bottom of the screen.
    box = sheet.bounding_box()
    assert box is not None
    assert box["width"] == 390
    assert abs(box["y"] + box["height"] - 844) < 1
    # The selected unit is kept clear of the sheet.
    at = unit_point(page, "fire/F-7")
    assert at is not None and at["y"] < box["y"]
    page.screenshot(path=artifacts / "map-phone.png")
    assert errors == []


def test_live_map_5000_units(psn_server: RunningServer, browser: Browser, artifacts: Path) -> None:
    """A national-scale fleet: all units drawn, and a moving one still follows within seconds."""
    roads = json.loads(DEFAULT_ROADS.read_text())["roads"]
    vertices = [pt for road in roads for pt in road["g"]]
    share_with_police(psn_server)
    client = publisher(psn_server.mqtt_url, mqtt5=False)
    try:
        now = time.time()
        for i in range(5000):
            lon, lat = vertices[i % len(vertices)]
            fix = {"ts": now, "lat": lat + (i // len(vertices)) * 0.002, "lon": lon, "heading": (i * 37) % 360,
                   "speed": 10.0}
            client.publish(f"psn/v1/{AGENCY_CYCLE[i % 5]}/U-{i}/telemetry", json.dumps(fix), qos=1)
        page, errors = open_map(browser, psn_server, "5,000 units",
                                viewport={"width": 1280, "height": 800})
        before = unit_point(page, "police/U-0")
        assert before is not None
        fix = {"ts": time.time(), "lat": 17.0, "lon": -88.5, "heading": 90, "speed": 10.0}
        client.publish("psn/v1/police/U-0/telemetry", json.dumps(fix), qos=1).wait_for_publish(timeout=10)
        page.wait_for_function(
            "([id, p]) => { const q = window.psnMap.unitPoint(id); return q && Math.hypot(q.x - p.x, q.y - p.y) > 5 }",
            arg=["police/U-0", before],
            timeout=10_000,
        )
    finally:
        client.disconnect()
        client.loop_stop()
    page.screenshot(path=artifacts / "map-5000-units.png")
    # How fast a fix reaches a viewer under 5,000 units is bench/telemetry.py's figure, not this test's.
    assert errors == []

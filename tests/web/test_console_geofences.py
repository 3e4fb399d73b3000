"""Geofences drawn in the console (real chromium, real psn, units on Mosquitto): four clicks on the map make a
square fence watching police; a police unit driving in raises "enter" in the event list; the fence is listed,
drawn, and deleted. The square's corners and the unit's positions are chosen by hand around Belmopan."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.support import RunningServer, publish_fix, wait_for
from tests.web.console_pages import map_point, open_console

pytestmark = pytest.mark.browser

# A square of about 2 km around central Belmopan; the unit starts 5 km east and then drives to its centre.
CORNERS = [(17.260, -88.780), (17.260, -88.760), (17.240, -88.760), (17.240, -88.780)]
OUTSIDE = (17.250, -88.720)
INSIDE = (17.250, -88.770)


def test_draw_a_fence_and_see_a_unit_enter_it(psn_server: RunningServer, browser: Browser) -> None:
    publish_fix(psn_server.mqtt_url, "police", "P-5", *OUTSIDE)
    page, errors = open_console(browser, psn_server, "police", "police.dispatch")
    page.evaluate("window.psnMap.map.setView([17.25, -88.77], 13, {animate: false})")
    page.click("#geofences-toggle")
    page.get_by_role("button", name="Draw a fence").click()
    for lat, lon in CORNERS:
        point = map_point(page, lat, lon)
        page.mouse.click(point["x"], point["y"])
    expect(page.locator(".geofence-form")).to_contain_text("4 corners")
    page.fill(".geofence-form input[name=fence]", "Belmopan centre")
    page.check(".geofence-form input[value=police]")
    page.get_by_role("button", name="Finish fence").click()
    expect(page.locator(".fence-list li")).to_have_count(1)
    expect(page.locator(".fence-list")).to_contain_text("Belmopan centre")

    [fence] = psn_server.server.cad.geofences.all()
    assert (fence.name, fence.owner, sorted(fence.agencies)) == ("Belmopan centre", "police", ["police"])
    # The clicked corners come back within a few metres (a pixel at zoom 13 is about 20 m).
    for (lon, lat), (want_lat, want_lon) in zip(fence.polygon, CORNERS, strict=False):
        assert abs(lat - want_lat) < 5e-4 and abs(lon - want_lon) < 5e-4

    # A fence learns where each unit is from the unit's next fix (no event), then reports crossings.
    publish_fix(psn_server.mqtt_url, "police", "P-5", OUTSIDE[0], OUTSIDE[1] + 0.001)
    wait_for(lambda: psn_server.server.state.get("police/P-5").lon == OUTSIDE[1] + 0.001)
    publish_fix(psn_server.mqtt_url, "police", "P-5", *INSIDE)
    expect(page.locator("#event-list")).to_contain_text("Belmopan centre", timeout=10_000)
    expect(page.locator("#event-list")).to_contain_text("P-5")

    page.get_by_role("button", name="Delete fence Belmopan centre").click()
    expect(page.locator(".fence-list li")).to_have_count(0)
    wait_for(lambda: not psn_server.server.cad.geofences.all())
    assert errors == []

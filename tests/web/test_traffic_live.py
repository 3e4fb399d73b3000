"""The traffic view against the real traffic service end to end: a real psn on its own Mosquitto with a 2 km
two-way road as its road model; the page is open before any data, then a unit drives east at 17 m/s and a probe
vehicle west at 7 m/s over MQTT, the service ticks, and the page colours both directions live, without a reload.
Free flow is the road's 20 m/s (72 km/h): 61.2 / 72 = .85 is free, 25.2 / 72 = .35 congested (the issue's bands)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect

from psn.access import Role
from tests.browser import chromium
from tests.psn.traffic import standins
from tests.support import Mosquitto, RunningServer, make_settings, publish, publish_fix, wait_for
from tests.web.traffic_contract import hex_colour

FIXES = 15


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    tmp = Path(tmp_path_factory.mktemp("traffic-live"))
    np.savez(tmp / "road.npz", **standins.road().arrays())
    broker = Mosquitto(tmp).start()
    # Ticks only when the test says (a tick is what sends the live event).
    server = RunningServer(make_settings(tmp, broker.url, roads_file=tmp / "road.npz", traffic_tick_s=3600.0,
                                         traffic_enabled=True))
    server.start()
    yield server
    server.stop()
    broker.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def open_page(browser: Browser, running: RunningServer, role: Role) -> tuple[Page, list[str]]:
    page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{running.base_url}/login?token={running.token('police', role, name=f'live.{role}')}")
    page.goto(f"{running.base_url}/traffic")
    expect(page.locator("#status")).to_contain_text("live ✓", timeout=20_000)
    return page, errors


def measured(running: RunningServer) -> dict[int, dict[str, Any]]:
    body = httpx.get(f"{running.base_url}/api/v1/traffic/segments",
                     headers=running.headers("police", Role.TRAFFIC_MANAGER), timeout=30).json()
    return {f["properties"]["edge"]: f["properties"] for f in body["features"]}


def colour(page: Page, edge: int) -> str | None:
    result: str | None = page.evaluate("(e) => window.trafficState.segments.style(e)?.color ?? null", edge)
    return result


def test_driving_the_road_colours_both_directions_live(running: RunningServer, browser: Browser) -> None:
    page, errors = open_page(browser, running, Role.TRAFFIC_MANAGER)
    wait_for(lambda: page.evaluate("window.trafficState.loaded"), timeout=15)
    expect(page.locator("#legend")).to_have_attribute("data-empty", "no probe data yet")
    assert colour(page, 0) == hex_colour("unknown")
    page.evaluate("window.notReloaded = true")
    t0 = time.time() - FIXES - 5
    for i in range(FIXES):
        lon, lat = standins.along(200.0, 17.0, 1.0, i)
        publish_fix(running.mqtt_url, "police", "P-1", lat, lon, heading=90.0, speed=17.0, ts=t0 + i)
        lon, lat = standins.along(1800.0, 7.0, -1.0, i)
        publish(running.mqtt_url, "psn/v1/probes/bus-co", {"ts": t0 + i, "vehicle": "b7", "lat": lat, "lon": lon,
                                                            "speed": 7.0, "heading": 270.0}, mqtt5=False)
    wait_for(lambda: {0, 1} <= set(m := measured(running)) and min(m[0]["samples"], m[1]["samples"]) >= FIXES - 3)
    assert running.server.traffic.tick() is not None
    wait_for(lambda: colour(page, 0) == hex_colour("free") and colour(page, 1) == hex_colour("congested"))
    expect(page.locator("#legend")).to_have_attribute("data-empty", "")
    page.evaluate("window.trafficState.details.open(1)")
    expect(page.locator("#segment")).to_contain_text("East Road")
    expect(page.locator("#segment")).to_contain_text("(free flow 72 km/h)")
    assert page.evaluate("window.notReloaded") is True
    assert errors == []


def test_a_field_officer_is_refused_by_the_real_api(running: RunningServer, browser: Browser) -> None:
    page, errors = open_page(browser, running, Role.FIELD_OFFICER)
    expect(page.locator("#denied")).to_contain_text("Your role cannot see traffic")
    expect(page.locator("#alerts")).to_be_hidden()
    assert errors == []


def test_the_slider_reaches_back_to_the_oldest_kept_bin_of_the_real_api(running: RunningServer,
                                                                        browser: Browser) -> None:
    page, errors = open_page(browser, running, Role.TRAFFIC_MANAGER)
    wait_for(lambda: page.evaluate("window.trafficState.loaded"), timeout=15)
    slider = page.locator("#time")
    slider.fill(slider.get_attribute("min") or "")  # the far left: the history's oldest bin, 6 h ago at most
    expect(page.locator("#history-banner")).to_be_visible()
    expect(page.locator("#notice")).to_be_hidden()  # no "History unavailable": the server keeps that bin
    assert errors == []

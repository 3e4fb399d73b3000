"""A traffic alert as a suggested incident on the dispatcher's console, in a real browser against a real psn.

The test sends the live event down the real WebSocket path (`server.hub.notify`, to everyone who may view
traffic, as the traffic service does). The strip shows it in words written out here; "Create incident" opens the
form prefilled and creates a real incident (read back from the REST API); "Dismiss" hides one on that console
only; a cleared alert goes; a malformed one is dropped and counted; a field officer's phone never receives it.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, WebSocket, expect

from psn.access import Action, Principal, Resource, Role, Target, decide
from tests.support import RunningServer
from tests.web.console_pages import doc_image, open_console

pytestmark = pytest.mark.browser
ALERT = {"id": "ta-7", "edge": 4211, "name": "Philip Goldson Highway", "lat": 17.5306, "lon": -88.2399,
         "raised": 1_764_590_400.0, "speed_kmh": 12.4, "baseline_kmh": 74.6, "state": "active", "cleared": None,
         "acknowledged_by": None}


def viewers(who: Principal) -> bool:
    return bool(decide(who, Action.VIEW, Target(Resource.TRAFFIC)))


def notify(server: RunningServer, alert: dict[str, Any]) -> None:
    server.server.hub.notify("traffic_alert", {"alert": alert}, viewers)


def test_a_traffic_alert_is_suggested_created_dismissed_and_cleared(psn_server: RunningServer,
                                                                     browser: Browser) -> None:
    # The officer's phone, signed on, recording every live frame it receives.
    phone_context = browser.new_context(permissions=["geolocation"],
                                        geolocation={"latitude": 17.5, "longitude": -88.2})
    phone_context.add_cookies([{"name": "psn_token", "url": psn_server.base_url,
                                "value": psn_server.token("police", Role.FIELD_OFFICER, name="police.officer-12")}])
    phone = phone_context.new_page()
    frames: list[str] = []
    phone.on("websocket", lambda ws: _record(ws, frames))
    phone.goto(f"{psn_server.base_url}/phone")
    phone.fill("#unit-input", "P-12")
    phone.click("#sign-on-button")
    expect(phone.locator("#link")).to_have_text("live ✓", timeout=20_000)

    page, errors = open_console(browser, psn_server, "police", "police.dispatch")
    strip = page.locator("#suggestions")
    expect(strip).to_be_hidden()
    notify(psn_server, ALERT)
    expect(strip).to_be_visible()
    expect(strip.locator("li")).to_have_count(1)
    expect(strip.locator("li")).to_contain_text("Sudden slowdown on Philip Goldson Highway (12 km/h, usually 75)")
    page.screenshot(path=doc_image("console-suggested.png"))

    # A malformed alert (no place) is dropped and counted, the strip unchanged.
    notify(psn_server, {**ALERT, "id": "ta-bad", "lat": None})
    page.wait_for_function("window.psnConsole.dropped === 1")
    expect(strip.locator("li")).to_have_count(1)

    # Create incident: the form opens prefilled; the dispatcher only confirms.
    strip.get_by_role("button", name="Create incident").click()
    form = page.locator("#view-create")
    expect(form).to_be_visible()
    expect(form.locator("[name=type]")).to_have_value("traffic_collision")
    expect(form.locator("[name=lat]")).to_have_value("17.53060")
    expect(form.locator("[name=lon]")).to_have_value("-88.23990")
    expect(form.locator("[name=notes]")).to_have_value("from traffic alert ta-7")
    expect(page.locator("#map")).not_to_have_class(re.compile(r"\bpicking\b"))
    form.get_by_role("button", name="Create incident").click()
    expect(page.locator("#view-incident .inc-head h2")).to_have_text("Traffic collision")
    incidents = httpx.get(f"{psn_server.base_url}/api/v1/incidents", headers=psn_server.headers("police")).json()
    [made] = incidents["incidents"]
    assert (made["type"], made["lat"], made["lon"]) == ("traffic_collision", 17.5306, -88.2399)
    assert made["notes"] == "from traffic alert ta-7"

    # A second alert, dismissed here: gone from this console, the first one still suggested.
    page.keyboard.press("Escape")
    notify(psn_server, {**ALERT, "id": "ta-8", "name": "George Price Highway", "speed_kmh": 9.0,
                        "raised": ALERT["raised"] + 60})
    expect(strip.locator("li")).to_have_count(2)
    strip.locator("li[data-id=ta-8]").get_by_role("button", name="Dismiss").click()
    expect(strip.locator("li")).to_have_count(1)
    expect(strip.locator("li[data-id=ta-7]")).to_be_visible()
    notify(psn_server, {**ALERT, "id": "ta-8", "speed_kmh": 8.0})  # news of a dismissed one: it stays dismissed
    notify(psn_server, {**ALERT, "id": "ta-10"})  # sent after it, so shown once that one was handled
    expect(strip.locator("li[data-id=ta-10]")).to_be_visible()
    expect(strip.locator("li[data-id=ta-8]")).to_have_count(0)

    # Cleared: they disappear, and with nothing left the strip hides.
    notify(psn_server, {**ALERT, "state": "cleared", "cleared": time.time()})
    notify(psn_server, {**ALERT, "id": "ta-10", "state": "cleared", "cleared": time.time()})
    expect(strip).to_be_hidden()

    # The same alert went to the dispatcher's socket and never to the officer's.
    notify(psn_server, {**ALERT, "id": "ta-9"})
    expect(strip.locator("li[data-id=ta-9]")).to_be_visible()
    assert frames and not any("traffic_alert" in frame for frame in frames)
    assert errors == []
    phone_context.close()


def _record(ws: WebSocket, frames: list[str]) -> None:
    ws.on("framereceived", lambda payload: frames.append(payload if isinstance(payload, str) else payload.decode()))

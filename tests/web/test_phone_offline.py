"""The officer's phone with the server cut off: the page reopens from the service worker's cache (map and last
assignment shown), the presses made meanwhile wait in the outbox in order, and reach psn in that order once a
new server runs on the same port and data dir."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from psn.access import Principal, Role
from psn.events import AckAccepted, AlertAccepted, StatusAccepted, UnitStatusChanged
from tests.browser import chromium
from tests.phone_support import Seen, start_server
from tests.support import Mosquitto, RunningServer, make_settings, wait_for

pytestmark = pytest.mark.browser
OFFICER = "police.officer-12"
UNIT = "police/P-12"
# A route in [lon, lat] as psn sends it: Belize City, Northern Hwy towards Ladyville.
ROUTE = [[-88.1975, 17.5046], [-88.2050, 17.5230], [-88.2310, 17.5440]]
ASSIGNMENT = {
    "id": "5b1e9c04-7d2f-4c1a-9e0b-2f6d8a3c7e11", "ts": 0.0, "type": "assignment", "incident": "police-00012",
    "incident_type": "traffic_collision", "priority": 1, "lat": 17.5440, "lon": -88.2310,
    "address": "Northern Hwy mile 3", "place": "Belize City", "notes": "Two cars, one person trapped",
    "route": ROUTE,
}


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def to_officer(who: Principal) -> bool:
    return who.name == OFFICER


def open_phone(browser: Browser, running: RunningServer) -> Page:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.add_cookies([{"name": "psn_token", "value": running.token("police", Role.FIELD_OFFICER, name=OFFICER),
                          "url": running.base_url}])
    page = context.new_page()
    page.goto(f"{running.base_url}/phone")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)
    return page


def expect_assignment(page: Page) -> None:
    expect(page.locator("#assignment-what")).to_have_text("traffic_collision · priority 1 · police-00012")
    expect(page.locator("#assignment-where")).to_have_text("Northern Hwy mile 3, Belize City")
    expect(page.locator("#assignment-notes")).to_have_text("Two cars, one person trapped")
    assert page.evaluate("window.psnPhone.routeLength()") == 3
    expect(page.locator("path.district").first).to_be_attached()  # the offline base map is drawn


def test_presses_while_the_server_is_down_arrive_in_order(browser: Browser, tmp_path: Path,
                                                          mosquitto: Mosquitto) -> None:
    settings = make_settings(tmp_path, mosquitto.url)
    seen = Seen()
    running = start_server(settings, seen)
    try:
        page = open_phone(browser, running)
        page.fill("#unit-input", "P-12")
        page.click("#sign-on-button")
        expect(page.locator("#unit-line")).to_have_text(f"Signed on: {UNIT} — available")
        expect(page.locator("#link")).to_have_text("live ✓")
        running.server.cad.board.change(UNIT, "dispatched", time.time(), actor="police.dispatch", via="console",
                                        incident="police-00012")
        # Stands in for engineer "commands"' assignment (psn.cad.assignments.assign → Commands.send).
        running.server.hub.notify("command", {"unit": UNIT, "command": {**ASSIGNMENT, "ts": time.time()}},
                                  to_officer)
        expect_assignment(page)
        page.click(f"[data-ack='{ASSIGNMENT['id']}']")
        [ack] = wait_for(lambda: seen.of(AckAccepted))
        assert (ack.ack.who.id, ack.ack.ref, ack.ack.result) == (UNIT, ASSIGNMENT["id"], "accepted")
        expect(page.locator("#outbox-count")).to_have_text("0 waiting to send")
    finally:
        running.stop()

    expect(page.locator("#link")).to_have_text("offline")
    page.reload()  # nothing answers on the port: the service worker's cache does
    expect_assignment(page)
    expect(page.locator("#commands")).to_be_hidden()  # acknowledged before the cut: not asked again
    page.click("[data-status='en_route']")
    page.click("#emergency")
    page.click("#emergency-yes")
    page.click("[data-status='on_scene']")
    expect(page.locator("#outbox-count")).to_have_text("3 waiting to send")

    seen = Seen()
    restarted = start_server(settings, seen)  # restores the board it stored: P-12 dispatched to police-00012
    try:
        expect(page.locator("#outbox-count")).to_have_text("0 waiting to send", timeout=20_000)
        expect(page.locator("#link")).to_have_text("live ✓")  # the live feed reconnected by itself
        arrived = [e.report.status if isinstance(e, StatusAccepted) else e.alert.type
                   for e in seen.events if isinstance(e, StatusAccepted | AlertAccepted)]
        assert arrived == ["en_route", "emergency", "on_scene"]
        [alert] = seen.of(AlertAccepted)
        assert (alert.alert.who.id, alert.alert.type) == (UNIT, "emergency")
        changes = [(e.change.before.value, e.change.after.value) for e in seen.of(UnitStatusChanged)]
        assert changes == [("dispatched", "en_route"), ("en_route", "on_scene")]
        # The status words reach the board through a queued subscriber: a moment after the outbox emptied.
        wait_for(lambda: restarted.server.cad.board.state(UNIT) == ("on_scene", "police-00012"))
        assert restarted.server.cad.crew.unit_of(OFFICER) == UNIT  # the phone signed on again by itself
        expect(page.locator("#refused li")).to_have_count(0)
    finally:
        restarted.stop()


def test_sign_off(browser: Browser, tmp_path: Path, mosquitto: Mosquitto) -> None:
    running = start_server(make_settings(tmp_path, mosquitto.url), Seen())
    try:
        page = open_phone(browser, running)
        page.fill("#unit-input", "P-12")
        page.click("#sign-on-button")
        expect(page.locator("#unit-line")).to_have_text(f"Signed on: {UNIT} — available")
        page.click("#sign-off")
        expect(page.locator("#unit-line")).to_have_text("Not signed on")
        assert running.server.cad.crew.unit_of(OFFICER) is None
        page.reload()  # and it stays off: the phone does not sign on again by itself
        expect(page.locator("#link")).to_have_text("live ✓")
        expect(page.locator("#unit-line")).to_have_text("Not signed on")
        assert running.server.cad.crew.unit_of(OFFICER) is None
    finally:
        running.stop()

"""The dispatcher console in a real browser against a real psn server, units played by real MQTT clients.

Debian's chromium driven by Playwright. A dispatcher creates an incident by clicking the map, sees it queued,
opens it, assigns the recommended unit; the unit (a paho client on Mosquitto) receives the `cmd` and acks,
and the console shows it acknowledged. An emergency published by a police unit reaches a police dispatcher's
banner within a second, never a NEMO dispatcher's, and an acknowledgement on one police console clears it on
the other. Expectations are written out by hand (positions, names, words on screen).
"""

from __future__ import annotations

import json
import queue
import random
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from paho.mqtt.client import MQTTMessage
from playwright.sync_api import APIResponse, Browser, Page, Route, ViewportSize, expect

from psn.access import Agreement, Resource
from psn.clock import ManualClock
from tests.browser import chromium
from tests.support import Mosquitto, RunningServer, make_settings, publish_fix, publisher

pytestmark = pytest.mark.browser
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
DESKTOP: ViewportSize = {"width": 1400, "height": 900}

# Where the incident is clicked: Albert Street, Belize City. P-101 patrols 1 km away; P-102 is in Orange Walk
# (75 km by road), so the road ETA ranks P-101 first. F-7 (fire, shared with police by a standing agreement)
# cannot take a robbery: wrong agency.
INCIDENT_AT = (17.4925, -88.1880)
FLEET = [("police", "P-101", 17.5005, -88.1950), ("police", "P-102", 18.0810, -88.5630),
         ("fire", "F-7", 17.4950, -88.1900)]


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def open_console(browser: Browser, server: RunningServer, agency: str, name: str) -> tuple[Page, list[str]]:
    """Signs a dispatcher in by token link and waits for the live picture and the console's first load."""
    page = browser.new_context(viewport=DESKTOP).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.base_url}/login?token={server.token(agency, name=name)}")
    expect(page.locator("#status")).to_contain_text("live ✓", timeout=20_000)
    expect(page.locator("#user-name")).to_contain_text(name)
    return page, errors


def map_point(page: Page, lat: float, lon: float) -> dict[str, float]:
    """Page pixels of a map position, as a user aims the mouse."""
    point: dict[str, float] = page.evaluate(
        """([lat, lon]) => { const m = window.psnMap.map; const p = m.latLngToContainerPoint([lat, lon]);
             const box = m.getContainer().getBoundingClientRect(); return {x: box.left + p.x, y: box.top + p.y}; }""",
        [lat, lon])
    return point


def subscribe(server: RunningServer, topic: str) -> tuple[Any, queue.Queue[MQTTMessage]]:
    """A unit's MQTT client listening on `topic`, returned once the broker has confirmed the subscription."""
    got: queue.Queue[MQTTMessage] = queue.Queue()
    subscribed = threading.Event()
    client = publisher(server.mqtt_url)
    client.on_message = lambda _c, _u, msg: got.put(msg)
    client.on_subscribe = lambda *_: subscribed.set()
    client.subscribe(topic, qos=1)
    assert subscribed.wait(10)
    return client, got


def test_create_by_map_click_assign_top_and_ack(psn_server: RunningServer, browser: Browser) -> None:
    psn_server.server.sharing.add_agreement(Agreement("fire", "police", frozenset({Resource.UNIT})), created_by="test")
    for agency, unit, lat, lon in FLEET:
        publish_fix(psn_server.mqtt_url, agency, unit, lat, lon)
    unit_client, commands = subscribe(psn_server, "psn/v1/police/P-101/cmd")
    page, errors = open_console(browser, psn_server, "police", "police.dispatch")
    expect(page.locator("#status")).to_contain_text("3 units")
    page.evaluate("([lat, lon]) => window.psnMap.map.setView([lat, lon], 14, {animate: false})", list(INCIDENT_AT))

    # N opens the form ready to pick the place on the map (crosshair); one click drops the pin there.
    page.keyboard.press("n")
    form = page.locator("#view-create")
    expect(form).to_be_visible()
    expect(page.locator("#map")).to_have_class(re.compile(r"\bpicking\b"))
    at = map_point(page, *INCIDENT_AT)
    page.mouse.click(at["x"], at["y"])
    expect(page.locator("#map")).not_to_have_class(re.compile(r"\bpicking\b"))
    assert abs(float(form.locator("[name=lat]").input_value()) - INCIDENT_AT[0]) < 2e-4
    assert abs(float(form.locator("[name=lon]").input_value()) - INCIDENT_AT[1]) < 2e-4
    expect(page.locator(".new-pin")).to_have_count(1)
    form.locator("[name=type]").select_option("robbery")
    form.locator("label[for=prio-1]").click()
    form.locator("[name=address]").fill("Albert St")

    # No notes: the server's refusal is shown beside the notes box, nothing is created.
    form.get_by_role("button", name="Create incident").click()
    expect(form.locator(".field-error[data-field=notes]")).to_contain_text("notes")
    expect(form.locator(".form-error")).to_be_hidden()
    form.locator("[name=notes]").fill("Two men, one armed, heading north")
    form.get_by_role("button", name="Create incident").click()

    # Created: the details open, the queue and the map have it.
    details = page.locator("#view-incident")
    expect(details).to_be_visible()
    expect(details.locator(".inc-head h2")).to_have_text("Robbery")
    expect(details.locator(".inc-head .id")).to_contain_text("police-00001")
    expect(details.locator(".inc-head .where")).to_contain_text("Albert St")
    expect(page.locator(".inc-marker[data-incident=police-00001]")).to_contain_text("P1")

    # The recommendation: P-101 first, P-102 second; F-7 folded away as the wrong agency.
    recs = details.locator(".recs li")
    expect(recs).to_have_count(2)
    expect(recs.nth(0).locator(".unit")).to_have_text("P-101")
    expect(recs.nth(1).locator(".unit")).to_have_text("P-102")
    expect(details.locator(".excluded li[data-unit='fire/F-7']")).to_contain_text("wrong agency")
    recs.nth(1).hover()
    expect(page.locator("path.route")).to_have_count(1)  # the hovered unit's road route on the map
    page.screenshot(path=DOCS_IMG / "console-recommendation.png")

    # A assigns the top one: the unit gets the assignment over MQTT, the console waits for its ack.
    page.mouse.move(5, 5)
    page.keyboard.press("a")
    row = details.locator(".unit-list li[data-unit='police/P-101']")
    expect(row.locator(".ack")).to_contain_text("awaiting ack")
    cmd = json.loads(commands.get(timeout=10).payload)
    assert (cmd["type"], cmd["incident"]) == ("assignment", "police-00001")
    unit_client.publish("psn/v1/police/P-101/ack",
                        json.dumps({"ts": time.time(), "ref": cmd["id"], "result": "accepted"}), qos=1)
    expect(row.locator(".ack")).to_have_text("✓ acknowledged")
    expect(row.locator(".ustate")).to_have_text("dispatched")
    page.keyboard.press("Escape")
    item = page.locator("#queue li[data-id=police-00001]")
    expect(item).to_contain_text("P1")
    expect(item).to_contain_text("P-101 dispatched")
    unit_client.loop_stop()
    unit_client.disconnect()
    assert errors == []


def test_emergency_banner_reaches_police_only_and_ack_clears_everywhere(
        psn_server: RunningServer, browser: Browser) -> None:
    publish_fix(psn_server.mqtt_url, "police", "P-7", 17.2510, -88.7590)
    publish_fix(psn_server.mqtt_url, "nemo", "N-2", 16.9700, -88.2300)
    first, errors = open_console(browser, psn_server, "police", "police.dispatch")
    second, _ = open_console(browser, psn_server, "police", "police.supervisor")
    nemo, _ = open_console(browser, psn_server, "nemo", "nemo.dispatch")
    # The moment the banner shows, taken in the page (same machine clock as the test's).
    first.evaluate("""() => new MutationObserver((_, obs) => {
        if (!document.getElementById("emergency").hidden) { window.bannerAt = Date.now(); obs.disconnect(); }
      }).observe(document.getElementById("emergency"), {attributes: true})""")

    unit = publisher(psn_server.mqtt_url)
    sent = time.time()
    unit.publish("psn/v1/police/P-7/alert", json.dumps(
        {"ts": sent, "type": "emergency", "lat": 17.2510, "lon": -88.7590, "note": "shots fired"}), qos=1)
    banner = first.locator("#emergency")
    expect(banner).to_be_visible(timeout=5_000)
    latency = first.evaluate("window.bannerAt") / 1000 - sent
    assert latency <= 1.0, f"banner after {latency:.3f} s"
    expect(banner.locator("li")).to_have_count(1)
    expect(banner).to_contain_text("EMERGENCY")
    expect(banner).to_contain_text("P-7 · Police")
    expect(banner).to_contain_text("shots fired")
    assert first.evaluate("window.psnConsole.ringing") is True
    expect(second.locator("#emergency")).to_contain_text("P-7 · Police")

    # The NEMO console hears its own unit's emergency (sent after the police one, so delivered after it)
    # and only that one.
    unit.publish("psn/v1/nemo/N-2/alert", json.dumps({"ts": time.time(), "type": "officer_down"}), qos=1)
    expect(nemo.locator("#emergency li")).to_have_count(1)
    expect(nemo.locator("#emergency")).to_contain_text("N-2 · NEMO")
    expect(nemo.locator("#emergency")).not_to_contain_text("P-7")
    first.screenshot(path=DOCS_IMG / "console-emergency.png")

    # Show centres the map on the unit; mute silences this one only.
    banner.get_by_role("button", name="Show").click()
    first.wait_for_function("window.psnMap.map.getCenter().distanceTo([17.2510, -88.7590]) < 50")
    first.locator("#emergency-mute").click()
    assert first.evaluate("window.psnConsole.ringing") is False

    # Acknowledged on the second police console: gone from both.
    second.locator("#emergency").get_by_role("button", name="Acknowledge").click()
    expect(second.locator("#emergency")).to_be_hidden()
    expect(banner).to_be_hidden()
    assert first.evaluate("window.psnConsole.ringing") is False
    open_alerts = httpx.get(f"{psn_server.base_url}/api/v1/alerts?open=true",
                            headers=psn_server.headers("police")).json()["alerts"]
    assert open_alerts == []

    # A new emergency sounds even though the last one was muted.
    unit.publish("psn/v1/police/P-7/alert", json.dumps({"ts": time.time(), "type": "officer_down"}), qos=1)
    expect(banner).to_contain_text("OFFICER DOWN")
    assert first.evaluate("window.psnConsole.ringing") is True
    unit.loop_stop()
    unit.disconnect()
    assert errors == []


# What a dispatcher may type wrong, and where the console must say so (the server's words, beside the field).
FORM_MISTAKES = [
    # (lat, lon, place, notes, field the error shows beside, words it contains)
    ("abc", "-88.2", "", "notes", "lat", "lat"),
    ("95", "-88.2", "", "notes", "lat", "less than or equal to 90"),
    ("17.5", "", "", "notes", "lat", "give both"),
    ("", "", "Atlantis", "notes", "place", "no Belize place 'Atlantis'"),
    ("17.5", "-88.2", "", "x" * 4097, "notes", "4096"),
    ("", "", "", "notes", "place", "Where?"),  # refused before asking the server
]


def test_form_shows_each_mistake_beside_its_field(psn_server: RunningServer, browser: Browser) -> None:
    page, errors = open_console(browser, psn_server, "police", "police.dispatch")
    page.get_by_role("button", name="+ New incident").click()
    form = page.locator("#view-create")
    page.keyboard.press("Escape")  # no map pick: typed values only
    for lat, lon, place, notes, field, words in FORM_MISTAKES:
        for name, value in (("lat", lat), ("lon", lon), ("place", place), ("notes", notes)):
            form.locator(f"[name={name}]").fill(value)
        form.get_by_role("button", name="Create incident").click()
        expect(form.locator(f".field-error[data-field={field}]")).to_contain_text(words)
        shown = form.locator(".field-error:not(:empty), .form-error:not(:empty)")
        expect(shown).to_have_count(1)  # beside that field only
    listed = httpx.get(f"{psn_server.base_url}/api/v1/incidents", headers=psn_server.headers("police")).json()
    assert listed["incidents"] == []

    # A place name from the suggestions is enough: the server places it (Belmopan: 17.25 N, 88.77 W).
    for name in ("lat", "lon", "place"):
        form.locator(f"[name={name}]").fill("")
    form.locator("[name=place]").press_sequentially("Belmo")
    form.locator("#place-list li", has_text="Belmopan").first.click()
    form.locator("[name=notes]").fill("Flooded road by the market")
    form.locator("[name=type]").select_option("flood")
    form.get_by_role("button", name="Create incident").click()
    expect(page.locator("#view-incident .inc-head h2")).to_have_text("Flood")
    created = httpx.get(f"{psn_server.base_url}/api/v1/incidents", headers=psn_server.headers("police")).json()
    (incident,) = created["incidents"]
    assert incident["place"] == "Belmopan" and incident["priority"] == 2
    assert abs(incident["lat"] - 17.25) < 0.02 and abs(incident["lon"] + 88.77) < 0.02
    assert errors == []


@pytest.fixture
def clocked(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[tuple[RunningServer, ManualClock]]:
    """psn whose clock the test moves: response times as long as a real call's, in a second."""
    clock = ManualClock(time.time())
    running = RunningServer(make_settings(tmp_path, mosquitto.url), clock).start()
    yield running, clock
    running.stop()


def test_partner_thread_unread_priority_close_and_kpis(
        clocked: tuple[RunningServer, ManualClock], browser: Browser) -> None:
    psn_server, clock = clocked
    publish_fix(psn_server.mqtt_url, "police", "P-101", 17.5005, -88.1950)
    headers = psn_server.headers("police")
    base = f"{psn_server.base_url}/api/v1"
    police, errors = open_console(browser, psn_server, "police", "police.dispatch")
    ems, ems_errors = open_console(browser, psn_server, "ems", "ems.dispatch")
    made = httpx.post(f"{base}/incidents", headers=headers, json={
        "type": "traffic_collision", "priority": 1, "lat": 17.4925, "lon": -88.1880,
        "notes": "Two cars, one on its roof", "partners": ["ems"]}).json()
    assert made["id"] == "police-00001"
    ems_item = ems.locator("#queue li[data-id=police-00001]")
    expect(ems_item).to_contain_text("Traffic collision")  # a partner sees it live

    police.locator("#queue li[data-id=police-00001] button").click()
    thread = police.locator("#view-incident .thread")
    thread.locator("textarea").fill("Ambulance to the north side, please")
    thread.locator("textarea").press("Enter")
    expect(thread.locator(".msg")).to_have_count(1)
    expect(ems_item.locator(".unread")).to_have_text("✉ 1")
    ems_item.locator("button").click()
    ems_thread = ems.locator("#view-incident .thread")
    expect(ems_thread.locator(".msg")).to_contain_text("Ambulance to the north side, please")
    ems_thread.locator("textarea").fill("On our way")
    ems_thread.locator("button", has_text="Send").click()
    expect(thread.locator(".msg").nth(1)).to_contain_text("On our way")
    ems.keyboard.press("Escape")
    expect(ems_item.locator(".unread")).to_have_count(0)  # read when it was open

    # The owner changes the priority: the partner's queue follows.
    police.locator("#view-incident .priority-edit button", has_text="P2").click()
    expect(ems_item.locator(".prio")).to_contain_text("P2")

    # Dispatched 90 s after the call, en route 48 s later, on scene 300 s after that; then closed.
    clock.advance(90)
    assigned = httpx.post(f"{base}/incidents/police-00001/assign", headers=headers,
                          json={"units": ["police/P-101"]}).json()
    assert [a["unit"] for a in assigned["assigned"]] == ["police/P-101"]
    for wait, state in ((48, "en_route"), (300, "on_scene")):
        clock.advance(wait)
        assert httpx.post(f"{base}/units/police/P-101/status", headers=headers,
                          json={"state": state}).status_code == 200
    expect(police.locator("#view-incident .unit-list li[data-unit='police/P-101'] .ustate")).to_have_text("on scene")
    close = police.locator("#view-incident .close")
    close.locator("input").fill("Cleared, both drivers to hospital")
    close.get_by_role("button", name="Close").click()
    expect(police.locator("#view-incident .inc-head .state")).to_contain_text("closed")
    # Closed, the incident is no longer shared: no live event reaches the partner, whose console drops it on its
    # next read of the queue (every minute, or on reconnecting, as here).
    second = httpx.post(f"{base}/incidents", headers=headers, json={
        "type": "medical", "priority": 3, "place": "Belmopan", "notes": "Fall at the market", "partners": ["ems"]})
    assert second.json()["id"] == "police-00002"
    ems.reload()
    expect(ems.locator("#queue li")).to_have_count(1)
    expect(ems.locator("#queue li")).to_have_attribute("data-id", "police-00002")  # the one still shared

    police.get_by_role("button", name="KPIs").click()
    chart = police.locator("#view-kpi svg.kpi-chart")
    for stage in ("call_to_dispatch", "dispatch_to_en_route", "en_route_to_on_scene"):
        expect(chart.locator(f"rect[data-agency=police][data-stage={stage}]")).to_have_count(1)
    # Median minutes (count): 90 s, 48 s, 300 s, and 438 s from call to on scene.
    by_priority = police.locator("#view-kpi table.kpi").first.locator("tr[data-group='2']")
    expect(by_priority.locator("th")).to_have_text("P2")
    expect(by_priority.locator("td")).to_have_text(["1.5 (1)", "0.8 (1)", "5.0 (1)", "7.3 (1)"])
    expect(chart.locator("text.value")).to_have_text(["1.5", "0.8", "5.0"])
    police.screenshot(path=DOCS_IMG / "console-kpi.png")
    assert errors == [] and ems_errors == []


# A valid object of each live event kind, and for each field the console relies on, values that are wrong for it
# (written from the contract, not from the console's code). MISSING drops the field.
MISSING = object()
TEXT = [MISSING, None, "", 0, 7, [], {}, True]
NUMBER = [MISSING, None, "1", [], {}, True, "x"]
VALID: dict[str, tuple[str, dict[str, Any]]] = {
    "incident": ("incident", {"id": "police-00009", "type": "robbery", "priority": 1, "state": "open",
                              "opened": 1.0, "lat": 17.5, "lon": -88.2, "units": [], "partners": []}),
    "unit_status": ("entry", {"unit": "police/P-1", "state": "available"}),
    "command_ack": ("command", {"id": "c1", "unit": "police/P-1"}),
    "alert": ("alert", {"id": "a1", "type": "emergency", "unit": "police/P-1", "ts": 1.0}),
    "message": ("message", {"id": "m1", "ts": 1.0, "text": "hi", "to": {"agency": "police"}}),
}
WRONG: dict[str, list[Any]] = {
    "id": TEXT, "type": TEXT, "unit": [None, "", 0, [], {}], "opened": NUMBER, "ts": NUMBER, "lat": NUMBER,
    "lon": NUMBER, "priority": [MISSING, 0, 5, 1.5, "1", None], "state": [MISSING, None, 1, ""],
    "units": [MISSING, None, "x", {}, 3], "partners": [MISSING, None, "x", {}, 3],
    "text": [MISSING, None, 3, [], {}], "to": [MISSING, None, "police", [], 3],
}

SPECIAL = {("incident", "state"): [*WRONG["state"], "pending"],
           ("command_ack", "unit"): ["", 0, [], {}]}  # a command's unit may be absent or null


def malformed_events(seed: int, n: int) -> list[dict[str, Any]]:
    """`n` live events, each a valid one with one field made wrong."""
    rng = random.Random(seed)
    events = []
    for _ in range(n):
        kind = rng.choice(sorted(VALID))
        key, valid = VALID[kind]
        body = dict(valid)
        field = rng.choice(sorted(body))
        wrong = rng.choice(SPECIAL.get((kind, field), WRONG[field]))
        if wrong is MISSING:
            del body[field]
        else:
            body[field] = wrong
        events.append({"type": kind, key: body})
    return events


def test_malformed_live_events_are_dropped_and_counted(psn_server: RunningServer, browser: Browser) -> None:
    page, errors = open_console(browser, psn_server, "police", "police.dispatch")
    literal: list[Any] = [None, [], "incident", {"type": "incident"}, {"type": "incident", "incident": None},
                          {"type": "alert", "alert": []}, {"type": "message", "message": "hi"},
                          {"type": "unit_status", "entry": {"unit": "", "state": "available"}}]
    fuzzed = malformed_events(7, 300)
    known = 5 + len(fuzzed)  # the literal ones with a known type and a bad object; the rest are not events
    page.evaluate("events => events.forEach((e) => window.psnConsole.live(e))", literal + fuzzed)
    assert page.evaluate("window.psnConsole.dropped") == known
    expect(page.locator("#queue li")).to_have_count(0)
    expect(page.locator("#emergency")).to_be_hidden()
    # The console still works after them.
    page.evaluate("""() => window.psnConsole.live({type: "alert", alert: {id: "a7", type: "emergency",
        unit: "police/P-7", agency: "police", ts: Date.now() / 1000}})""")
    expect(page.locator("#emergency li")).to_have_count(1)
    assert errors == []


def test_a_reread_in_flight_keeps_what_arrived_live(psn_server: RunningServer, browser: Browser) -> None:
    """The console's first read of the queue is answered by the server before incident A exists, but reaches the
    page only after A's live event: A must stay (and B, which only the read knows, must come)."""
    base = f"{psn_server.base_url}/api/v1"
    headers = psn_server.headers("police")
    incident = {"type": "fire", "priority": 2, "place": "Belmopan", "notes": "Smoke from a roof"}
    assert httpx.post(f"{base}/incidents", headers=headers, json=incident).json()["id"] == "police-00001"  # B
    held: list[tuple[Route, APIResponse]] = []

    def hold_first(route: Route) -> None:
        if held:
            route.continue_()
        else:
            held.append((route, route.fetch()))  # the server's answer now, delivered later

    page = browser.new_context(viewport=DESKTOP).new_page()
    page.route("**/api/v1/incidents?state=open", hold_first)
    page.goto(f"{psn_server.base_url}/login?token={psn_server.token('police', name='police.dispatch')}")
    expect(page.locator("#status")).to_contain_text("live ✓", timeout=20_000)
    page.wait_for_function("window.psnConsole !== undefined")
    assert httpx.post(f"{base}/incidents", headers=headers, json=incident).json()["id"] == "police-00002"  # A
    expect(page.locator("#queue li")).to_have_attribute("data-id", "police-00002")
    route, answer = held[0]
    route.fulfill(response=answer)
    expect(page.locator("#queue li[data-id=police-00001]")).to_have_count(1)
    expect(page.locator("#queue li")).to_have_count(2)

"""The dispatcher console under bad input, in a real browser against a real psn: each form mistake is shown beside
its field and creates nothing; malformed live events are dropped and counted; a full re-read in flight keeps what
arrived live; on a phone the console steps aside for the map.
"""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest
from playwright.sync_api import APIResponse, Browser, Route, ViewportSize, expect

from tests.support import RunningServer
from tests.web.console_pages import DESKTOP, map_point, open_console

pytestmark = pytest.mark.browser

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


def test_on_a_phone_the_console_steps_aside_for_the_map(psn_server: RunningServer, browser: Browser) -> None:
    phone: ViewportSize = {"width": 390, "height": 844}
    page, errors = open_console(browser, psn_server, "police", "police.dispatch", viewport=phone)
    console = page.locator("#console")
    expect(console).to_be_hidden()  # the map first
    page.locator("#console-toggle").click()
    expect(console).to_be_visible()
    box = console.bounding_box()
    assert box is not None and box["width"] == 390  # over the whole width
    # Picking the place on the map: the console gets out of the way, and comes back with the position.
    page.get_by_role("button", name="+ New incident").click()
    expect(console).to_be_hidden()
    at = map_point(page, 17.25, -88.77)
    page.mouse.click(at["x"], at["y"])
    expect(console).to_be_visible()
    assert abs(float(page.locator("#view-create [name=lat]").input_value()) - 17.25) < 0.01
    assert errors == []

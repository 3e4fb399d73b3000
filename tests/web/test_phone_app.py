"""The officer's phone app in a real browser: installable (a valid, linked manifest with its icons; a service
worker that controls the page) and sharing the browser's position, which puts the unit on the map."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from psn.access import Role
from psn.events import AckAccepted, AlertAccepted, FixAccepted
from tests.browser import chromium
from tests.phone_support import Seen
from tests.support import RunningServer, wait_for

pytestmark = pytest.mark.browser
OFFICER = "police.officer-12"
SAN_IGNACIO = (17.1588, -89.0696)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def _signed_on(browser: Browser, server: RunningServer, lat: float, lon: float) -> tuple[BrowserContext, Page]:
    """The phone page of OFFICER, at (lat, lon), signed on to police/P-12."""
    context = browser.new_context(permissions=["geolocation"], geolocation={"latitude": lat, "longitude": lon})
    context.add_cookies([{"name": "psn_token", "value": server.token("police", Role.FIELD_OFFICER, name=OFFICER),
                          "url": server.base_url}])
    page = context.new_page()
    page.goto(f"{server.base_url}/phone")
    page.fill("#unit-input", "P-12")
    page.click("#sign-on-button")
    return context, page


def test_manifest_and_icons(phone_server: RunningServer) -> None:
    manifest = httpx.get(f"{phone_server.base_url}/phone/manifest.webmanifest")
    assert manifest.headers["content-type"] == "application/manifest+json"
    body = manifest.json()
    assert (body["start_url"], body["scope"], body["display"]) == ("/phone", "/phone", "standalone")
    sizes = {icon["sizes"]: icon["src"] for icon in body["icons"] if icon["purpose"] == "any"}
    assert set(sizes) == {"192x192", "512x512"}
    for size, src in sizes.items():
        png = httpx.get(f"{phone_server.base_url}{src}")
        assert (png.status_code, png.headers["content-type"]) == (200, "image/png")
        assert "{}x{}".format(*Image.open(io.BytesIO(png.content)).size) == size
    worker = httpx.get(f"{phone_server.base_url}/phone/sw.js")
    assert worker.headers["service-worker-allowed"] == "/phone"
    assert worker.headers["content-type"].startswith("text/javascript")
    # Signed out, the page sends the officer to sign in.
    page = httpx.get(f"{phone_server.base_url}/phone")
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/phone")


def test_installable_and_sharing_location_puts_the_unit_on_the_map(
        browser: Browser, phone_server: RunningServer, phone_seen: Seen) -> None:
    context = browser.new_context(permissions=["geolocation"],
                                  geolocation={"latitude": SAN_IGNACIO[0], "longitude": SAN_IGNACIO[1]},
                                  viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.add_cookies([{"name": "psn_token", "value": phone_server.token("police", Role.FIELD_OFFICER, name=OFFICER),
                          "url": phone_server.base_url}])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{phone_server.base_url}/phone")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)
    scope = page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.scope)")
    assert scope == f"{phone_server.base_url}/phone"

    cdp = context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"] == f"{phone_server.base_url}/phone/manifest.webmanifest"
    assert manifest["errors"] == []
    # Chromium's own installability check: a Playwright context is incognito, which alone blocks installing;
    # a missing icon, a bad manifest or no controlling worker would be listed here too.
    installability = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [e["errorId"] for e in installability] == ["in-incognito"]

    page.fill("#unit-input", "P-12")
    page.click("#sign-on-button")
    expect(page.locator("#unit-line")).to_have_text("Signed on: police/P-12 — available")
    expect(page.locator("#link")).to_have_text("live ✓")
    page.click("#share")
    unit = wait_for(lambda: phone_server.units().get("police/P-12"), timeout=15)
    assert (unit["lat"], unit["lon"]) == SAN_IGNACIO
    expect(page.locator("#outbox-count")).to_have_text("0 waiting to send")

    # Held for a second, the emergency button sends at once (no confirmation), with the last position.
    box = page.locator("#emergency").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    [alert] = wait_for(lambda: phone_seen.of(AlertAccepted), timeout=5)
    page.mouse.up()
    assert (alert.alert.who.id, alert.alert.type, alert.alert.lat, alert.alert.lon) == (
        "police/P-12", "emergency", *SAN_IGNACIO)
    expect(page.locator("#emergency-confirm")).to_be_hidden()
    assert errors == []


def test_a_refused_item_is_shown_and_dropped(browser: Browser, phone_server: RunningServer) -> None:
    """A position psn refuses (a receiver's fix far outside the service area) leaves the outbox, listed with its
    reason, instead of blocking everything behind it."""
    _, page = _signed_on(browser, phone_server, 40.7, -74.0)
    expect(page.locator("#unit-line")).to_have_text("Signed on: police/P-12 — available")
    page.click("#share")
    expect(page.locator("#refused li")).to_have_text(
        "Refused: position — outside_service_area: (40.70000, -74.00000) is far outside the service area")
    expect(page.locator("#outbox-count")).to_have_text("0 waiting to send")
    page.click("[data-status='out_of_service']")
    wait_for(lambda: phone_server.server.cad.board.state("police/P-12")[0] == "out_of_service")


def test_position_rate_and_messages(browser: Browser, phone_server: RunningServer, phone_seen: Seen) -> None:
    """A position goes at once after 25 m, not after 5 m within 5 s; a message command is shown and its
    Acknowledge button answers it."""
    lat, lon = SAN_IGNACIO
    context, page = _signed_on(browser, phone_server, lat, lon)
    expect(page.locator("#link")).to_have_text("live ✓")
    page.click("#share")
    wait_for(lambda: len(phone_seen.of(FixAccepted)) == 1)
    context.set_geolocation({"latitude": lat + 0.00036, "longitude": lon})  # 40 m north
    wait_for(lambda: len(phone_seen.of(FixAccepted)) == 2, timeout=3)  # well inside the 5 s
    context.set_geolocation({"latitude": lat + 0.00040, "longitude": lon})  # 4.4 m further
    page.wait_for_function(f"window.psnPhone.selfAt().lat === {lat + 0.00040}")  # the phone has it…
    expect(page.locator("#outbox-count")).to_have_text("0 waiting to send")
    assert [e.fix.lat for e in phone_seen.of(FixAccepted)] == [lat, lat + 0.00036]  # …and kept it

    message = {"id": "m-1", "ts": time.time(), "type": "message", "from": "police.dispatch",
               "text": "Road closed at Hawkesworth Bridge, use the bypass"}
    phone_server.server.hub.notify("command", {"unit": "police/P-12", "command": message}, lambda p: p.name == OFFICER)
    expect(page.locator("#message-list li")).to_contain_text("police.dispatch Road closed at Hawkesworth Bridge")
    page.click("[data-ack='m-1']")
    [ack] = wait_for(lambda: phone_seen.of(AckAccepted))
    assert (ack.ack.ref, ack.ack.result) == ("m-1", "accepted")
    expect(page.locator("#commands")).to_be_hidden()

"""The dispatcher's video column on the live map, in a real browser against a real psn server.

A unit sends fixes over MQTT and video from the demo body cam (`simulator/bodycam.py`, a separate process
with the unit's device token, as in the field); a police dispatcher signed in with the session cookie
clicks the unit and watches its feed by WHEP.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from psn.access import Agreement, Resource
from tests.browser import VIDEO_SAMPLE, chromium
from tests.support import RunningServer, wait_for

ROOT = Path(__file__).resolve().parents[2]
UNIT, STREAM = "police/P-101", "police:P-101"
TILE = f'.psn-tile[data-stream="{STREAM}"]'



def bodycam(server: RunningServer, stream: str, token: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "simulator.bodycam", "--base", server.base_url, "--stream", stream, "--token", token,
         "--width", "640", "--height", "360", "--fps", "15"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def sign_in(browser: Browser, server: RunningServer, agency: str) -> tuple[Page, list[str]]:
    """A dispatcher of `agency` on the live map (session cookie), with the camera badge of the unit drawn."""
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.base_url}/login?token={server.token(agency)}")
    expect(page.locator("#status")).to_contain_text("live ✓", timeout=30_000)
    page.wait_for_function("id => window.psnMap.unit(id)?.video === true", arg=UNIT)
    return page, errors


def click_unit(page: Page) -> None:
    at = page.evaluate("id => window.psnMap.unitPoint(id)", UNIT)
    page.mouse.click(at["x"], at["y"])


def assert_playing(page: Page) -> None:
    """Frames decode: video time advances and the picture changes between two samples."""
    page.wait_for_function(f"document.querySelector('{TILE} video')?.currentTime > 0.5", timeout=15_000)
    first = page.evaluate(VIDEO_SAMPLE, TILE)
    page.wait_for_timeout(1000)
    second = page.evaluate(VIDEO_SAMPLE, TILE)
    assert second["t"] > first["t"] + 0.5, "playback advances"
    assert first["w"] == 640
    changed = sum(abs(a - b) for a, b in zip(first["px"], second["px"], strict=True))
    assert changed > 1000, "decoded pixels change (the body cam's scene moves)"


@pytest.mark.browser
def test_dispatcher_watches_a_body_cam(
    psn_server: RunningServer, browser: Browser, publish_fix: Callable[..., None], artifacts: Path
) -> None:
    publish_fix(psn_server.mqtt_url, "police", "P-101", 17.25, -88.77, heading=90, speed=12.0)
    publish_fix(psn_server.mqtt_url, "police", "P-102", 17.50, -88.20)
    # NEMO sees police units but not their video.
    psn_server.server.sharing.add_agreement(Agreement("police", "nemo", frozenset({Resource.UNIT})), "test")
    camera = bodycam(psn_server, STREAM, psn_server.server.auth.issue_device("police", "P-101", 600).token)
    hub = psn_server.server.video
    try:
        wait_for(lambda: psn_server.units()[UNIT].get("video"), timeout=20)
        page, errors = sign_in(browser, psn_server, "police")
        # The unit carries the camera badge and the header counts one live feed.
        expect(page.locator("#video-toggle b")).to_have_text("1", timeout=10_000)

        # Clicking the unit opens its details and its live tile beside the map.
        click_unit(page)
        expect(page.locator("#panel-flags")).to_contain_text("camera")
        expect(page.locator("#panel-video")).to_be_visible()
        tile = page.locator(TILE)
        expect(tile).to_be_visible()
        expect(tile.locator(".psn-label")).to_have_text(UNIT)
        assert_playing(page)
        expect(tile.locator(".psn-stats")).to_contain_text("fps", timeout=5_000)
        stats = tile.locator(".psn-stats").inner_text()
        assert "kbit/s" in stats and "loss" in stats and "RTT" in stats
        # The details card moves left of the video column instead of covering it.
        panel, column = page.locator("#panel").bounding_box(), page.locator("#video").bounding_box()
        assert panel is not None and column is not None and panel["x"] + panel["width"] <= column["x"]
        page.wait_for_timeout(1000)  # stats of a settled second for the picture
        page.screenshot(path=artifacts / "video-wall.png")
        # The tile's name finds its unit on the map.
        page.locator("#panel-close").click()
        tile.locator(".psn-label").click()
        expect(page.locator("#panel-title")).to_have_text(UNIT)

        # Closing the tile ends its WHEP session; the feed list opens it again.
        tile.locator(".psn-close").click()
        expect(tile).to_have_count(0)
        wait_for(lambda: hub.peer_connection_count == 1, timeout=10)
        feed = page.locator(f'#feeds button[data-stream="{STREAM}"]')
        expect(feed).to_have_attribute("aria-pressed", "false")
        feed.click()
        expect(feed).to_have_attribute("aria-pressed", "true")
        assert_playing(page)

        # A tile closed while its offer is still in flight leaves no session behind on the server.
        tile.locator(".psn-close").click()
        wait_for(lambda: hub.peer_connection_count == 1, timeout=10)
        page.evaluate("""(stream) => {
            document.querySelector(`#feeds button[data-stream="${stream}"]`).click();
            document.querySelector(`.psn-tile[data-stream="${stream}"] .psn-close`).click();
        }""", STREAM)
        time.sleep(3)  # the offer reaches the server and is answered after the tile is gone
        assert hub.peer_connection_count == 1
        feed.click()
        assert_playing(page)

        # A NEMO dispatcher sees the unit and its badge, but the feed is not shared: the column says so.
        nemo, nemo_errors = sign_in(browser, psn_server, "nemo")
        expect(nemo.locator("#video-toggle b")).to_have_text("0")
        click_unit(nemo)
        expect(nemo.locator("#video-note")).to_contain_text("not shared with your agency")
        expect(nemo.locator(".psn-tile")).to_have_count(0)
        assert nemo_errors == []

        # The body cam stops: it ends its session, and the frozen tile and the badge go away.
        camera.send_signal(signal.SIGTERM)
        assert camera.wait(timeout=10) == 0
        expect(tile).to_have_count(0, timeout=10_000)
        page.wait_for_function("id => window.psnMap.unit(id)?.video === false", arg=UNIT, timeout=10_000)
        expect(page.locator("#feeds")).to_contain_text("No live feeds")
        wait_for(lambda: hub.peer_connection_count == 0, timeout=10)
        assert errors == []
    finally:
        if camera.poll() is None:
            camera.kill()
        camera.communicate()


def test_bodycam_refused_says_why(psn_server: RunningServer) -> None:
    """A device token of another unit may not publish this unit's stream: one line, exit status 2."""
    other = psn_server.server.auth.issue_device("police", "P-102", 600).token
    camera = bodycam(psn_server, STREAM, other)
    _, err = camera.communicate(timeout=30)
    assert camera.returncode == 2
    assert err.count("\n") == 1 and "HTTP 403" in err, err

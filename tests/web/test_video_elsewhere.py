"""The browser's WHEP viewer (video/static/webrtc.js) in real chromium against a really started psn: an offer
answered 409 because another instance holds the stream is sent again, once, to the `Location` the answer names
(docs/video.md, "Where a stream lives"). The other instance here is a path of the same server that answers 404,
so the page ends with an error naming where it went."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from psn.events import StreamStarted
from tests.support import Mosquitto, RunningServer, make_settings, wait_for

pytestmark = pytest.mark.browser
STREAM = "police:P-7"


def test_the_viewer_follows_the_holders_location_once(tmp_path: Path, mosquitto: Mosquitto,
                                                      browser: Browser) -> None:
    running = RunningServer(make_settings(tmp_path, mosquitto.url)).start()
    try:
        holder = f"{running.base_url}/elsewhere/a"
        running.server.instances.register("a", holder, 0.0)
        running.server.bus.publish(StreamStarted(STREAM, "police/P-7", origin="a"))
        wait_for(lambda: running.server.locations.elsewhere())
        page = browser.new_context().new_page()
        offers: list[str] = []
        page.on("request", lambda r: offers.append(r.url) if r.method == "POST" else None)
        page.goto(f"{running.base_url}/video/wall.html")
        page.add_script_tag(url="/video/webrtc.js")
        error = page.evaluate("""async ([stream, token]) => {
            try { await psnWhepView("", stream, document.createElement("video"), token); return "answered"; }
            catch (err) { return String(err.message); } }""", [STREAM, running.token("police")])
        assert offers == [f"{running.base_url}/whep/police%3AP-7", f"{holder}/whep/{STREAM}"]
        assert error.startswith(f"{holder}/whep/{STREAM}: 404")
    finally:
        running.stop()

"""The dispatcher console's incident panel says whether live video will work at the incident (real chromium, real
psn on a hand-made coverage map, tests/radio_map.py): a well covered place, a place without coverage, and the
line following the incident when it is moved; and the map's coverage overlay."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.radio_map import point, write_map
from tests.support import Mosquitto, RunningServer, make_settings
from tests.web.console_pages import doc_image, open_console

pytestmark = pytest.mark.browser


@pytest.fixture
def mapped(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[RunningServer]:
    server = RunningServer(make_settings(tmp_path, mosquitto.url, coverage_file=write_map(tmp_path / "c.npz")))
    server.server.radio.cell_loads = lambda: {"BZE-PMD-1": 0.3}
    server.start()
    yield server
    server.stop()


def test_the_incident_panel_shows_the_live_video_verdict(mapped: RunningServer, browser: Browser) -> None:
    base, headers = f"{mapped.base_url}/api/v1", mapped.headers("police")
    for lat, lon in (point(0, 0), point(1, 0)):
        made = httpx.post(f"{base}/incidents", headers=headers, json={
            "type": "robbery", "priority": 2, "lat": lat, "lon": lon, "notes": "radio check"})
        assert made.status_code == 201, made.text
    page, errors = open_console(browser, mapped, "police", "police.dispatch")
    # The coverage overlay, switched on: one area per class of the hand-made map (its one "none" pixel has none).
    expect(page.locator("path.coverage")).to_have_count(0)
    page.get_by_label("Radio coverage").check()
    for cls in ("good", "fair", "poor"):
        expect(page.locator(f"path.coverage-{cls}")).to_have_count(1)
    page.get_by_label("Radio coverage").uncheck()
    line = page.locator("#view-incident .radio-line")

    page.locator("#queue li[data-id=police-00001] button").click()
    expect(line).to_contain_text("Live video: will work here (1080p)")
    expect(line).to_contain_text("good coverage, 8.2 Mbit/s up via BZE-PMD-1 (30 % busy)")
    assert line.get_attribute("data-radio") == "works"
    page.locator("#view-incident").screenshot(path=doc_image("console-radio.png"))

    page.keyboard.press("Escape")
    page.locator("#queue li[data-id=police-00002] button").click()
    expect(line).to_contain_text("Live video: will not work here (no coverage)")
    assert line.get_attribute("data-radio") == "fails"

    lat, lon = point(0, 1)  # moved to a fair pixel: 9 PRBs, 1.13 Mbit/s
    moved = httpx.patch(f"{base}/incidents/police-00002", headers=headers, json={"lat": lat, "lon": lon})
    assert moved.status_code == 200, moved.text
    expect(line).to_contain_text("Live video: will work here (720p)")
    assert errors == []

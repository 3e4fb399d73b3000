"""The /traffic page's camera list ages on its own: a live camera that has counted nothing for 10 minutes reads
as stale without any event arriving, in real chromium whose clock the test moves (Playwright's clock API)."""

from __future__ import annotations

import math
import re

from playwright.sync_api import Browser, Page, expect

from psn.access import Role
from tests.support import RunningServer
from tests.web.test_traffic_view import browser, loaded, notify, open_traffic, server
from tests.web.traffic_contract import TrafficApi

__all__ = ["browser", "server"]  # the module's fixtures, shared


def row(page: Page, cid: str) -> tuple[str, str]:
    """(the list row's classes, its state's words)."""
    item = page.locator(f'#cameras li[data-id="{cid}"]')
    return item.get_attribute("class") or "", item.locator(".camera-state").inner_text()


def test_a_live_camera_that_stops_counting_reads_stale_after_10_minutes(server: RunningServer,
                                                                        browser: Browser) -> None:
    api = TrafficApi()  # cam-1 live, its newest count in the minute before api.now; cam-2 offline
    page, errors = open_traffic(browser, server, api, Role.TRAFFIC_MANAGER, clock_at=api.now)
    loaded(page)
    assert row(page, "cam-1") == ("camera", "live")
    page.clock.run_for("08:00")  # 8 to 9 minutes since its last count
    assert row(page, "cam-1") == ("camera", "live")
    page.clock.run_for("04:00")  # 12 to 13: no event came, the page's own timer looked again
    classes, words = row(page, "cam-1")
    assert classes == "camera stale" and re.fullmatch(r"no count for 1[23] min", words), (classes, words)
    expect(page.locator(".camera-icon.stale")).to_have_count(1)
    assert row(page, "cam-2") == ("camera offline", "offline")

    # A count in the page's current minute brings it back; a camera that just went live is not stale for the
    # counts it missed while offline, only once it has been live 10 minutes without one.
    minute = math.floor(page.evaluate("Date.now() / 1000") / 60) * 60
    notify(server, "traffic_camera", {"camera": {"id": "cam-1", "live": True, "history": [[minute, 1, 0]]}})
    notify(server, "traffic_camera", {"camera": {"id": "cam-2", "live": True}})
    expect(page.locator('#cameras li[data-id="cam-1"] .camera-state')).to_have_text("live")
    expect(page.locator('#cameras li[data-id="cam-2"] .camera-state')).to_have_text("live")
    page.clock.run_for("11:30")  # cam-1: 10.5 to 11.5 min since its count ended; cam-2: 11.5 min live
    expect(page.locator('#cameras li[data-id="cam-2"]')).to_have_class("camera stale")
    expect(page.locator(".camera-icon.stale")).to_have_count(2)
    assert errors == []


def test_a_camera_live_for_20_minutes_without_a_count_reads_stale_at_once(server: RunningServer,
                                                                          browser: Browser) -> None:
    api = TrafficApi()
    page, errors = open_traffic(browser, server, api, Role.TRAFFIC_MANAGER, clock_at=api.now)
    loaded(page)
    # The server says cam-2 has been live since 20 min before the page's clock and has never counted: the page
    # must not date it from the moment it heard (it would read "live" for 10 more minutes).
    notify(server, "traffic_camera", {"camera": {"id": "cam-2", "live": True, "live_since": api.now - 1200,
                                                 "history": []}})
    expect(page.locator('#cameras li[data-id="cam-2"] .camera-state')).to_have_text("no count for 20 min")
    assert errors == []

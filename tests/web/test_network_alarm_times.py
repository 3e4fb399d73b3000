"""An alarm re-raised within its hold-down, on the network view in real chromium against a really started psn
(manual clock) on a real Mosquitto: the list says when it was raised again, not only when it was first raised
(a cell silent for 20 s read "raised 47 s ago", the age of an earlier outage of the same cell)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect

from psn.access import Role
from psn.clock import ManualClock
from tests.support import RunningServer, wait_for
from tests.web.test_network_page import clock, coverage_file, kpis, loaded, open_network, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
CELL = "DANGRI-1"


def test_a_reopened_alarm_says_when_it_came_back(
        server: RunningServer, clock: ManualClock, browser: Browser) -> None:  # noqa: F811
    netops = server.headers("police", Role.NETWORK_ADMIN)

    def silent() -> dict[str, Any] | None:
        rows = httpx.get(f"{server.base_url}/api/v1/net/alarms", headers=netops, params={"state": "all"}).json()
        return next((a for a in rows["alarms"] if a["kind"] == "cell_silent" and a["target"] == CELL), None)

    kpis(server, clock, [CELL])
    clock.advance(16.0)  # no KPI for more than 3 periods of 5 s: raised
    first = wait_for(lambda: (a := silent()) and a["state"] == "raised" and a)
    for _ in range(4):  # reporting again for more than the 30 s clear delay: cleared
        kpis(server, clock, [CELL])
        clock.advance(10.0)
    kpis(server, clock, [CELL])
    wait_for(lambda: silent()["state"] == "cleared")  # type: ignore[index]
    clock.advance(16.0)  # silent again within the 10 min hold-down: the same alarm re-opened
    again = wait_for(lambda: (a := silent()) and a["state"] == "raised" and a["count"] == 2 and a)
    assert again["raised"] == first["raised"] and again["changed"] - first["raised"] >= 56

    page, errors = open_network(browser, server, Role.NETWORK_ADMIN, clock_at=clock.time())
    loaded(page)
    item = page.locator("#alarms li.alarm", has_text=CELL)
    expect(item).to_contain_text(re.compile(r"raised \d\d:\d\d, again \d\d:\d\d \(\d+ s ago\)"))
    assert int(re.search(r"again \d\d:\d\d \((\d+) s ago\)", item.inner_text()).group(1)) < 56  # type: ignore[union-attr]
    assert errors == []

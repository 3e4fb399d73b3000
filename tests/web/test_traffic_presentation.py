"""What a traffic operator reads on /traffic without knowing the code: the legend says what each level means,
charts have axes with units, an empty alert list says when an alert would come and its count is not red.
Real psn and chromium; the REST answers by the contract (`traffic_contract.py`), whose numbers the expected
labels below are worked out from by hand."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from psn.access import Role
from tests.support import RunningServer
from tests.web.test_traffic_view import browser, loaded, open_traffic, server
from tests.web.traffic_contract import TrafficApi

__all__ = ["browser", "server"]  # the module's fixtures, shared

# traffic.speeds.Level's thresholds on speed / free flow (.75, .5, .25), as the legend must word them.
LEGEND = ["free ≥ 75 %", "slow 50–75 %", "congested 25–50 %", "jammed < 25 %", "no data"]


def axis_labels(page: Page, selector: str) -> list[str]:
    return page.locator(f"{selector} svg text.chart-axis").all_text_contents()


def test_legend_and_charts_say_what_their_numbers_are(server: RunningServer, browser: Browser) -> None:
    api = TrafficApi()
    page, errors = open_traffic(browser, server, api, Role.TRAFFIC_MANAGER)
    loaded(page)
    assert page.locator("#legend .legend-title").inner_text() == "Speed / free flow"
    items = [" ".join(t.split()) for t in page.locator("#legend .legend-item").all_inner_texts()]
    assert items == LEGEND
    # Segment 2: history bins 40..70 km/h, free flow 80: the axis runs 0 to 80 km/h, 6 h of times under it.
    page.evaluate("window.trafficState.details.open(2)")
    expect(page.locator("#segment-chart svg text.chart-axis")).to_have_count(4)
    assert axis_labels(page, "#segment-chart")[:2] == ["80 km/h", "0"]
    # The corridor: 60 min free flow, at most 3600 + 900 s (75 min) over its 6 h.
    assert axis_labels(page, "#corridors li")[:2] == ["75 min", "0"]
    # cam-1: 30 minutes with counts, the last 30 before this one; busiest 8 one way (5 + 3).
    assert axis_labels(page, '#cameras li[data-id="cam-1"]')[:2] == ["8 veh/min", "0"]
    expect(page.locator('#cameras li[data-id="cam-1"] rect')).to_have_count(60)
    # Bars stand at their minute in the last hour (a 192 px plot from x=66 to 258 of the 260), not one after
    # another: the oldest, 30 min before this minute, starts 1740 s into the hour that ends with this minute.
    xs = [float(x) for x in page.locator('#cameras li[data-id="cam-1"] rect').evaluate_all(
        "rects => rects.map((r) => r.getAttribute('x'))")]
    assert abs(min(xs) - (66 + 192 * 1740 / 3600)) <= 4  # 3.3 px: this minute may have turned since api.now
    expect(page.locator('#cameras li[data-id="cam-1"]')).to_contain_text(
        "Vehicles per minute, last hour (dark: to Belmopan, light: to Belize City)")
    assert errors == []


def test_no_active_alert_reads_calm_and_says_what_would_raise_one(server: RunningServer, browser: Browser) -> None:
    api = TrafficApi()
    api.alerts = {}
    page, errors = open_traffic(browser, server, api, Role.TRAFFIC_MANAGER)
    loaded(page)
    expect(page.locator("#alerts-count")).to_have_text("0")
    expect(page.locator("#alerts-count")).to_have_class("none")
    expect(page.locator("#alerts-empty")).to_contain_text("half its usual speed")
    api2 = TrafficApi()  # one active alert: the count is red again
    page2, _ = open_traffic(browser, server, api2, Role.TRAFFIC_MANAGER)
    loaded(page2)
    expect(page2.locator("#alerts-count")).to_have_text("1")
    expect(page2.locator("#alerts-count")).not_to_have_class("none")
    # Both alerts are on edge 2, drawn from EAST to WEST along one latitude: which way is on the row.
    # Their piece starts 3,000 m along the edge (the fake answers' from_m).
    expect(page2.locator("#alerts li .alert-where")).to_have_text(["Western Hwy westbound (from 3.0 km)"] * 2)
    assert errors == []


def test_a_corridor_says_what_its_numbers_are_and_when_too_little_is_measured(
        server: RunningServer, browser: Browser) -> None:
    page, errors = open_traffic(browser, server, TrafficApi(), Role.TRAFFIC_MANAGER)
    loaded(page)
    row = page.locator("#corridors li").first
    # The contract's corridor: index 1.3, coverage 0.6, level slow.
    expect(row.locator(".corridor-meta")).to_have_text("slow 1.30 × free-flow time · measured on 60% of the route")
    # The same corridor with a live row measured on 4 % of its length: no level to trust.
    page.evaluate("""() => window.trafficState.corridors.update([{id: "bzc-bmp", travel_s: 3700, index: 1.03,
        coverage: 0.04, level: "free"}], Date.now() / 1000)""")
    expect(row.locator(".corridor-meta")).to_have_text(
        "too little data 1.03 × free-flow time · measured on 4% of the route")
    expect(row).to_have_attribute("data-level", "unknown")
    assert errors == []

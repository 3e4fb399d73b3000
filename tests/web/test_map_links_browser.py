"""A unit's radio link in the live map's details panel, in a real browser against a real psn fed over MQTT: the
links known when the page opens (GET /api/v1/net/links) and a later one (a `net_link` live event); the link's age,
greyed once older than 3 periods (Playwright's clock)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import chromium
from tests.support import RunningServer, publish, wait_for
from tests.web.test_map_browser import open_map

pytestmark = pytest.mark.browser


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def link(unit: str, cell: str | None, ul: float, rsrp: float | None, sinr: float | None,
         uplifted: bool) -> dict[str, object]:
    return {"agency": "police", "unit": unit, "ts": time.time(), "cell": cell, "rsrp_dbm": rsrp, "sinr_db": sinr,
            "ul_mbps": ul, "dl_mbps": 0.2, "arp": 1 if uplifted else 9, "uplifted": uplifted}


def fields(page: Page) -> dict[str, str]:
    rows: dict[str, str] = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('#panel-fields dd')]"
        ".map((dd) => [dd.dataset.field, dd.textContent]))")
    return {k: v for k, v in rows.items() if k in ("serving-cell", "rsrp", "sinr", "uplink", "uplifted")}


def test_the_details_panel_shows_the_units_link(psn_server: RunningServer, browser: Browser,
                                                publish_fix: Callable[..., None]) -> None:
    for unit, lat in (("P-101", 17.50), ("P-102", 17.25)):
        publish_fix(psn_server.mqtt_url, "police", unit, lat, -88.2)
    publish(psn_server.mqtt_url, "psn/v1/net/ue/police/P-101/link",
            link("P-101", "BZE-PMD-1", 1.08, -97.54, 12.3, True), mqtt5=False)
    wait_for(lambda: psn_server.server.net_kpis.latest_link("police/P-101") is not None)
    page, errors = open_map(browser, psn_server, "2 units")

    page.evaluate("id => window.psnMap.select(id)", "police/P-101")
    expect(page.locator("#panel-title")).to_have_text("police/P-101")
    expect(page.locator("#panel-fields dd[data-field=serving-cell]")).to_have_text("BZE-PMD-1")
    assert fields(page) == {"serving-cell": "BZE-PMD-1", "rsrp": "-97.5 dBm", "sinr": "12.3 dB",
                            "uplink": "1.08 Mbit/s", "uplifted": "yes"}

    # The unit drives out of coverage: the live event reaches the open panel.
    publish(psn_server.mqtt_url, "psn/v1/net/ue/police/P-101/link", link("P-101", None, 0.0, None, None, False),
            mqtt5=False)
    expect(page.locator("#panel-fields dd[data-field=serving-cell]")).to_have_text("no coverage")
    assert fields(page) == {"serving-cell": "no coverage", "rsrp": "—", "sinr": "—", "uplink": "0.00 Mbit/s",
                            "uplifted": "no"}

    # A unit the network has not reported on shows no link rows at all.
    page.evaluate("id => window.psnMap.select(id)", "police/P-102")
    expect(page.locator("#panel-title")).to_have_text("police/P-102")
    assert fields(page) == {}
    assert errors == []


def test_a_link_no_longer_reported_shows_its_age_greyed(psn_server: RunningServer, browser: Browser,
                                                      publish_fix: Callable[..., None]) -> None:
    publish_fix(psn_server.mqtt_url, "police", "P-103", 17.5, -88.2)
    sent = link("P-103", "BZE-PMD-2", 0.5, -101.0, 4.0, False)
    publish(psn_server.mqtt_url, "psn/v1/net/ue/police/P-103/link", sent, mqtt5=False)
    wait_for(lambda: psn_server.server.net_kpis.latest_link("police/P-103") is not None)
    assert psn_server.settings.net_kpi_period_s == 5.0  # greyed after 3 periods: 15 s
    # The browser's clock starts a minute early (opening the map takes seconds), then stands still 4 s after the
    # report.
    page, errors = open_map(browser, psn_server, "1 unit", clock_at=float(sent["ts"]) - 60)
    page.clock.pause_at(float(sent["ts"]) + 4)
    page.evaluate("id => window.psnMap.select(id)", "police/P-103")
    age = page.locator("#panel-fields dd[data-field=link-report]")
    expect(age).to_have_text("4 s ago")
    expect(page.locator("#panel-fields dd.old-link")).to_have_count(0)

    page.clock.run_for(11_000)  # 15 s: 3 periods exactly, not older yet
    expect(age).to_have_text("15 s ago")
    expect(page.locator("#panel-fields dd.old-link")).to_have_count(0)
    page.clock.run_for(2_000)  # the unit left: no report for more than 3 periods
    expect(age).to_have_text("17 s ago · no longer reported")
    expect(page.locator("#panel-fields dd.old-link")).to_have_count(6)
    assert page.locator("#panel-fields dd[data-field=serving-cell]").evaluate(
        "dd => getComputedStyle(dd).color") == "rgb(107, 107, 107)"
    assert errors == []

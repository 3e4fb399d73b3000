"""A unit's radio link in the live map's details panel, in a real browser against a real psn fed over MQTT: the
links known when the page opens (GET /api/v1/net/links) and a later one (a `net_link` live event)."""

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

"""Uplifts on the network view, in real chromium against a really started psn on a real Mosquitto. The dialog's
incident choice: a dispatcher picks one of the open incidents it may view (no id to remember), sees which units
are on it before asking, is told when none is, and the uplift covers exactly those units; another agency's
incident is not offered. An uplift in force says, per unit, whether the network's link reports show it applied."""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import Browser, expect

from psn.access import Role
from psn.clock import ManualClock
from tests.psn.cad.incidents_http import assign, new_incident
from tests.support import RunningServer, publish_fix, publisher, wait_for
from tests.web.test_network_page import clock, coverage_file, loaded, open_network, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_a_dispatcher_picks_an_open_incident_and_sees_its_units(
        server: RunningServer, clock: ManualClock, browser: Browser) -> None:  # noqa: F811
    for agency, unit in (("police", "P-1"), ("police", "P-2"), ("fire", "F-1")):
        publish_fix(server.mqtt_url, agency, unit, 17.25, -88.77, ts=clock.time())
    wait_for(lambda: len(server.units()) == 3)
    police = server.token("police", Role.DISPATCHER, name="police.dispatcher")
    robbery = new_incident(server, police, "robbery", 17.25, -88.77)
    assign(server, police, robbery, "police/P-1", "police/P-2")
    quiet = new_incident(server, police, "other", 17.3, -88.7)
    fire = new_incident(server, server.token("fire", Role.DISPATCHER, name="fire.dispatcher"), "fire", 17.2, -88.8)

    page, errors = open_network(browser, server, Role.DISPATCHER)
    loaded(page)
    page.click("#uplift-open")
    page.check('input[name="which"][value="incident"]')
    # The open incidents police may view, most urgent first: the robbery (priority 2 like the other, older).
    expect(page.locator("#uplift-incidents option")).to_have_count(2)
    assert page.eval_on_selector_all("#uplift-incidents option", "os => os.map((o) => o.value)") == [robbery, quiet]
    assert fire not in page.inner_html("#uplift-incidents")
    page.fill("#uplift-incident", quiet)
    expect(page.locator("#uplift-incident-units")).to_have_text(
        "No unit is on it now: assign units to it first (Map & console).")
    page.fill("#uplift-incident", robbery)
    expect(page.locator("#uplift-incident-units")).to_have_text("On it now: police/P-1, police/P-2")
    page.fill("#uplift-reason", "armed robbery in progress")
    page.click("#uplift-submit")
    expect(page.locator("#uplifts li.uplift")).to_contain_text(f"incident {robbery}: police/P-1, police/P-2")
    [row] = httpx.get(f"{server.base_url}/api/v1/net/uplifts",
                      headers=server.headers("police", Role.DISPATCHER)).json()["uplifts"]
    assert (row["incident"], row["units"]) == (robbery, ["police/P-1", "police/P-2"])
    assert errors == []


def link(psn: RunningServer, unit: str, ts: float, arp: int, ul_mbps: float, uplifted: bool,
         cell: str | None = "BELMOP-1") -> None:
    """A link report of `unit` as the equipment sends it (docs/protocol.md), back once psn holds it."""
    agency, name = unit.split("/")
    body = {"agency": agency, "unit": name, "ts": ts, "cell": cell, "rsrp_dbm": -92.0, "sinr_db": 11.0,
            "ul_mbps": ul_mbps, "dl_mbps": 0.2, "arp": arp, "uplifted": uplifted}
    client = publisher(psn.mqtt_url)
    client.publish(f"psn/v1/net/ue/{agency}/{name}/link", json.dumps(body), qos=1).wait_for_publish(10)
    client.disconnect()
    client.loop_stop()
    wait_for(lambda: (k := psn.server.net_kpis.latest_link(unit)) is not None and k.ts == ts)


def test_an_uplift_says_which_units_the_network_has_uplifted(
        server: RunningServer, clock: ManualClock, browser: Browser) -> None:  # noqa: F811
    for unit in ("P-1", "P-2"):
        publish_fix(server.mqtt_url, "police", unit, 17.25, -88.77, ts=clock.time())
    wait_for(lambda: len(server.units()) == 2)
    link(server, "police/P-1", clock.time() - 1, arp=6, ul_mbps=0.05, uplifted=False)  # before: no evidence
    page, errors = open_network(browser, server, Role.DISPATCHER)
    loaded(page)
    asked = httpx.post(f"{server.base_url}/api/v1/net/uplifts", headers=server.headers("police", Role.DISPATCHER),
                       json={"units": ["police/P-1", "police/P-2"], "reason": "pursuit"})
    assert asked.status_code == 201, asked.text
    row = page.locator("#uplifts li.uplift")
    expect(row.locator(".uplift-unit")).to_have_text(["police/P-1 · no link report since it started",
                                                      "police/P-2"])
    link(server, "police/P-1", clock.time() + 1, arp=1, ul_mbps=2.4, uplifted=True)
    link(server, "police/P-2", clock.time() + 1, arp=6, ul_mbps=0.05, uplifted=False)
    expect(row.locator(".uplift-unit")).to_have_text(["police/P-1 ✓ uplifted: ARP 1, 2.4 Mbit/s up",
                                                      "police/P-2 · not uplifted yet: ARP 6, 0.05 Mbit/s up"])
    link(server, "police/P-2", clock.time() + 2, arp=1, ul_mbps=1.2, uplifted=True)
    expect(row.locator(".uplift-unit").nth(1)).to_have_text("police/P-2 ✓ uplifted: ARP 1, 1.2 Mbit/s up")
    # Out of coverage, an uplift carries nothing: said so, not "✓ uplifted: 0.00 Mbit/s".
    link(server, "police/P-1", clock.time() + 3, arp=1, ul_mbps=0.0, uplifted=True, cell=None)
    expect(row.locator(".uplift-unit").first).to_have_text("police/P-1 · out of coverage: no cell serves it")
    assert errors == []

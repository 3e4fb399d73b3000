"""The network view `/network` in real chromium against a really started psn (manual clock) on a real Mosquitto:
a network admin sees the shipped plan's cells coloured from KPIs published over MQTT, a silent cell grey, an
alarm arrive live and acknowledges it from the page, a cell's charts; a dispatcher asks for an uplift (refused
for another agency's unit, then granted), watches its countdown (Playwright's clock), cancels it, sees one
expire, and the retained policy on the broker follows; a field officer is told why not; an agency admin sees its
agency's devices only."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from psn.access import Role
from psn.clock import ManualClock
from tests.psn.net.qos_support import Equipment
from tests.radio_map import write_map
from tests.support import Mosquitto, RunningServer, make_settings, publish_fix, publisher, wait_for
from tests.web.console_pages import doc_image

pytestmark = pytest.mark.browser
PLAN = Path(__file__).resolve().parents[2] / "simulator" / "data" / "belize-band14-plan.json"
LAPTOP = {"width": 1366, "height": 768}
# (UL, DL) PRB utilisation of each cell's KPIs, and the level the legend gives it: the busier of the two against
# 0.50, 0.70 and 0.85, written out here by hand.
LOADS = {
    "BELMOP-1": ((0.20, 0.31), "low"),
    "PUNTAG-2": ((0.55, 0.10), "medium"),
    "DANGRI-1": ((0.40, 0.72), "high"),
    "COROZA-3": ((0.90, 0.60), "full"),
}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(time.time())


@pytest.fixture
def coverage_file(tmp_path: Path) -> Path | None:
    """The hand-made coverage map of tests/radio_map.py (a test parametrized with None runs without one)."""
    return write_map(tmp_path / "coverage.npz")


@pytest.fixture
def server(tmp_path: Path, mosquitto: Mosquitto, clock: ManualClock,
           coverage_file: Path | None) -> Iterator[RunningServer]:
    running = RunningServer(make_settings(tmp_path, mosquitto.url, coverage_file=coverage_file), clock).start()
    answer = httpx.post(f"{running.base_url}/api/v1/net/inventory/import", params={"format": "plan"},
                        content=PLAN.read_bytes(), headers=running.headers("police", Role.NETWORK_ADMIN))
    assert answer.status_code == 200, answer.text
    yield running
    running.stop()


def kpis(server: RunningServer, clock: ManualClock, cells: list[str], scale: float = 1.0, **change: Any) -> None:
    """One KPI of each cell at psn's now (its table's load times `scale`), over MQTT; back once psn holds them."""
    ts = clock.time()
    client = publisher(server.mqtt_url)
    for cell in cells:
        (ul, dl), _level = LOADS[cell]
        body = {"cell": cell, "ts": ts, "connected_ues": round(12 * scale), "prb_util_ul": round(ul * scale, 3),
                "prb_util_dl": round(dl * scale, 3), "thr_ul_mbps": round(6 * scale, 2),
                "thr_dl_mbps": round(15 * scale, 2), "bearers_rejected": 0, "bearers_preempted": 0, **change}
        client.publish(f"psn/v1/net/cell/{cell}/kpi", json.dumps(body), qos=1).wait_for_publish(10)
    client.disconnect()
    client.loop_stop()
    wait_for(lambda: all((k := server.server.net_kpis.latest_kpi(c)) is not None and k.ts == ts for c in cells))
    assert server.server.bus.flush()


def history(server: RunningServer, clock: ManualClock, rounds: int) -> None:
    """A KPI of every cell each 5 s of psn's clock, their loads rising and falling (always under 0.85 of the
    table's, so no load alarm): the charts have lines to draw."""
    for n in range(rounds):
        kpis(server, clock, list(LOADS), scale=0.45 + 0.35 * math.sin(n / 5))
        clock.advance(5.0)


def open_network(browser: Browser, server: RunningServer, role: Role, agency: str = "police",
                 clock_at: float | None = None) -> tuple[Page, list[str]]:
    page = browser.new_context(viewport=LAPTOP).new_page()
    if clock_at is not None:
        page.clock.install(time=clock_at)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.base_url}/login?token={server.token(agency, role, name=f'{agency}.{role}')}")
    page.goto(f"{server.base_url}/network")
    expect(page.locator("#status")).to_contain_text("live ✓", timeout=20_000)
    return page, errors


def loaded(page: Page) -> None:
    wait_for(lambda: page.evaluate("window.netState && window.netState.loaded"), timeout=15)


def silent_for(words: str) -> int:
    """N of "no report for N s" (the page's clock runs on from psn's: N grows as the test runs)."""
    found = re.search(r"no report for (\d+) s", words)
    assert found, words
    return int(found.group(1))


def level(page: Page, cell: str) -> str:
    found: str = page.evaluate("(id) => window.netState.cells.level(id)", cell)
    return found


def test_netops_sees_loads_a_silent_cell_and_acknowledges_a_live_alarm(
        server: RunningServer, clock: ManualClock, browser: Browser) -> None:
    history(server, clock, 60)
    kpis(server, clock, list(LOADS))
    clock.advance(5.0)
    kpis(server, clock, list(LOADS))
    page, errors = open_network(browser, server, Role.NETWORK_ADMIN, clock_at=clock.time())
    loaded(page)
    for cell, (_load, expected) in LOADS.items():
        assert level(page, cell) == expected, cell
        expect(page.locator(f'.cell-icon[data-cell="{cell}"] svg')).to_have_attribute("data-level", expected)
    assert level(page, "BZE-PMD-1") == "unknown"  # in the plan, never reported
    # A cell's new KPI recolours it live.
    clock.advance(1.0)
    kpis(server, clock, ["PUNTAG-2"], scale=1.6)  # UL 0.88
    expect(page.locator('.cell-icon[data-cell="PUNTAG-2"] svg')).to_have_attribute("data-level", "full")
    clock.advance(1.0)
    kpis(server, clock, ["PUNTAG-2"])
    expect(page.locator('.cell-icon[data-cell="PUNTAG-2"] svg')).to_have_attribute("data-level", "medium")
    # The coverage overlay, switched on: one area per class of the hand-made map.
    page.get_by_label("Radio coverage").check()
    for cls in ("good", "fair", "poor"):
        expect(page.locator(f"path.coverage-{cls}")).to_have_count(1)
    page.get_by_label("Radio coverage").uncheck()
    expect(page.locator("#summary")).to_contain_text("165 cells: 4 reporting · 161 never reported")
    expect(page.locator("#alarms-empty")).to_be_visible()
    expect(page.locator("#worst")).to_be_hidden()

    # The equipment rejects bearers on BELMOP-1: the alarm comes live, the wedge gets its ring.
    kpis(server, clock, ["BELMOP-1"], bearers_rejected=2)
    item = page.locator("#alarms li.alarm")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Bearers rejected")
    expect(item).to_contain_text("BELMOP-1")
    expect(item).to_contain_text("not acknowledged")
    expect(page.locator('.cell-icon[data-cell="BELMOP-1"] svg')).to_have_attribute("data-alarm", "true")
    expect(page.locator("#worst")).to_contain_text("major · Bearers rejected · BELMOP-1")
    item.locator("button.ack").click()
    expect(item).to_contain_text(f"acknowledged by police.{Role.NETWORK_ADMIN}")
    expect(item.locator("button.ack")).to_have_count(0)
    listed = httpx.get(f"{server.base_url}/api/v1/net/alarms", headers=server.headers("police", Role.NETWORK_ADMIN))
    assert [(a["target"], a["state"]) for a in listed.json()["alarms"]] == [("BELMOP-1", "acknowledged")]
    page.click("#alarm-history")
    expect(page.locator("#alarms-history li")).to_have_count(1)
    expect(page.locator("#alarms-history li")).to_contain_text("acknowledged · raised")
    page.click("#alarm-history")

    # A network admin sees every uplift but asks for none: the button is off and says why.
    page.click("#tab-uplifts")
    expect(page.locator("#uplift-open")).to_be_disabled()
    expect(page.locator("#uplift-why")).to_contain_text("Your role cannot request uplifts")
    page.click("#tab-alarms")

    # DANGRI-1 stops reporting while the others go on: 16 s after its last KPI it is silent and grey.
    clock.advance(8.0)
    kpis(server, clock, ["BELMOP-1", "PUNTAG-2", "COROZA-3"])
    clock.advance(8.0)
    page.clock.run_for(16_000)
    expect(page.locator('.cell-icon[data-cell="DANGRI-1"] svg')).to_have_attribute("data-level", "silent")
    expect(page.locator("#summary")).to_contain_text(re.compile(r"1 silent: DANGRI-1 \(no report for \d+ s\)"))
    assert 16 <= silent_for(page.locator("#summary").inner_text()) < 60  # its last KPI was 16 s of psn's ago
    expect(page.locator("#worst")).to_contain_text("critical · Cell silent · DANGRI-1")
    # Most severe first, though raised last.
    assert page.locator("#alarms li.alarm .alarm-target").all_inner_texts() == ["DANGRI-1", "BELMOP-1"]

    # The worst alarm is one click away: its cell's panel opens with its alarms and charts.
    page.evaluate("() => window.netState.map.once('moveend', () => { window.flown = true; })")
    page.click("#worst")
    expect(page.locator("#cell-title")).to_have_text("DANGRI-1")
    expect(page.locator("#cell-state")).to_contain_text(re.compile(r"Silent: no report for \d+ s"))
    assert 16 <= silent_for(page.locator("#cell-state").inner_text()) < 60
    expect(page.locator("#cell-identity")).to_contain_text("Azimuth0°")
    expect(page.locator("#cell-identity")).to_contain_text("BandLTE Band 14 (LTE)")
    expect(page.locator("#cell-alarms")).to_contain_text("Cell silent")
    # Its numbers are those of its last report and say so, greyed: not the cell's load now.
    expect(page.locator("#cell-kpi")).to_contain_text(re.compile(r"Last report\d+ s ago: it is silent since"))
    expect(page.locator("#cell-kpi")).to_have_class(re.compile(r"\bstale\b"))
    expect(page.locator("#cell-charts")).to_contain_text(re.compile(r"[1-9]\d* points?, one per 15 s"))
    expect(page.locator("#cell-charts svg.chart path")).to_have_count(5)  # UL+DL utilisation, UL+DL rate, UEs
    wait_for(lambda: page.evaluate("window.flown === true"))  # the map flew to it
    page.screenshot(path=str(doc_image("network.png")))

    # A click on a wedge opens that cell; its charts follow the window chosen.
    page.click("#cell-close")
    page.evaluate("() => window.netState.map.setView([18.39375, -88.38849], 12, {animate: false})")
    page.locator('.cell-icon[data-cell="COROZA-3"] path.wedge').click()
    expect(page.locator("#cell-title")).to_have_text("COROZA-3")
    expect(page.locator("#cell-kpi")).not_to_have_class(re.compile(r"\bstale\b"))
    expect(page.locator("#cell-kpi")).to_contain_text("PRBs UL / DL90 % / 60 %")
    expect(page.locator("#cell-kpi")).to_contain_text("Throughput UL / DL6.0 Mbit/s / 15.0 Mbit/s")
    page.click('#cell-window button[data-window="86400"]')
    expect(page.locator("#cell-charts")).to_contain_text("one per 10 min")
    expect(page.locator("#cell-charts svg.chart circle").first).to_be_visible()  # one 10-min point: its dot
    page.locator('.cell-icon[data-cell="COROZA-1"]').focus()  # from the keyboard
    page.keyboard.press("Enter")
    expect(page.locator("#cell-title")).to_have_text("COROZA-1")
    assert errors == []


def test_a_dispatcher_uplifts_watches_the_countdown_and_cancels(
        server: RunningServer, clock: ManualClock, browser: Browser, mosquitto: Mosquitto, artifacts: Path) -> None:
    for agency, unit in (("police", "P-1"), ("police", "P-2"), ("fire", "F-1")):
        publish_fix(server.mqtt_url, agency, unit, 17.25, -88.77, ts=clock.time())
    # fire lets police see its units (not manage their QoS): F-1 is on the dispatcher's list but not uplifted.
    shared = httpx.post(f"{server.base_url}/api/v1/sharing/agreements",
                        json={"grantee": "police", "resources": ["unit"]}, headers=server.headers("fire", Role.ADMIN))
    assert shared.status_code == 201, shared.text
    wait_for(lambda: len(server.units()) == 3)
    equipment = Equipment(mosquitto.url)
    page, errors = open_network(browser, server, Role.DISPATCHER, clock_at=clock.time())
    loaded(page)
    expect(page.locator("#no-network")).to_contain_text("does not see the network's cells and alarms")
    expect(page.locator("#legend")).to_be_hidden()
    expect(page.locator("#tab-alarms")).to_be_hidden()
    expect(page.locator("button.ack")).to_have_count(0)
    expect(page.locator("#uplifts-empty")).to_be_visible()

    page.click("#uplift-open")
    page.check('input[name="which"][value="incident"]')
    page.fill("#uplift-incident", "police-99999")
    page.fill("#uplift-reason", "armed robbery in progress")
    page.click("#uplift-submit")
    expect(page.locator("#uplift-error")).to_have_text(
        "psn refused the uplift. Not found: no incident 'police-99999' that you may view")
    page.check('input[name="which"][value="units"]')
    page.fill("#uplift-reason", "")
    for unit in ("police/P-1", "police/P-2", "fire/F-1"):
        page.check(f'#uplift-units input[value="{unit}"]')
    page.click("#uplift-submit")
    expect(page.locator("#uplift-error")).to_have_text("Give a reason: it goes in the audit log.")
    page.fill("#uplift-reason", "armed robbery in progress")
    page.click("#uplift-submit")
    expect(page.locator("#uplift-error")).to_contain_text(
        "psn refused the uplift. Not allowed: not allowed to uplift fire/F-1:")
    page.screenshot(path=str(artifacts / "img" / "network-uplift-refused.png"))
    page.uncheck('#uplift-units input[value="fire/F-1"]')
    page.click("#uplift-submit")
    expect(page.locator("#uplift")).to_be_hidden()
    row = page.locator('#uplifts li[data-id="UP-1"]')
    expect(row).to_contain_text("police/P-1, police/P-2")
    expect(row.locator(".left")).to_have_text(re.compile(r"(30:00|29:[45]\d) left"))
    policy = equipment.wait(lambda d: "uplift" in d["units"].get("police/P-1", {}))
    assert policy["units"]["police/P-2"]["uplift"] == "UP-1"
    clock.advance(600.0)  # psn's clock and the browser's both run on 10 min
    page.clock.run_for("10:00")
    expect(row.locator(".left")).to_have_text(re.compile(r"(20:00|19:[45]\d) left"))
    page.screenshot(path=str(artifacts / "img" / "network-uplift.png"))

    row.locator("button.cancel").click()
    expect(page.locator("#uplifts li.uplift")).to_have_count(0)
    expect(page.locator("#uplifts-note")).to_contain_text("UP-1 ended (cancelled by police.dispatcher)")
    equipment.wait(lambda d: "police/P-1" not in d["units"] and "police/P-2" not in d["units"])

    # One for 15 min, by incident-less choice again; psn's clock passes its end: the event takes it off the list.
    page.click("#uplift-open")
    page.check('#uplift-units input[value="police/P-1"]')
    page.fill("#uplift-reason", "pursuit")
    page.select_option("#uplift-duration", "900")
    page.click("#uplift-submit")
    expect(page.locator('#uplifts li[data-id="UP-2"]')).to_be_visible()
    clock.advance(901.0)
    expect(page.locator("#uplifts li.uplift")).to_have_count(0)
    expect(page.locator("#uplifts-note")).to_contain_text("UP-2 ended (expired)")
    equipment.wait(lambda d: "police/P-1" not in d["units"])
    equipment.close()
    assert errors == []


@pytest.mark.parametrize("coverage_file", [None])
@pytest.mark.parametrize("skew_s", [600.0, -600.0])
def test_the_countdown_follows_psns_clock_not_a_skewed_browsers(
        server: RunningServer, clock: ManualClock, browser: Browser, skew_s: float) -> None:
    publish_fix(server.mqtt_url, "police", "P-1", 17.25, -88.77, ts=clock.time())
    wait_for(lambda: server.server.state.get("police/P-1"))
    answer = httpx.post(f"{server.base_url}/api/v1/net/uplifts", headers=server.headers("police", Role.DISPATCHER),
                        json={"units": ["police/P-1"], "reason": "pursuit", "duration_s": 1800})
    assert answer.status_code == 201, answer.text
    # The browser's clock is 10 min fast (or slow); psn's says 30 min are left, and so must the page.
    page, errors = open_network(browser, server, Role.DISPATCHER, clock_at=clock.time() + skew_s)
    loaded(page)
    left = page.locator(f'#uplifts li[data-id="{answer.json()["id"]}"] .left')
    expect(left).to_have_text(re.compile(r"(30:00|29:[0-5]\d) left"))
    assert errors == []


def test_a_field_officer_is_refused_with_the_reason(server: RunningServer, browser: Browser) -> None:
    page, errors = open_network(browser, server, Role.FIELD_OFFICER)
    expect(page.locator("#denied")).to_contain_text("The network view is not open to you: not allowed: no role of")
    expect(page.locator("#stage")).to_be_hidden()
    assert page.locator(".cell-icon").count() == 0
    assert errors == []


@pytest.mark.parametrize("coverage_file", [None])
def test_an_agency_admin_sees_its_devices_and_alarms_without_acknowledging(
        server: RunningServer, clock: ManualClock, browser: Browser, artifacts: Path) -> None:
    netops = server.headers("police", Role.NETWORK_ADMIN)
    for body in ({"id": "cam-7", "kind": "body_cam", "agency": "police", "imei": "490154203237518", "unit": "P-1",
                  "certificate": "a1b2"},
                 {"id": "fire-modem", "kind": "vehicle_modem", "agency": "fire", "imei": "356938035643809"}):
        answer = httpx.post(f"{server.base_url}/api/v1/net/inventory/devices", json=body, headers=netops)
        assert answer.status_code == 201, answer.text
    kpis(server, clock, ["BELMOP-1"], bearers_rejected=1)
    page, errors = open_network(browser, server, Role.ADMIN)
    loaded(page)
    expect(page.locator("#alarms li.alarm")).to_contain_text("Bearers rejected")
    expect(page.locator("button.ack")).to_have_count(0)  # admins view the network, network admins manage it
    expect(page.locator("#uplift-open")).to_be_enabled()
    # From the keyboard: Enter on the alarm opens its cell.
    page.locator("#alarms li.alarm").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#cell-title")).to_have_text("BELMOP-1")
    expect(page.locator("#cell")).to_be_visible()
    expect(page.locator("#cell-close")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#cell")).to_be_hidden()
    # No coverage map on this psn: switching the overlay on says so.
    page.get_by_label("Radio coverage").check()
    expect(page.locator("#notice")).to_contain_text("No coverage overlay: psn has no coverage map")
    page.click("#tab-devices")
    expect(page.locator("#devices-scope")).to_have_text("(your agency's)")
    rows = page.locator("#devices tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("cam-7")
    expect(rows.first).to_contain_text("police/P-1")
    expect(rows.first).to_contain_text("not issued by psn's CA")
    href = page.locator("#devices-export").get_attribute("href")
    csv = page.evaluate("(url) => fetch(url).then((r) => r.text())", href)
    assert [line.split(",")[0] for line in csv.strip().splitlines()[1:]] == ["cam-7"]

    # The other pages link here.
    page.goto(f"{server.base_url}/traffic")
    page.click("#nav-network")
    page.wait_for_url(f"{server.base_url}/network")
    expect(page.locator("#status")).to_contain_text("live ✓", timeout=20_000)

    # On a phone the lists go under the map; both stay usable.
    page.set_viewport_size({"width": 390, "height": 844})
    page.click("#tab-alarms")
    expect(page.locator("#map")).to_be_visible()
    page.locator("#alarms li.alarm").scroll_into_view_if_needed()
    expect(page.locator("#alarms li.alarm")).to_be_in_viewport()
    page.screenshot(path=str(artifacts / "img" / "network-phone.png"), full_page=True)
    assert errors == []

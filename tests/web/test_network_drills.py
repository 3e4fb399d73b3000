"""A trainer's drills on the network view, in real chromium against a really started psn on a real Mosquitto: the
Drills tab sends fault commands (POST /api/v1/net/faults) for the cells and sites of the shipped plan psn's
inventory holds, shows psn's refusal in plain words, clears what it injected; what reaches the broker's fault
topic is compared with the documents written out here. Who may not run drills (a dispatcher) sees no Drills tab;
a network admin sees it beside the alarms."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from psn.access import Role
from telemetry.topics import NET_FAULT_TOPIC
from tests.psn.net.network_support import Listener
from tests.support import RunningServer, wait_for
from tests.web.test_network_page import clock, coverage_file, loaded, open_network, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
PLAN = Path(__file__).resolve().parents[2] / "simulator" / "data" / "belize-band14-plan.json"
# The shipped plan as docs/network.md counts it: 55 sites of 3 sectors each.
SITES, CELLS = 55, 165


def test_a_trainer_injects_and_clears_faults_from_the_drills_tab(
        server: RunningServer, browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    listener = Listener(server.mqtt_url, NET_FAULT_TOPIC)
    page, errors = open_network(browser, server, Role.TRAINER, agency="nemo")
    try:
        loaded(page)
        expect(page.locator("#denied")).to_be_hidden()
        expect(page.locator("#tab-drills")).to_have_attribute("aria-selected", "true")
        for other in ("alarms", "uplifts", "devices"):
            expect(page.locator(f"#tab-{other}")).to_be_hidden()
        expect(page.locator("#no-network")).to_contain_text("drills")
        # The targets offered follow the fault: cells for cell_down, sites for site_down, both for backhaul.
        expect(page.locator("#drill-targets option")).to_have_count(CELLS)
        page.select_option("#drill-fault", "site_down")
        expect(page.locator("#drill-targets option")).to_have_count(SITES)
        expect(page.locator("#drill-targets option[value='BZE-BEL']")).to_have_count(1)

        # A site psn's inventory does not hold: psn's reason, in plain words, and nothing goes out.
        page.fill("#drill-target", "BZE-NOPE")
        page.click("#drill-send")
        expect(page.locator("#drill-error")).to_have_text(
            "psn refused the command. Check the command: target: no site 'BZE-NOPE' in the inventory")

        page.fill("#drill-target", "BZE-BEL")
        page.select_option("#drill-duration", "120")
        page.click("#drill-send")
        site_down = {"fault": "site_down", "target": "BZE-BEL", "action": "inject", "duration_s": 120}
        wait_for(lambda: listener.messages == [site_down])  # the refused command never went out
        expect(page.locator("#drill-error")).to_be_hidden()
        item = page.locator("#drills li").first
        expect(item).to_contain_text("Site down · BZE-BEL")
        expect(item).to_contain_text("for 2 min")

        # A slow backhaul needs what is left of its throughput; "until cleared" sends no duration.
        expect(page.locator("#drill-capacity")).to_be_hidden()
        page.select_option("#drill-fault", "backhaul")
        expect(page.locator("#drill-targets option")).to_have_count(CELLS + SITES)
        page.select_option("#drill-capacity", "0.3")
        page.fill("#drill-target", "BZE-CTR-1")
        page.select_option("#drill-duration", "")
        page.click("#drill-send")
        backhaul = {"fault": "backhaul", "target": "BZE-CTR-1", "action": "inject", "capacity": 0.3}
        wait_for(lambda: listener.messages == [site_down, backhaul])
        expect(page.locator("#drills li").first).to_contain_text("Slow backhaul · BZE-CTR-1")
        expect(page.locator("#drills li").first).to_contain_text("30 % of its throughput left, until cleared")

        # Clear: the site comes back before its 2 min are up.
        page.locator("#drills li", has_text="BZE-BEL").get_by_role("button", name="Clear now").click()
        wait_for(lambda: listener.messages[2:] == [{"fault": "site_down", "target": "BZE-BEL", "action": "clear"}])
        expect(page.locator("#drills li", has_text="BZE-BEL")).to_contain_text("cleared at")
        expect(page.locator("#drills li", has_text="BZE-BEL").get_by_role("button")).to_have_count(0)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(tmp_path / "drills-phone.png"), full_page=True)
        assert errors == []
    finally:
        listener.close()

    # From the other pages, the header's Network link leads a trainer here.
    page.goto(f"{server.base_url}/programme")
    expect(page.locator("#nav-network")).to_be_visible()
    page.context.close()


def test_drills_are_for_trainers_and_network_admins_only(
        server: RunningServer, browser: Browser) -> None:  # noqa: F811
    page, errors = open_network(browser, server, Role.DISPATCHER)
    loaded(page)
    expect(page.locator("#tab-uplifts")).to_be_visible()
    expect(page.locator("#tab-drills")).to_be_hidden()
    page.context.close()
    page, errors = open_network(browser, server, Role.NETWORK_ADMIN)
    loaded(page)
    expect(page.locator("#tab-alarms")).to_have_attribute("aria-selected", "true")
    page.click("#tab-drills")
    expect(page.locator("#drill-targets option")).to_have_count(CELLS)
    assert errors == []
    page.context.close()


def test_the_targets_route_answers_only_who_may_run_drills(server: RunningServer) -> None:  # noqa: F811
    url = f"{server.base_url}/api/v1/net/faults/targets"
    refused = httpx.get(url, headers=server.headers("police", Role.DISPATCHER))
    assert refused.status_code == 403 and "simulation" in refused.json()["detail"]
    plan = json.loads(PLAN.read_text())
    sites = sorted(s["id"] for s in plan["sites"])
    cells = sorted(f"{s['id']}-{k}" for s in plan["sites"] for k in range(1, len(s["sectors"]) + 1))
    answer = httpx.get(url, headers=server.headers("nemo", Role.TRAINER))
    assert answer.status_code == 200
    assert answer.json() == {"sites": sites, "cells": cells}

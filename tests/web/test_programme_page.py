"""The programme dashboard page `/programme` in real chromium against a real psn (two units reporting over
MQTT, a training recorded through the API): tiles with the figures the API gives, unavailable ones greyed with
the reason, the trend of the last 30 days, the refusal shown to a field officer, and the print layout."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from psn.access import Role
from tests.support import RunningServer, server_with_units, wait_for
from tests.web.console_pages import doc_image


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with server_with_units(Path(tmp_path_factory.mktemp("programme-page")),
                           [("police", "P-1"), ("fire", "F-1")]) as running:
        body = {"officer": "pc-101", "agency": "police", "course": "Body-worn cameras", "completed": time.time() - 60}
        answer = httpx.post(f"{running.base_url}/api/v1/kpi/programme/training", json=body,
                            headers=running.headers("police", Role.TRAINER))
        assert answer.status_code == 201, answer.text
        yield running


def open_programme(browser: Browser, server: RunningServer, role: Role) -> tuple[Page, list[str]]:
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.base_url}/login?token={server.token('police', role, name=f'programme.{role}')}")
    page.goto(f"{server.base_url}/programme")
    wait_for(lambda: page.evaluate("window.programmeState && window.programmeState.loaded"), timeout=15)
    return page, errors


def test_network_admin_sees_tiles_and_reasons(server: RunningServer, browser: Browser) -> None:
    page, errors = open_programme(browser, server, Role.NETWORK_ADMIN)
    expect(page.locator("#generated")).to_contain_text("national totals")
    units = page.locator('.tile[data-id="units_active_now"]')
    expect(units.locator(".value")).to_have_text("2units")
    expect(units.locator(".parts")).to_have_text("fire 1 · police 1")
    expect(units.locator(".source")).to_contain_text("source: the newest fix or status")
    trained = page.locator('.tile[data-id="trainings_30d"]')
    expect(trained.locator(".value")).to_have_text("1courses")
    assert trained.locator("svg rect").count() == 30
    offences = page.locator('.tile[data-id="offences_intercepted"]')
    expect(offences).to_have_class("tile unavailable")
    expect(offences.locator(".why")).to_contain_text("not available yet — not recorded yet")
    assert offences.locator(".value").count() == 0  # never a zero for what is not known
    expect(page.locator('.tile[data-id="cells_up"] .why')).to_contain_text("no cell is in the inventory")
    page.screenshot(path=str(doc_image("programme.png")), full_page=True)
    page.emulate_media(media="print")
    expect(page.locator("#print")).to_be_hidden()
    expect(page.locator(".tile").first).to_be_visible()
    assert errors == []


def test_a_field_officer_is_told_why_not(server: RunningServer, browser: Browser) -> None:
    page, errors = open_programme(browser, server, Role.FIELD_OFFICER)
    expect(page.locator("#denied")).to_contain_text("not open to you: not allowed")
    assert page.locator(".tile").count() == 0
    assert errors == []


def test_a_trainer_moves_between_traffic_and_programme(server: RunningServer, browser: Browser) -> None:
    page, errors = open_programme(browser, server, Role.TRAINER)
    expect(page.locator("#generated")).to_contain_text("national totals")
    expect(page.locator("#nav-programme")).to_have_attribute("aria-current", "page")
    page.click("#nav-traffic")
    page.wait_for_url(f"{server.base_url}/traffic")
    page.click("#nav-programme")
    page.wait_for_url(f"{server.base_url}/programme")
    expect(page.locator('.tile[data-id="officers_trained"] .value')).to_have_text("1officers")
    assert errors == []

"""Shared by the console's browser tests: a signed-in console page, the page pixels of a map position."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.support import RunningServer

ROOT = Path(__file__).resolve().parents[2]
# The browser tests' screenshots are the docs' pictures, but `make test` rewrote five tracked PNGs on every run (a
# clean clone came out dirty): they go to test-artifacts/img unless PSN_DOC_SCREENSHOTS=1 asks for docs/img.
DOC_SCREENSHOTS = "PSN_DOC_SCREENSHOTS"


def doc_image(name: str) -> Path:
    """Where a test writes the screenshot `name` that the docs show (its folder made)."""
    folder = ROOT / "docs" / "img" if os.environ.get(DOC_SCREENSHOTS) == "1" else ROOT / "test-artifacts" / "img"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name
DESKTOP: ViewportSize = {"width": 1400, "height": 900}


def open_console(browser: Browser, server: RunningServer, agency: str, name: str,
                 viewport: ViewportSize = DESKTOP) -> tuple[Page, list[str]]:
    """Signs a dispatcher in by token link and waits for the live picture and the console's first load."""
    page = browser.new_context(viewport=viewport).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.base_url}/login?token={server.token(agency, name=name)}")
    expect(page.locator("#status")).to_contain_text("live ✓", timeout=20_000)
    expect(page.locator("#user-name")).to_contain_text(name)
    return page, errors


def map_point(page: Page, lat: float, lon: float) -> dict[str, float]:
    """Page pixels of a map position, as a user aims the mouse."""
    point: dict[str, float] = page.evaluate(
        """([lat, lon]) => { const m = window.psnMap.map; const p = m.latLngToContainerPoint([lat, lon]);
             const box = m.getContainer().getBoundingClientRect(); return {x: box.left + p.x, y: box.top + p.y}; }""",
        [lat, lon])
    return point

"""Where the sign-in page sends a browser: back to the page that asked (`?next=`, a path of this site only), to
the phone app for an officer, to the map for everyone else (real chromium, real psn)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser import chromium
from tests.support import RunningServer, server_with_units

PASSWORD = "a long test password"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with server_with_units(Path(tmp_path_factory.mktemp("login")), []) as running:
        users = running.server.users
        users.add("officer", "police", ["field_officer"], PASSWORD, running.settings.agencies)
        users.add("dispatch", "police", ["dispatcher"], PASSWORD, running.settings.agencies)
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.mark.parametrize(("start", "user", "lands_on"), [
    ("/phone", "dispatch", "/phone"),  # the phone asked: back to it, whoever signs in
    ("/login", "officer", "/phone"),  # an officer and nothing else: the phone app
    ("/login", "dispatch", "/"),
    ("/login?next=//evil.example/x", "dispatch", "/"),  # another site: never
    ("/login?next=https://evil.example/", "officer", "/phone"),
    ("/login?next=/%5Cevil.example", "dispatch", "/"),
])
def test_sign_in_lands_where_expected(server: RunningServer, browser: Browser, start: str, user: str,
                                      lands_on: str) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(server.base_url + start)
        page.fill("input[name=name]", user)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.base_url}{lands_on}", timeout=10_000)
    finally:
        context.close()

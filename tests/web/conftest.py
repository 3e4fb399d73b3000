"""Browser tests: one headless Debian chromium per test (a module may define its own `browser`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.browser import chromium


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched

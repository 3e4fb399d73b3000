"""A running psn for the incident tests, its incident book on a manual clock (hand-written timestamps)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from psn.clock import ManualClock
from tests.support import Mosquitto, RunningServer, make_settings

T0 = 1_764_000_000.0  # the manual clock's start: 2025-11-24 15:20:00 UTC


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def server(tmp_path: Path, mosquitto: Mosquitto, clock: ManualClock) -> Iterator[RunningServer]:
    running = RunningServer(make_settings(tmp_path, mosquitto.url))
    book = running.server.cad.incidents
    book.ctx = dataclasses.replace(book.ctx, clock=clock)
    running.start()
    yield running
    running.stop()

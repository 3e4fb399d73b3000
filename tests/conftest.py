"""Fixtures that start real components: Mosquitto, PostgreSQL databases, the psn server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.phone_support import Seen, start_server
from tests.support import Mosquitto, RunningServer, make_settings, postgres_database, publish_fix
from video.aiortc_compat import offer_host_addresses

# Two shared cores and parallel work make timings noisy: judge properties, not speed.
settings.register_profile("psn", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("psn")


@pytest.fixture(autouse=True, scope="session")
def loopback_ice() -> Iterator[None]:
    """WebRTC peers in tests (psn's and the test clients') offer 127.0.0.1 only: aioice's default is every
    interface's address except loopback, and tests target loopback only."""
    offer_host_addresses(["127.0.0.1"])
    yield
    offer_host_addresses([])


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    broker = Mosquitto(tmp_path).start()
    yield broker
    broker.stop()


@pytest.fixture
def pg_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture
def psn_server(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[RunningServer]:
    """psn on a free port, ingesting from a private Mosquitto, storing in SQLite under tmp_path."""
    server = RunningServer(make_settings(tmp_path, mosquitto.url)).start()
    yield server
    server.stop()


@pytest.fixture
def phone_seen() -> Seen:
    return Seen()


@pytest.fixture
def phone_server(tmp_path: Path, mosquitto: Mosquitto, phone_seen: Seen) -> Iterator[RunningServer]:
    """psn for the phone's tests (tests/phone_support.py): the bus events the phone causes land in `phone_seen`."""
    server = start_server(make_settings(tmp_path, mosquitto.url), phone_seen)
    yield server
    server.stop()


@pytest.fixture
def artifacts() -> Path:
    path = Path(__file__).resolve().parents[1] / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(name="publish_fix")
def publish_fix_fixture() -> Callable[..., None]:
    return publish_fix

import json

from hypothesis import given
from hypothesis import strategies as st

from psn import subscribers
from psn.bus import Bus
from psn.clock import ManualClock
from psn.config import Settings
from psn.events import FixAccepted, FixReplayed, Receipt
from psn.ingest import Ingest
from psn.replay import ReplayGuard
from psn.security_events import SecurityFeed
from psn.stats import IngestStats


def test_same_unit_same_stamp_is_a_replay() -> None:
    guard = ReplayGuard(window=3)
    assert not guard.seen("police/P-1", 1.0)
    assert guard.seen("police/P-1", 1.0)
    assert not guard.seen("police/P-2", 1.0)
    for ts in (2.0, 3.0, 4.0):
        guard.seen("police/P-1", ts)
    assert not guard.seen("police/P-1", 1.0)  # forgotten beyond the window


@given(st.lists(st.floats(allow_nan=False), max_size=200))
def test_memory_stays_bounded(stamps: list[float]) -> None:
    guard = ReplayGuard(window=8)
    for ts in stamps:
        guard.seen("u", ts)
    order, remembered = guard._recent.get("u", ([], set()))
    assert len(order) <= 8 and len(remembered) <= 8


def test_a_broker_redelivery_is_counted_once_stored_once_and_no_security_event() -> None:
    """The broker's DUP copy of a fix whose ack was lost in a reconnect: refused (never a second row), counted as
    `redelivered`, and no replayed-telemetry event; the same fix without DUP (a device replaying) still raises one."""
    clock = ManualClock()
    bus, security = Bus(), SecurityFeed(clock)
    stats, stored = IngestStats(), []
    ingest = Ingest(Settings(), clock, bus)
    bus.subscribe("store", stored.append, (FixAccepted,), inline=True, durable=True)
    bus.subscribe("stats", subscribers._stats(stats), (FixAccepted, FixReplayed), inline=True)
    bus.subscribe("replays", subscribers.replay_reporter(security, clock), (FixReplayed,), inline=True)
    body = json.dumps({"ts": clock.time() - 5, "lat": 17.25, "lon": -88.77}).encode()
    receipts = [Receipt() for _ in range(3)]
    ingest.handle("psn/v1/police/P-1/telemetry", body, receipts[0])
    ingest.handle("psn/v1/police/P-1/telemetry", body, receipts[1], True)
    assert (len(stored), stats.rejected, security.counts["replayed_telemetry"]) == (1, {"redelivered": 1}, 0)
    assert receipts[1].done and not receipts[0].done  # the copy is acked at once; the first after its commit
    ingest.handle("psn/v1/police/P-1/telemetry", body, receipts[2])
    assert (len(stored), security.counts["replayed_telemetry"]) == (1, 1)
    assert stats.rejected == {"redelivered": 1, "duplicate": 1}

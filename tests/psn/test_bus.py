"""The event bus: every subscriber gets every event of its types, per unit in order; a stuck or failing
subscriber costs only itself (dropped and errors counted); receipts wait for durable subscribers only."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from psn.bus import Bus
from psn.clock import ManualClock
from psn.config import Settings
from psn.events import FixAccepted, MessageRejected, Receipt, StatusAccepted
from psn.ingest import Ingest
from psn.state import LiveState
from psn.stats import IngestStats
from psn.store import BatchWriter, Database
from psn.subscribers import subscribe_ingest
from telemetry import Fix, Reason, Rejection, UnitRef

NOW = 1_764_000_000.0


def fix(unit: str, ts: float) -> FixAccepted:
    return FixAccepted(Fix(UnitRef("police", unit), ts, 17.25, -88.77), ts)


def test_every_subscriber_gets_every_event_of_its_types_per_unit_in_order() -> None:
    bus = Bus()
    seen: dict[str, list[tuple[str, float]]] = {"inline": [], "queued": [], "small-batches": []}
    rejections: list[MessageRejected] = []
    bus.subscribe("inline", lambda e: seen["inline"].append((e.fix.who.unit, e.fix.ts)), (FixAccepted,),
                  inline=True)
    bus.subscribe("queued", lambda e: seen["queued"].append((e.fix.who.unit, e.fix.ts)), (FixAccepted,))
    bus.subscribe("small-batches", lambda e: seen["small-batches"].append((e.fix.who.unit, e.fix.ts)),
                  (FixAccepted,), capacity=100_000)
    bus.subscribe("rejections", rejections.append, (MessageRejected,))
    bus.start()

    # Three publisher threads, as the MQTT thread and others would be; each owns its units.
    def publish(units: list[str]) -> None:
        for ts in range(1, 2001):
            for unit in units:
                bus.publish(fix(unit, float(ts)))

    threads = [threading.Thread(target=publish, args=([f"U{t}-{i}" for i in range(3)],)) for t in range(3)]
    for thread in threads:
        thread.start()
    bus.publish(MessageRejected("x/y", b"{}", Rejection(Reason.BAD_TOPIC, "no")))
    for thread in threads:
        thread.join()
    assert bus.flush(timeout=30)
    bus.stop()

    # "queued" holds 10,000 (the default) of the 18,000 published at once: on a busy machine its thread may fall
    # that far behind, and then it drops and counts — never reorders, never loses silently.
    dropped = {s.name: s.dropped for s in bus.stats()}
    assert dropped["inline"] == dropped["small-batches"] == 0
    expected = [float(ts) for ts in range(1, 2001)]
    for name, events in seen.items():
        assert len(events) + dropped[name] == 9 * 2000, name
        for unit in {u for u, _ in events}:
            times = [ts for u, ts in events if u == unit]
            assert times == sorted(set(times)), f"{name}: {unit} out of order"
            if not dropped[name]:
                assert times == expected, f"{name}: {unit} lost events"
    assert len(rejections) == 1  # only its own type
    assert {s.name: (s.delivered, s.dropped, s.errors) for s in bus.stats()} == {
        "inline": (18_000, 0, 0), "queued": (18_000, 0, 0), "small-batches": (18_000, 0, 0), "rejections": (1, 0, 0)}


def test_a_stuck_and_a_failing_subscriber_cost_only_themselves(tmp_path: Path) -> None:
    """Real ingest, real store. The stuck subscriber is released only after ingest has finished: if ingest ever
    waited for it, ingest could not finish and the join below would time out."""
    settings = Settings(data_dir=tmp_path, encrypt_at_rest=False)
    db = Database(settings.database_url)
    db.migrate()
    bus, state, stats = Bus(), LiveState(), IngestStats()
    writer = BatchWriter(db, batch=500, flush_s=0.05)
    subscribe_ingest(bus, state, writer, stats)
    release = threading.Event()
    stuck_got: list[FixAccepted] = []

    def stuck(event: FixAccepted) -> None:
        release.wait()
        stuck_got.append(event)

    def failing(_event: FixAccepted) -> None:
        raise RuntimeError("deliberately broken subscriber")

    bus.subscribe("stuck", stuck, (FixAccepted,), capacity=100)
    bus.subscribe("failing", failing, (FixAccepted,), inline=True)
    after: list[FixAccepted] = []
    bus.subscribe("after-failing", after.append, (FixAccepted,), inline=True)
    writer.start()
    bus.start()
    ingest = Ingest(settings, ManualClock(NOW), bus)
    messages = [(f"psn/v1/police/P-{i % 50}/telemetry",
                 f'{{"ts": {NOW - 600 + i * 0.1:.1f}, "lat": 17.25, "lon": -88.77}}'.encode()) for i in range(3000)]
    done = threading.Thread(target=lambda: [ingest.handle(t, p) for t, p in messages])
    done.start()
    done.join(timeout=60)
    ingest_finished = not done.is_alive()
    release.set()
    assert ingest_finished, "ingest waited for a stuck subscriber"
    assert writer.flush() and bus.flush()
    by_name = {s.name: s for s in bus.stats()}
    # The stuck one held 1 event in its handler and 100 in its queue; the rest were dropped and counted.
    assert by_name["stuck"].dropped == 3000 - 101 and len(stuck_got) == 101
    assert (by_name["failing"].errors, by_name["failing"].delivered) == (3000, 0)  # delivered = handled
    assert len(after) == 3000 and by_name["after-failing"].errors == 0
    assert db.count_fixes() == 3000 and stats.as_json()["accepted"] == 3000 and len(state) == 50
    stats.export(state.late, bus.stats())
    metrics = generate_latest(stats.registry).decode()
    assert 'psn_bus_dropped_total{subscriber="stuck"} 2899.0' in metrics
    assert 'psn_bus_errors_total{subscriber="failing"} 3000.0' in metrics
    bus.stop()
    writer.stop()
    db.close()


def test_receipt_waits_for_the_commit_and_for_nothing_else(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, encrypt_at_rest=False)
    db = Database(settings.database_url)
    db.migrate()
    bus, writer = Bus(), BatchWriter(db, batch=500, flush_s=0.3)
    subscribe_ingest(bus, LiveState(), writer, IngestStats())
    never = threading.Event()
    bus.subscribe("stuck", lambda _e: never.wait(), (FixAccepted, StatusAccepted), capacity=10)
    bus.start()
    ingest = Ingest(settings, ManualClock(NOW), bus)

    receipt = Receipt()
    ingest.handle("psn/v1/police/P-1/telemetry", b'{"ts": 1763999990, "lat": 17.25, "lon": -88.77}', receipt)
    assert not receipt.done, "done before the writer even ran"
    assert db.count_fixes() == 0
    writer.start()
    assert receipt.wait(timeout=10) and not receipt.failed
    assert db.count_fixes() == 1  # done means committed

    refused = Receipt()
    ingest.handle("psn/v1/police/P-1/telemetry", b'{"ts": "yesterday"}', refused)
    assert refused.done, "nothing to store: the broker may be acknowledged at once"
    replayed = Receipt()
    ingest.handle("psn/v1/police/P-1/telemetry", b'{"ts": 1763999990, "lat": 17.25, "lon": -88.77}', replayed)
    assert replayed.done
    never.set()
    bus.stop()
    writer.stop()
    db.close()


def test_a_receipt_no_durable_subscriber_takes_is_done_at_once_and_a_failing_one_fails_it() -> None:
    bus = Bus()
    bus.subscribe("queued", lambda _e: None, (FixAccepted,))
    receipt = Receipt()
    bus.publish(FixAccepted(Fix(UnitRef("police", "P-1"), NOW, 17.0, -88.0), NOW, receipt))
    assert receipt.done and not receipt.failed

    def broken(_event: FixAccepted) -> None:
        raise OSError("disk full")

    bus.subscribe("broken-store", broken, (FixAccepted,), inline=True, durable=True)
    receipt = Receipt()
    bus.publish(FixAccepted(Fix(UnitRef("police", "P-1"), NOW, 17.0, -88.0), NOW, receipt))
    assert receipt.done and receipt.failed


def test_subscriptions_are_checked() -> None:
    bus = Bus()
    with pytest.raises(ValueError, match="must be inline"):
        bus.subscribe("store", lambda _e: None, (FixAccepted,), durable=True)
    bus.subscribe("a", lambda _e: None, (FixAccepted,))
    with pytest.raises(ValueError, match="exists already"):
        bus.subscribe("a", lambda _e: None, (FixAccepted,))
    with pytest.raises(ValueError, match="must be queued"):
        bus.subscribe("b", lambda _e: None, (FixAccepted,), inline=True, batch=True)


def test_a_batched_subscriber_gets_lists_of_everything_queued_in_order() -> None:
    bus = Bus()
    gate = threading.Event()
    batches: list[list[float]] = []

    def handle(events: list[FixAccepted]) -> None:
        gate.wait(10)  # held on its first batch while more queue up
        batches.append([e.fix.ts for e in events])

    bus.subscribe("batched", handle, (FixAccepted,), batch=True, capacity=5)
    bus.start()
    bus.publish(fix("P-1", 0.0))
    while not batches and bus.stats()[0].queued:  # the first batch taken: the thread is waiting on the gate
        pass
    for ts in range(1, 8):  # 5 fit in the queue; the last 2 are dropped and counted
        bus.publish(fix("P-1", float(ts)))
    gate.set()
    assert bus.flush()
    assert batches == [[0.0], [1.0, 2.0, 3.0, 4.0, 5.0]]
    stats = bus.stats()[0]
    assert (stats.mode, stats.delivered, stats.dropped) == ("queued", 6, 2)
    bus.stop()


def test_a_batch_is_at_most_max_batch_events_and_a_failed_batch_is_counted_and_costs_only_itself() -> None:
    bus = Bus()
    gate = threading.Event()
    batches: list[list[float]] = []

    def handle(events: list[FixAccepted]) -> None:
        gate.wait(10)  # held on its first batch while the rest queue up
        if 5.0 in [e.fix.ts for e in events]:
            raise ValueError("a handler failing on this batch")
        batches.append([e.fix.ts for e in events])

    bus.subscribe("batched", handle, (FixAccepted,), batch=True, capacity=100, max_batch=3)
    bus.start()
    bus.publish(fix("P-1", 0.0))
    while not batches and bus.stats()[0].queued:  # the first batch taken: the thread is waiting on the gate
        pass
    for ts in range(1, 9):
        bus.publish(fix("P-1", float(ts)))
    gate.set()
    assert bus.flush()
    assert batches == [[0.0], [1.0, 2.0, 3.0], [7.0, 8.0]]  # [4, 5, 6] failed
    stats = bus.stats()[0]
    assert (stats.delivered, stats.errors, stats.failed_batches, stats.dropped) == (6, 3, 1, 0)
    metrics = IngestStats()
    metrics.export(0, bus.stats())
    text = generate_latest(metrics.registry).decode()
    assert 'psn_bus_failed_batches_total{subscriber="batched"} 1.0' in text
    assert 'psn_bus_errors_total{subscriber="batched"} 3.0' in text
    bus.stop()


def test_max_batch_is_checked() -> None:
    with pytest.raises(ValueError, match="max_batch must be at least 1"):
        Bus().subscribe("batched", lambda events: None, (FixAccepted,), batch=True, max_batch=0)

"""Two `psn serve` processes, `a` and `b`, on one Mosquitto (persistence on, shared subscription) and one PostgreSQL
database: `b` killed with SIGKILL mid-stream, then started again under its name, and every fix the broker
acknowledged to the publisher is stored exactly once. The expectation is the publisher's record of its PUBACKs
against a SQL query (tests/psn/test_delivery.py's drill and helpers), never psn's counters.

What Mosquitto 2.0.11 does meanwhile is measured here, not assumed (docs/deploy.md, "Several instances"): the
messages it had sent `b` unacknowledged, and its round-robin share of the new ones, stay in `b`'s session (none
handed to `a`) until `b` returns under the same client id. With a session that expires (2 s, tried), they were
dropped at expiry, not handed to `a` either (670 of 2,400 lost): psn keeps its one-hour session.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.psn.test_delivery import FIXES, Psn, Publisher, check, rig, settle, stored
from tests.support import Mosquitto, wait_for

__all__ = ["rig"]  # the broker-with-persistence and database fixture, shared with the single-instance drill
HELD_S = 3.0  # how long `b` stays dead after the stream ends: what `a` takes meanwhile is all it will take


def instance(work: Path, name: str, mqtt_port: int, db_url: str) -> Psn:
    psn = Psn(work / name, mqtt_port, db_url)
    psn.env["PSN_INSTANCE"] = name  # client id psn-delivery-{port}-{name}: its own session, kept across restarts
    return psn


def test_kill_9_of_one_of_two_instances_loses_and_duplicates_nothing(tmp_path: Path,
                                                                      rig: tuple[Mosquitto, str]) -> None:
    broker, db_url = rig
    a, b = instance(tmp_path, "a", broker.port, db_url), instance(tmp_path, "b", broker.port, db_url)
    publisher = Publisher(broker.port)
    try:
        a.start()
        b.start()
        publisher.start()
        wait_for(lambda: publisher.count >= FIXES * 0.5 and len(stored(db_url)) > 0, timeout=30)
        b.signal(signal.SIGKILL)
        killed_at = time.time()
        publisher.join(30)
        wait_for(publisher.done, timeout=30)
        time.sleep(HELD_S)
        rows = set(stored(db_url))
        missing = publisher.acked() - rows
        after = sum(ts > killed_at for _unit, ts in missing)
        assert any(ts > killed_at for _unit, ts in rows)  # `a` kept storing its share meanwhile
        print(f"\nb dead {HELD_S} s after the stream: {len(missing)} of {publisher.total} not stored yet "
              f"({len(missing) - after} sent before the kill, {after} after)")
        started = time.monotonic()
        b.start()
        check(publisher, settle(publisher, db_url))
        print(f"b back under its name: all {publisher.total} stored once, {time.monotonic() - started:.1f} s after "
              "its start began")
    finally:
        publisher.close()
        for psn in (a, b):
            if psn.process is not None:
                psn.signal(signal.SIGTERM)

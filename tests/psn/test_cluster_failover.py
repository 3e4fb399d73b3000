"""Two `psn serve` processes, `a` and `b`, on one Mosquitto (persistence on, shared subscription) and one PostgreSQL
database: `b` killed with SIGKILL mid-stream, and every fix the broker acknowledged to the publisher is stored
exactly once. The expectation is the publisher's record of its PUBACKs against a SQL query (tests/psn/test_delivery.py's
drill and helpers), never psn's counters.

What Mosquitto 2.0.11 does by itself was measured here (docs/deploy.md, "Several instances"): the messages it had
sent `b` unacknowledged, and its round-robin share of the new ones, stay in `b`'s session (none handed to `a`) until
a client connects under b's client id. With a session that expires (2 s, tried), they were dropped at expiry, not
handed to `a` either (670 of 2,400 lost): psn keeps its one-hour session, and `a` adopts it (psn/adoption.py). The
first test starts `b` again soon after (before or while `a` adopts its session); the second leaves `b` dead until
`a` has stored everything, then starts it.
"""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path
from typing import Any

import httpx

from tests.psn.test_delivery import FIXES, Psn, Publisher, check, rig, settle, stored
from tests.support import Mosquitto, postgres_database, wait_for

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



def ready(psn: Psn) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"http://127.0.0.1:{psn.port}/readyz").json()
    return body



def sent_fixes(log: str, client_id: str, units: str, dup: str = "[01]") -> int:
    """Fixes of police/{units}-… the broker's log says it sent to that client id: first sendings (d0) and
    redeliveries (d1) unless `dup` says which."""
    return len(re.findall(rf"Sending PUBLISH to {client_id} \(d{dup}, q1, r0, m\d+, 'psn/v1/police/{units}-\d+/",
                          log))


def test_a_survivor_adopts_the_dead_instances_session_then_gives_it_back(tmp_path: Path) -> None:
    """`b` killed -9 and left dead: `a` adopts its MQTT session (its in-flight messages and its share of new ones)
    and stores every fix alone; `b` started again takes its session back, `a` lets go without a fight over the
    client id, and new fixes are shared by both again. What the broker did is read from its own log (written
    whole when it stops)."""
    log_file = tmp_path / "mosquitto.log"
    broker = Mosquitto(tmp_path, extra=f"persistence true\npersistence_location {tmp_path}/\nuser root\n"
                                       f"log_dest file {log_file}\nlog_type all\n").start()
    publishers: list[Publisher] = []
    try:
        with postgres_database() as db_url:
            a, b = instance(tmp_path, "a", broker.port, db_url), instance(tmp_path, "b", broker.port, db_url)
            try:
                a.start()
                b.start()
                publishers.append(first := Publisher(broker.port))
                first.start()
                wait_for(lambda: first.count >= FIXES * 0.5 and len(stored(db_url)) > 0, timeout=30)
                b.signal(signal.SIGKILL)
                killed = time.monotonic()
                check(first, settle(first, db_url))  # `b` is still dead: `a` stored them all, once
                print(f"\nb killed: all {first.total} fixes stored once {time.monotonic() - killed:.1f} s after")
                assert ready(a)["adopted"] == ["b"]

                b.start()
                wait_for(lambda: ready(a)["adopted"] == [], timeout=60, interval=0.1)
                publishers.append(second := Publisher(broker.port, total=FIXES // 2, units="E"))
                second.start()
                second.join(30)
                wait_for(second.done, timeout=30)
                wait_for(lambda: second.acked() <= set(stored(db_url)), timeout=30)
                rows = stored(db_url)
                assert (len(rows), len(set(rows))) == (FIXES + FIXES // 2,) * 2  # 0 lost, 0 duplicated
                assert ready(a)["adopted"] == [] and ready(b)["adopted"] == []
            finally:
                for psn in (a, b):
                    if psn.process is not None:
                        psn.signal(signal.SIGTERM)
    finally:
        for publisher in publishers:
            publisher.close()
        broker.stop()
    log = log_file.read_text()
    ids = {name: f"psn-delivery-{broker.port}-{name}" for name in ("a", "b")}
    # `b`'s session was taken over once at most: by `b` back from `a`'s adopted client (none if `a` had let go
    # first), never by `a` again from `b` (a fight would repeat this line).
    assert log.count(f"Client {ids['b']} already connected") <= 1
    shares = {name: sent_fixes(log, client_id, "E") for name, client_id in ids.items()}
    print(f"b's session redelivered {sent_fixes(log, ids['b'], 'D', '1')} fixes of the first stream; of "
          f"{second.total} fixes of the second the broker sent {shares}")
    assert sum(shares.values()) == second.total and min(shares.values()) > 0  # shared again, each sent once

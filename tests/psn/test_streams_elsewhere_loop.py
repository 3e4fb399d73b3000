"""The stream list's look-up of where other instances' streams live (`psn.store.instances`, a PostgreSQL query)
must not run on the event loop: with that query stuck (here: the instance directory's table locked by another
session, as a frozen database would leave it), the rest of the server keeps answering and the stream list itself
gets the answer deadline's 503, not a hang (psn/api/answer_deadline.py runs on that same loop)."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import psycopg

from psn.events import StreamStarted
from tests.support import Mosquitto, RunningServer, make_settings, wait_for

STREAM = "police:P-7"


def test_a_stuck_directory_query_holds_up_neither_the_server_nor_the_deadline(tmp_path: Path, mosquitto: Mosquitto,
                                                                              pg_url: str) -> None:
    running = RunningServer(make_settings(tmp_path, mosquitto.url, db_url=pg_url, request_timeout_s=2.0)).start()
    alive = psycopg.connect(pg_url, application_name="psn-leases-a")  # instance "a" is up (its lease session)
    locker = psycopg.connect(pg_url)
    try:
        running.server.instances.register("a", "http://127.0.0.1:9/a", 0.0)
        running.server.bus.publish(StreamStarted(STREAM, "police/P-7", origin="a"))
        wait_for(lambda: STREAM in running.server.locations.elsewhere())
        headers = running.headers("police")
        locker.execute("LOCK TABLE psn_instances IN ACCESS EXCLUSIVE MODE")  # held until the rollback below
        answers: list[int] = []
        listing = threading.Thread(target=lambda: answers.append(
            httpx.get(f"{running.base_url}/api/v1/streams", headers=headers, timeout=60).status_code))
        listing.start()
        with psycopg.connect(pg_url, autocommit=True) as watch:  # the listing's query waits for the lock
            wait_for(lambda: watch.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                           "AND query LIKE '%psn_instances%'").fetchone() == (1,))
        # The loop is free: another request answers (a blocked loop would leave it unanswered until the rollback).
        assert httpx.get(f"{running.base_url}/healthz", timeout=10).status_code == 200
        listing.join(timeout=30)
        assert answers == [503]
    finally:
        locker.rollback()
        locker.close()
        alive.close()
        running.stop()

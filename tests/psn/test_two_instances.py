"""Two psn servers (instances "a" and "b") on one real PostgreSQL database and one Mosquitto: the once-only jobs
run on one of them (docs/deploy.md, "Once-only jobs"), and a viewer is sent to the instance holding a stream
(docs/video.md, "Where a stream lives").

Each device message reaches one instance (shared subscription) and the other hears it on the peer channel: the
alarm test shows that only the holder acts on a KPI, whichever way it came. Where a stream lives is learnt from
the StreamStarted/StreamEnded events the holder's peer channel sends (published here on a's bus as its video hub
does)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from psn.access import Role
from psn.events import StreamEnded, StreamStarted
from psn.server import LEASES
from telemetry.topics import NET_POLICY_TOPIC
from tests.support import (
    Feed,
    Mosquitto,
    RunningServer,
    make_settings,
    postgres_database,
    publish_fix,
    publisher,
    wait_for,
)

CELL = "BZ-CAY-001-1"


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[RunningServer, RunningServer, Mosquitto, str]]:
    broker = Mosquitto(tmp_path).start()
    servers: list[RunningServer] = []
    try:
        with postgres_database() as url:
            for name in ("a", "b"):
                settings = make_settings(tmp_path / name, broker.url, url, instance=name, lease_retry_s=0.3,
                                         encrypt_at_rest=False)
                servers.append(RunningServer(settings).start())
            a, b = servers
            wait_for(lambda: all(sum(s.server.leases.held(n) for s in servers) == 1 for n in LEASES))
            yield a, b, broker, url
            for server in servers:
                server.stop()
    finally:
        for server in servers:
            server.stop()
        broker.stop()


def holder_of(lease: str, *servers: RunningServer) -> tuple[RunningServer, RunningServer]:
    """(the holder of `lease`, the other)."""
    first, second = servers
    return (first, second) if first.server.leases.held(lease) else (second, first)


def ready(server: RunningServer) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{server.base_url}/readyz").json()
    return body


def test_each_lease_has_one_holder_named_in_readyz_and_metrics_and_passes_on_when_it_stops(
        pair: tuple[RunningServer, RunningServer, Mosquitto, str]) -> None:
    a, b, _, _ = pair
    reports = {ready(s)["instance"]: set(ready(s)["leases"]) for s in (a, b)}
    assert set(reports) == {"a", "b"}
    assert reports["a"] | reports["b"] == set(LEASES) and not reports["a"] & reports["b"]
    for server in (a, b):
        metrics = httpx.get(f"{server.base_url}/metrics", headers=server.headers("police", Role.NETWORK_ADMIN)).text
        for lease in LEASES:
            held = 1.0 if lease in reports[server.settings.instance] else 0.0
            assert f'psn_lease_held{{lease="{lease}"}} {held}' in metrics
        assert f'psn_instance{{instance="{server.settings.instance}"}} 1.0' in metrics
    holder, other = holder_of("net-alarms", a, b)
    holder.stop()
    wait_for(lambda: set(ready(other)["leases"]) == set(LEASES))


def test_a_terminated_lease_connection_hands_every_lease_to_the_other(
        pair: tuple[RunningServer, RunningServer, Mosquitto, str]) -> None:
    a, b, _, url = pair
    holder, other = holder_of("qos-policy", a, b)
    with psycopg.connect(url, autocommit=True) as conn:
        killed = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE application_name = %s AND datname = current_database()",
                              (f"psn-leases-{holder.settings.instance}",)).fetchall()
    assert len(killed) == 1
    wait_for(lambda: set(ready(other)["leases"]) == set(LEASES))
    assert ready(holder)["leases"] == []
    assert ready(holder)["status"] == "ready"  # holding no lease is no reason to leave the load balancer


def test_an_uplift_made_on_the_other_instance_is_in_the_policy_the_holder_publishes(
        pair: tuple[RunningServer, RunningServer, Mosquitto, str]) -> None:
    a, b, broker, _ = pair
    holder, other = holder_of("qos-policy", a, b)
    publish_fix(broker.url, "police", "P-1", 17.5, -88.2)
    wait_for(lambda: other.server.state.get("police/P-1"))
    feed = Feed(broker.url, NET_POLICY_TOPIC)
    try:
        created = httpx.post(f"{other.base_url}/api/v1/net/uplifts", headers=other.headers("police"),
                             json={"units": ["police/P-1"], "reason": "armed robbery", "duration_s": 600})
        assert created.status_code == 201, created.text
        wait_for(lambda: any("police/P-1" in doc["units"] for _, doc in feed.copy()))
        assert holder.server.qos.uplifts(active_only=True)[0].id == created.json()["id"]
    finally:
        feed.close()


def test_an_alarm_is_raised_once_and_acknowledged_on_either_instance(
        pair: tuple[RunningServer, RunningServer, Mosquitto, str]) -> None:
    a, b, broker, _ = pair
    holder, other = holder_of("net-alarms", a, b)
    feed = Feed(broker.url, "psn/v1/_alarms/#")
    try:
        client = publisher(broker.url)
        kpi = {"cell": CELL, "ts": holder.server.clock.time(), "connected_ues": 12, "prb_util_dl": 0.41,
               "prb_util_ul": 0.22, "thr_dl_mbps": 8.5, "thr_ul_mbps": 3.1, "bearers_rejected": 3,
               "bearers_preempted": 0}
        client.publish(f"psn/v1/net/cell/{CELL}/kpi", json.dumps(kpi), qos=1).wait_for_publish(5)
        client.disconnect()
        client.loop_stop()
        # One instance takes it from the broker (shared subscription); the other hears it on the peer channel.
        wait_for(lambda: sum(s.stats()["accepted_by_source"].get("net", 0) for s in (a, b)) == 1)
        wait_for(lambda: feed.copy())
        for server in (a, b):
            assert server.server.bus.flush()
        # The other instance publishes a marker after: once it is here, anything it published before is too.
        other.server._publish("psn/v1/_alarms/marker", b"{}", 1)
        wait_for(lambda: ("psn/v1/_alarms/marker", {}) in feed.copy())
        raised = [(topic, m["id"], m["state"]) for topic, m in feed.copy() if topic != "psn/v1/_alarms/marker"]
        assert raised == [("psn/v1/_alarms/admission_rejected", "AL-1", "raised")]
        assert [x.id for x in holder.server.alarms.alarms(False, None, 10)] == ["AL-1"]
        netops = other.token("police", Role.NETWORK_ADMIN, name="netops")
        wait_for(lambda: [x.id for x in other.server.alarms.active()] == ["AL-1"])  # read from the database
        answer = httpx.post(f"{other.base_url}/api/v1/net/alarms/AL-1/ack",
                            headers={"Authorization": f"Bearer {netops}"})
        assert answer.status_code == 200, answer.text
        wait_for(lambda: [(x.state, x.acknowledged_by) for x in holder.server.alarms.active()]
                 == [("acknowledged", "netops")])
        again = httpx.post(f"{holder.base_url}/api/v1/net/alarms/AL-1/ack",
                           headers={"Authorization": f"Bearer {holder.token('police', Role.NETWORK_ADMIN)}"})
        assert again.status_code == 409, again.text
    finally:
        feed.close()


def test_a_viewer_offering_to_the_wrong_instance_is_sent_to_the_holder(
        pair: tuple[RunningServer, RunningServer, Mosquitto, str]) -> None:
    a, b, _, _ = pair
    stream = "police:P-7"
    a.server.bus.publish(StreamStarted(stream, "police/P-7"))  # as a's video hub does; b hears it from a's peers
    listed = wait_for(lambda: httpx.get(f"{b.base_url}/api/v1/streams", headers=b.headers("police")).json()["streams"])
    assert [(s["id"], s["instance"], s["url"], s["unit"]) for s in listed] == [
        (stream, "a", f"http://127.0.0.1:{a.settings.port}", "police/P-7")]
    offer = httpx.post(f"{b.base_url}/whep/{stream}", content=b"v=0\r\n",
                       headers={**b.headers("police"), "Content-Type": "application/sdp"})
    assert offer.status_code == 409, offer.text
    expected = f"http://127.0.0.1:{a.settings.port}/whep/{stream}"
    assert offer.headers["Location"] == expected
    assert (offer.json()["instance"], offer.json()["url"]) == ("a", f"http://127.0.0.1:{a.settings.port}")
    fire = httpx.post(f"{b.base_url}/whep/{stream}", content=b"v=0\r\n",
                      headers={**b.headers("fire"), "Content-Type": "application/sdp"})
    assert fire.status_code == 403  # where a stream lives is told only to who may watch it
    a.server.bus.publish(StreamEnded(stream, "police/P-7"))
    wait_for(lambda: offered(b, stream) == 404)
    a.server.bus.publish(StreamStarted(stream, "police/P-7"))
    wait_for(lambda: offered(b, stream) == 409)
    a.stop()  # its lease connection closes: gone, with the streams it held (no StreamEnded comes)
    wait_for(lambda: offered(b, stream) == 404)


def offered(server: RunningServer, stream: str) -> int:
    return httpx.post(f"{server.base_url}/whep/{stream}", content=b"v=0\r\n",
                      headers={**server.headers("police"), "Content-Type": "application/sdp"}).status_code

"""Several psn instances on a real Mosquitto with the ACL `psn broker-config` renders (mTLS, as in
test_mosquitto_mtls.py): the psn server account subscribes shared and talks on `psn/v1/_peer/…`; a unit can
neither read nor write there.

Measured on Mosquitto 2.0.11 (plain listener, password file, the same ACL rules): a `$share/…` SUBSCRIBE is
always granted and the ACL is applied per delivered message to its own topic (psn/v1/…), so a `topic read $share/…`
rule grants nothing and `topic readwrite #` covers shared subscriptions; docs/deploy.md, "Several instances".
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from telemetry import topics
from tests.crypto.test_mosquitto_mtls import TIMEOUT, Broker, Session, broker, pki
from tests.support import wait_for

__all__ = ["broker", "pki"]  # the module's CA and broker, shared with the mTLS tests
pytestmark = pytest.mark.timeout(90)
FIXES = 10


@pytest.fixture
def instances(broker: Broker) -> Iterator[tuple[Session, Session]]:
    a, b = broker.client("psn-server", "psn-server-a"), broker.client("psn-server", "psn-server-b")
    assert a.connected and b.connected, broker.log.read_text()
    for session in (a, b):
        session.subscribe(*topics.cluster_subscriptions("psn"))
    yield a, b
    a.close()
    b.close()


def test_instances_share_the_device_topics_and_hear_each_other(broker: Broker,
                                                              instances: tuple[Session, Session]) -> None:
    a, b = instances
    unit = broker.client("police.P-12", "P-12")
    assert unit.connected
    for n in range(FIXES):
        unit.publish("psn/v1/police/P-12/telemetry", f"fix {n}".encode())
    a.publish(topics.peer_topic("a", "fixes"), b"from a")
    b.publish(topics.peer_topic("b", "fixes"), b"from b")
    got_a, got_b = a.received_until(b"from b"), b.received_until(b"from b")
    fixes_a = [p for t, p in got_a if t == "psn/v1/police/P-12/telemetry"]
    fixes_b = [p for t, p in got_b if t == "psn/v1/police/P-12/telemetry"]
    # Each fix to exactly one of them (Mosquitto: round-robin), each peer message to both.
    assert sorted(fixes_a + fixes_b) == sorted(f"fix {n}".encode() for n in range(FIXES))
    assert fixes_a and fixes_b
    for got in (got_a, got_b):
        assert [(t, p) for t, p in got if t.startswith("psn/v1/_peer/")] == [
            ("psn/v1/_peer/a/fixes", b"from a"), ("psn/v1/_peer/b/fixes", b"from b")]
    unit.close()


def test_a_unit_neither_reads_nor_writes_the_peer_topics(broker: Broker, instances: tuple[Session, Session]) -> None:
    a, b = instances
    unit = broker.client("police.P-13", "P-13-peer")
    assert unit.connected
    unit.subscribe("psn/v1/_peer/#", "$share/psn-rogue/psn/v1/_peer/+/+", "psn/v1/police/P-13/cmd/#")
    unit.publish(topics.peer_topic("a", "alerts"), b"forged")  # as if from instance a
    unit.publish("psn/v1/police/P-13/telemetry", b"marker")
    # The marker reaches one instance (shared); had the forged message been delivered, it would have reached both
    # (not shared), and before the marker there (same publisher, QoS 1).
    taker = wait_for(lambda: next((s for s in (a, b) if not s.messages.empty()), None), timeout=TIMEOUT)
    assert taker.received_until(b"marker") == [("psn/v1/police/P-13/telemetry", b"marker")]
    a.publish(topics.peer_topic("a", "fixes"), b"peers only")  # then, from the same publisher, the unit's command
    a.publish("psn/v1/police/P-13/cmd/go", b"cmd marker")
    assert unit.received_until(b"cmd marker") == [("psn/v1/police/P-13/cmd/go", b"cmd marker")]
    unit.close()

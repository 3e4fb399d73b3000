"""Session adoption (psn/adoption.py) on a real PostgreSQL database and a private Mosquitto, without psn servers:
instance `a` adopts the session of `y`, registered but with no lease connection (dead), and gets what waited in it.
Then a client connects under y's client id while y still looks dead (y's own process back without its database):
`a` lets go and does not take the session back, round after round, until y starts again (a new registration).
The processes' drill is tests/psn/test_cluster_failover.py."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions
from prometheus_client import CollectorRegistry

from psn.adoption import SessionAdoption
from psn.events import Receipt
from psn.mqtt import BrokerURL, MqttClient
from psn.store import Database
from psn.store.instances import InstanceDirectory
from psn.store.lease import Leases
from telemetry import topics
from tests.support import Mosquitto, postgres_database, wait_for

RETRY_S = 0.2  # the test's; psn's default is 2 s
GROUP = "psn"


class Session:
    """y's own MQTT client, as its process would connect (persistent session, the device topics shared)."""

    def __init__(self, port: int, client_id: str) -> None:
        self.drops = 0  # connections the broker ended under it
        self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=mqtt.MQTTv5, reconnect_on_failure=False)
        self.client.on_disconnect = self._dropped
        self.connected = threading.Event()
        self.client.on_connect = self._connected
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 3600
        self.client.connect("127.0.0.1", port, clean_start=False, properties=properties)
        self.client.loop_start()
        wait_for(self.connected.is_set)

    def _connected(self, client: mqtt.Client, *_: object) -> None:
        client.subscribe([(t, SubscribeOptions(qos=1)) for t in topics.shared_subscriptions(GROUP)])
        self.connected.set()

    def _dropped(self, *_: object) -> None:
        self.drops += 1

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Sink:
    def __init__(self) -> None:
        self.topics: list[str] = []

    def __call__(self, topic: str, _payload: bytes, receipt: Receipt | None, _redelivered: bool) -> None:
        self.topics.append(topic)
        if receipt is not None:
            receipt.expect(0)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[tuple[Mosquitto, Database]]:
    broker = Mosquitto(tmp_path).start()
    try:
        with postgres_database() as url:
            db = Database(url.replace("postgresql://", "postgresql+psycopg://"), instance="a")
            db.migrate()
            yield broker, db
            db.close()
    finally:
        broker.stop()


def publish(port: int, count: int) -> None:
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="unit", protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", port)
    client.loop_start()
    for i in range(count):
        body = json.dumps({"ts": 1.7e9 + i, "lat": 17.25, "lon": -88.77}).encode()
        client.publish(topics.unit_topic("police", "P-1", topics.UnitKind.TELEMETRY), body, qos=1).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


def test_adopts_a_dead_instances_session_and_yields_it_for_good_to_whoever_takes_it_over(
        rig: tuple[Mosquitto, Database]) -> None:
    broker, db = rig
    url = BrokerURL.parse(broker.url)
    directory = InstanceDirectory(db)
    directory.register("a", "http://a", 1.0)
    directory.register("y", "http://y", 1.0)  # y has no lease connection: dead
    y = Session(broker.port, "psn-y")
    y.close()  # its session stays (one hour): the only member of the group yet, it gets all 10
    publish(broker.port, 10)
    sink, own = Sink(), MqttClient(url, "psn-a", topics.cluster_subscriptions(GROUP), Sink())
    own.start()
    wait_for(own.connected.is_set)
    clients: list[MqttClient] = []

    def connect(peer: str) -> MqttClient:
        clients.append(MqttClient(url, f"psn-{peer}", topics.shared_subscriptions(GROUP), sink, reconnect=False,
                                  unsubscribe=(topics.PEER_SUBSCRIPTION,)))
        clients[-1].start()
        return clients[-1]

    registry = CollectorRegistry()
    leases = Leases(db, (), RETRY_S, registry, "a")
    adoption = SessionAdoption("a", directory, leases, connect,
                               lambda: own.connects if own.connected.is_set() else None, registry)
    leases.start()
    adoption.start()
    try:
        # What waited in y's session reaches the sink.
        wait_for(lambda: len(sink.topics) == 10, timeout=20)
        assert adoption.adopted == ("y",)
        assert registry.get_sample_value("psn_mqtt_adopted", {"instance": "y"}) == 1

        # y's process is back but its database connection is not: it takes its session over, and keeps it.
        y = Session(broker.port, "psn-y")
        wait_for(lambda: adoption.adopted == (), timeout=20)
        assert registry.get_sample_value("psn_mqtt_adopted", {"instance": "y"}) == 0
        rounds = leases.rounds
        wait_for(lambda: leases.rounds >= rounds + 5, timeout=20)  # y still dead in the directory meanwhile
        assert (adoption.adopted, y.drops, len(clients)) == ((), 0, 1)

        # y starts again (a new registration) and dies: adopted again.
        directory.register("y", "http://y", 2.0)
        y.close()
        wait_for(lambda: adoption.adopted == ("y",), timeout=20)
        assert len(clients) == 2
    finally:
        adoption.stop()
        leases.stop()
        own.stop()
        for client in clients:
            client.stop(0)

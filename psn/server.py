"""The imperative shell: builds the pieces from settings, starts them in order, stops them in reverse."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from psn.clock import Clock, SystemClock
from psn.config import Settings
from psn.ingest import Ingest, Rejected
from psn.live import LiveHub
from psn.mqtt import BrokerURL, EmbeddedBroker, MqttClient
from psn.state import LiveState
from psn.stats import IngestStats
from psn.store import BatchWriter, Database
from telemetry import SUBSCRIPTIONS

log = logging.getLogger(__name__)


@dataclass
class Server:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)

    def __post_init__(self) -> None:
        self.state = LiveState()
        self.stats = IngestStats()
        self.db = Database(self.settings.database_url)
        self.writer = BatchWriter(self.db, self.settings.store_batch, self.settings.store_flush_s)
        self.ingest = Ingest(self.settings, self.clock, self.state, self.writer, self.stats)
        self.ingest.on_rejected = self._republish
        self.hub = LiveHub(self.state, self.settings.live_interval_s)
        self.embedded: EmbeddedBroker | None = None
        self.mqtt: MqttClient | None = None
        self.broker_url: BrokerURL | None = None

    async def start(self) -> None:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.db.migrate()
        for unit in self.db.latest_units():
            self.state.restore(unit)
        self.state.drain()
        for device, who in self.db.device_bindings().items():
            self.ingest.bind_device(device, who)
        self.writer.start()
        await self.hub.start()
        if self.settings.mqtt_url:
            self.broker_url = BrokerURL.parse(self.settings.mqtt_url)
            mqtt5 = True
        else:
            self.embedded = EmbeddedBroker(port=self.settings.embedded_mqtt_port)
            self.broker_url = await self.embedded.start()
            mqtt5 = False  # amqtt speaks MQTT 3.1.1 only
        self.mqtt = MqttClient(
            self.broker_url, self.settings.mqtt_client_id, SUBSCRIPTIONS, self.ingest.handle, mqtt5=mqtt5
        )
        self.mqtt.start()
        log.info("psn ingesting from %s; database %s", self.broker_url, self.db.dialect)

    async def stop(self) -> None:
        if self.mqtt is not None:
            self.mqtt.stop()
        await self.hub.stop()
        self.writer.stop()
        if self.embedded is not None:
            await self.embedded.stop()
        self.db.close()

    def _republish(self, rejected: Rejected) -> None:
        if self.mqtt is not None:
            r = rejected.rejection
            self.mqtt.publish_rejected(rejected.topic, rejected.payload, r.reason.value, r.detail)

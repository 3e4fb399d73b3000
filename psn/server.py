"""The imperative shell: builds the pieces from settings, starts them in order, stops them in reverse."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field

from psn.audit import AuditLog
from psn.auth import Auth
from psn.clock import Clock, SystemClock
from psn.config import Settings
from psn.ingest import Ingest, Rejected
from psn.keys import key_dir, keyring, signing_key
from psn.live import LiveHub
from psn.mqtt import BrokerURL, EmbeddedBroker, MqttClient, TLSFiles, protect
from psn.security_events import Kind, SecurityEvent, SecurityFeed
from psn.sharing import SharingStore
from psn.state import LiveState
from psn.stats import IngestStats
from psn.store import BatchWriter, Database
from psn.users import Users
from telemetry import SUBSCRIPTIONS, Fix
from video import RecordingService, RecordingStore, RetentionPolicy, StreamHub

SECURITY_TOPIC = "psn/v1/_security"
REPLAY_EVENT_EVERY_S = 60.0

log = logging.getLogger(__name__)


@dataclass
class Server:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)

    def __post_init__(self) -> None:
        settings = self.settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        keys_dir = key_dir(settings.data_dir)
        self.keys = keyring(settings.data_dir) if settings.encrypt_at_rest else None
        self.state = LiveState()
        self.stats = IngestStats()
        self.db = Database(settings.database_url, sealer=self.keys)
        self.users = Users(self.db, self.clock)
        self.auth = Auth(keys_dir / "tokens", self.users, self.clock, settings.token_ttl_s)
        self.audit = AuditLog(settings.data_dir / "audit" / "audit.jsonl", keys_dir, self.clock)
        self.security = SecurityFeed(self.clock)
        self.security.subscribers.append(self._on_security_event)
        self.sharing = SharingStore(self.db, self.clock)
        self.recordings = RecordingStore(settings.data_dir / "recordings")
        # Without keys at rest there is nothing to seal evidence with: live video only.
        service = (
            RecordingService(self.recordings, self.keys, signing_key(keys_dir, "evidence"),
                             clock=self.clock.time)
            if self.keys is not None else None
        )
        self.video = StreamHub(recordings=service)
        self.retention = RetentionPolicy(settings.retention_days_by_agency(), settings.video_retention_days)
        self.writer = BatchWriter(self.db, self.settings.store_batch, self.settings.store_flush_s)
        self.ingest = Ingest(self.settings, self.clock, self.state, self.writer, self.stats)
        self.ingest.on_rejected = self._republish
        self.ingest.on_replay = self._on_replay
        self._replay_reported: dict[str, float] = {}
        self.hub = LiveHub(self.state, self.settings.live_interval_s)
        self.embedded: EmbeddedBroker | None = None
        self.mqtt: MqttClient | None = None
        self.broker_url: BrokerURL | None = None

    def prepare_store(self) -> None:
        """Schema migrated, a data key for every agency, sharing grants loaded: what the server and the
        operator commands (`psn users …`, `psn keys …`) need before touching the data dir."""
        self.db.migrate()
        if self.keys is not None:
            self.keys.ensure(self.settings.agencies)
        self.sharing.reload()

    async def start(self) -> None:
        self.prepare_store()
        for unit in self.db.latest_units():
            self.state.restore(unit)
        self.state.drain()
        for device, who in self.db.device_bindings().items():
            self.ingest.bind_device(device, who)
        self.writer.start()
        await self.hub.start()
        self._tasks = [asyncio.create_task(self._follow_video_units(), name="psn-video-units"),
                       asyncio.create_task(self._housekeeping(), name="psn-housekeeping")]
        tls: TLSFiles | None = None
        if self.settings.mqtt_url:
            self.broker_url = BrokerURL.parse(self.settings.mqtt_url)
            tls = self._mqtt_tls(self.broker_url)
            mqtt5 = True
        else:
            # The demo's broker is plain and anonymous (loopback only); otherwise mTLS, as with Mosquitto.
            protection = None
            if not self.settings.demo:
                protection, tls = protect(self.settings.data_dir, self.settings.mqtt_client_id,
                                          self.security.report, self.clock)
            self.embedded = EmbeddedBroker(port=self.settings.embedded_mqtt_port, protection=protection)
            self.broker_url = await self.embedded.start()
            mqtt5 = False  # amqtt speaks MQTT 3.1.1 only
        self.mqtt = MqttClient(
            self.broker_url, self.settings.mqtt_client_id, SUBSCRIPTIONS, self.ingest.handle, mqtt5=mqtt5, tls=tls
        )
        self.mqtt.start()
        log.info("psn ingesting from %s; database %s", self.broker_url, self.db.dialect)

    def _mqtt_tls(self, url: BrokerURL) -> TLSFiles | None:
        s = self.settings
        if not url.tls:
            if s.mqtt_cert:
                raise ValueError(f"--mqtt-cert needs an mqtts:// broker URL, not {url}")
            return None
        if not s.mqtt_ca or bool(s.mqtt_cert) != bool(s.mqtt_key):
            raise ValueError("an mqtts:// broker needs --mqtt-ca, and --mqtt-cert with --mqtt-key for mTLS")
        return TLSFiles(s.mqtt_ca, s.mqtt_cert, s.mqtt_key)

    async def stop(self) -> None:
        if self.mqtt is not None:
            self.mqtt.stop()
        for task in self._tasks:
            task.cancel()
        await self.video.close()
        await self.hub.stop()
        self.writer.stop()
        self.audit.checkpoint()
        if self.embedded is not None:
            await self.embedded.stop()
        self.db.close()

    def _republish(self, rejected: Rejected) -> None:
        if self.mqtt is not None:
            r = rejected.rejection
            self.mqtt.publish_rejected(rejected.topic, rejected.payload, r.reason.value, r.detail)

    async def _follow_video_units(self) -> None:
        """Marks units with a live stream (the map's camera badge); the hub has no events, so look each second."""
        while True:
            live = {self.video.publisher(stream).principal.name for stream in self.video.streams()}
            self.state.set_video(live)
            await asyncio.sleep(1.0)

    async def _housekeeping(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.apply_retention)
            except Exception:  # housekeeping must never take the server down; it tries again next time
                log.exception("housekeeping failed")
            await asyncio.sleep(self.settings.housekeeping_interval_s)

    def apply_retention(self) -> list[str]:
        """Deletes recordings older than their agency keeps them (never those on legal hold); audited."""
        deleted = self.recordings.apply_retention(self.retention, self.clock.time())
        for recording in deleted:
            self.audit.record("psn", "evidence.retention_delete", recording)
        return deleted

    def _on_replay(self, fix: Fix) -> None:
        # One event per unit a minute: a device stuck resending must not flood the audit log (stats count all).
        now = self.clock.time()
        if now - self._replay_reported.get(fix.who.id, -REPLAY_EVENT_EVERY_S) >= REPLAY_EVENT_EVERY_S:
            self._replay_reported[fix.who.id] = now
            self.security.report(Kind.REPLAYED_TELEMETRY, fix.who.id, unit=fix.who.id, ts=fix.ts, source=fix.source)

    def _on_security_event(self, event: SecurityEvent) -> None:
        self.audit.record(event.actor, f"security.{event.kind.value}", event.detail.get("unit") or "-",
                          **event.detail)
        if self.mqtt is not None:
            self.mqtt.publish(f"{SECURITY_TOPIC}/{event.kind.value}", json.dumps(event.to_json()).encode(), qos=1)

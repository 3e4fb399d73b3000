"""The imperative shell: builds the pieces from settings, starts them in order, stops them in reverse."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from netmgmt.alarms import AlarmConfig
from psn import subscribers
from psn.adoption import SessionAdoption
from psn.audit import AuditLog
from psn.auth import Auth
from psn.bus import Bus
from psn.cad import Cad, CadContext, commands
from psn.clock import Clock, SystemClock
from psn.config import Settings
from psn.events import FixReplayed, MessageRejected, Receipt, SecurityRaised, StreamEnded, StreamStarted
from psn.health import Health
from psn.ingest import Ingest
from psn.keys import key_dir, keyring, signing_key
from psn.live import LiveHub
from psn.mqtt import BrokerURL, EmbeddedBroker, MqttClient, TLSFiles, protect
from psn.net import alarms as net_alarms
from psn.net import uplift
from psn.net.alarms import AlarmService
from psn.net.faults import FaultSender
from psn.net.inventory import Inventory
from psn.net.kpi_store import KpiStore
from psn.net.kpis import SILENT_AFTER_PERIODS, KpiService
from psn.net.programme import Programme, providers_of
from psn.net.radio import RadioService
from psn.net.uplift import QosService
from psn.peers import PeerIngest, PeerSender
from psn.remote_changes import RemoteChanges
from psn.roads import RoadModel
from psn.security_events import SecurityEvent, SecurityFeed
from psn.sharing import SharingStore
from psn.state import LiveState
from psn.stats import IngestStats
from psn.store import BatchWriter, Database
from psn.store.changes import ChangeListener
from psn.store.instances import InstanceDirectory
from psn.store.lease import Leases
from psn.stream_locations import StreamLocations
from psn.traffic import Traffic
from psn.traffic.cameras import CameraService
from psn.users import Users
from telemetry.topics import PEER_PREFIX, PEER_SUBSCRIPTION, SUBSCRIPTIONS, cluster_subscriptions, shared_subscriptions
from traffic.graph import FloatArray
from video import RecordingService, RecordingStore, RetentionPolicy, StreamHub
from video.aiortc_compat import offer_host_addresses

log = logging.getLogger(__name__)
# Once-only jobs (docs/deploy.md): cell KPI retention deletes from shared tables. Recordings' retention is not one:
# recordings are files on the instance that recorded them, so each instance applies it to its own.
KPI_RETENTION = "kpi-retention"
LEASES = (KPI_RETENTION, net_alarms.LEASE, uplift.LEASE, commands.LEASE)


@dataclass
class Server:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)

    def __post_init__(self) -> None:
        settings = self.settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        keys_dir = key_dir(settings.data_dir)
        self.keys = keyring(settings.data_dir) if settings.encrypt_at_rest else None
        self.bus = Bus()
        self.state = LiveState()
        self.stats = IngestStats()
        self.db = Database(settings.database_url, sealer=self.keys, instance=settings.instance)
        self.leases = Leases(self.db, LEASES, settings.lease_retry_s, self.stats.registry, settings.instance)
        self.users = Users(self.db, self.clock)
        self.auth = Auth(keys_dir / "tokens", self.users, self.clock, settings.token_ttl_s,
                         settings.session_outage_grace_s, settings.db_timeout_s)
        self.audit = AuditLog(settings.data_dir / "audit" / "audit.jsonl", keys_dir, self.clock)
        self.security = SecurityFeed(self.clock, self._raise)
        self.sharing = SharingStore(self.db, self.clock)
        self.recordings = RecordingStore(settings.data_dir / "recordings")
        # Without keys at rest there is nothing to seal evidence with: live video only.
        service = (
            RecordingService(self.recordings, self.keys, signing_key(keys_dir, "evidence"),
                             clock=self.clock.time)
            if self.keys is not None else None
        )
        self.video = StreamHub(recordings=service, on_stream=self._on_stream)
        self.instances = InstanceDirectory(self.db)
        self.locations = StreamLocations(self.instances)  # the streams other instances hold
        self.retention = RetentionPolicy(settings.retention_days_by_agency(), settings.video_retention_days)
        self.writer = BatchWriter(self.db, self.settings.store_batch, self.settings.store_flush_s)
        self.ingest = Ingest(self.settings, self.clock, self.bus)
        # Several instances (settings.instance): what this one takes from the broker goes to the others, and theirs
        # comes back as bus events with `origin` set (psn/peers.py).
        self.peer_ingest = PeerIngest(settings.instance, self.bus) if settings.instance else None
        self.hub = LiveHub(self.state, self.settings.live_interval_s)
        self.roads = RoadModel(settings.roads_file)  # dispatch ETAs and traffic analytics share one graph
        self.cad = Cad(CadContext(settings, self.clock, self.db, self.keys, self.bus, self.audit, self.sharing,
                                  self.state, self.hub, self.stats, self._publish,
                                  report_security=self.security.report, roads=self.roads,
                                  live_speeds=self._live_speeds))
        self.traffic = Traffic(settings, self.clock, self.roads, self.hub, self.audit, self.stats)
        self.cameras = CameraService(self.db, self.clock, self.hub, self.video, self.audit, self.stats.registry)
        # The network parts' figure providers (cells up, alarms, uplifts) join `self.programme.providers`.
        self.programme = Programme(self.db, self.clock, self.audit, settings.agencies, providers_of(self))
        # One KPI period for both: the alarm engine's cell_silent and the cells view's `silent` state.
        self.alarms = AlarmService(self.db, self.clock, self.hub, self._publish, self.audit,
                                   lambda: self.sharing.snapshot, self.stats.registry,
                                   AlarmConfig(period_s=settings.net_kpi_period_s),
                                   held=self._lease(net_alarms.LEASE))
        self.qos = QosService(self.db, self.clock, self.audit, self.hub, self.sharing, self._publish,
                              settings.agencies, settings.qos_video_ul_mbps, settings.qos_policy_every_s,
                              settings.qos_max_uplifts, held=self._lease(uplift.LEASE))
        self.cad.commands.held = self._lease(commands.LEASE)
        # The KPI store commits as often as the fix store: acknowledgements leave in arrival order, so a KPI waiting
        # for its commit holds back the acknowledgements of the fixes behind it (psn/mqtt/client.py).
        kpi_store = KpiStore(self.db, self.stats.registry, self.clock, flush_s=settings.store_flush_s)
        self.net_kpis = KpiService(kpi_store, self.clock, self.hub,
                                   self.sharing, settings.net_kpi_retention(), settings.net_kpi_period_s,
                                   self.stats.registry)
        self.inventory = Inventory(self.db, self.audit, self.clock, settings.data_dir)
        self.net_kpis.directory = self.inventory  # sites, positions and azimuths of the cells that report
        self.net_kpis.alarms = self.alarms  # the active alarm count on each cell of /api/v1/net/cells
        self.alarms.expected = self.net_kpis.cell_loads  # a holder taking over expects the cells that report
        self.radio = RadioService(settings.coverage_file, self.net_kpis.cell_loads, self.net_kpis.state,
                                  SILENT_AFTER_PERIODS)
        self.faults = FaultSender(self.inventory, self._publish, self.audit, self.clock)
        self.changes: ChangeListener | None = None  # other instances' changes, when they share the database
        if self.db.shared:
            remote = RemoteChanges(self.sharing, self.cad, self.qos, self.cameras)
            self.changes = ChangeListener(self.db.listen_url(), settings.instance, remote.apply, remote.reload_all)
            self.changes.export(self.stats.registry)
        # A dead instance's MQTT session is adopted by a survivor (psn/adoption.py): its share of the traffic is
        # not left waiting in the broker until it returns.
        self.adoption = (SessionAdoption(settings.instance, self.instances, self.leases, self._adopt,
                                         self._own_connection, self.stats.registry) if self.db.shared else None)
        self.health = Health(settings, self.db, self.writer, self.broker_connected, self.traffic.state,
                             self.stats.registry, self.clock, self.leases.holding, self._adopted)
        self._subscribe()
        self._tasks: list[asyncio.Task[None]] = []
        self.embedded: EmbeddedBroker | None = None
        self.mqtt: MqttClient | None = None
        self.broker_url: BrokerURL | None = None
        self._tls: TLSFiles | None = None

    def _subscribe(self) -> None:
        bus = self.bus
        subscribers.subscribe_ingest(bus, self.state, self.writer, self.stats)
        bus.subscribe("replay-reporter", subscribers.replay_reporter(self.security, self.clock), (FixReplayed,),
                      inline=True)
        bus.subscribe("rejected-republisher", subscribers.rejected_republisher(self._publish), (MessageRejected,))
        # Inline: an audit record is never dropped, however many bad tokens arrive (the log has its own lock).
        bus.subscribe("security-audit", subscribers.security_auditor(self.audit), (SecurityRaised,), inline=True)
        bus.subscribe("security-publisher", subscribers.security_publisher(self._publish), (SecurityRaised,))
        self.cad.subscribe(bus)
        self.traffic.subscribe(bus)
        self.cameras.subscribe(bus)
        bus.subscribe("stream-locations", self.locations.on_stream, (StreamStarted, StreamEnded), inline=True,
                      peers=True)
        self.alarms.subscribe(bus)
        self.qos.subscribe(bus)
        self.net_kpis.subscribe(bus)
        if self.settings.instance:
            PeerSender(self.settings.instance, self._publish).subscribe(bus)

    def prepare_store(self) -> None:
        """Schema migrated, a data key for every agency, sharing grants loaded: what the server and the
        operator commands (`psn users …`, `psn keys …`) need before touching the data dir."""
        self.db.migrate()
        if self.keys is not None:
            self.keys.ensure(self.settings.agencies)
        self.sharing.reload()
        self.cad.load()
        self.cameras.load()
        self.alarms.load()
        self.qos.load()
        self.net_kpis.load()
        self.alarms.expect(self.net_kpis.cell_loads())  # a cell restored as reporting and silent since: alarmed
        self.inventory.load()

    async def start(self) -> None:
        """Starts in order; a failure half-way stops what had started (in reverse) before it is raised."""
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        offer_host_addresses(self.settings.ice_host_addresses)  # () restores aioice's own choice
        if self.settings.roads_file is not None:
            # Read now: a bad file must fail the start, not every later batch of fixes and every recommendation.
            self.roads.router()
        self.radio.load()
        self.prepare_store()
        if self.settings.instance:  # where viewers are sent for the streams this instance holds
            self.instances.register(self.settings.instance, self.settings.own_url, self.clock.time())
        for unit in self.db.latest_units():
            self.state.restore(unit)
        self.state.drain()
        for device, who in self.db.device_bindings().items():
            self.ingest.bind_device(device, who)
        self.writer.start()
        self.leases.start()
        self.net_kpis.start()
        self.bus.start()
        await self.hub.start()
        if self.changes is not None:  # after the hub: a change it reads back is told to the consoles
            self.changes.start()
        self.traffic.start()
        await self.cameras.start()
        await self.alarms.start()
        self._tasks = [asyncio.create_task(self._housekeeping(), name="psn-housekeeping")]
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
        subscriptions = (cluster_subscriptions(self.settings.cluster_group) if self.peer_ingest is not None
                         else SUBSCRIPTIONS)
        self.mqtt = MqttClient(self.broker_url, self.settings.client_id, subscriptions, self._on_message,
                               mqtt5=mqtt5, tls=tls, no_local=(PEER_SUBSCRIPTION,),
                               session_expiry_s=self.settings.mqtt_session_expiry_s)
        self.mqtt.start()
        self._tls = tls
        if self.adoption is not None:
            self.adoption.start()
        await self.cad.start()  # the command resend timer publishes: only once there is a client to publish with
        await self.qos.start()
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
        """The reverse of start: no new messages (the resend timer, the client, the broker), then the consumers
        drain, then storage."""
        await self.cad.stop()
        await self.qos.stop()
        if self.changes is not None:
            await asyncio.to_thread(self.changes.stop)
        if self.adoption is not None:
            await asyncio.to_thread(self.adoption.stop)
        if self.mqtt is not None:
            self.mqtt.stop()
        if self.embedded is not None:
            await self.embedded.stop()
        for task in self._tasks:
            task.cancel()
        await self.alarms.stop()
        await self.cameras.stop()
        self.traffic.stop()
        await self.video.close()
        await self.hub.stop()
        self.bus.stop()
        self.writer.stop()
        self.net_kpis.stop()
        self.leases.stop()
        self.audit.checkpoint()
        self.db.close()

    def _publish(self, topic: str, payload: bytes, qos: int, retain: bool = False) -> None:
        if self.mqtt is not None:
            self.mqtt.publish(topic, payload, qos, retain)

    def _on_message(self, topic: str, payload: bytes, receipt: Receipt | None, redelivered: bool) -> None:
        """The MQTT adapter's sink: a peer's message to the peer entry, everything else to the ingest."""
        if self.peer_ingest is not None and topic.startswith(PEER_PREFIX):
            self.peer_ingest.handle(topic, payload, receipt, redelivered)
        else:
            self.ingest.handle(topic, payload, receipt, redelivered)

    def _adopt(self, peer: str) -> MqttClient:
        """A client under `peer`'s client id, on its persistent session: its device messages only (the peers'
        subscription this instance has itself)."""
        assert self.broker_url is not None
        client = MqttClient(self.broker_url, self.settings.client_id_of(peer),
                            shared_subscriptions(self.settings.cluster_group), self._on_adopted, tls=self._tls,
                            reconnect=False, unsubscribe=(PEER_SUBSCRIPTION,),
                            session_expiry_s=self.settings.mqtt_session_expiry_s)  # the session as its owner left it
        client.start()
        return client

    def _on_adopted(self, topic: str, payload: bytes, receipt: Receipt | None, redelivered: bool) -> None:
        """An adopted session's sink: device messages to the ingest, as this instance's own; a peer message queued
        for the dead instance is acknowledged unread (this instance heard it on its own subscription)."""
        if topic.startswith(PEER_PREFIX):
            if receipt is not None:
                receipt.expect(0)
        else:
            self.ingest.handle(topic, payload, receipt, redelivered)

    def _own_connection(self) -> int | None:
        return self.mqtt.connects if self.mqtt is not None and self.mqtt.connected.is_set() else None

    def _adopted(self) -> list[str]:
        return list(self.adoption.adopted) if self.adoption is not None else []

    def broker_connected(self) -> bool:
        return self.mqtt is not None and self.mqtt.connected.is_set()

    def _live_speeds(self) -> FloatArray | None:
        return self.traffic.live_speeds()

    def _lease(self, name: str) -> Callable[[], bool]:
        return lambda: self.leases.held(name)

    def _raise(self, event: SecurityEvent) -> None:
        self.bus.publish(SecurityRaised(event))

    def _on_stream(self, stream: str, _publisher: str, live: bool) -> None:
        # The badge belongs to the unit the stream is of ("police:P-7[:camera]"), whoever publishes it.
        agency, unit = stream.split(":")[:2]
        event = StreamStarted if live else StreamEnded
        self.bus.publish(event(stream, f"{agency}/{unit}"))

    async def _housekeeping(self) -> None:
        # Cell KPIs past their keeping times go too (not audited: measurements, not evidence), on the holder of
        # their lease only (at its next round: hourly); each job apart, so one failing never keeps the other from
        # running.
        jobs: tuple[tuple[Callable[[], object], str | None], ...] = (
            (self.apply_retention, None), (self.net_kpis.apply_retention, KPI_RETENTION))
        if self.leases.shared:  # the first round once a lease this instance may get counts, not an hour later
            await asyncio.sleep(self.leases.validity_s + self.leases.retry_s)
        while True:
            for job, lease in jobs:
                if lease is not None and not self.leases.held(lease):
                    continue
                try:
                    await asyncio.to_thread(job)
                except Exception:  # housekeeping must never take the server down; it tries again next time
                    log.exception("housekeeping failed")
            await asyncio.sleep(self.settings.housekeeping_interval_s)

    def apply_retention(self) -> list[str]:
        """Deletes recordings older than their agency keeps them (never those on legal hold); audited."""
        deleted = self.recordings.apply_retention(self.retention, self.clock.time())
        for recording in deleted:
            self.audit.record("psn", "evidence.retention_delete", recording)
        return deleted

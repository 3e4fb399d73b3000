"""Session adoption: a survivor takes over a dead instance's MQTT session, so it takes all the traffic within
seconds (docs/deploy.md, "Several instances").

Why: Mosquitto 2.0.11 hands nothing of a dead member of a shared subscription to the others. The messages in flight
to it stay in its persistent session, and it keeps getting its round-robin share of new ones until a client
connects under its client id (measured, tests/psn/test_cluster_failover.py: about 95 in flight and 580 of 1,200
new fixes waited for a killed `b`). A session that expires instead loses them (670 of 2,400).

How: every `retry_s` this instance reads the instance directory (a peer is alive while its lease connection is
open). For each dead peer Y it asks for the lease `mqtt-session:{Y}` (psn/store/lease.py: one adopter at most);
once the lease is held it connects a second MQTT client under Y's client id with Y's persistent session, so the
broker hands it Y's queued and in-flight messages and Y's share of new ones. The server gives them to the same
`Ingest.handle` as its own (acknowledged after commit; the store's unique keys drop a second copy), so they are
fanned out to the peers as this instance's. The client drops Y's peer subscription from the session (this
instance hears its peers itself) and acknowledges unread a peer message still queued there.

Letting go: the adopted client never reconnects by itself (`MqttClient(reconnect=False)`). When its connection
ends, the next round decides. If Y is alive again, the broker said 0x8E (session taken over), or this instance's
own connection to the broker stayed up meanwhile (Mosquitto 2.0.11 closes a taken-over connection without a
DISCONNECT: measured), another client has the session: the adopter stops, gives the lease back, says so in the log,
and adopts Y again only once Y has started again (a new registration) — no fight over the client id. Otherwise (the
broker restarted, the network dropped) it connects again. It also lets go when it sees Y alive, and stops when it
no longer holds the lease. What it held unacknowledged the broker redelivers to the session's next holder.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Gauge

from psn.mqtt import MqttClient
from psn.store.availability import reason
from psn.store.instances import InstanceDirectory
from psn.store.lease import Leases

log = logging.getLogger(__name__)
LEASE_PREFIX = "mqtt-session:"
SESSION_TAKEN_OVER = 0x8E  # MQTT 5 DISCONNECT reason code


def lease_name(instance: str) -> str:
    return f"{LEASE_PREFIX}{instance}"


@dataclass(frozen=True)
class _Adopted:
    client: MqttClient
    connection: int | None  # this instance's own broker connection (its number) when the client was started


class SessionAdoption:
    def __init__(self, instance: str, directory: InstanceDirectory, leases: Leases,
                 connect: Callable[[str], MqttClient], own_connection: Callable[[], int | None],
                 registry: CollectorRegistry) -> None:
        """`connect(peer)` starts a client under that peer's client id; `own_connection()` is the number of this
        instance's own broker connection while it is up (None while down)."""
        self.instance = instance
        self.directory = directory
        self.leases = leases
        self._connect = connect
        self._own_connection = own_connection
        self._wanted: dict[str, float] = {}  # peer -> its registration (start time) when its lease was asked for
        self._clients: dict[str, _Adopted] = {}
        self._yielded: dict[str, float] = {}  # peer -> the registration whose session another client took over
        self.adopted: tuple[str, ...] = ()  # the peers whose sessions are adopted here, for /readyz
        self._gauge = Gauge("psn_mqtt_adopted", "1 while this instance holds the MQTT session of a dead instance",
                            ["instance"], registry=registry)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="psn-adoption", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Adopted sessions are given back: their clients acknowledge what commits while they drain, the rest the
        broker keeps for the session's next holder."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        for peer in sorted(self._wanted.keys() | self._clients.keys()):
            self._let_go(peer, "this instance is stopping")

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.round()
            except Exception:  # the watcher must outlive a bug; the next round starts from what it knows
                log.exception("session adoption round failed")
            self._stopping.wait(self.leases.retry_s)

    def round(self) -> None:
        try:
            dead = self.directory.dead()
        except Exception as exc:  # the database down: the leases lapse by themselves, and `_follow` then stops
            log.warning("instance directory unreadable (%s): adopted sessions unchanged", reason(exc))
            return
        dead.pop(self.instance, None)
        for peer in sorted(self._wanted.keys() | self._clients.keys()):
            self._follow(peer, dead)
        for peer, started in dead.items():
            if peer not in self._wanted and self._yielded.get(peer) != started:
                self._wanted[peer] = started
                self.leases.want(lease_name(peer))

    def _follow(self, peer: str, dead: dict[str, float]) -> None:
        if peer not in dead:  # its lease connection is open again (or it was removed from the directory)
            self._let_go(peer, "it is alive again")
            return
        adopted = self._clients.get(peer)
        if adopted is not None and adopted.client.lost.is_set():
            client = adopted.client
            own = self._own_connection()
            if client.lost_reason == SESSION_TAKEN_OVER or (own is not None and own == adopted.connection):
                self._yielded[peer] = dead[peer]
                self._let_go(peer, "another client took the session over (not adopting it again until that "
                                   "instance starts again)", drain_s=0)
                return
            log.warning("adopted MQTT session of %s: connection lost with this instance's own; connecting again",
                        peer)
            self._forget(peer, drain_s=0)
            adopted = None
        if not self.leases.held(lease_name(peer)):
            if adopted is not None:
                log.warning("adopted MQTT session of %s: lease %s no longer held, client stopped", peer,
                            lease_name(peer))
                self._forget(peer, drain_s=0)
            return
        if adopted is None:
            log.warning("adopting the MQTT session of instance %s (dead: its lease connection is closed)", peer)
            self._clients[peer] = _Adopted(self._connect(peer), self._own_connection())
            self._changed(peer, 1)

    def _let_go(self, peer: str, why: str, drain_s: float = 5.0) -> None:
        held = peer in self._clients
        self._forget(peer, drain_s)
        self._wanted.pop(peer, None)
        self.leases.release(lease_name(peer))
        if held:
            log.warning("let go of the MQTT session of instance %s: %s", peer, why)

    def _forget(self, peer: str, drain_s: float) -> None:
        adopted = self._clients.pop(peer, None)
        if adopted is not None:
            adopted.client.stop(drain_s)
            self._changed(peer, 0)

    def _changed(self, peer: str, value: int) -> None:
        self._gauge.labels(peer).set(value)
        self.adopted = tuple(sorted(self._clients))

"""The paho-mqtt adapter: moves bytes between a broker and the ingest pipeline, nothing more.

MQTT 5 with Mosquitto (persistent session via session expiry); MQTT 3.1.1 with the embedded amqtt
broker, which speaks nothing newer. QoS 1 subscriptions, automatic reconnect with back-off.

At-least-once (docs/protocol.md, "Delivery guarantee"): a QoS 1 message is acknowledged to the broker only once
its `Receipt` is done — every durable subscriber (the store) has committed it, or nothing durable took it
(rejected, ignored, live-only). Until then the broker keeps it in the session and redelivers it after a crash or
a reconnect. paho acknowledged on `on_message`'s return before: 9–49 of 6,000 fixes were lost on kill -9
(../shared/NOTES.md). Acknowledgements leave in the order the messages came (MQTT 3.1.1 and 5, section 4.6), from
one acknowledging thread; paho's `ack` only appends to its outgoing packet queue and wakes its network thread, as
`publish` does from any thread.

A client that adopts a dead instance's session (psn/adoption.py) is made with `reconnect=False`: once its connection
ends it stays down (`lost` is set) and its owner decides whether to connect again, so it never fights the returning
instance for the client id.
"""

from __future__ import annotations

import collections
import logging
import ssl
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from psn.events import Receipt
from psn.mqtt.url import BrokerURL

log = logging.getLogger(__name__)
# Where messages go: (topic, payload, receipt, redelivered). The server's sink, in front of `Ingest.handle` and,
# for several instances, the peer entry.
MessageSink = Callable[[str, bytes, Receipt | None, bool], object]
ACK_POLL_S = 0.05  # the acknowledging thread's longest sleep: how soon `stop` sees it, not how soon acks leave
_HANDLED = Receipt()
_HANDLED.expect(0)


@dataclass(frozen=True, slots=True)
class TLSFiles:
    ca: str
    cert: str | None = None
    key: str | None = None


class MqttClient:
    def __init__(
        self,
        url: BrokerURL,
        client_id: str,
        subscriptions: Iterable[str],
        on_message: MessageSink,
        mqtt5: bool = True,
        tls: TLSFiles | None = None,
        session_expiry_s: int = 3600,
        no_local: Iterable[str] = (),
        reconnect: bool = True,
        unsubscribe: Iterable[str] = (),
    ) -> None:
        self.url = url
        self.subscriptions = tuple(subscriptions)
        # MQTT 5 "no local": filters of these never deliver psn's own publications back to it (its peer messages).
        self.no_local = frozenset(no_local)
        self.unsubscribe = tuple(unsubscribe)  # filters the session may hold that this client must not (adoption)
        self.reconnect = reconnect
        self.lost = threading.Event()  # the connection ended other than by `stop`
        self.lost_reason: int | None = None  # its reason code: 0x8E the session taken over (if the broker says so)
        self._handle = on_message
        self.mqtt5 = mqtt5
        self.session_expiry_s = session_expiry_s
        self.connected = threading.Event()
        self.connects = 0
        self._stopping = False
        self._draining = False  # stopping: new messages are left to the broker, the ones held are acknowledged
        # Messages received but not yet acknowledged, in arrival order. A packet id can arrive again before its
        # ack: the same message redelivered (DUP) after a reconnect, or a new one from a broker that lost track of
        # the id (skipping it as a redelivery would lose that message). Every copy is ingested (the replay guard
        # and the store's unique keys drop a second one) and only the newest copy of an id is acknowledged, after
        # every older one is done: one ack per id, never one the broker could take for a later message.
        # A session the broker lost (restarted without persistence, or expired) starts a new generation: the
        # packet ids of the old one mean nothing to it, and acknowledging one could acknowledge a new message.
        self._unacked: collections.deque[tuple[tuple[int, int], Receipt]] = collections.deque()
        self._newest: dict[tuple[int, int], Receipt] = {}  # (generation, packet id) -> its newest copy's receipt
        self._generation = 0
        self._lock = threading.Lock()  # the two threads' view of `_newest` and `_generation`
        self._arrived = threading.Event()
        self._acker = threading.Thread(target=self._acknowledge, name="psn-mqtt-ack", daemon=True)
        self.repeated_ids = 0  # messages that came under a packet id not yet acknowledged (see `_unacked`)
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5 if mqtt5 else mqtt.MQTTv311,
            clean_session=None if mqtt5 else False,
            manual_ack=True,
            reconnect_on_failure=reconnect,  # either way the first connection is retried until the broker answers
        )
        if url.username:
            self.client.username_pw_set(url.username, url.password)
        if tls is not None:
            self.client.tls_set(tls.ca, tls.cert, tls.key, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(100_000)
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    def start(self) -> None:
        properties = None
        if self.mqtt5:
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = self.session_expiry_s
        # connect_async + loop_start: paho retries until the broker is up, and after every drop.
        self.client.connect_async(
            self.url.host, self.url.port, keepalive=30,
            clean_start=False if self.mqtt5 else mqtt.MQTT_CLEAN_START_FIRST_ONLY,
            properties=properties,
        )
        self.client.loop_start()
        self._acker.start()

    def stop(self, drain_s: float = 5.0) -> None:
        """Takes no more messages, acknowledges what the store commits within `drain_s` (it still runs: the
        server stops it after this), then disconnects. What is still uncommitted stays unacknowledged: the broker
        redelivers it to the next run, and the store's unique keys make a second copy harmless."""
        self._draining = True
        self._arrived.set()
        if self._acker.is_alive():
            self._acker.join(drain_s)
        self._stopping = True
        if self._acker.is_alive():
            self._acker.join()
        self.client.disconnect()
        self.client.loop_stop()

    @property
    def unacknowledged(self) -> int:
        return len(self._unacked)

    def publish(self, topic: str, payload: bytes, qos: int = 0, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=qos, retain=retain)

    def _on_connect(self, client: mqtt.Client, _userdata: Any, flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.warning("broker %s refused the connection: %s", self.url, reason)
            return
        if not flags.session_present:
            with self._lock:
                self._generation += 1
            if self._unacked:
                log.warning("broker %s has lost psn's session: %d messages received but not yet committed will "
                            "not be redelivered if psn stops now", self.url, len(self._unacked))
        self.connects += 1
        log.info("connected to MQTT broker %s (connection %d)", self.url, self.connects)
        if self.mqtt5:
            client.subscribe([(topic, SubscribeOptions(qos=1, noLocal=topic in self.no_local))
                              for topic in self.subscriptions])
        else:
            client.subscribe([(topic, 1) for topic in self.subscriptions])
        if self.unsubscribe:
            client.unsubscribe(list(self.unsubscribe))
        self.connected.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.connected.clear()
        if self._stopping:
            log.info("disconnected from MQTT broker %s (stopping)", self.url)
            return
        self.lost_reason = getattr(reason, "value", None)
        self.lost.set()
        log.warning("disconnected from MQTT broker %s (%s); %s", self.url, reason,
                    "reconnecting" if self.reconnect else "not reconnecting")

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        qos, mid = message.qos, message.mid
        if qos == 0:  # nothing to acknowledge: at most once, whatever psn does
            self._ingest(message, None)
            return
        if self._draining:
            return  # unacknowledged: the broker delivers it again to the next run
        receipt = Receipt()
        if not self._ingest(message, receipt):
            receipt = _HANDLED  # a handler bug: a redelivery would only repeat it, as with a rejection
        with self._lock:
            key = (self._generation, mid)
            if key in self._newest:
                self.repeated_ids += 1
            self._newest[key] = receipt
        self._unacked.append((key, receipt))
        self._arrived.set()

    def _ingest(self, message: mqtt.MQTTMessage, receipt: Receipt | None) -> bool:
        try:
            self._handle(message.topic, bytes(message.payload), receipt, bool(message.dup))
        except Exception:  # the network thread must survive anything a handler does
            log.exception("handler failed on topic %r", message.topic)
            return False
        return True

    def _acknowledge(self) -> None:
        """Acknowledges the oldest message as soon as its receipt is done, then the next: the store commits in
        batches (every store_flush_s), so acks leave in bursts after each commit."""
        unacked, newest = self._unacked, self._newest
        while not self._stopping:
            if not unacked:
                if self._draining:
                    return
                self._arrived.wait(ACK_POLL_S)
                self._arrived.clear()
                continue
            key, receipt = unacked[0]
            if not receipt.wait(ACK_POLL_S):
                continue
            unacked.popleft()
            with self._lock:  # a copy arriving meanwhile becomes the newest: it is acknowledged after its own turn
                if newest.get(key) is not receipt:
                    continue  # a newer copy of this id is further down the queue
                del newest[key]
                if receipt.failed:  # never stored (shutdown with the database down): the broker must keep it
                    log.warning("message %d not stored: left unacknowledged for redelivery", key[1])
                elif key[0] == self._generation:
                    self.client.ack(key[1], 1)

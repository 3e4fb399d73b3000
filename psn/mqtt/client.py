"""The paho-mqtt adapter: moves bytes between a broker and the ingest pipeline, nothing more.

MQTT 5 with Mosquitto (persistent session via session expiry); MQTT 3.1.1 with the embedded amqtt
broker, which speaks nothing newer. QoS 1 subscriptions, automatic reconnect with back-off.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from psn.gateways import Sink
from psn.mqtt.url import BrokerURL

log = logging.getLogger(__name__)


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
        on_message: Sink,
        mqtt5: bool = True,
        tls: TLSFiles | None = None,
        session_expiry_s: int = 3600,
    ) -> None:
        self.url = url
        self.subscriptions = tuple(subscriptions)
        self._handle = on_message
        self.mqtt5 = mqtt5
        self.session_expiry_s = session_expiry_s
        self.connected = threading.Event()
        self.connects = 0
        self._stopping = False
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5 if mqtt5 else mqtt.MQTTv311,
            clean_session=None if mqtt5 else False,
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

    def stop(self) -> None:
        self._stopping = True
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic: str, payload: bytes, qos: int = 0, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=qos, retain=retain)

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.warning("broker %s refused the connection: %s", self.url, reason)
            return
        self.connects += 1
        log.info("connected to MQTT broker %s (connection %d)", self.url, self.connects)
        client.subscribe([(topic, 1) for topic in self.subscriptions])
        self.connected.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.connected.clear()
        if self._stopping:
            log.info("disconnected from MQTT broker %s (stopping)", self.url)
        else:
            log.warning("disconnected from MQTT broker %s (%s); reconnecting", self.url, reason)

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        try:
            self._handle(message.topic, bytes(message.payload))
        except Exception:  # the network thread must survive anything a handler does
            log.exception("handler failed on topic %r", message.topic)

"""MQTT adapters: the paho client psn uses to ingest, and the embedded broker for zero-install demos."""

from psn.mqtt.client import MqttClient, TLSFiles
from psn.mqtt.embedded import EmbeddedBroker, free_port, protect
from psn.mqtt.url import BrokerURL

__all__ = ["BrokerURL", "EmbeddedBroker", "MqttClient", "TLSFiles", "free_port", "protect"]

"""Byte-moving gateways: the room for every way telemetry enters psn other than MQTT (which is `psn.mqtt`).

A gateway only moves bytes. It takes messages from one kind of client (a TAK server's CoT stream, OsmAnd's
HTTP position requests, an NMEA serial line, a phone's browser geolocation), names each with a topic of the
namespace (`telemetry.topics`) and hands `(topic, payload)` to the `Sink` (the server's `Ingest.handle`).
Decoding is a pure decoder's job in `telemetry/`; what happens after is the bus subscribers' job. A gateway
never calls the store, the live state or the bus itself.
"""

from __future__ import annotations

from typing import Protocol

from psn.events import Receipt
from telemetry import Decoded


class Sink(Protocol):
    """Where a gateway delivers: decode, then publish on the bus (`psn.ingest.Ingest.handle`). `redelivered`:
    the transport itself says this is a second copy (MQTT's DUP flag, set by the broker, never by a device)."""

    def __call__(self, topic: str, payload: bytes, receipt: Receipt | None = None, redelivered: bool = False,
                 /) -> Decoded: ...


class Gateway(Protocol):
    """What a gateway offers the server, as `psn.mqtt.MqttClient` does: started in order, stopped in reverse."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


__all__ = ["Gateway", "Sink"]

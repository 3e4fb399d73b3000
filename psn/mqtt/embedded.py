"""An MQTT broker inside the psn process (amqtt), so the demo needs nothing installed.

amqtt speaks MQTT 3.1.1 only; production uses Mosquitto. It never assumes 1883 is free: port 0 picks one.
"""

from __future__ import annotations

import asyncio
import logging
import socket

from amqtt.broker import Broker

from psn.mqtt.url import BrokerURL

log = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class EmbeddedBroker:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.url = BrokerURL(host, port or free_port(host))
        self._broker: Broker | None = None

    async def start(self) -> BrokerURL:
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.url.host}:{self.url.port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self._broker = Broker(config, loop=asyncio.get_running_loop())
        await self._broker.start()
        log.info("embedded MQTT broker (amqtt, MQTT 3.1.1) listening on %s", self.url)
        return self.url

    async def stop(self) -> None:
        if self._broker is not None:
            await self._broker.shutdown()
            self._broker = None

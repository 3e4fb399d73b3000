"""An MQTT broker inside the psn process (amqtt), so the demo needs nothing installed.

amqtt speaks MQTT 3.1.1 only; production uses Mosquitto. It never assumes 1883 is free: port 0 picks one.
Plain and anonymous for the demo; given a `Protection`, MQTT over TLS 1.3 with client certificates only,
admitted by psn's `ClientGuard` and confined to their own topics (`psn.mqtt.tls_listener`, `amqtt_plugins`).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amqtt.broker import Broker

from psn.clock import Clock
from psn.mqtt.amqtt_compat import FilteredBroker
from psn.mqtt.certs import LiveCA, ensure_issued, open_ca, pki_dir
from psn.mqtt.client import TLSFiles
from psn.mqtt.guard import ClientGuard, Report
from psn.mqtt.tls_listener import ServerTLS, TlsListener
from psn.mqtt.url import BrokerURL

log = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Protection:
    tls: ServerTLS
    guard: ClientGuard


def protect(data_dir: Path, client_id: str, report: Report, clock: Clock) -> tuple[Protection, TLSFiles]:
    """The embedded broker's TLS files and guard, and psn's own client certificate (a service named after its
    client id, which the client-id rule then lets it use), from the network CA; a first start creates the CA."""
    now = clock.time()
    ca = open_ca(data_dir, now=now, create=True)
    directory = pki_dir(data_dir) / "embedded"
    loopback = ["localhost", "127.0.0.1", "::1"]  # where EmbeddedBroker listens
    server = ensure_issued(ca, directory, "broker", lambda: ca.issue_server(loopback, now=now), now=now)
    client = ensure_issued(ca, directory, client_id, lambda: ca.issue_service(client_id, now=now), now=now)
    guard = ClientGuard(LiveCA(ca.directory), report, clock)
    own = TLSFiles(str(ca.cert_path), str(client.cert), str(client.key))
    return Protection(ServerTLS(ca.cert_path, server.cert, server.key), guard), own


class EmbeddedBroker:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, protection: Protection | None = None) -> None:
        self.url = BrokerURL(host, port or free_port(host), tls=protection is not None)
        self.protection = protection
        self._broker: Broker | None = None
        self._listener: TlsListener | None = None

    def _config(self) -> dict[str, Any]:
        bind = f"{self.url.host}:{self.url.port}"
        if self.protection is None:
            return {
                "listeners": {"default": {"type": "tcp", "bind": bind}},
                "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
            }
        # "external": amqtt opens no socket; TlsListener accepts, admits and hands connections over.
        return {
            "listeners": {"default": {"type": "external", "bind": bind}},
            "plugins": {
                # The listener set every admitted session's username to its certificate identity.
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": False},
                "psn.mqtt.amqtt_plugins.IdentityTopicPlugin": {"guard": self.protection.guard},
            },
        }

    async def start(self) -> BrokerURL:
        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self._broker = FilteredBroker(self._config(), loop=asyncio.get_running_loop())
        await self._broker.start()
        if self.protection is not None:
            broker = self._broker
            self._listener = TlsListener(
                self.url.host, self.url.port, self.protection.tls, self.protection.guard,
                lambda reader, writer: broker.external_connected(reader, writer, "default"),
            )
            await self._listener.start()
        log.info("embedded MQTT broker (amqtt, MQTT 3.1.1) listening on %s", self.url)
        return self.url

    async def stop(self) -> None:
        if self._listener is not None:
            await self._listener.stop()
            self._listener = None
        if self._broker is not None:
            await self._broker.shutdown()
            self._broker = None

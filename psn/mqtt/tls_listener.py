"""MQTT over TLS 1.3 with client certificates in front of amqtt: psn's own listener, amqtt's "external" one.

amqtt's TLS listener asks for client certificates only optionally, and a resumed session keeps the TLS
details of the connection that created it. So psn accepts the connection itself: the TLS context requires a
certificate from the network CA; the CONNECT is read here and the client admitted by the `ClientGuard`
(identity, revocation, client id, will topic) before amqtt sees it; then the CN replaces the username,
as Mosquitto's `use_identity_as_username` does, and amqtt handles the rest of the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from amqtt.adapters import ReaderAdapter, StreamReaderAdapter, StreamWriterAdapter, WriterAdapter
from amqtt.mqtt.connack import NOT_AUTHORIZED, UNACCEPTABLE_PROTOCOL_VERSION, ConnackPacket
from amqtt.mqtt.connect import ConnectPacket

from psn.mqtt.guard import ClientGuard, Hello

log = logging.getLogger(__name__)
MQTT_311 = 4
CONNECT_TIMEOUT_S = 10.0

Handoff = Callable[[ReaderAdapter, WriterAdapter], Awaitable[None]]


@dataclass(frozen=True)
class ServerTLS:
    ca: Path  # client certificates must chain to this CA
    cert: Path
    key: Path

    def context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=str(self.ca))
        context.load_cert_chain(str(self.cert), str(self.key))
        return context


class ReplayReader(ReaderAdapter):
    """Gives amqtt the (rewritten) CONNECT first, then the rest of the stream."""

    def __init__(self, head: bytes, rest: ReaderAdapter) -> None:
        self._head = head
        self._rest = rest

    async def read(self, n: int = -1) -> bytes:
        if not self._head:
            return await self._rest.read(n)
        if n == -1:
            head, self._head = self._head, b""
            return head + await self._rest.read(-1)
        head, self._head = self._head[:n], self._head[n:]
        return head if len(head) == n else head + await self._rest.read(n - len(head))

    def feed_eof(self) -> None:
        self._rest.feed_eof()


class TlsListener:
    def __init__(self, host: str, port: int, tls: ServerTLS, guard: ClientGuard, handoff: Handoff) -> None:
        self.host, self.port = host, port
        self.tls = tls
        self.guard = guard
        self.handoff = handoff
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, self.host, self.port, ssl=self.tls.context(), ssl_handshake_timeout=CONNECT_TIMEOUT_S
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stream = StreamReaderAdapter(reader)
        out = StreamWriterAdapter(writer)
        peer = writer.get_extra_info("peername")
        address = f"{peer[0]}:{peer[1]}" if peer else "?"
        try:
            connect = await asyncio.wait_for(ConnectPacket.from_stream(stream), CONNECT_TIMEOUT_S)
        except Exception as exc:  # anything a client sends instead of a CONNECT: drop it, keep listening
            log.info("dropped %s: no valid CONNECT (%s)", address, exc)
            await out.close()
            return
        if connect.proto_level != MQTT_311:  # amqtt speaks 3.1.1 only; do not parse other versions further
            await self._refuse(out, UNACCEPTABLE_PROTOCOL_VERSION)
            return
        payload = connect.payload
        assert payload is not None  # from_stream always reads one
        ssl_object = writer.get_extra_info("ssl_object")
        hello = Hello(
            peer_cert=ssl_object.getpeercert(binary_form=True) if ssl_object else None,
            client_id="" if payload.client_id_is_random else (connect.client_id or ""),
            clean_session=connect.clean_session_flag,
            will_topic=connect.will_topic if connect.will_flag else None,
            address=address,
        )
        identity = self.guard.admit(hello)
        if identity is None:
            await self._refuse(out, NOT_AUTHORIZED)
            return
        connect.username_flag, connect.username = True, identity
        connect.password_flag, payload.password = False, None
        await self.handoff(ReplayReader(connect.to_bytes(), stream), out)

    @staticmethod
    async def _refuse(out: StreamWriterAdapter, code: int) -> None:
        with contextlib.suppress(ConnectionError):
            await ConnackPacket.build(0, code).to_stream(out)
        await out.close()

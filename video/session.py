"""What WHIP publishers and WHEP viewers share: one RTCPeerConnection with its lifecycle."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc import sdp as aiortc_sdp

from video import aiortc_compat
from video.errors import BadOffer

logger = logging.getLogger(__name__)


class Principal(Protocol):
    """Who is publishing or viewing, as returned by the injected authorizer."""

    @property
    def agency(self) -> str: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class SessionConfig:
    rtc: RTCConfiguration = field(default_factory=lambda: RTCConfiguration(iceServers=[]))


def parse_offer(sdp: str, direction: str) -> aiortc_sdp.SessionDescription:
    """Parse an offer and check each audio/video section is ``direction`` (or sendrecv); BadOffer otherwise."""
    try:
        description = aiortc_sdp.SessionDescription.parse(sdp)
    except Exception as exc:  # aiortc's parser raises assorted errors on garbage
        raise BadOffer(f"unparsable SDP offer: {exc}") from exc
    media = [m for m in description.media if m.kind in ("audio", "video")]
    if not media:
        raise BadOffer("SDP offer has no audio or video section")
    mids: set[str] = set()
    for index, m in enumerate(description.media):
        # WebRTC offers bundle their sections by mid (RFC 8843); aiortc fails deep inside without one.
        if m.rtp.muxId in (None, ""):
            raise BadOffer(f"SDP offer section {index} ({m.kind}) has no a=mid")
        if m.rtp.muxId in mids:
            raise BadOffer(f"SDP offer repeats a=mid:{m.rtp.muxId}")
        mids.add(m.rtp.muxId)
    for m in media:
        if m.direction not in (direction, "sendrecv"):
            raise BadOffer(f"{m.kind} section is {m.direction}, expected {direction}")
    return description


class PeerSession:
    """A peer connection that ends exactly once: on request, on ICE failure or when its peer leaves."""

    def __init__(self, stream_id: str, principal: Principal, config: SessionConfig) -> None:
        self.id = secrets.token_urlsafe(16)
        self.etag = f'"{secrets.token_hex(8)}"'
        self.stream_id = stream_id
        self.principal = principal
        self.pc = RTCPeerConnection(config.rtc)
        self.closed = asyncio.Event()
        self.close_error: Exception | None = None  # what aiortc raised while closing, if anything
        self._on_close: list[Callable[[PeerSession], Awaitable[None] | None]] = []
        self.pc.on("connectionstatechange", self._on_state)

    def on_close(self, callback: Callable[[PeerSession], Awaitable[None] | None]) -> None:
        self._on_close.append(callback)

    async def _on_state(self) -> None:
        if self.pc.connectionState in ("failed", "closed"):
            await self.close()

    async def answer(self, offer: str) -> str:
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        except Exception as exc:  # aiortc raises ValueError, InvalidAccessError, OperationError...
            raise BadOffer(f"SDP offer rejected: {exc}") from exc
        self.before_answer()
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription.sdp

    def before_answer(self) -> None:
        """Hook between applying the offer and creating the answer."""

    async def close(self) -> None:
        """Close the peer connection, then run every close callback, whatever fails on the way."""
        if self.closed.is_set():
            return
        self.closed.set()
        try:
            await aiortc_compat.close_peer_connection(self.pc)
        except Exception as exc:
            self.close_error = exc
            logger.warning("closing %s session %s failed in aiortc (released anyway): %r", self.stream_id, self.id,
                           exc)
        for callback in self._on_close:
            try:
                result = callback(self)
                if result is not None:
                    await result
            except Exception:
                logger.exception("a close callback of %s session %s failed", self.stream_id, self.id)

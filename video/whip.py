"""WHIP (RFC 9725) publisher sessions: receive a unit's media and hand its encoded frames to the forwarder."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from aiortc import RTCRtpReceiver
from aiortc import sdp as aiortc_sdp
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from video import aiortc_compat
from video.forwarding import EncodedSource
from video.session import PeerSession, Principal, SessionConfig, parse_offer
from video.snapshot import FrameTap


@dataclass(frozen=True)
class PublisherConfig:
    session: SessionConfig
    viewer_queue_frames: int = 60  # about 2 s of 30 fps video before a slow viewer skips to a keyframe
    min_pli_interval: float = 0.5  # RFC 4585 asks for restraint; joins within this window share one keyframe


class Publisher(PeerSession):
    """One WHIP ingest: a publisher peer connection and an EncodedSource per received track."""

    def __init__(
        self,
        stream_id: str,
        principal: Principal,
        config: PublisherConfig,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(stream_id, principal, config.session)
        self.started = time.time()
        self.sources: dict[str, EncodedSource] = {}
        self.tap = FrameTap(self.request_keyframe, clock)
        self._config = config
        self._clock = clock
        self._video_receiver: RTCRtpReceiver | None = None
        self._last_pli = float("-inf")
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, offer: str) -> str:
        parse_offer(offer, "sendonly")
        answer = await self.answer(offer)
        # The publisher sends with the first codec of our answer; viewers must negotiate that one.
        for media in aiortc_sdp.SessionDescription.parse(answer).media:
            codecs = [c.name for c in media.rtp.codecs if c.name.upper() != "RTX"]
            if media.kind in self.sources and codecs:
                self.sources[media.kind].codec_name = codecs[0]
        return answer

    def before_answer(self) -> None:
        for transceiver in self.pc.getTransceivers():
            kind, receiver = transceiver.kind, transceiver.receiver
            source = EncodedSource(kind, self.request_keyframe, self._config.viewer_queue_frames, self._clock)
            self.sources[kind] = source
            aiortc_compat.tap_encoded_frames(receiver, self._frame_handler(source), source.end)
            if kind == "video":
                self._video_receiver = receiver
                self._spawn(self.tap.run(receiver.track))

    def _frame_handler(self, source: EncodedSource) -> aiortc_compat.FrameHandler:
        def on_frame(codec: RTCRtpCodecParameters, frame: JitterFrame) -> bool:
            packet = source.push(codec.name, codec.clockRate, frame.data, frame.timestamp)
            return source.kind == "video" and self.tap.wants_decode(bool(packet.is_keyframe))

        return on_frame

    def request_keyframe(self) -> None:
        """Send a PLI to the publisher, at most once per ``min_pli_interval``."""
        now = self._clock()
        if self._video_receiver is None or now - self._last_pli < self._config.min_pli_interval:
            return
        self._last_pli = now
        for source in self._video_receiver.getSynchronizationSources():
            self._spawn(aiortc_compat.send_pli(self._video_receiver, source.source))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        if self.closed.is_set():
            return
        await super().close()
        for source in self.sources.values():
            source.end()
        for task in list(self._tasks):
            task.cancel()


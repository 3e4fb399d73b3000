"""aiortc test clients: a publisher of a synthetic moving image and viewers that count frames."""

from __future__ import annotations

import asyncio
import functools
import threading
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription, VideoStreamTrack
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

Signal = Callable[[str], Awaitable[str]]


class MovingImageTrack(VideoStreamTrack):
    """A bar sweeping across a gradient: every frame differs from the last."""

    def __init__(self, width: int = 320, height: int = 240) -> None:
        super().__init__()
        self.width, self.height = width, height
        self.count = 0
        self._base = np.tile(np.linspace(0, 255, width, dtype=np.uint8), (height, 1))

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        image = np.stack([self._base, np.roll(self._base, self.count * 8, axis=1), self._base], axis=2)
        image[:, (self.count * 8) % self.width : (self.count * 8) % self.width + 16] = 255
        frame = av.VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        self.count += 1
        return frame


def new_pc() -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


async def publish(signal: Signal, track: MediaStreamTrack, codec: str = "VP8") -> RTCPeerConnection:
    pc = new_pc()
    transceiver = pc.addTransceiver(track, direction="sendonly")
    transceiver.setCodecPreferences(
        [c for c in RTCRtpSender.getCapabilities("video").codecs if c.name in (codec, "rtx")]
    )
    await pc.setLocalDescription(await pc.createOffer())
    await pc.setRemoteDescription(RTCSessionDescription(await signal(pc.localDescription.sdp), "answer"))
    return pc


@dataclass
class ViewerClient:
    pc: RTCPeerConnection
    frames: list[av.VideoFrame] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    count: int = 0

    async def _consume(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                self.frames.append(frame)
                self.frames[:] = self.frames[-10:]
                self.count += 1
                self.arrived.set()
        except MediaStreamError:
            pass

    async def wait_frames(self, n: int, timeout: float = 15.0) -> None:
        async def enough() -> None:
            while self.count < n:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), timeout)


async def view(signal: Signal) -> ViewerClient:
    pc = new_pc()
    pc.addTransceiver("video", direction="recvonly")
    client = ViewerClient(pc)

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        client.task = asyncio.ensure_future(client._consume(track))

    await pc.setLocalDescription(await pc.createOffer())
    await pc.setRemoteDescription(RTCSessionDescription(await signal(pc.localDescription.sdp), "answer"))
    return client


def frame_difference(a: av.VideoFrame, b: av.VideoFrame) -> float:
    return float(np.abs(a.to_ndarray(format="gray").astype(int) - b.to_ndarray(format="gray").astype(int)).mean())



class PeerConnections:
    """The RTCPeerConnections constructed while it tracks (its `__init__` wrapper installed) that are not closed:
    the leak check, without collecting garbage and scanning the heap, which walk every object of the process (a
    scan: 0.56 s over 3 million objects; a whole `make test` session holds millions by tests/video, where the SDP
    fuzzing looked after each of its 300 examples). Held weakly, a connection counts until it is freed, not only
    while reachable: unreachable ones nobody closed count too."""

    def __init__(self) -> None:
        self._alive: weakref.WeakSet[RTCPeerConnection] = weakref.WeakSet()
        self._lock = threading.Lock()  # psn constructs its connections in its server's thread

    def track(self, monkeypatch: pytest.MonkeyPatch) -> PeerConnections:
        """Adds every RTCPeerConnection constructed from now until `monkeypatch` is undone."""
        init = RTCPeerConnection.__init__

        @functools.wraps(init)
        def tracked(pc: RTCPeerConnection, *args: Any, **kwargs: Any) -> None:
            init(pc, *args, **kwargs)
            with self._lock:
                self._alive.add(pc)

        monkeypatch.setattr(RTCPeerConnection, "__init__", tracked)
        return self

    def open(self) -> int:
        with self._lock:
            return sum(1 for pc in list(self._alive) if pc.connectionState != "closed")

"""Forwarding without re-encoding: one publisher's encoded frames fanned out to many viewers.

An :class:`EncodedSource` receives each complete encoded frame of one publisher
track (from :mod:`video.aiortc_compat`) as an ``av.Packet`` and offers it to
every attached :class:`ForwardingTrack`.  aiortc's ``RTCRtpSender`` packetises
the ``av.Packet`` returned by ``ForwardingTrack.recv()`` with ``encoder.pack``,
so no viewer costs a decode or an encode.

A viewer that falls behind (its bounded queue is full) loses its queue and
waits for the next keyframe, so it never shows a corrupted picture; each such
skip is counted and asks the publisher for a keyframe.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Callable
from dataclasses import dataclass

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

PacketSink = Callable[[av.Packet], None]


def is_keyframe(codec_name: str, data: bytes) -> bool:
    """Whether an encoded frame can be decoded on its own (VP8 key frame, H.264 IDR/SPS; audio: always)."""
    name = codec_name.upper()
    if name == "VP8":
        return bool(data) and data[0] & 0x01 == 0  # RFC 6386 9.1: frame tag bit 0 is 0 for key frames
    if name == "H264":
        return any(nal and nal[0] & 0x1F in (5, 7) for nal in data.split(b"\x00\x00\x01")[1:])
    return True


@dataclass
class TrackCounters:
    forwarded: int = 0
    dropped: int = 0


class ForwardingTrack(MediaStreamTrack):
    """A viewer's track: ``recv()`` returns the publisher's encoded frames as ``av.Packet``."""

    def __init__(self, source: EncodedSource, capacity: int) -> None:
        super().__init__()
        self.kind = source.kind
        self.counters = TrackCounters()
        self._source = source
        self._queue: asyncio.Queue[av.Packet | None] = asyncio.Queue(capacity)
        self._awaiting_keyframe = True

    def offer(self, packet: av.Packet) -> None:
        if self._queue.full():
            self._skip_to_keyframe()
        if self._awaiting_keyframe and not packet.is_keyframe:
            self.counters.dropped += 1
            return
        self._awaiting_keyframe = False
        self._queue.put_nowait(packet)

    def end(self) -> None:
        while self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(None)

    def _skip_to_keyframe(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
            self.counters.dropped += 1
        self._awaiting_keyframe = True
        self._source.request_keyframe()

    async def recv(self) -> av.Packet:  # aiortc's sender accepts Packet as well as Frame
        if self.readyState != "live":
            raise MediaStreamError
        packet = await self._queue.get()
        if packet is None:
            self.stop()
            raise MediaStreamError
        self.counters.forwarded += 1
        return packet

    def stop(self) -> None:
        super().stop()
        self._source.detach(self)


class EncodedSource:
    """One published track (audio or video) as a stream of encoded ``av.Packet``s."""

    def __init__(
        self,
        kind: str,
        request_keyframe: Callable[[], None],
        queue_capacity: int = 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.kind = kind
        self.codec_name: str | None = None
        self.clock_rate = 90000
        self.frames = 0
        self.bytes = 0
        self.keyframes = 0
        self.last_frame_at: float | None = None
        self.ended = False
        self._request_keyframe = request_keyframe
        self._capacity = queue_capacity
        self._clock = clock
        self._tracks: set[ForwardingTrack] = set()
        self._sinks: list[PacketSink] = []

    @property
    def viewer_tracks(self) -> frozenset[ForwardingTrack]:
        return frozenset(self._tracks)

    def attach(self) -> ForwardingTrack:
        """A new viewer track; the publisher is asked for a keyframe so the viewer starts promptly."""
        track = ForwardingTrack(self, self._capacity)
        if self.ended:
            track.end()
        else:
            self._tracks.add(track)
            self.request_keyframe()
        return track

    def detach(self, track: ForwardingTrack) -> None:
        self._tracks.discard(track)

    def add_sink(self, sink: PacketSink) -> None:
        """A synchronous consumer of every packet (the evidence recorder)."""
        self._sinks.append(sink)

    def request_keyframe(self) -> None:
        if self.kind == "video" and not self.ended:
            self._request_keyframe()

    def push(self, codec_name: str, clock_rate: int, data: bytes, timestamp: int) -> av.Packet:
        """Forward one encoded frame (``timestamp`` in ``clock_rate`` units) to every viewer and sink."""
        self.codec_name, self.clock_rate = codec_name, clock_rate
        packet = av.Packet(data)
        packet.pts = packet.dts = timestamp
        packet.time_base = fractions.Fraction(1, clock_rate)
        packet.is_keyframe = is_keyframe(codec_name, data)
        self.frames += 1
        self.bytes += len(data)
        self.keyframes += packet.is_keyframe
        self.last_frame_at = self._clock()
        for track in list(self._tracks):
            track.offer(packet)
        for sink in self._sinks:
            sink(packet)
        return packet

    def end(self) -> None:
        """The publisher is gone: every viewer track ends after what it has queued."""
        self.ended = True
        for track in list(self._tracks):
            track.end()
        self._tracks.clear()

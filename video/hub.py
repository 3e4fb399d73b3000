"""The registry of live streams: publishers, their viewers, health, snapshots and recording."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from video.errors import (
    BadOffer,
    RecordingUnavailable,
    SessionNotFound,
    StreamBusy,
    StreamNotFound,
    TooManySessions,
    VideoError,
)
from video.session import PeerSession, Principal, SessionConfig
from video.snapshot import FrameCallback, Subscription, encode_jpeg
from video.whep import Viewer
from video.whip import Publisher, PublisherConfig

logger = logging.getLogger(__name__)


class StreamRecording(Protocol):
    async def close(self) -> None: ...


class RecordingStarter(Protocol):
    """Starts evidence recording of a new publisher (see video.recorder.RecordingService)."""

    def start(self, publisher: Publisher) -> StreamRecording: ...


@dataclass(frozen=True)
class HubConfig:
    session: SessionConfig = field(default_factory=SessionConfig)
    viewer_queue_frames: int = 60
    max_viewers_per_stream: int = 200
    degraded_loss: float = 0.05  # fraction of packets lost since the previous health check
    stale_after: float = 2.0  # seconds without a video frame


@dataclass
class StreamHealth:
    bitrate_kbps: float
    fps: float
    packets_received: int
    packets_lost: int
    loss: float
    jitter: float
    viewer_drops: int
    degraded: bool
    reasons: list[str]


@dataclass
class StreamInfo:
    id: str
    unit: str
    agency: str
    started: float
    codecs: dict[str, str | None]
    viewers: int
    recording: bool
    health: StreamHealth

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _RateWindow:
    at: float
    frames: int
    bytes: int
    received: int
    lost: int


class StreamHub:
    def __init__(
        self,
        config: HubConfig | None = None,
        recordings: RecordingStarter | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_stream: Callable[[str, str, bool], None] | None = None,
    ) -> None:
        """`on_stream(stream_id, publisher name, live)` hears each stream start (after its answer) and end."""
        self.config = config or HubConfig()
        self._on_stream = on_stream
        self._announced: set[str] = set()
        self._recordings = recordings
        self._clock = clock
        self._publishers: dict[str, Publisher] = {}
        self._viewers: dict[str, Viewer] = {}
        self._recording: dict[str, StreamRecording] = {}
        self._windows: dict[str, _RateWindow] = {}
        self.refused: Counter[str] = Counter()  # "whip 400", "whep 404"...: offers answered with an error
        self.close_failures = 0  # sessions whose aiortc close() raised (released all the same)

    @property
    def peer_connection_count(self) -> int:
        return len(self._publishers) + len(self._viewers)

    def stats(self) -> dict[str, object]:
        return {"peer_connections": self.peer_connection_count, "refused": dict(self.refused),
                "close_failures": self.close_failures}

    def publisher(self, stream_id: str) -> Publisher:
        try:
            return self._publishers[stream_id]
        except KeyError:
            raise StreamNotFound(f"stream {stream_id!r} is not live") from None

    async def publish(self, stream_id: str, principal: Principal, offer: str) -> tuple[Publisher, str]:
        if stream_id in self._publishers:
            raise StreamBusy(f"stream {stream_id!r} already has a publisher")
        publisher_config = PublisherConfig(self.config.session, self.config.viewer_queue_frames)
        publisher = Publisher(stream_id, principal, publisher_config, self._clock)
        self._publishers[stream_id] = publisher
        publisher.on_close(self._publisher_closed)
        answer = await self._start(publisher, publisher.start(offer))
        if self._recordings is not None:
            try:
                self._recording[stream_id] = self._recordings.start(publisher)
            except Exception as exc:  # disk full, permissions: evidence cannot be kept, so no live stream either
                await publisher.close()
                raise RecordingUnavailable(f"recording cannot start ({type(exc).__name__}: {exc})") from exc
            except BaseException:
                await publisher.close()
                raise
        if self._on_stream is not None:
            self._announced.add(stream_id)
            self._on_stream(stream_id, principal.name, True)
        return publisher, answer

    async def view(self, stream_id: str, principal: Principal, offer: str) -> tuple[Viewer, str]:
        publisher = self.publisher(stream_id)
        if len(self._viewers_of(publisher)) >= self.config.max_viewers_per_stream:
            raise TooManySessions(f"stream {stream_id!r} has reached its viewer limit")
        viewer = Viewer(stream_id, principal, self.config.session, publisher)
        self._viewers[viewer.id] = viewer
        viewer.on_close(self._viewer_closed)
        answer = await self._start(viewer, viewer.start(offer))
        return viewer, answer

    @staticmethod
    async def _start(session: PeerSession, starting: Any) -> str:
        """Await the negotiation; on any failure close the session (its callbacks release it). aiortc's own
        errors become BadOffer (400) with what it said, never a 500."""
        try:
            answer: str = await starting
        except BaseException as exc:
            await session.close()
            if isinstance(exc, VideoError) or not isinstance(exc, Exception):
                raise
            logger.warning("negotiating %s failed", session.stream_id, exc_info=True)
            raise BadOffer(f"SDP offer could not be negotiated: {type(exc).__name__}: {exc}") from exc
        return answer

    def session(self, session_id: str) -> PeerSession:
        session: PeerSession | None = self._viewers.get(session_id)
        if session is None:
            session = next((p for p in self._publishers.values() if p.id == session_id), None)
        if session is None:
            raise SessionNotFound(f"no session {session_id!r}")
        return session

    async def end(self, session_id: str) -> None:
        await self.session(session_id).close()

    def _count_close_failure(self, session: PeerSession) -> None:
        if session.close_error is not None:
            self.close_failures += 1

    async def _publisher_closed(self, session: PeerSession) -> None:
        self._count_close_failure(session)
        if self._publishers.get(session.stream_id) is session:
            del self._publishers[session.stream_id]
            if session.stream_id in self._announced and self._on_stream is not None:
                self._announced.discard(session.stream_id)
                self._on_stream(session.stream_id, session.principal.name, False)
        self._windows.pop(session.stream_id, None)
        await asyncio.gather(*(v.close() for v in self._viewers_of(session)))
        recording = self._recording.pop(session.stream_id, None)
        if recording is not None:
            await recording.close()

    def _viewers_of(self, publisher: PeerSession) -> list[Viewer]:
        return [v for v in self._viewers.values() if v.publisher is publisher]

    def _viewer_closed(self, session: PeerSession) -> None:
        self._count_close_failure(session)
        self._viewers.pop(session.id, None)

    def streams(self) -> list[str]:
        return sorted(self._publishers)

    async def info(self, stream_id: str) -> StreamInfo:
        publisher = self.publisher(stream_id)
        viewers = self._viewers_of(publisher)
        return StreamInfo(
            id=stream_id,
            unit=publisher.principal.name,
            agency=publisher.principal.agency,
            started=publisher.started,
            codecs={kind: source.codec_name for kind, source in publisher.sources.items()},
            viewers=len(viewers),
            recording=stream_id in self._recording,
            health=await self._health(publisher, viewers),
        )

    async def _health(self, publisher: Publisher, viewers: list[Viewer]) -> StreamHealth:
        video = publisher.sources.get("video")
        received = lost = 0
        jitter = 0.0
        for stats in (await publisher.pc.getStats()).values():
            if getattr(stats, "type", None) == "inbound-rtp" and getattr(stats, "kind", None) == "video":
                received += stats.packetsReceived
                lost += stats.packetsLost
                jitter = max(jitter, float(stats.jitter))
        now = self._clock()
        frames = video.frames if video else 0
        size = video.bytes if video else 0
        previous = self._windows.get(publisher.stream_id)
        self._windows[publisher.stream_id] = _RateWindow(now, frames, size, received, lost)
        if previous is None or now <= previous.at:
            fps = bitrate = loss = 0.0
        else:
            span = now - previous.at
            fps = (frames - previous.frames) / span
            bitrate = (size - previous.bytes) * 8 / 1000 / span
            expected = (received - previous.received) + (lost - previous.lost)
            loss = (lost - previous.lost) / expected if expected > 0 else 0.0
        reasons = []
        if video is None or video.last_frame_at is None or now - video.last_frame_at > self.config.stale_after:
            reasons.append("no video")
        if loss > self.config.degraded_loss:
            reasons.append(f"packet loss {loss:.0%}")
        drops = sum(t.counters.dropped for v in viewers for t in v.tracks)
        return StreamHealth(round(bitrate, 1), round(fps, 1), received, lost, round(loss, 4), jitter, drops,
                            bool(reasons), reasons)

    async def snapshot_jpeg(self, stream_id: str, max_age: float = 2.0, timeout: float = 3.0) -> bytes:
        frame = await self.publisher(stream_id).tap.latest(max_age, timeout)
        return await asyncio.get_running_loop().run_in_executor(None, encode_jpeg, frame)

    def subscribe_frames(self, stream_id: str, callback: FrameCallback, max_fps: float = 1.0) -> Subscription:
        """The analytics frame tap: ``callback`` gets the stream's decoded frames, at most ``max_fps`` a second."""
        return self.publisher(stream_id).tap.subscribe(callback, max_fps)

    async def close(self) -> None:
        await asyncio.gather(*(p.close() for p in list(self._publishers.values())))
        await asyncio.gather(*(v.close() for v in list(self._viewers.values())))

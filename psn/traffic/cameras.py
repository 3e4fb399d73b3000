"""Traffic cameras: registrations (in the database), their live counting feeds and per-minute counts.

A camera is a fixed device publishing a WHIP stream (`stream`, e.g. "transport:CAM-3"). The service hears
`StreamStarted`/`StreamEnded` on the bus; when a registered camera's stream starts it taps the stream's decoded
frames (`StreamHub.subscribe_frames`, at `fps`) into a `CameraFeed` that counts vehicles crossing the camera's
line. Counts per direction per minute are kept for `keep_s` in memory, aggregates only; each change of a camera
(live, offline, counts) goes out as a `traffic_camera` live event to whoever may view traffic.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Gauge

from psn.access import Action, Principal, Resource, Target, decide
from psn.audit import AuditLog
from psn.bus import Bus
from psn.clock import Clock
from psn.events import StreamEnded, StreamStarted
from psn.live import LiveHub
from psn.store import Database
from psn.store.changes import CAMERA
from psn.store.schema import traffic_cameras
from psn.traffic.camera_feed import CameraFeed, tally_into
from traffic.camera import Crossing, FractionLine, MinuteCounts
from video import StreamHub
from video.errors import StreamNotFound
from video.snapshot import Subscription

log = logging.getLogger(__name__)
STATUSES = ("counted", "dropped", "ok", "black", "no_motion", "bad_frame")


@dataclass(frozen=True, slots=True)
class Camera:
    id: str
    name: str
    lat: float
    lon: float
    bearing_deg: float
    stream: str
    line: FractionLine
    directions: dict[str, str]  # {"a_to_b": label, "b_to_a": label}
    created_by: str
    created: float


def may_view_traffic(who: Principal) -> bool:
    return bool(decide(who, Action.VIEW, Target(Resource.TRAFFIC)))


class CameraService:
    def __init__(self, db: Database, clock: Clock, hub: LiveHub, video: StreamHub, audit: AuditLog,
                 registry: CollectorRegistry, fps: float = 12.0, queue_frames: int = 20,
                 keep_s: float = 24 * 3600.0) -> None:
        self._db, self._clock, self._hub, self._video, self._audit = db, clock, hub, video, audit
        # The tap delivers a frame when 1/fps has passed since the last: at 10 it takes every fourth frame of a
        # 30 frames/s camera (≈ 8.6 frames/s measured), at 12 every third (≈ 10 measured: the counter's rate).
        self.fps, self._queue_frames, self._keep_s = fps, queue_frames, keep_s
        self._lock = threading.Lock()
        self._cameras: dict[str, Camera] = {}
        self._counts: dict[str, MinuteCounts] = {}
        self._feeds: dict[str, tuple[CameraFeed, Subscription]] = {}
        self._live_since: dict[str, float] = {}  # stream -> when its feed was attached (a page dates staleness by it)
        self._loop: asyncio.AbstractEventLoop | None = None
        self.frames: Counter[str] = Counter()  # server-wide: "counted", "dropped" and each frame status
        self._tally = tally_into(self.frames, self._lock)
        self._gauge = Gauge("psn_traffic_camera_frames_total", "Traffic camera frames: counted, dropped when the "
                            "counter was behind, and by status (ok, black, no_motion, bad_frame)", ["status"],
                            registry=registry)

    # Registrations

    def load(self) -> None:
        with self._db.engine.connect() as conn:
            rows = conn.execute(sa.select(traffic_cameras).order_by(traffic_cameras.c.created)).all()
        with self._lock:
            for r in rows:
                self._cameras[r.id] = _camera(r)
                self._counts.setdefault(r.id, MinuteCounts(self._keep_s))

    def refresh(self, camera_id: str) -> None:
        """Another instance registered or removed the camera: its stream is counted here if it is live here, or
        no longer (and the consoles told, as there)."""
        with self._db.engine.connect() as conn:
            row = conn.execute(sa.select(traffic_cameras).where(traffic_cameras.c.id == camera_id)).first()
        if row is not None:
            camera = _camera(row)
            with self._lock:
                if camera.id in self._cameras:
                    return
                self._cameras[camera.id] = camera
                self._counts[camera.id] = MinuteCounts(self._keep_s)
            self._on_loop(self._attach, camera.stream)
            return
        gone = self._cameras.get(camera_id)
        if gone is not None:
            self._forget(gone)

    def reload(self) -> None:
        """Every camera as stored (the change listener was away): new ones added, removed ones forgotten."""
        with self._db.engine.connect() as conn:
            stored = set(conn.execute(sa.select(traffic_cameras.c.id)).scalars())
        for camera_id in stored | set(self._cameras):
            self.refresh(camera_id)

    def get(self, camera_id: str) -> Camera | None:
        return self._cameras.get(camera_id)

    def by_stream(self, stream: str) -> Camera | None:
        return next((c for c in list(self._cameras.values()) if c.stream == stream), None)

    def register(self, camera: Camera, who: Principal) -> dict[str, Any]:
        """KeyError if the id or the stream is taken (the caller answers 409)."""
        with self._lock:
            if camera.id in self._cameras or self.by_stream(camera.stream) is not None:
                raise KeyError(camera.id)
            self._cameras[camera.id] = camera
            self._counts[camera.id] = MinuteCounts(self._keep_s)
        try:
            with self._db.engine.begin() as conn:
                conn.execute(traffic_cameras.insert().values(
                    id=camera.id, name=camera.name, lat=camera.lat, lon=camera.lon, bearing_deg=camera.bearing_deg,
                    stream=camera.stream, line=orjson.dumps(camera.line).decode(),
                    directions=orjson.dumps(camera.directions).decode(), created_by=camera.created_by,
                    created=camera.created))
                self._db.announce(conn, CAMERA, camera.id)
        except Exception:  # not stored: not registered either (a kept one would make every retry a 409)
            with self._lock:
                self._cameras.pop(camera.id, None)
                self._counts.pop(camera.id, None)
            raise
        self._audit.record(who.name, "traffic_camera.create", camera.id, stream=camera.stream)
        self._on_loop(self._attach, camera.stream)  # its stream may be live already
        return self.row(camera)

    def remove(self, camera: Camera, who: Principal) -> None:
        with self._db.engine.begin() as conn:
            conn.execute(traffic_cameras.delete().where(traffic_cameras.c.id == camera.id))
            self._db.announce(conn, CAMERA, camera.id)
        self._audit.record(who.name, "traffic_camera.delete", camera.id)
        self._forget(camera)

    def _forget(self, camera: Camera) -> None:
        self._on_loop(self._detach, camera.stream)
        with self._lock:
            self._cameras.pop(camera.id, None)
            self._counts.pop(camera.id, None)
        self._hub.notify("traffic_camera", {"camera": {**self.row(camera), "removed": True}}, may_view_traffic)

    def rows(self) -> list[dict[str, Any]]:
        return [self.row(c) for c in list(self._cameras.values())]

    def row(self, camera: Camera) -> dict[str, Any]:
        now = self._clock.time()
        with self._lock:
            counts = self._counts.get(camera.id) or MinuteCounts(self._keep_s)
            counts.prune(now)
            history = counts.rows()
            a_to_b, b_to_a = counts.last(now)
        return {"id": camera.id, "name": camera.name, "lat": camera.lat, "lon": camera.lon,
                "bearing_deg": camera.bearing_deg, "stream": camera.stream, "live": camera.stream in self._feeds,
                "live_since": self._live_since.get(camera.stream),
                "line": [list(camera.line[0]), list(camera.line[1])], "directions": camera.directions,
                "last_minute": {"a_to_b": a_to_b, "b_to_a": b_to_a}, "history": history}

    # Live feeds

    def subscribe(self, bus: Bus) -> None:
        bus.subscribe("traffic-cameras", self._on_stream_event, (StreamStarted, StreamEnded))

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        for camera in list(self._cameras.values()):
            if camera.stream in self._video.streams():
                self._attach(camera.stream)

    async def stop(self) -> None:
        for stream in list(self._feeds):
            self._detach(stream, announce=False)
        self._loop = None

    def _on_stream_event(self, event: StreamStarted | StreamEnded) -> None:
        """On a bus thread: the frame tap lives on the event loop, so the change is made there."""
        if self.by_stream(event.stream) is not None:
            self._on_loop(self._attach if isinstance(event, StreamStarted) else self._detach, event.stream)

    def _on_loop(self, change: Callable[[str], None], stream: str) -> None:
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: the server is stopping
                loop.call_soon_threadsafe(change, stream)

    def _attach(self, stream: str) -> None:
        if stream not in self._video.streams():
            return
        camera = self.by_stream(stream)
        if camera is None or stream in self._feeds:
            return
        feed = CameraFeed(camera.id, camera.line, self._clock.time, lambda c: self._crossed(camera, c),
                          self._tally, self._queue_frames)
        try:
            subscription = self._video.subscribe_frames(stream, feed.offer, self.fps)
        except StreamNotFound:  # ended meanwhile: StreamEnded follows, or already went by
            feed.stop()
            return
        self._feeds[stream] = (feed, subscription)
        self._live_since[stream] = self._clock.time()
        self._announce(camera)

    def _detach(self, stream: str, announce: bool = True) -> None:
        entry = self._feeds.pop(stream, None)
        self._live_since.pop(stream, None)
        if entry is None:
            return
        feed, subscription = entry
        subscription.close()
        feed.stop()
        camera = self.by_stream(stream)
        if announce and camera is not None:
            self._announce(camera)

    def _crossed(self, camera: Camera, crossings: list[Crossing]) -> None:
        """On the feed's thread."""
        with self._lock:
            counts = self._counts.get(camera.id)
            if counts is None:
                return
            counts.add(crossings)
        self._announce(camera)

    def _announce(self, camera: Camera) -> None:
        self._hub.notify("traffic_camera", {"camera": self.row(camera)}, may_view_traffic)

    def export(self) -> None:
        with self._lock:
            frames = dict(self.frames)
        for status in STATUSES:
            self._gauge.labels(status).set(frames.get(status, 0))

    def stats(self) -> dict[str, Any]:
        with self._lock:
            frames = dict(self.frames)
        return {"cameras": len(self._cameras), "live": len(self._feeds), "frames": frames}


def _camera(r: Any) -> Camera:
    (x0, y0), (x1, y1) = orjson.loads(r.line)
    return Camera(r.id, r.name, r.lat, r.lon, r.bearing_deg, r.stream, ((x0, y0), (x1, y1)),
                  orjson.loads(r.directions), r.created_by, r.created)

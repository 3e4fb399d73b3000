"""Evidence recording: each stream remuxed (never transcoded) into sealed Matroska segments.

The recorder is a synchronous sink on a publisher's EncodedSource: it copies
each forwarded ``av.Packet`` into an in-memory Matroska segment.  A segment
starts on a video keyframe (so it plays on its own); once it is
``segment_seconds`` long the publisher is asked for a keyframe and the segment
is cut there.  A finished segment is hashed, sealed with the agency's data key
(``aad`` binds the blob to its recording and name), written, chained into the
manifest, and the manifest re-signed, off the event loop and in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, cast

import av
from av.video.codeccontext import VideoCodecContext
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from video.forwarding import EncodedSource
from video.manifest import Manifest, SegmentEntry, SignedManifest, sha256_hex, sign
from video.whip import Publisher

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
CONTAINER = "matroska"
SEGMENT_SUFFIX = ".mkv"
SEALED_SUFFIX = ".sealed"


class Sealer(Protocol):
    """Agency envelope encryption, e.g. crypto.envelope.Keyring."""

    def seal(self, agency: str, plaintext: bytes, aad: bytes) -> bytes: ...


class Opener(Protocol):
    def open(self, blob: bytes, aad: bytes) -> bytes: ...


def segment_aad(recording_id: str, name: str) -> bytes:
    return f"psn-video/{recording_id}/{name}".encode()


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@dataclass(frozen=True)
class RecorderConfig:
    root: Path
    segment_seconds: float = 10.0


def _probe_size(codec_name: str, keyframe: bytes) -> tuple[int, int]:
    """Picture size from a keyframe (Matroska wants it in the track header)."""
    decoder = cast(VideoCodecContext, av.CodecContext.create(codec_name.lower(), "r"))
    for frame in decoder.decode(av.Packet(keyframe)):
        return frame.width, frame.height
    for frame in decoder.decode(None):
        return frame.width, frame.height
    raise ValueError("keyframe did not decode")


class SegmentWriter:
    """One Matroska segment being remuxed in memory; timestamps rebased to start at zero."""

    def __init__(self, codecs: dict[str, str], keyframe: av.Packet, start: float) -> None:
        self.start = start
        self._buffer = io.BytesIO()
        self._container = av.open(self._buffer, "w", format=CONTAINER)
        self._streams: dict[str, av.stream.Stream] = {}
        self._origin: dict[str, int] = {}
        for kind, codec in sorted(codecs.items()):
            if kind == "video":
                width, height = _probe_size(codec, bytes(keyframe))
                self._streams[kind] = self._container.add_mux_stream(codec.lower(), width=width, height=height)
            else:
                self._streams[kind] = self._container.add_mux_stream(codec.lower(), rate=48000)

    def add(self, kind: str, packet: av.Packet) -> None:
        stream = self._streams.get(kind)
        if stream is None or packet.pts is None:
            return
        origin = self._origin.setdefault(kind, packet.pts)
        if packet.pts < origin:  # audio that was captured before the segment's first picture
            return
        copy = av.Packet(bytes(packet))  # the packet is shared with viewers: muxing must not rebase theirs
        copy.pts = copy.dts = packet.pts - origin
        copy.time_base = packet.time_base
        copy.is_keyframe = packet.is_keyframe
        copy.stream = stream
        self._container.mux(copy)

    def finish(self) -> bytes:
        self._container.close()
        return self._buffer.getvalue()


@dataclass
class _Finished:
    start: float
    end: float
    data: bytes


class StreamRecorder:
    """Records one publisher; ``close()`` seals the last segment."""

    def __init__(
        self,
        manifest: Manifest,
        directory: Path,
        sealer: Sealer,
        signer: Ed25519PrivateKey,
        config: RecorderConfig,
        request_keyframe: Callable[[], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.manifest = manifest
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._sealer, self._signer, self._config = sealer, signer, config
        self._request_keyframe = request_keyframe
        self._clock = clock
        self._segment: SegmentWriter | None = None
        self._cut_requested = False
        self._queue: asyncio.Queue[_Finished | None] = asyncio.Queue()
        self._writer = asyncio.ensure_future(self._write_segments())
        self.errors = 0

    def sink(self, kind: str) -> Callable[[av.Packet], None]:
        def on_packet(packet: av.Packet) -> None:
            try:
                self.add(kind, packet)
            except av.FFmpegError:  # a corrupt frame must not stop forwarding; it is counted and logged
                self.errors += 1
                logger.exception("recording %s: cannot mux %s packet", self.manifest.recording_id, kind)

        return on_packet

    def add(self, kind: str, packet: av.Packet) -> None:
        now = self._clock()
        due = self._segment is None or now - self._segment.start >= self._config.segment_seconds
        if kind == "video" and packet.is_keyframe and due:
            self._cut(now)
            self._segment = SegmentWriter(dict(self.manifest.codecs), packet, now)
            self._cut_requested = False
        if self._segment is None:
            return
        if not self._cut_requested and now - self._segment.start >= self._config.segment_seconds:
            self._cut_requested = True
            self._request_keyframe()
        self._segment.add(kind, packet)

    def _cut(self, now: float) -> None:
        if self._segment is not None:
            self._queue.put_nowait(_Finished(self._segment.start, now, self._segment.finish()))
            self._segment = None

    async def close(self) -> None:
        self._cut(self._clock())
        self._queue.put_nowait(None)
        await self._writer

    async def _write_segments(self) -> None:
        loop = asyncio.get_running_loop()
        while (finished := await self._queue.get()) is not None:
            self.manifest = await loop.run_in_executor(None, self._store, finished)

    def _store(self, finished: _Finished) -> Manifest:
        name = f"seg-{len(self.manifest.segments):06d}{SEGMENT_SUFFIX}"
        sealed = self._sealer.seal(self.manifest.agency, finished.data, segment_aad(self.manifest.recording_id, name))
        write_atomic(self.directory / (name + SEALED_SUFFIX), sealed)
        entry = SegmentEntry(0, name, finished.start, finished.end, len(finished.data), sha256_hex(finished.data),
                             sha256_hex(sealed))
        manifest = self.manifest.append(entry)
        write_atomic(self.directory / MANIFEST, json.dumps(sign(manifest, self._signer).to_json(), indent=1).encode())
        return manifest


@dataclass(frozen=True)
class RetentionPolicy:
    days: dict[str, float] = field(default_factory=dict)  # agency -> days kept
    default_days: float = 90.0

    def keep_days(self, agency: str) -> float:
        return self.days.get(agency, self.default_days)


class RecordingStore:
    """Recordings on disk: ``root/agency/stream/recording_id/{manifest.json, seg-NNNNNN.mkv.sealed}``."""

    HOLD = "HOLD"  # a file of this name exempts a recording from retention (legal hold)

    def __init__(self, root: Path) -> None:
        self.root = root

    def directory(self, agency: str, stream_id: str, recording_id: str) -> Path:
        return self.root / agency / stream_id / recording_id

    def recordings(self) -> Iterator[tuple[Path, SignedManifest]]:
        for path in sorted(self.root.glob(f"*/*/*/{MANIFEST}")):
            with contextlib.suppress(ValueError, KeyError, TypeError):
                yield path.parent, SignedManifest.from_json(json.loads(path.read_bytes()))

    def find(self, recording_id: str) -> tuple[Path, SignedManifest]:
        for directory, signed in self.recordings():
            if signed.manifest.recording_id == recording_id:
                return directory, signed
        raise LookupError(f"no recording {recording_id!r}")

    @staticmethod
    def open_segment(directory: Path, manifest: Manifest, name: str, opener: Opener) -> bytes:
        """Decrypt segment ``name`` of a recording found by ``find``/``recordings`` (its directory and manifest)."""
        if name not in {s.name for s in manifest.segments}:
            raise LookupError(f"recording {manifest.recording_id!r} has no segment {name!r}")
        return opener.open((directory / (name + SEALED_SUFFIX)).read_bytes(), segment_aad(manifest.recording_id, name))

    def apply_retention(self, policy: RetentionPolicy, now: float) -> list[str]:
        """Delete recordings whose last segment is older than their agency keeps them; returns their ids."""
        deleted = []
        for directory, signed in list(self.recordings()):
            manifest = signed.manifest
            last = manifest.segments[-1].end if manifest.segments else manifest.started
            if (directory / self.HOLD).exists() or now - last < policy.keep_days(manifest.agency) * 86400:
                continue
            for path in directory.iterdir():
                path.unlink()
            directory.rmdir()
            deleted.append(manifest.recording_id)
        return deleted


class RecordingService:
    """Starts a StreamRecorder for every publisher (plug into StreamHub(recordings=...))."""

    def __init__(
        self,
        store: RecordingStore,
        sealer: Sealer,
        signer: Ed25519PrivateKey,
        segment_seconds: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self._sealer, self._signer, self._clock = sealer, signer, clock
        self._config = RecorderConfig(store.root, segment_seconds)

    def start(self, publisher: Publisher) -> StreamRecorder:
        return self.record(publisher.stream_id, publisher.principal.agency, publisher.principal.name,
                           publisher.sources, publisher.request_keyframe)

    def record(
        self,
        stream_id: str,
        agency: str,
        unit: str,
        sources: dict[str, EncodedSource],
        request_keyframe: Callable[[], None],
    ) -> StreamRecorder:
        started = self._clock()
        # 128 random bits and nothing else: an id names no stream and no time, and cannot be guessed. Ids of the
        # earlier scheme (stream, UTC stamp, 24 random bits) stay valid: a recording is found by its manifest.
        recording_id = secrets.token_hex(16)
        codecs = {kind: s.codec_name for kind, s in sources.items() if s.codec_name}
        manifest = Manifest(recording_id, stream_id, unit, agency, started, codecs)
        recorder = StreamRecorder(manifest, self.store.directory(agency, stream_id, recording_id), self._sealer,
                                  self._signer, self._config, request_keyframe, self._clock)
        for kind, source in sources.items():
            if kind in codecs:
                source.add_sink(recorder.sink(kind))
        return recorder

"""Recording round trip: 30 s of stream -> sealed segments -> export -> verify; tampering is named."""

from __future__ import annotations

import fractions
import json
from pathlib import Path

import av
import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto import Keyring, LocalMasterKey
from video.evidence import export, verify_bundle
from video.forwarding import EncodedSource
from video.manifest import raw_public_key
from video.recorder import RecordingService, RecordingStore, RetentionPolicy

FPS = 15


class FakeClock:
    def __init__(self, now: float = 1_790_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class SyntheticPublisher:
    """A VP8 encoder producing a moving picture; honours keyframe requests like a real publisher."""

    def __init__(self) -> None:
        self.codec = av.CodecContext.create("libvpx", "w")
        self.codec.width, self.codec.height, self.codec.pix_fmt = 160, 120, "yuv420p"
        self.codec.time_base = fractions.Fraction(1, FPS)
        self.codec.gop_size = 10_000
        self.keyframe_wanted = True
        self.count = 0

    def request_keyframe(self) -> None:
        self.keyframe_wanted = True

    def next(self) -> list[bytes]:
        image = np.zeros((120, 160, 3), np.uint8)
        image[:, (self.count * 4) % 160] = 255
        frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
        frame.pts, frame.time_base = self.count, self.codec.time_base
        if self.keyframe_wanted:
            frame.pict_type = av.video.frame.PictureType.I
            self.keyframe_wanted = False
        self.count += 1
        return [bytes(p) for p in self.codec.encode(frame)]


@pytest.fixture
def keyring(tmp_path: Path) -> Keyring:
    ring = Keyring(tmp_path / "keyring.json", LocalMasterKey.generate())
    ring.rotate("police")
    return ring


async def record(tmp_path: Path, keyring: Keyring, signer: Ed25519PrivateKey, seconds: int) -> RecordingStore:
    """Feed ``seconds`` of 15 fps video through an EncodedSource into a recorder, faster than real time."""
    clock = FakeClock()
    store = RecordingStore(tmp_path / "recordings")
    service = RecordingService(store, keyring, signer, segment_seconds=10, clock=clock)
    encoder = SyntheticPublisher()
    source = EncodedSource("video", encoder.request_keyframe)
    source.codec_name = "VP8"
    recorder = service.record("cam1", "police", "unit-7", {"video": source}, source.request_keyframe)
    for i in range(seconds * FPS):
        for data in encoder.next():
            source.push("VP8", 90000, data, i * 90000 // FPS)
        clock.now += 1 / FPS
    await recorder.close()
    return store


async def test_record_export_verify_and_tamper(tmp_path: Path, keyring: Keyring) -> None:
    signer = Ed25519PrivateKey.generate()
    store = await record(tmp_path, keyring, signer, seconds=30)
    [(directory, signed)] = list(store.recordings())
    manifest = signed.manifest
    assert [s.name for s in manifest.segments] == ["seg-000000.mkv", "seg-000001.mkv", "seg-000002.mkv"]
    assert manifest.segments[-1].end - manifest.segments[0].start == pytest.approx(30, abs=0.2)
    sealed = (directory / "seg-000001.mkv.sealed").read_bytes()
    assert b"webm" not in sealed and b"matroska" not in sealed, "segments are encrypted at rest"

    bundle = tmp_path / "bundle"
    summary = export(store, keyring, "cam1", manifest.started, manifest.started + 30, bundle)
    assert summary.segments == {manifest.recording_id: [s.name for s in manifest.segments]}
    report = verify_bundle(bundle)
    assert report.ok, report.failures
    assert len(report.checked) == 3
    total = 0
    for name in summary.segments[manifest.recording_id]:  # remuxed, not transcoded: every frame is there
        with av.open(str(bundle / manifest.recording_id / name)) as container:
            assert container.streams.video[0].codec_context.name == "vp8"
            total += sum(1 for _ in container.demux(video=0) if _.size)
    assert total == 30 * FPS

    segment = bundle / manifest.recording_id / "seg-000001.mkv"
    data = bytearray(segment.read_bytes())
    data[len(data) // 2] ^= 0x01
    segment.write_bytes(bytes(data))
    report = verify_bundle(bundle)
    assert not report.ok
    assert report.failures == [f"{manifest.recording_id}/seg-000001.mkv: SHA-256 does not match the manifest (altered)"]


async def test_manifest_tampering_and_wrong_key_fail(tmp_path: Path, keyring: Keyring) -> None:
    signer = Ed25519PrivateKey.generate()
    store = await record(tmp_path, keyring, signer, seconds=12)
    [(_, signed)] = list(store.recordings())
    bundle = tmp_path / "bundle"
    export(store, keyring, "cam1", 0, 2e9, bundle)
    manifest_path = bundle / signed.manifest.recording_id / "manifest.json"
    doc = json.loads(manifest_path.read_text())
    doc["manifest"]["segments"][0]["end"] += 5  # move a segment's time
    manifest_path.write_text(json.dumps(doc))
    failures = verify_bundle(bundle).failures
    assert any("signature" in f for f in failures) and any("seg-000000.mkv: hash chain broken" in f for f in failures)

    other = Ed25519PrivateKey.generate().public_key()
    assert "trusted" in " ".join(verify_bundle(bundle, trusted_key=raw_public_key(other)).failures)


async def test_retention_deletes_old_recordings_unless_held(tmp_path: Path, keyring: Keyring) -> None:
    store = await record(tmp_path, keyring, Ed25519PrivateKey.generate(), seconds=2)
    [(directory, signed)] = list(store.recordings())
    end = signed.manifest.segments[-1].end
    policy = RetentionPolicy(days={"police": 30})
    assert store.apply_retention(policy, now=end + 29 * 86400) == []
    (directory / RecordingStore.HOLD).touch()
    assert store.apply_retention(policy, now=end + 31 * 86400) == []
    (directory / RecordingStore.HOLD).unlink()
    assert store.apply_retention(policy, now=end + 31 * 86400) == [signed.manifest.recording_id]
    assert not directory.exists()


async def test_cli_export_and_verify(tmp_path: Path, keyring: Keyring, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from video.cli import register

    master = LocalMasterKey.generate()
    ring = Keyring(tmp_path / "cli-keyring.json", master)
    ring.rotate("police")
    master_path = tmp_path / "master.key"
    master.write(master_path)
    store = await record(tmp_path, ring, Ed25519PrivateKey.generate(), seconds=3)
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    common = ["--recordings", str(store.root), "--keyring", str(ring.path), "--master-key", str(master_path)]
    args = parser.parse_args(["evidence", "export", "cam1", "--from", "2026-09-21T00:00:00", "--to",
                              "2026-09-23T00:00:00", "--out", str(tmp_path / "b"), *common])
    assert args.func(args) == 0
    args = parser.parse_args(["evidence", "verify", str(tmp_path / "b")])
    assert args.func(args) == 0
    assert "VERIFIED" in capsys.readouterr().out

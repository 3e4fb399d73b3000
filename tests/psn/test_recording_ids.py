"""Recording ids are unguessable, and a recording of another agency answers exactly like one that does not exist
(the denial still lands in the security feed); recordings stored under the old id scheme still play."""

from __future__ import annotations

import asyncio
import re

import httpx

from psn.keys import key_dir, signing_key
from psn.security_events import Kind
from tests.support import RunningServer
from tests.video.test_recorder import FPS, SyntheticPublisher
from video.forwarding import EncodedSource
from video.manifest import Manifest
from video.recorder import RecorderConfig, RecordingService, StreamRecorder

LEGACY_ID = "police:P-1-20250101T000000Z-a1b2c3"  # stream, UTC stamp, 24 random bits: the scheme before
SEGMENT = "seg-000000.mkv"


async def feed(source: EncodedSource, recorder: StreamRecorder, seconds: float = 1.0) -> None:
    encoder = SyntheticPublisher()
    source.codec_name = "VP8"
    for i in range(int(seconds * FPS)):
        for data in encoder.next():
            source.push("VP8", 90000, data, i * 90000 // FPS)
    await recorder.close()


async def record_new(server: RunningServer) -> str:
    core = server.server
    assert core.keys is not None
    service = RecordingService(core.recordings, core.keys, signing_key(key_dir(server.settings.data_dir), "evidence"))
    source = EncodedSource("video", lambda: None)
    source.codec_name = "VP8"
    recorder = service.record("police:P-1", "police", "police/P-1", {"video": source}, lambda: None)
    await feed(source, recorder)
    return recorder.manifest.recording_id


async def record_legacy(server: RunningServer) -> None:
    core = server.server
    assert core.keys is not None
    manifest = Manifest(LEGACY_ID, "police:P-1", "police/P-1", "police", 1_735_689_600.0, {"video": "VP8"})
    source = EncodedSource("video", lambda: None)
    recorder = StreamRecorder(manifest, core.recordings.directory("police", "police:P-1", LEGACY_ID), core.keys,
                              signing_key(key_dir(server.settings.data_dir), "evidence"),
                              RecorderConfig(core.recordings.root), lambda: None)
    source.add_sink(recorder.sink("video"))
    await feed(source, recorder)


async def test_ids_are_random_and_not_yours_is_not_there(psn_server: RunningServer) -> None:
    first, second = await record_new(psn_server), await record_new(psn_server)
    await record_legacy(psn_server)
    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(r"[0-9a-f]{32}", second), (first, second)
    assert first != second

    police = {"Authorization": f"Bearer {psn_server.token('police')}"}
    nemo = {"Authorization": f"Bearer {psn_server.token('nemo')}"}
    absent = "0123456789abcdef0123456789abcdef"

    def get(recording: str, headers: dict[str, str], segment: str = SEGMENT) -> httpx.Response:
        return httpx.get(f"{psn_server.base_url}/api/v1/recordings/{recording}/{segment}", headers=headers)

    for recording in (first, LEGACY_ID):
        played = get(recording, police)
        assert played.status_code == 200 and played.headers["content-type"] == "video/x-matroska"
        assert played.content[:4] == b"\x1a\x45\xdf\xa3"  # the EBML magic that opens every Matroska file

    events_before = psn_server.server.security.counts[Kind.ACCESS_DENIED.value]
    for recording in (first, LEGACY_ID, absent):
        refused = await asyncio.to_thread(get, recording, nemo)
        assert refused.status_code == 404, recording
        assert refused.json() == {"detail": f"no recording {recording!r} that you may see"}
    # The two real recordings NEMO reached for are security events; the absent one names no agency.
    assert psn_server.server.security.counts[Kind.ACCESS_DENIED.value] - events_before == 2
    denied = [e for e in psn_server.server.security.recent(10, Kind.ACCESS_DENIED) if e.actor == "nemo.test"]
    assert [e.detail["stream"] for e in denied] == ["police:P-1", "police:P-1"]

    for recording in (first, absent):  # without credentials, existence shows neither
        anonymous = get(recording, {})
        assert anonymous.status_code == 401 and anonymous.json()["detail"]
        assert get(recording, {"Authorization": "Bearer forged"}).status_code == 401

    assert get(first, police, "seg-999999.mkv").status_code == 404
    listed = httpx.get(f"{psn_server.base_url}/api/v1/recordings", headers=nemo).json()
    assert listed == {"recordings": []}
    mine = httpx.get(f"{psn_server.base_url}/api/v1/recordings", headers=police).json()["recordings"]
    assert sorted(r["recording_id"] for r in mine) == sorted([first, second, LEGACY_ID])

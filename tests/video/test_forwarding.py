"""EncodedSource / ForwardingTrack without a network: keyframes, slow viewers, end of stream."""

from __future__ import annotations

import pytest
from aiortc.mediastreams import MediaStreamError

from video.forwarding import EncodedSource, is_keyframe

VP8_KEY, VP8_DELTA = b"\x10\x02\x00\x9d\x01\x2a", b"\x11\x02\x00"
H264_IDR = b"\x00\x00\x00\x01\x67\x42\x00\x1f\x00\x00\x00\x01\x68\xce\x00\x00\x00\x01\x65\x88"
H264_P = b"\x00\x00\x00\x01\x41\x9a"


def test_keyframe_detection() -> None:
    assert is_keyframe("VP8", VP8_KEY) and not is_keyframe("VP8", VP8_DELTA)
    assert is_keyframe("H264", H264_IDR) and not is_keyframe("H264", H264_P)
    assert is_keyframe("opus", b"\x01")
    assert not is_keyframe("VP8", b"")


async def test_viewer_starts_at_keyframe_and_slow_viewer_skips_to_next() -> None:
    requests: list[int] = []
    source = EncodedSource("video", lambda: requests.append(1), queue_capacity=3)
    track = source.attach()
    assert requests == [1], "a joining viewer asks the publisher for a keyframe"
    source.push("VP8", 90000, VP8_DELTA, 0)
    source.push("VP8", 90000, VP8_KEY, 3000)
    source.push("VP8", 90000, VP8_DELTA, 6000)
    assert track.counters.dropped == 1
    first = await track.recv()
    assert first.is_keyframe and first.pts == 3000 and bytes(first) == VP8_KEY
    for ts in (9000, 12000, 15000):  # overflows the queue of 3
        source.push("VP8", 90000, VP8_DELTA, ts)
    assert track.counters.dropped == 1 + 3 + 1 and len(requests) == 2
    source.push("VP8", 90000, VP8_KEY, 18000)
    assert (await track.recv()).pts == 18000
    source.end()
    with pytest.raises(MediaStreamError):
        await track.recv()
    assert not source.viewer_tracks


async def test_sinks_see_every_packet_and_stopped_tracks_detach() -> None:
    source = EncodedSource("video", lambda: None)
    seen: list[int] = []
    source.add_sink(lambda p: seen.append(p.pts))
    track = source.attach()
    track.stop()
    source.push("VP8", 90000, VP8_KEY, 0)
    source.push("VP8", 90000, VP8_DELTA, 3000)
    assert seen == [0, 3000] and not source.viewer_tracks

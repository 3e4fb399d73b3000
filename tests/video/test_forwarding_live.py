"""A publisher's encoded frames reach several viewers through StreamHub, and nothing leaks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.video.clients import MovingImageTrack, PeerConnections, frame_difference, publish, view
from video.hub import StreamHub


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    for _ in range(int(timeout / 0.1)):
        if predicate():
            return True
        await asyncio.sleep(0.1)
    return predicate()


@dataclass
class Unit:
    agency: str = "police"
    name: str = "unit-7"


@pytest.mark.parametrize("codec", ["VP8", "H264"])
async def test_frames_reach_every_viewer(codec: str, peers: PeerConnections) -> None:
    hub = StreamHub()
    track = MovingImageTrack()

    async def whip(offer: str) -> str:
        return (await hub.publish("cam1", Unit(), offer))[1]

    async def whep(offer: str) -> str:
        return (await hub.view("cam1", Unit(name="dispatcher"), offer))[1]

    publisher_pc = await publish(whip, track, codec)
    viewers = [await view(whep) for _ in range(3)]
    await asyncio.gather(*(v.wait_frames(20) for v in viewers))
    for v in viewers:
        assert frame_difference(v.frames[-1], v.frames[-5]) > 1.0, "pictures should move"
    info = await hub.info("cam1")
    assert info.viewers == 3 and info.codecs["video"] == codec
    source = hub.publisher("cam1").sources["video"]
    assert source.frames >= 20
    assert hub.publisher("cam1").tap.decoded < source.frames, "forwarding must not decode every frame"

    await publisher_pc.close()
    assert await until(lambda: hub.peer_connection_count == 0)
    await asyncio.gather(*(v.pc.close() for v in viewers))
    assert peers.open() == 0


async def test_frame_tap_delivers_decoded_frames_at_bounded_rate(peers: PeerConnections) -> None:
    hub = StreamHub()

    async def whip(offer: str) -> str:
        return (await hub.publish("cam1", Unit(), offer))[1]

    publisher_pc = await publish(whip, MovingImageTrack())
    publisher = hub.publisher("cam1")
    for _ in range(100):
        if publisher.sources["video"].frames > 5:
            break
        await asyncio.sleep(0.05)
    decoded_before = publisher.tap.decoded
    assert decoded_before <= 2, "without subscribers only keyframes are decoded"

    frames = []
    loop = asyncio.get_running_loop()
    started = loop.time()
    subscription = hub.subscribe_frames("cam1", frames.append, max_fps=5)
    await asyncio.sleep(2.0)
    subscription.close()
    elapsed = loop.time() - started
    assert 3 <= len(frames) <= 5 * elapsed + 1
    assert frames[-1].width == 320 and frame_difference(frames[0], frames[-1]) > 1.0
    assert publisher.tap.decoded > len(frames), "the tap decodes the whole chain, delivers at most max_fps"
    await publisher_pc.close()
    await hub.close()
    assert peers.open() == 0


async def test_stream_start_and_end_are_announced_once_each() -> None:
    heard: list[tuple[str, str, bool]] = []
    hub = StreamHub(on_stream=lambda stream, unit, live: heard.append((stream, unit, live)))

    async def whip(offer: str) -> str:
        return (await hub.publish("cam1", Unit(), offer))[1]

    publisher_pc = await publish(whip, MovingImageTrack())
    assert heard == [("cam1", "unit-7", True)]
    source = lambda: hub.publisher("cam1").sources.get("video")  # noqa: E731
    assert await until(lambda: bool(source() and source().frames))  # connected, so the server hears the close
    with pytest.raises(Exception):  # noqa: B017 - a refused offer: no start, so no end either
        await hub.publish("cam2", Unit(name="unit-8"), "v=0\r\nnot an offer")
    await publisher_pc.close()
    assert await until(lambda: hub.peer_connection_count == 0)
    assert heard == [("cam1", "unit-7", True), ("cam1", "unit-7", False)]

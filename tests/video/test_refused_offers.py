"""Offers that parse but cannot be negotiated are refused with 400 and a reason, on WHIP and WHEP alike, leave no
peer connection behind, and the stream stays usable: before the fix they gave 500, and an audio+video offer whose
audio section had lost its a=mid left a half-closed publisher that answered every later publish with 409."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from psn.access import Role
from tests.support import RunningServer
from tests.video.clients import PeerConnections
from tests.video.offers import aiortc_offer
from tests.video.psn_doors import Doors, refusal_reason

pytestmark = pytest.mark.timeout(120)

# Literal edits of a real aiortc audio (mid 0) + video (mid 1) offer, and what the refusal must say.
MUTATIONS: dict[str, tuple[Callable[[str], str], str]] = {
    "every a=mid removed": (lambda sdp: re.sub(r"a=mid:[^\r\n]*\r\n", "", sdp), "section 0 (audio) has no a=mid"),
    "the audio section's a=mid removed": (lambda sdp: sdp.replace("a=mid:0\r\n", "", 1),
                                          "section 0 (audio) has no a=mid"),
    "the video section's a=mid:1 made a=mid:0": (lambda sdp: sdp.replace("a=mid:1\r\n", "a=mid:0\r\n", 1),
                                                 "repeats a=mid:0"),
    "the audio section renamed m=text": (lambda sdp: sdp.replace("m=audio ", "m=text ", 1),
                                         "could not be negotiated"),
    "the video section renamed m=text": (lambda sdp: sdp.replace("m=video ", "m=text ", 1),
                                         "could not be negotiated"),
}


@pytest.fixture
async def doors(psn_server: RunningServer, peers: PeerConnections) -> AsyncIterator[Doors]:
    async with httpx.AsyncClient(base_url=psn_server.base_url, timeout=30) as http:
        yield Doors(psn_server, http, peers)


@pytest.mark.parametrize("mutation", MUTATIONS)
async def test_whip_refuses_and_the_publisher_still_gets_in(doors: Doors, mutation: str) -> None:
    device = doors.server.server.auth.issue_device("police", "P-1", 600).token
    offer = await aiortc_offer(("audio", "video"))
    mutate, reason = MUTATIONS[mutation]
    refused = await doors.post("whip", "police:P-1", device, mutate(offer))
    assert refused.status_code == 400, refused.text
    assert reason in refusal_reason(refused)
    assert doors.server.server.video.refused == {"whip 400": 1}
    doors.assert_released(0)
    location = await doors.session("whip", "police:P-1", device, offer)  # 409 before the fix
    await doors.end(location, device)
    doors.assert_released(0)


@pytest.mark.parametrize("mutation", MUTATIONS)
async def test_whep_refuses_and_the_stream_stays_viewable(doors: Doors, mutation: str) -> None:
    device = doors.server.server.auth.issue_device("police", "P-1", 600).token
    dispatcher = doors.server.token("police")
    publishing = await doors.session("whip", "police:P-1", device, await aiortc_offer(("audio", "video")))
    offer = await aiortc_offer(("audio", "video"), direction="recvonly")
    mutate, reason = MUTATIONS[mutation]
    refused = await doors.post("whep", "police:P-1", dispatcher, mutate(offer))
    assert refused.status_code == 400, refused.text
    assert reason in refusal_reason(refused)
    assert doors.server.server.video.refused == {"whep 400": 1}
    doors.assert_released(1)  # the publisher only
    await doors.end(await doors.session("whep", "police:P-1", dispatcher, offer), dispatcher)
    doors.assert_released(1)
    await doors.end(publishing, device)
    doors.assert_released(0)


async def test_a_viewer_without_the_publishers_codec_is_refused(doors: Doors) -> None:
    """Found by the fuzzing: an unmutated H.264-only viewer of a VP8 stream left a half-closed connection."""
    device = doors.server.server.auth.issue_device("police", "P-1", 600).token
    dispatcher = doors.server.token("police")
    publishing = await doors.session("whip", "police:P-1", device, await aiortc_offer(("audio", "video"), "VP8"))
    h264 = await aiortc_offer(("audio", "video"), "H264", direction="recvonly")
    refused = await doors.post("whep", "police:P-1", dispatcher, h264)
    assert refused.status_code == 400, refused.text
    assert "the stream's video is VP8, which the offer does not accept" in refusal_reason(refused)
    doors.assert_released(1)
    await doors.end(publishing, device)
    doors.assert_released(0)


async def test_refusals_reach_the_operators_counters(doors: Doors) -> None:
    """What the hub counts is what /api/v1/stats and /metrics show (network operators only)."""
    device = doors.server.server.auth.issue_device("police", "P-1", 600).token
    offer = await aiortc_offer(("audio", "video"))
    for _ in range(2):
        refused = await doors.post("whip", "police:P-1", device, offer.replace("a=mid:0\r\n", "", 1))
        assert refused.status_code == 400
    operator = doors.server.headers("police", Role.NETWORK_ADMIN)
    stats = (await doors.http.get("/api/v1/stats", headers=operator)).json()
    assert stats["video"] == {"peer_connections": 0, "refused": {"whip 400": 2}, "close_failures": 0}
    assert (await doors.http.get("/metrics")).status_code == 401
    metrics = (await doors.http.get("/metrics", headers=operator)).text
    assert 'psn_video_refused_total{door="whip",status="400"} 2.0' in metrics
    assert "psn_video_peer_connections 0.0" in metrics

"""A session whose aiortc close() fails half way is still released: callbacks run, the failure is counted, the
connection reads closed and a second close() returns (aiortc alone would await its closing future forever)."""

from __future__ import annotations

import asyncio

import pytest
from aiortc import RTCSessionDescription

from tests.video.clients import PeerConnections
from tests.video.conftest import FakePrincipal
from tests.video.offers import aiortc_offer
from video.errors import BadOffer, RecordingUnavailable
from video.hub import StreamHub
from video.session import PeerSession, SessionConfig


async def test_a_failing_aiortc_close_still_releases_the_session(peers: PeerConnections) -> None:
    # aiortc 1.16 gives the unknown "text" section a transceiver without a transport; close() then stops at
    # `transceiver.receiver.transport.stop()` (AttributeError), as seen in the WHIP fuzzing.
    offer = (await aiortc_offer(("audio", "video"))).replace("m=audio ", "m=text ", 1)
    session = PeerSession("cam1", FakePrincipal("police", "unit-7"), SessionConfig())
    await session.pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
    called: list[str] = []
    session.on_close(lambda s: called.append("first"))
    session.on_close(lambda s: [][0])  # a callback that raises does not stop the next one
    session.on_close(lambda s: called.append("last"))

    await session.close()

    assert isinstance(session.close_error, AttributeError), session.close_error
    assert called == ["first", "last"]
    assert session.pc.connectionState == "closed"
    await asyncio.wait_for(session.pc.close(), 2)
    assert peers.open() == 0


async def test_the_hub_counts_a_failing_close_and_frees_the_stream(peers: PeerConnections) -> None:
    hub = StreamHub()
    offer = await aiortc_offer(("audio", "video"))
    refused = offer.replace("m=audio ", "m=text ", 1)
    with pytest.raises(BadOffer, match="could not be negotiated"):
        await hub.publish("cam1", FakePrincipal("police", "unit-7"), refused)
    assert hub.stats() == {"peer_connections": 0, "refused": {}, "close_failures": 1}
    publisher, _ = await hub.publish("cam1", FakePrincipal("police", "unit-7"), offer)
    await publisher.close()
    assert hub.peer_connection_count == 0 and peers.open() == 0


class FailingRecordings:
    """A RecordingStarter whose store is full."""

    def start(self, publisher: object) -> None:
        raise OSError(28, "No space left on device")


async def test_a_recording_that_cannot_start_does_not_keep_the_stream(peers: PeerConnections) -> None:
    hub = StreamHub(recordings=FailingRecordings())
    offer = await aiortc_offer(("video",))
    with pytest.raises(RecordingUnavailable, match="No space left") as refused:
        await hub.publish("cam1", FakePrincipal("police", "unit-7"), offer)
    assert refused.value.status == 503  # the publisher is told to retry later, never a 500
    assert hub.peer_connection_count == 0 and peers.open() == 0

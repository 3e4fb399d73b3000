"""Hypothesis fuzzing of psn's WHIP and WHEP doors with mutated real offers (aiortc VP8/H.264, audio+video and
video only; chromium's captured offers), through the real psn app with real tokens. Each example: no 5xx, every
4xx says why, every peer connection it made is gone, and the stream can still be published or viewed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.support import RunningServer
from tests.video.clients import PeerConnections
from tests.video.offers import aiortc_offer, chromium_offer
from tests.video.psn_doors import Doors, refusal_reason
from tests.video.sdp_mutations import Request, requests

pytestmark = pytest.mark.timeout(180)

# Measured on 2 cores: about 0.1 s an example (two POSTs, one or two DELETEs, a scan of the heap): ~15 s a door.
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def offers() -> dict[str, dict[str, str]]:
    """Real offers by door: WHIP (sendonly) and WHEP (recvonly)."""

    async def make() -> dict[str, dict[str, str]]:
        made: dict[str, dict[str, str]] = {"whip": {}, "whep": {}}
        for door, direction in (("whip", "sendonly"), ("whep", "recvonly")):
            for codec in ("VP8", "H264"):
                for kinds in (("audio", "video"), ("video",)):
                    made[door][f"aiortc {codec} {'+'.join(kinds)}"] = await aiortc_offer(kinds, codec, direction)
            made[door]["chromium"] = chromium_offer(direction)
        return made

    return asyncio.run(make())


@pytest.fixture
def doors(psn_server: RunningServer, peers: PeerConnections) -> Iterator[tuple[Doors, asyncio.Runner]]:
    """The doors, and the event loop to use them from (hypothesis runs the examples synchronously)."""
    with asyncio.Runner() as runner:
        http = httpx.AsyncClient(base_url=psn_server.base_url, timeout=30)
        yield Doors(psn_server, http, peers), runner
        runner.run(http.aclose())


async def try_door(doors: Doors, door: str, stream: str, token: str, request: Request, valid: str,
                   held: int) -> None:
    """POST the mutated offer (and end the session if it was answered), then a valid one; check what is left."""
    response = await doors.post(door, stream, token, request.body, request.content_type)
    event(f"{door} {response.status_code}")  # pytest --hypothesis-show-statistics shows the spread
    assert response.status_code < 500, f"{response.status_code}: {response.text[:300]}"
    if response.status_code == 201:  # the edits left a usable offer
        await doors.end(response.headers["location"], token)
    else:
        refusal_reason(response)
    # Nothing left behind: a valid offer still gets in (a WHIP publish got 409 before the fix).
    await doors.end(await doors.session(door, stream, token, valid), token)
    doors.assert_released(held)


def mutated(door: str, offers: dict[str, dict[str, str]]) -> st.SearchStrategy[Request]:
    return st.sampled_from(sorted(offers[door])).flatmap(lambda name: requests(offers[door][name]))


def fuzz(doors: tuple[Doors, asyncio.Runner], offers: dict[str, dict[str, str]], door: str, stream: str,
         token: str, held: int) -> None:
    """Every base offer psn can take gets in as it is; then the mutated ones, each followed by chromium's."""
    psn, runner = doors

    async def open_and_end(offer: str) -> None:
        await psn.end(await psn.session(door, stream, token, offer), token)

    for name, offer in offers[door].items():
        if door == "whip" or "H264" not in name:  # the stream viewed is VP8: H.264-only viewers are refused
            runner.run(open_and_end(offer))

    @FUZZ
    @given(request=mutated(door, offers))
    def example(request: Request) -> None:
        runner.run(try_door(psn, door, stream, token, request, offers[door]["chromium"], held))

    psn.assert_released(held)
    example()
    assert psn.server.server.video.refused, "the fuzzing refused nothing: the mutations are too gentle"


def test_whip_survives_mutated_offers(doors: tuple[Doors, asyncio.Runner], offers: dict[str, dict[str, str]]) -> None:
    device = doors[0].server.server.auth.issue_device("police", "P-1", 600).token
    fuzz(doors, offers, "whip", "police:P-1", device, held=0)


def test_whep_survives_mutated_offers(doors: tuple[Doors, asyncio.Runner], offers: dict[str, dict[str, str]]) -> None:
    psn, runner = doors
    device = psn.server.server.auth.issue_device("police", "P-2", 600).token
    publishing = runner.run(psn.session("whip", "police:P-2", device, offers["whip"]["aiortc VP8 audio+video"]))
    fuzz(doors, offers, "whep", "police:P-2", psn.server.token("police"), held=1)  # the publisher stays
    runner.run(psn.end(publishing, device))
    psn.assert_released(0)

"""WHIP/WHEP over HTTP with aiortc clients: happy path, every 4xx, and no leaked peer connections."""

from __future__ import annotations

import asyncio
import io

import av
import cv2
import numpy as np

from tests.video.clients import MovingImageTrack, PeerConnections, publish, view
from tests.video.conftest import Service, bearer

SDP = {"Content-Type": "application/sdp"}


async def wait_until(condition: object, timeout: float = 10.0) -> None:
    for _ in range(int(timeout * 20)):
        if callable(condition) and condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


async def test_publish_view_snapshot_delete(service: Service, peers: PeerConnections) -> None:
    publisher_pc = await publish(service.signal("/whip/cam1", "unit7"), MovingImageTrack())
    whip_location = service.locations[0]
    assert whip_location.startswith("/whip/cam1/")
    viewers = [await view(service.signal("/whep/cam1", "dispatcher")) for _ in range(2)]
    await asyncio.gather(*(v.wait_frames(10) for v in viewers))

    listing = (await service.http.get("/api/v1/streams", headers=bearer("dispatcher"))).json()["streams"]
    assert [(s["id"], s["unit"], s["agency"], s["viewers"]) for s in listing] == [("cam1", "unit-7", "police", 2)]
    assert (await service.http.get("/api/v1/streams", headers=bearer("firefighter"))).json() == {"streams": []}

    snap = await service.http.get("/api/v1/streams/cam1/snapshot.jpg", headers=bearer("dispatcher"))
    assert snap.status_code == 200 and snap.headers["content-type"] == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(snap.content, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (240, 320, 3)

    patch = await service.http.patch(service.locations[1], headers={**bearer("dispatcher"),
                                                                   "Content-Type": "application/trickle-ice-sdpfrag"})
    assert patch.status_code == 405 and "trickle" in patch.json()["detail"]

    assert (await service.http.delete(service.locations[1], headers=bearer("dispatcher"))).status_code == 200
    await wait_until(lambda: service.hub.peer_connection_count == 2)
    assert (await service.http.delete(whip_location, headers=bearer("unit7"))).status_code == 200
    assert service.hub.peer_connection_count == 0, "ending the publisher ends its viewers"
    assert (await service.http.delete(whip_location, headers=bearer("unit7"))).status_code == 404
    await asyncio.gather(publisher_pc.close(), *(v.pc.close() for v in viewers))
    assert peers.open() == 0

    [recording] = (await service.http.get("/api/v1/recordings", headers=bearer("dispatcher"))).json()["recordings"]
    assert recording["stream_id"] == "cam1" and recording["codecs"] == {"video": "VP8"} and recording["segments"]
    assert (await service.http.get("/api/v1/recordings", headers=bearer("firefighter"))).json() == {"recordings": []}
    segment = recording["segments"][0]["name"]
    played = await service.http.get(f"/api/v1/recordings/{recording['recording_id']}/{segment}",
                                    headers=bearer("dispatcher"))
    assert played.status_code == 200
    with av.open(io.BytesIO(played.content)) as container:
        assert next(container.decode(video=0)).width == 320
    denied = await service.http.get(f"/api/v1/recordings/{recording['recording_id']}/{segment}",
                                    headers=bearer("firefighter"))
    assert denied.status_code == 404  # another agency's recording answers as one that is not there


async def test_errors_are_clear_and_leak_nothing(service: Service, peers: PeerConnections) -> None:
    http = service.http
    offer_pc = await publish(service.signal("/whip/cam1", "unit7"), MovingImageTrack())
    offer = offer_pc.localDescription.sdp

    async def post(path: str, body: bytes | str, headers: dict[str, str]) -> tuple[int, str]:
        response = await http.post(path, content=body, headers=headers)
        return response.status_code, response.json()["detail"]

    assert (await post("/whip/cam2", "v=0 garbage", {**SDP, **bearer("unit7")}))[0] == 400
    status, detail = await post("/whip/cam2", offer.replace("a=sendonly", "a=recvonly"), {**SDP, **bearer("unit7")})
    assert status == 400 and "expected sendonly" in detail
    assert (await post("/whip/cam2", offer, {"Content-Type": "text/plain", **bearer("unit7")}))[0] == 415
    status, detail = await post("/whip/cam2", "v=0\r\n" + "a=x\r\n" * 20000, {**SDP, **bearer("unit7")})
    assert status == 413 and "larger than" in detail
    status, detail = await post("/whip/cam2", offer, SDP)
    assert status == 401 and "bearer" in detail
    assert (await post("/whip/cam2", offer, {**SDP, **bearer("forged")}))[0] == 401
    status, detail = await post("/whip/cam2", offer, {**SDP, **bearer("dispatcher")})
    assert status == 403 and "may not publish" in detail
    assert (await post("/whip/cam1", offer, {**SDP, **bearer("unit7")}))[0] == 409
    view_offer = offer.replace("a=sendonly", "a=recvonly")
    status, detail = await post("/whep/nope", view_offer, {**SDP, **bearer("dispatcher")})
    assert status == 404 and "not live" in detail
    assert (await post("/whep/cam1", offer, {**SDP, **bearer("dispatcher")}))[0] == 400  # a sendonly offer to WHEP
    assert (await http.delete("/whep/cam1/nosuchsession", headers=bearer("dispatcher"))).status_code == 404
    assert (await http.get("/api/v1/streams/nope/snapshot.jpg", headers=bearer("dispatcher"))).status_code == 404

    assert service.hub.peer_connection_count == 1  # only the accepted publisher
    assert (await http.delete(service.locations[0], headers=bearer("unit7"))).status_code == 200
    await offer_pc.close()
    assert service.hub.peer_connection_count == 0
    assert peers.open() == 0

"""WHIP and WHEP of a real psn (tests.support.RunningServer) with real tokens, and the leak check after each use."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from tests.support import RunningServer
from tests.video.clients import PeerConnections

SDP = "application/sdp"


@dataclass
class Doors:
    server: RunningServer
    http: httpx.AsyncClient
    peers: PeerConnections  # aiortc's connections made since the test began

    async def post(self, door: str, stream: str, token: str, body: bytes | str,
                   content_type: str = SDP) -> httpx.Response:
        return await self.http.post(f"/{door}/{stream}", content=body,
                                    headers={"Content-Type": content_type, "Authorization": f"Bearer {token}"})

    async def session(self, door: str, stream: str, token: str, offer: str) -> str:
        """POST a valid offer: must be 201; returns the session's Location."""
        response = await self.post(door, stream, token, offer)
        assert response.status_code == 201, f"{door} {stream}: {response.status_code} {response.text}"
        return response.headers["location"]

    async def end(self, location: str, token: str) -> None:
        response = await self.http.delete(location, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, f"DELETE {location}: {response.status_code} {response.text}"

    def assert_released(self, sessions: int) -> None:
        """psn holds `sessions` peer connections, and so many aiortc connections are open in this process."""
        held, opened = self.server.server.video.peer_connection_count, self.peers.open()
        assert (held, opened) == (sessions, sessions), f"psn holds {held}, {opened} open in aiortc; want {sessions}"


def refusal_reason(response: httpx.Response) -> str:
    """The reason of a 4xx: FastAPI's JSON `detail`, which must say something."""
    assert 400 <= response.status_code < 500, f"{response.status_code}: {response.text[:300]}"
    detail = response.json().get("detail")
    assert isinstance(detail, str) and len(detail) > 10, response.text[:300]
    return detail

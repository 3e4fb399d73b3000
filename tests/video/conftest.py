"""A StreamHub mounted on a FastAPI app behind a fake authorizer, reached in-process through httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from crypto import Keyring, LocalMasterKey
from tests.video.clients import PeerConnections
from video.http import Action, build_router
from video.hub import StreamHub
from video.recorder import RecordingService, RecordingStore


@dataclass(frozen=True)
class FakePrincipal:
    agency: str
    name: str


# token -> (principal, actions allowed on every stream)
TOKENS = {
    "unit7": (FakePrincipal("police", "unit-7"), {"publish"}),
    "dispatcher": (FakePrincipal("police", "dispatch-1"), {"view"}),
    "firefighter": (FakePrincipal("fire", "ff-2"), set()),
}


def fake_authorize(token: str | None, stream_id: str | None, action: Action) -> FakePrincipal:
    if token is None or token not in TOKENS:
        raise LookupError("unknown or missing bearer token")
    principal, allowed = TOKENS[token]
    if action not in allowed:
        raise PermissionError(f"{principal.name} may not {action}")
    return principal


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Service:
    hub: StreamHub
    http: httpx.AsyncClient
    locations: list[str] = field(default_factory=list)

    def signal(self, path: str, token: str) -> Callable[[str], Awaitable[str]]:
        async def post(offer: str) -> str:
            response = await self.http.post(
                path, content=offer, headers={"Content-Type": "application/sdp", **bearer(token)}
            )
            assert response.status_code == 201, response.text
            self.locations.append(response.headers["location"])
            return response.text

        return post


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Service]:
    keyring = Keyring(tmp_path / "keyring.json", LocalMasterKey.generate())
    keyring.rotate("police")
    store = RecordingStore(tmp_path / "recordings")
    hub = StreamHub(recordings=RecordingService(store, keyring, Ed25519PrivateKey.generate(), segment_seconds=1))
    app = FastAPI()
    app.include_router(build_router(hub, fake_authorize, recordings=store, opener=keyring))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://psn") as http:
        yield Service(hub, http)
    await hub.close()


@pytest.fixture
def peers(monkeypatch: pytest.MonkeyPatch) -> PeerConnections:
    """Every RTCPeerConnection the test makes (psn's and its own), to check none is left open."""
    return PeerConnections().track(monkeypatch)

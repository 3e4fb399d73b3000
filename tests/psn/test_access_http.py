"""The access matrix again, through the real HTTP and WebSocket endpoints of one running psn: every role × agency ×
resource endpoint × sharing state, with the expectation taken from the hand-written tables of test_access."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from psn.access import Action, Resource, Role
from tests.psn.test_access import SHARING_STATES, expected
from tests.support import RunningServer, server_with_units

AGENCIES = ("police", "nemo", "fire")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with server_with_units(Path(tmp_path_factory.mktemp("matrix")), [("police", "P-1")]) as running:
        yield running


def status(server: RunningServer, token: str, resource: Resource) -> int:
    """One request that needs `resource` on police/P-1 (or police's data), as the given principal."""
    client = httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {token}"})
    with client:
        if resource is Resource.TRACK:
            return client.get("/api/v1/units/police/P-1/track").status_code
        if resource is Resource.UNIT:
            return client.get("/api/v1/units/police/P-1").status_code
        if resource is Resource.SECURITY:
            return client.get("/api/v1/security/events").status_code
        if resource is Resource.SYSTEM:
            return client.get("/api/v1/stats").status_code
        raise AssertionError(resource)


CASES = list(itertools.product(Role, AGENCIES, (Resource.UNIT, Resource.TRACK, Resource.SECURITY, Resource.SYSTEM),
                               ("none", "agreement_emergency", "incident_open")))


@pytest.mark.parametrize(("role", "agency", "resource", "state"), CASES)
def test_http_enforces_the_matrix(server: RunningServer, role: Role, agency: str, resource: Resource,
                                  state: str) -> None:
    server.server.sharing.snapshot = SHARING_STATES[state]  # the grants under test, as the store would hold
    token = server.token(agency, role, name=f"{agency}.{role}")
    # The security feed and the server-wide counters are asked for as the caller's own agency's
    # (require_role_right): the role alone decides (the table's "owner == agency" case).
    owner = agency if resource in (Resource.SECURITY, Resource.SYSTEM) else "police"
    allowed = expected(role, agency, resource, Action.VIEW, owner, state)
    assert status(server, token, resource) == (200 if allowed else 403)


@pytest.mark.parametrize(("role", "agency", "state"),
                         list(itertools.product(Role, AGENCIES, ("none", "agreement_emergency", "incident_open"))))
def test_live_websocket_enforces_the_matrix(server: RunningServer, role: Role, agency: str, state: str) -> None:
    store = server.server.sharing
    store.snapshot = SHARING_STATES[state]
    store.version += 1  # as a stored change would: live filters rebuild
    token = server.token(agency, role, name=f"{agency}.{role}")
    with connect(f"{server.ws_url}/api/v1/live?access_token={token}") as ws:
        snapshot = json.loads(ws.recv(timeout=5))
    seen = {u["id"] for u in snapshot["units"]}
    assert seen == ({"police/P-1"} if expected(role, agency, Resource.UNIT, Action.VIEW, "police", state) else set())

"""Test helpers: an incident made, shared and staffed through psn's real endpoints, as a dispatcher would."""

from __future__ import annotations

import httpx

from tests.support import RunningServer


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_incident(server: RunningServer, token: str, type: str = "other", lat: float = 17.5,
                 lon: float = -88.2) -> str:
    answer = httpx.post(f"{server.base_url}/api/v1/incidents", headers=_auth(token),
                        json={"type": type, "priority": 2, "lat": lat, "lon": lon, "notes": "test call"})
    assert answer.status_code == 201, answer.text
    incident: str = answer.json()["id"]
    return incident


def add_partner(server: RunningServer, token: str, incident: str, agency: str) -> None:
    answer = httpx.put(f"{server.base_url}/api/v1/incidents/{incident}/partners/{agency}", headers=_auth(token))
    assert answer.status_code == 200, answer.text


def assign(server: RunningServer, token: str, incident: str, *units: str) -> None:
    answer = httpx.post(f"{server.base_url}/api/v1/incidents/{incident}/assign", headers=_auth(token),
                        json={"units": list(units)})
    assert answer.status_code == 200 and not answer.json()["refused"], answer.text

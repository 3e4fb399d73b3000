"""Every query, path and body field of the REST API is checked at the edge: a refusal is a 4xx with its reason,
counted per status; nothing a client sends makes psn answer 500. Expected statuses are literals, one per request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from psn.access import Role
from tests.support import RunningServer, server_with_units

LONG = "x" * 65  # one past the 64 characters a name may have

# (who, method, path, json body (or its text), expected status). Who: a key of TOKENS below.
CASES: list[tuple[str, str, str, dict[str, Any] | str | None, int]] = [
    # Track times: finite epoch seconds between 1970 and the year 9999, nothing else.
    ("dispatcher", "GET", "/api/v1/units/police/P-1/track?since=nan", None, 422),
    ("dispatcher", "GET", "/api/v1/units/police/P-1/track?since=NaN", None, 422),
    ("dispatcher", "GET", "/api/v1/units/police/P-1/track?since=inf", None, 422),
    ("dispatcher", "GET", "/api/v1/units/police/P-1/track?since=-inf", None, 422),
    ("dispatcher", "GET", "/api/v1/units/police/P-1/track?since=1e309", None, 422),
    ("dispatcher", "GET", "/api/v1/units/police/P-1/track?until=nan", None, 422),
    ("dispatcher", "GET", "/api/v1/units/police/P-1/track?until=Infinity", None, 422),
    ("dispatcher", "GET", "/api/v1/units/police/P-1/track?since=-1", None, 422),
    ("dispatcher", "GET", "/api/v1/units/police/P-1/track?since=253402300800", None, 422),
    ("dispatcher", "GET", "/api/v1/units/police/P-1/track?since=10&until=5", None, 422),
    ("dispatcher", "GET", "/api/v1/units/police/P-1/track?limit=0", None, 422),
    ("dispatcher", "GET", "/api/v1/units/police/P-1/track?since=0", None, 200),
    ("dispatcher", "GET", "/api/v1/units/police/P-1/track?since=0&until=253402300799", None, 200),
    # Names in paths and filters: the MQTT name pattern, registered agencies only.
    ("dispatcher", "GET", "/api/v1/units/atlantis/P-1", None, 404),
    ("dispatcher", "GET", "/api/v1/units/atlantis/P-1/track", None, 404),
    ("dispatcher", "GET", "/api/v1/units/police/P%201", None, 422),
    ("dispatcher", "GET", "/api/v1/units/police/P-1%0A", None, 422),
    ("dispatcher", "GET", f"/api/v1/units/police/{LONG}", None, 422),
    ("dispatcher", "GET", f"/api/v1/units/police/{LONG}/track", None, 422),
    ("dispatcher", "GET", "/api/v1/units?agency=atlantis", None, 422),
    ("dispatcher", "GET", f"/api/v1/units?agency={LONG}", None, 422),
    ("dispatcher", "GET", "/api/v1/units?agency=police", None, 200),
    ("dispatcher", "GET", "/api/v1/units/police/P-1", None, 200),
    ("dispatcher", "GET", "/api/v1/units/police/P-404", None, 404),
    # The security feed: 1 to 10,000 events (its capacity), of a kind that exists.
    ("admin", "GET", "/api/v1/security/events?limit=0", None, 422),
    ("admin", "GET", "/api/v1/security/events?limit=-5", None, 422),
    ("admin", "GET", "/api/v1/security/events?limit=10001", None, 422),
    ("admin", "GET", "/api/v1/security/events?kind=nonsense", None, 422),
    ("admin", "GET", "/api/v1/security/events?limit=10000&kind=access_denied", None, 200),
    # Incident shares are made by incidents only (their partners endpoints): the old door is gone.
    ("admin", "PUT", "/api/v1/sharing/incidents/INC-1", {"partners": ["fire"], "units": ["police/P-1"]}, 404),
    # Agreements: a registered grantee; ids that fit a database integer.
    ("admin", "POST", "/api/v1/sharing/agreements", {"grantee": LONG, "resources": ["unit"]}, 422),
    ("admin", "POST", "/api/v1/sharing/agreements", {"grantee": "atlantis", "resources": ["unit"]}, 422),
    ("admin", "DELETE", "/api/v1/sharing/agreements/0", None, 422),
    ("admin", "DELETE", "/api/v1/sharing/agreements/9223372036854775808", None, 422),
    ("admin", "DELETE", "/api/v1/sharing/agreements/9223372036854775807", None, 404),
    # OwnTracks device names: the name pattern too.
    ("admin", "PUT", "/api/v1/devices/owntracks/u%20x/phone", {"agency": "police", "unit": "P-1"}, 422),
    ("admin", "PUT", f"/api/v1/devices/owntracks/user/{LONG}", {"agency": "police", "unit": "P-1"}, 422),
    ("admin", "PUT", "/api/v1/devices/owntracks/user/phone", {"agency": "atlantis", "unit": "P-1"}, 422),
    # A body's NaN or infinity is refused with its reason (the refusal quotes the value: as text, not as a bare
    # NaN that JSON cannot carry).
    ("dispatcher", "POST", "/api/v1/net/uplifts", '{"units": ["police/P-1"], "reason": "x", "duration_s": NaN}', 422),
    ("dispatcher", "POST", "/api/v1/net/uplifts", '{"units": ["police/P-1"], "reason": "x", "duration_s": -Infinity}',
     422),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with server_with_units(Path(tmp_path_factory.mktemp("edges")), [("police", "P-1")]) as running:
        yield running


@pytest.fixture(scope="module")
def tokens(server: RunningServer) -> dict[str, str]:
    return {"dispatcher": server.token("police"), "admin": server.token("police", Role.ADMIN)}


def send(server: RunningServer, token: str, method: str, path: str,
         body: dict[str, Any] | str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if isinstance(body, str):  # JSON text as a client may write it, NaN included (httpx would refuse to)
        return httpx.request(method, f"{server.base_url}{path}", content=body, timeout=30, headers=headers)
    return httpx.request(method, f"{server.base_url}{path}", json=body, timeout=30, headers=headers)


@pytest.mark.parametrize(("who", "method", "path", "body", "status"), CASES,
                         ids=[f"{c[1]} {c[2][:70]} {c[4]}" for c in CASES])
def test_each_field_is_checked_at_the_edge(server: RunningServer, tokens: dict[str, str], who: str, method: str,
                                           path: str, body: dict[str, Any] | str | None, status: int) -> None:
    response = send(server, tokens[who], method, path, body)
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.json()["detail"], "a refusal names its reason"


def test_sign_in_fields_are_bounded(server: RunningServer) -> None:
    url = f"{server.base_url}/api/v1/auth/login"
    assert httpx.post(url, data={"name": "n" * 65, "password": "x"}).status_code == 422
    assert httpx.post(url, data={"name": "Police Dispatch", "password": "x"}).status_code == 422
    assert httpx.post(url, data={"name": "police.dispatch", "password": "x" * 1025}).status_code == 422
    assert httpx.post(url, data={"name": "police.dispatch", "password": "x"}).status_code == 401


def test_refusals_are_counted_by_status(server: RunningServer, tokens: dict[str, str]) -> None:
    before = server.stats()["http_refused"]
    for _ in range(3):
        send(server, tokens["dispatcher"], "GET", "/api/v1/units/police/P-1/track?since=nan", None)
    send(server, tokens["dispatcher"], "GET", "/api/v1/units/atlantis/P-1", None)
    after = server.stats()["http_refused"]
    assert after.get("422", 0) - before.get("422", 0) == 3
    assert after.get("404", 0) - before.get("404", 0) == 1


def test_an_incident_share_follows_its_incident_only(server: RunningServer) -> None:
    police = {"Authorization": f"Bearer {server.token('police', Role.ADMIN)}"}
    body = {"type": "fire", "priority": 1, "lat": 17.5, "lon": -88.2, "notes": "smoke"}
    incident = httpx.post(f"{server.base_url}/api/v1/incidents", headers=police, json=body).json()["id"]
    url = f"{server.base_url}/api/v1/incidents/{incident}/partners/fire"
    assert httpx.put(url, headers=police).status_code == 200
    [share] = [s for s in server.server.sharing.snapshot.incidents if s.incident == incident]
    assert (share.owner, share.partners, share.units, share.open) == ("police", frozenset({"fire"}), frozenset(),
                                                                      True)


def test_the_security_feed_blanks_units_of_other_agencies(server: RunningServer, tokens: dict[str, str]) -> None:
    nemo = {"Authorization": f"Bearer {server.token('nemo')}"}
    assert httpx.get(f"{server.base_url}/api/v1/units/police/P-1/track", headers=nemo).status_code == 403
    assert send(server, tokens["dispatcher"], "GET", "/api/v1/units/nemo/N-secret", None).status_code == 403
    feed = send(server, tokens["admin"], "GET", "/api/v1/security/events?kind=access_denied&limit=2", None).json()
    assert [(e["actor"], e["detail"]["unit"]) for e in feed["events"]] == [
        ("police.test", "nemo/…"),  # police's own dispatcher reached for a NEMO unit: which one is NEMO's data
        ("nemo.test", "police/P-1"),  # a police unit, named in full to police's admin
    ]
    assert "N-secret" not in str(feed)

"""The access model through the real HTTP and WebSocket endpoints: sign-in, lockout, tokens, agency scoping,
sharing grants, security events, audit."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from psn.access import Role
from psn.clock import ManualClock
from psn.users import LockoutPolicy, LoginRefused, Users
from tests.support import RunningServer, publish_fix, publisher, wait_for


def seed_units(server: RunningServer) -> None:
    publish_fix(server.mqtt_url, "police", "P-1", 17.50, -88.20)
    publish_fix(server.mqtt_url, "police", "P-2", 17.51, -88.21)
    publish_fix(server.mqtt_url, "nemo", "N-1", 17.25, -88.77)
    wait_for(lambda: len(server.server.state) == 3)


def visible(server: RunningServer, token: str) -> set[str]:
    body = httpx.get(f"{server.base_url}/api/v1/units", headers={"Authorization": f"Bearer {token}"}).json()
    return {u["id"] for u in body["units"]}


def test_sign_in_cookie_and_lockout(psn_server: RunningServer) -> None:
    users = psn_server.server.users
    users.add("ana.gomez", "police", ["dispatcher"], "long-enough-pw", psn_server.settings.agencies)
    url = psn_server.base_url
    with httpx.Client(base_url=url) as browser:
        assert browser.get("/", follow_redirects=False).headers["location"] == "/login"
        assert "Sign in" in browser.get("/login").text
        ok = browser.post("/api/v1/auth/login", data={"name": "ana.gomez", "password": "long-enough-pw"})
        assert ok.status_code == 200 and ok.json()["user"]["agency"] == "police"
        assert "httponly" in ok.headers["set-cookie"].lower()
        assert browser.get("/api/v1/auth/me").json()["name"] == "ana.gomez"  # by cookie
        assert browser.get("/", follow_redirects=False).status_code == 200
        layer = browser.get("/static/data/belize/roads.geojson")  # public base map, compressed for weak links
        assert layer.headers["content-encoding"] == "gzip" and layer.json()["type"] == "FeatureCollection"
    for _ in range(5):
        bad = httpx.post(f"{url}/api/v1/auth/login", data={"name": "ana.gomez", "password": "wrong-password"})
        assert bad.status_code == 401
    locked = httpx.post(f"{url}/api/v1/auth/login", data={"name": "ana.gomez", "password": "long-enough-pw"})
    assert locked.status_code == 401  # correct password, but locked out
    nobody = httpx.post(f"{url}/api/v1/auth/login", data={"name": "mallory", "password": "whatever-pw"})
    assert nobody.json()["detail"] == locked.json()["detail"]  # no hint which names exist
    events = httpx.get(f"{url}/api/v1/security/events", headers=psn_server.headers("police", Role.ADMIN)).json()
    # 4 wrong passwords, the 5th locks (locked_out), the locked attempt (locked_out), mallory (failed)
    assert events["counts"]["failed_login"] == 5 and events["counts"]["locked_out"] == 2


def test_lockout_expires(tmp_path: Path) -> None:
    from psn.store import Database

    db = Database(f"sqlite:///{tmp_path / 'u.db'}")
    db.migrate()
    clock = ManualClock()
    users = Users(db, clock, policy=LockoutPolicy(max_failures=2, lock_s=60))
    users.add("bo", "fire", ["dispatcher"], "0123456789", ("fire",))
    for _ in range(2):
        with pytest.raises(LoginRefused):
            users.authenticate("bo", "nope-nope-nope")
    with pytest.raises(LoginRefused, match="locked") as refused:
        users.authenticate("bo", "0123456789")
    assert refused.value.locked
    clock.advance(61)
    assert users.authenticate("bo", "0123456789").agency == "fire"


def test_tokens_refused_with_reasons(psn_server: RunningServer) -> None:
    url = f"{psn_server.base_url}/api/v1/units"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    token = psn_server.token("police")
    head, body, sig = token.split(".")
    forged = f"{head}.{body}.{sig[:-4]}AAAA"
    refused = httpx.get(url, headers={"Authorization": f"Bearer {forged}"})
    assert refused.status_code == 401 and "token refused" in refused.json()["detail"]
    with pytest.raises(InvalidStatus), connect(f"{psn_server.ws_url}/api/v1/live"):
        pass
    counts = psn_server.server.security.counts
    assert counts["bad_token"] >= 2


def test_agency_scoping_and_sharing_grants_rest_and_websocket(psn_server: RunningServer) -> None:
    seed_units(psn_server)
    url = psn_server.base_url
    police, nemo, fire = (psn_server.token(a) for a in ("police", "nemo", "fire"))
    police_admin = psn_server.headers("police", Role.ADMIN)
    nemo_admin = psn_server.headers("nemo", Role.ADMIN)
    assert visible(psn_server, police) == {"police/P-1", "police/P-2"}
    assert visible(psn_server, nemo) == {"nemo/N-1"}
    traffic = psn_server.token("police", Role.TRAFFIC_MANAGER)
    assert visible(psn_server, traffic) == set()

    # Track of another agency: denied, logged as a security event.
    denied = httpx.get(f"{url}/api/v1/units/police/P-1/track", headers={"Authorization": f"Bearer {nemo}"})
    assert denied.status_code == 403 and "not shared" in denied.json()["detail"]

    with connect(f"{psn_server.ws_url}/api/v1/live?access_token={nemo}") as ws:
        snapshot = json.loads(ws.recv(timeout=5))
        assert {u["id"] for u in snapshot["units"]} == {"nemo/N-1"}
        # Police agree to share units and tracks with NEMO during declared emergencies.
        made = httpx.post(f"{url}/api/v1/sharing/agreements", headers=police_admin,
                          json={"grantee": "nemo", "resources": ["unit", "track"], "only_during_emergency": True})
        assert made.status_code == 201
        assert visible(psn_server, nemo) == {"nemo/N-1"}  # no emergency yet
        assert httpx.put(f"{url}/api/v1/sharing/emergency", headers=police_admin,
                         json={"declared": True}).status_code == 403  # only NEMO declares
        assert httpx.put(f"{url}/api/v1/sharing/emergency", headers=nemo_admin,
                         json={"declared": True}).status_code == 200
        assert visible(psn_server, nemo) == {"nemo/N-1", "police/P-1", "police/P-2"}
        publish_fix(psn_server.mqtt_url, "police", "P-1", 17.52, -88.22)
        update = json.loads(ws.recv(timeout=5))
        assert [u["id"] for u in update["units"]] == ["police/P-1"]  # now on NEMO's live feed
    track = httpx.get(f"{url}/api/v1/units/police/P-1/track", headers={"Authorization": f"Bearer {nemo}"})
    assert track.status_code == 200

    # Incident-level: fire sees only the police unit on a police incident it is a partner of, while it is open.
    assert visible(psn_server, fire) == set()
    police_dispatcher = psn_server.headers("police")
    body = {"type": "traffic_collision", "priority": 1, "lat": 17.5, "lon": -88.2, "notes": "two cars",
            "partners": ["fire"]}
    incident = httpx.post(f"{url}/api/v1/incidents", headers=police_dispatcher, json=body).json()["id"]
    psn_server.server.cad.board.change("police/P-2", "dispatched", time.time(), actor="police.test",
                                       via="console", incident=incident)
    wait_for(lambda: visible(psn_server, fire) == {"police/P-2"})
    assert httpx.post(f"{url}/api/v1/incidents/{incident}/close", headers=police_dispatcher,
                      json={"disposition": "cleared"}).status_code == 200
    assert visible(psn_server, fire) == set()

    # Security events for admins only; the denial is there.
    assert httpx.get(f"{url}/api/v1/security/events", headers={"Authorization": f"Bearer {nemo}"}).status_code == 403
    events = httpx.get(f"{url}/api/v1/security/events?kind=access_denied", headers=police_admin).json()["events"]
    assert events and events[-1]["actor"] == "nemo.test" and events[-1]["detail"]["unit"] == "police/P-1"


def test_device_token_cannot_read(psn_server: RunningServer) -> None:
    device = psn_server.server.auth.issue_device("police", "P-1", 60).token
    assert visible(psn_server, device) == set()
    refused = httpx.get(f"{psn_server.base_url}/api/v1/units/police/P-1/track",
                        headers={"Authorization": f"Bearer {device}"})
    assert refused.status_code == 403


@pytest.mark.parametrize("path", ["/api/v1/stats", "/metrics"])
def test_server_wide_counters_are_for_network_operators_and_admins(psn_server: RunningServer, path: str) -> None:
    """The stats and Prometheus's copy of them count every agency's traffic: not for dispatchers, officers or
    devices (each role alone), nor for anyone without a token."""
    url = f"{psn_server.base_url}{path}"
    expected = {Role.DISPATCHER: 403, Role.FIELD_OFFICER: 403, Role.TRAFFIC_MANAGER: 403, Role.TRAINER: 403,
                Role.NETWORK_ADMIN: 200, Role.ADMIN: 200}
    got = {role: httpx.get(url, headers=psn_server.headers("nemo", role)).status_code for role in expected}
    assert got == expected
    device = psn_server.server.auth.issue_device("police", "P-1", 60).token
    assert httpx.get(url, headers={"Authorization": f"Bearer {device}"}).status_code == 403
    assert httpx.get(url).status_code == 401
    refused = httpx.get(url, headers=psn_server.headers("nemo", Role.DISPATCHER)).json()
    assert refused["detail"]  # says why


def test_audit_log_records_access_and_detects_tampering(psn_server: RunningServer) -> None:
    seed_units(psn_server)
    headers = psn_server.headers("police")
    for _ in range(3):
        assert httpx.get(f"{psn_server.base_url}/api/v1/units/police/P-1/track", headers=headers).status_code == 200
    audit = psn_server.server.audit
    audit.checkpoint()
    assert audit.verify().ok
    lines = audit.file.path.read_text().splitlines()
    assert sum('"track.view"' in line for line in lines) == 3
    data_dir = psn_server.settings.data_dir
    cli = [sys.executable, "-m", "psn", "audit", "verify", "--data-dir", str(data_dir)]
    assert subprocess.run(cli, capture_output=True, text=True).returncode == 0
    tampered = audit.file.path.read_bytes().replace(b'"points":', b'"pOints":', 1)
    audit.file.path.write_bytes(tampered)
    result = subprocess.run(cli, capture_output=True, text=True)
    assert result.returncode == 1 and "seq" in result.stdout, result.stdout


def test_token_cli_for_devices_and_users(psn_server: RunningServer) -> None:
    data_dir = str(psn_server.settings.data_dir)
    out = subprocess.run([sys.executable, "-m", "psn", "token", "issue", "--agency", "police", "--unit", "P-1",
                          "--ttl", "10m", "--data-dir", data_dir], capture_output=True, text=True, check=True)
    who = psn_server.server.auth.principal(out.stdout.strip())
    assert who.unit == "P-1" and who.agency == "police"
    add = subprocess.run([sys.executable, "-m", "psn", "users", "add", "eve.admin", "--agency", "nemo", "--role",
                          "admin", "--password-stdin", "--data-dir", data_dir], input="a-long-password\n",
                         capture_output=True, text=True)
    assert add.returncode == 0, add.stderr
    bad = subprocess.run([sys.executable, "-m", "psn", "users", "add", "x", "--agency", "navy", "--role", "admin",
                          "--password-stdin", "--data-dir", data_dir], input="a-long-password\n",
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "user name must match" in bad.stderr
    disable = subprocess.run([sys.executable, "-m", "psn", "users", "disable", "eve.admin", "--data-dir", data_dir],
                             capture_output=True, text=True)
    assert disable.returncode == 0, disable.stderr
    listing = subprocess.run([sys.executable, "-m", "psn", "users", "list", "--data-dir", data_dir],
                             capture_output=True, text=True, check=True).stdout
    assert any(line.startswith("eve.admin") and line.endswith("DISABLED") for line in listing.splitlines())


def test_replayed_telemetry_is_refused_and_reported(psn_server: RunningServer) -> None:
    feed: list[dict[str, object]] = []
    security_team = publisher(psn_server.mqtt_url)
    security_team.on_message = lambda _c, _u, m: feed.append({"topic": m.topic, **json.loads(m.payload)})
    security_team.subscribe("psn/v1/_security/#", qos=1)
    time.sleep(0.3)
    ts = time.time()
    for _ in range(3):
        publish_fix(psn_server.mqtt_url, "police", "P-7", 17.5, -88.2, ts=ts)
    publish_fix(psn_server.mqtt_url, "police", "P-8", 17.5, -88.2, ts=ts)
    publish_fix(psn_server.mqtt_url, "police", "P-8", 17.5, -88.2, ts=ts)
    wait_for(lambda: psn_server.stats()["rejected"].get("duplicate") == 3)  # every replay is counted
    psn_server.server.writer.flush()
    track = httpx.get(f"{psn_server.base_url}/api/v1/units/police/P-7/track", headers=psn_server.headers()).json()
    assert track["properties"]["count"] == 1
    events = httpx.get(f"{psn_server.base_url}/api/v1/security/events?kind=replayed_telemetry",
                       headers=psn_server.headers("police", Role.ADMIN)).json()["events"]
    # One event per unit a minute, however often it replays.
    assert sorted(e["detail"]["unit"] for e in events) == ["police/P-7", "police/P-8"]
    wait_for(lambda: len(feed) == 2)  # the security team's MQTT feed
    assert {f["topic"] for f in feed} == {"psn/v1/_security/replayed_telemetry"}
    security_team.loop_stop()

"""Video through psn: device tokens publish their own unit's stream, viewers follow the sharing rules, every
access is audited, recordings become evidence that the operator CLI exports and verifies."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from psn.access import Role
from tests.support import RunningServer, publish_fix, wait_for
from tests.video.clients import MovingImageTrack, publish, view

pytestmark = pytest.mark.timeout(120)


def signal(server: RunningServer, path: str, token: str) -> tuple[list[int], object]:
    statuses: list[int] = []

    async def post(offer: str) -> str:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            response = await client.post(path, content=offer, headers={
                "Content-Type": "application/sdp", "Authorization": f"Bearer {token}"})
        statuses.append(response.status_code)
        if response.status_code != 201:
            raise PermissionError(f"{response.status_code}: {response.text}")
        return response.text

    return statuses, post


async def test_publish_view_share_record_export(psn_server: RunningServer, tmp_path: Path) -> None:
    publish_fix(psn_server.mqtt_url, "police", "P-1", 17.5, -88.2)
    device = psn_server.server.auth.issue_device("police", "P-1", 600).token
    other_device = psn_server.server.auth.issue_device("police", "P-2", 600).token
    police, nemo = psn_server.token("police"), psn_server.token("nemo")

    for path, token in (("/whip/police:P-1", other_device), ("/whip/cam1", device), ("/whip/police:P-1", police)):
        statuses, post = signal(psn_server, path, token)
        with pytest.raises(PermissionError):
            await publish(post, MovingImageTrack())  # type: ignore[arg-type]
        assert statuses == [403], path

    _, post = signal(psn_server, "/whip/police:P-1", device)
    publisher = await publish(post, MovingImageTrack())  # type: ignore[arg-type]
    _, watch = signal(psn_server, "/whep/police:P-1", police)
    viewer = await view(watch)  # type: ignore[arg-type]
    await viewer.wait_frames(20)
    await asyncio.to_thread(wait_for, lambda: psn_server.units()["police/P-1"]["video"], 5)

    statuses, refused = signal(psn_server, "/whep/police:P-1", nemo)
    with pytest.raises(PermissionError):
        await view(refused)  # type: ignore[arg-type]
    assert statuses == [403]
    streams = httpx.get(f"{psn_server.base_url}/api/v1/streams", headers={"Authorization": f"Bearer {nemo}"}).json()
    assert streams in ([], {"streams": []})  # NEMO does not even learn the feed exists

    await viewer.pc.close()
    await publisher.close()
    await asyncio.to_thread(wait_for, lambda: not psn_server.units()["police/P-1"]["video"], 5)

    admin = {"Authorization": f"Bearer {psn_server.token('police', Role.ADMIN)}"}
    recordings = await asyncio.to_thread(
        wait_for, lambda: httpx.get(f"{psn_server.base_url}/api/v1/recordings", headers=admin).json(), 10)
    assert "police:P-1" in str(recordings)
    events = httpx.get(f"{psn_server.base_url}/api/v1/security/events?kind=access_denied", headers=admin).json()
    assert {e["detail"].get("stream") for e in events["events"]} >= {"police:P-1"}

    audit = psn_server.server.audit.file.path.read_text()
    assert '"video.publish"' in audit and '"video.view"' in audit

    data_dir = str(psn_server.settings.data_dir)
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 600))
    until = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + 60))
    bundle = tmp_path / "bundle"
    exported = subprocess.run([sys.executable, "-m", "psn", "evidence", "export", "police:P-1", "--from", since,
                               "--to", until, "--out", str(bundle), "--data-dir", data_dir],
                              capture_output=True, text=True)
    assert exported.returncode == 0, exported.stderr
    verified = subprocess.run([sys.executable, "-m", "psn", "evidence", "verify", str(bundle), "--trusted-key",
                               str(Path(data_dir) / "keys" / "evidence.pub")], capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr

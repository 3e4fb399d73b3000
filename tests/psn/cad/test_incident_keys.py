"""Incident notes follow key rotation: `psn keys reencrypt` re-seals them under the agency's new key, and `psn keys
retire` refuses a key that still seals an incident's notes."""

from __future__ import annotations

import subprocess
import sys

import httpx
import sqlalchemy as sa

from psn.keys import keyring
from psn.store.incident_rows import open_text
from psn.store.schema import incidents
from tests.support import RunningServer


def psn_cli(server: RunningServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "psn", *args, "--data-dir", str(server.settings.data_dir)],
                          capture_output=True, text=True)


def stored(server: RunningServer) -> sa.Row:
    with server.server.db.engine.connect() as conn:
        return conn.execute(sa.select(incidents)).one()


def test_rotation_reseals_incident_notes(server: RunningServer) -> None:
    body = {"type": "assault", "priority": 1, "lat": 17.25, "lon": -88.77, "address": "Ring Road",
            "notes": "victim conscious, bleeding"}
    headers = {"Authorization": f"Bearer {server.token('police')}"}
    assert httpx.post(f"{server.base_url}/api/v1/incidents", headers=headers, json=body).status_code == 201
    assert stored(server).key_id == "police:v1"
    assert psn_cli(server, "keys", "rotate", "--agency", "police").returncode == 0
    refused = psn_cli(server, "keys", "retire", "police:v1")
    assert refused.returncode == 2  # an incident's notes are still sealed with it
    assert psn_cli(server, "keys", "reencrypt").returncode == 0
    row = stored(server)
    assert row.key_id == "police:v2"
    assert open_text(keyring(server.settings.data_dir), row) == ("victim conscious, bleeding", "Ring Road")
    assert psn_cli(server, "keys", "retire", "police:v1").returncode == 0

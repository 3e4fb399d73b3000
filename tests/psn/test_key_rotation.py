"""Key rotation without downtime: rotate, re-encrypt and retire with the operator CLI while psn ingests."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

from tests.support import RunningServer, publish_fix, wait_for


def psn_cli(server: RunningServer, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "psn", *args, "--data-dir", str(server.settings.data_dir)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def key_ids_in_use(server: RunningServer) -> set[str]:
    with server.server.db.engine.connect() as conn:
        return {row[0] for row in conn.exec_driver_sql("SELECT DISTINCT key_id FROM fixes")}


def test_rotate_reencrypt_retire_while_running(psn_server: RunningServer) -> None:
    # The server writes to the audit log before, between and after the operator's commands.
    psn_server.server.audit.record("test", "test.start", "-")
    now = time.time()
    publish_fix(psn_server.mqtt_url, "police", "P-1", 17.50, -88.20, ts=now - 2)
    wait_for(lambda: psn_server.stats()["stored"] == 1)
    assert key_ids_in_use(psn_server) == {"police:v1"}

    assert "police:v2" in psn_cli(psn_server, "keys", "rotate", "--agency", "police")
    psn_server.server.audit.record("test", "test.middle", "-")
    time.sleep(1.1)  # the server looks for a rotated keyring at most once a second
    publish_fix(psn_server.mqtt_url, "police", "P-1", 17.51, -88.21, ts=now - 1)
    wait_for(lambda: psn_server.stats()["stored"] == 2)
    assert key_ids_in_use(psn_server) == {"police:v1", "police:v2"}  # the running server follows the rotation

    retire = subprocess.run([sys.executable, "-m", "psn", "keys", "retire", "police:v1", "--data-dir",
                             str(psn_server.settings.data_dir)], capture_output=True, text=True)
    assert retire.returncode == 2 and "re-encrypt it before retiring" in retire.stderr
    assert "re-encrypted 1 records" in psn_cli(psn_server, "keys", "reencrypt")
    psn_cli(psn_server, "keys", "retire", "police:v1")
    assert key_ids_in_use(psn_server) == {"police:v2"}

    track = httpx.get(f"{psn_server.base_url}/api/v1/units/police/P-1/track", headers=psn_server.headers()).json()
    assert track["geometry"]["coordinates"] == [[-88.20, 17.50], [-88.21, 17.51]]
    assert "OK" in psn_cli(psn_server, "audit", "verify")

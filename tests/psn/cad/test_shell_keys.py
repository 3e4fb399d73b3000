"""The dispatch shell's sealed rows follow key rotation: `psn keys retire` refuses a key that still seals a
command, an alert, a geofence crossing or a message, and `psn keys reencrypt` re-seals each under the new key
(opened afterwards with the row's own associated data)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import orjson
import sqlalchemy as sa

from psn.cad.sealed import open_columns
from psn.keys import keyring
from psn.store.schema import alerts, commands, fixes, geofence_events, messages
from tests.psn.cad.test_incident_keys import psn_cli
from tests.support import publish, publish_fix, server_with_units, wait_for

SHELL = (commands, alerts, geofence_events, messages)
SQUARE = [[-88.19, 17.49], [-88.17, 17.49], [-88.17, 17.51], [-88.19, 17.51], [-88.19, 17.49]]


def _rows(engine: sa.Engine, table: sa.Table) -> list[sa.Row]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(table)))


def test_rotation_reseals_commands_alerts_crossings_and_messages(tmp_path: Path) -> None:
    with server_with_units(tmp_path, [("police", "P-1")]) as server:
        engine = server.server.db.engine
        auth = {"Authorization": f"Bearer {server.token('police')}"}
        sent = httpx.post(f"{server.base_url}/api/v1/messages", headers=auth,
                          json={"unit": "police/P-1", "text": "return to station"})  # a message and its command
        assert sent.status_code == 201, sent.text
        publish(server.mqtt_url, "psn/v1/police/P-1/alert", {"ts": time.time(), "type": "emergency", "note": "shots"})
        fence = httpx.post(f"{server.base_url}/api/v1/geofences", headers=auth,
                           json={"name": "Station", "polygon": SQUARE, "units": ["police/P-1"]})
        assert fence.status_code == 201, fence.text
        t = time.time()
        publish_fix(server.mqtt_url, "police", "P-1", 17.50, -88.20, ts=t)  # outside: sets the state
        publish_fix(server.mqtt_url, "police", "P-1", 17.50, -88.18, ts=t + 1)  # inside: a crossing
        wait_for(lambda: all(_rows(engine, table) for table in SHELL))
        assert {table.name: {r.key_id for r in _rows(engine, table)} for table in SHELL} == {
            "commands": {"police:v1"}, "alerts": {"police:v1"}, "geofence_events": {"police:v1"},
            "messages": {"police:v1"}}
        with engine.begin() as conn:
            conn.execute(fixes.delete())  # only the shell's rows still use police:v1 now

        assert psn_cli(server, "keys", "rotate", "--agency", "police").returncode == 0
        assert psn_cli(server, "keys", "retire", "police:v1").returncode == 2
        assert psn_cli(server, "keys", "reencrypt").returncode == 0
        assert {table.name: {r.key_id for r in _rows(engine, table)} for table in SHELL} == {
            "commands": {"police:v2"}, "alerts": {"police:v2"}, "geofence_events": {"police:v2"},
            "messages": {"police:v2"}}
        keys = keyring(server.settings.data_dir)
        (command,) = _rows(engine, commands)
        payload = orjson.loads(keys.open(command.sealed, f"commands/{command.id}".encode()))
        assert (payload["type"], payload["text"]) == ("message", "return to station")
        assert open_columns(keys, "alerts", _rows(engine, alerts)[0], ("note",)) == {"note": "shots"}
        assert open_columns(keys, "geofence_events", _rows(engine, geofence_events)[0], ("lat", "lon")) == {
            "lat": 17.50, "lon": -88.18}
        assert open_columns(keys, "messages", _rows(engine, messages)[0], ("text",)) == {"text": "return to station"}
        assert psn_cli(server, "keys", "retire", "police:v1").returncode == 0

        for table in SHELL:  # each table on its own keeps a key in use
            with engine.begin() as conn:
                conn.execute(table.update().values(key_id="police:v9"))
            assert server.server.db.key_in_use("police:v9"), table.name
            with engine.begin() as conn:
                conn.execute(table.update().values(key_id="police:v2"))

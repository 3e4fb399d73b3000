"""A change another instance made is read back (`IncidentBook.refresh`, on the change listener's thread) outside
the book's lock: if a change made here commits between that read and its use, the read is older than what this
instance holds, and must not replace it. The interleaving is made exact by running this instance's change
(a REST PATCH) inside the listener's read, after the row was read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.psn.cad.incidents_http import new_incident
from tests.support import Mosquitto, RunningServer, make_settings


def test_a_read_back_older_than_a_change_made_here_meanwhile_is_not_kept(tmp_path: Path,
                                                                          mosquitto: Mosquitto) -> None:
    running = RunningServer(make_settings(tmp_path, mosquitto.url)).start()
    try:
        token = running.token("police")
        headers = {"Authorization": f"Bearer {token}"}
        incident = new_incident(running, token)  # priority 2
        book = running.server.cad.incidents
        read = book.store.load_one

        def read_then_changed_here(incident_id: str) -> Any:
            found = read(incident_id)  # as another instance left it: priority 2
            answer = httpx.patch(f"{running.base_url}/api/v1/incidents/{incident}", headers=headers,
                                 json={"priority": 1})
            assert answer.status_code == 200, answer.text
            return found

        book.store.load_one = read_then_changed_here  # type: ignore[method-assign]
        book.refresh(incident)
        book.store.load_one = read  # type: ignore[method-assign]
        held = httpx.get(f"{running.base_url}/api/v1/incidents/{incident}", headers=headers).json()
        assert held["priority"] == 1
    finally:
        running.stop()

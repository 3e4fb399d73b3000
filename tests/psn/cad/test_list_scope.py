"""Lists with a limit (commands, recent alerts) take the newest of what the caller may see, not the newest of all
agencies filtered afterwards: busy police must not push nemo's own out of nemo's list."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support import RunningServer, publish, wait_for


def _get(server: RunningServer, agency: str, path: str) -> list[dict]:
    answer = httpx.get(f"{server.base_url}{path}", headers={"Authorization": f"Bearer {server.token(agency)}"})
    assert answer.status_code == 200, answer.text
    listed: list[dict] = next(iter(answer.json().values()))
    return listed


def test_commands_list_the_callers_newest(server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("psn.cad.command_store.LIST_LIMIT", 2)
    commands = server.server.cad.commands
    nemo = commands.send("nemo/N-1", "message", {"text": "a"}, actor="n.disp")
    police = [commands.send(f"police/P-{n}", "message", {"text": "b"}, actor="p.disp") for n in (1, 2, 3)]
    assert [c["id"] for c in _get(server, "nemo", "/api/v1/commands")] == [nemo]
    assert {c["id"] for c in _get(server, "police", "/api/v1/commands")} == set(police[1:])


def test_recent_alerts_list_the_callers_newest(server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("psn.cad.alerts.RECENT", 2)
    t = time.time()
    units = ["nemo/N-1", "police/P-1", "police/P-2", "police/P-3"]
    for n, unit in enumerate(units):  # not sticky: each one its own alert, received in this order
        publish(server.mqtt_url, f"psn/v1/{unit}/alert", {"ts": t + n, "type": "medical"})
        wait_for(lambda n=n: len(server.server.cad.alerts.recent()) == min(n + 1, 2)
                 and server.server.cad.alerts.recent()[0].unit == units[n])
    assert [a["unit"] for a in _get(server, "nemo", "/api/v1/alerts?open=false")] == ["nemo/N-1"]
    assert [a["unit"] for a in _get(server, "police", "/api/v1/alerts?open=false")] == ["police/P-3", "police/P-2"]

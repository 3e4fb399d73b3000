"""The board end to end: units' MQTT status words move it (an illegal one is refused and counted in /metrics),
dispatchers set states over REST (every current × wanted state against a table written by hand), consoles see
each change live, and the board survives a restart of psn."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from psn.access import Role
from psn.cad.board import UnitBoard
from psn.mqtt import free_port
from tests.psn.cad.consoles import consoles
from tests.support import Mosquitto, RunningServer, make_settings, publish, publish_fix, wait_for

STATES = ("available", "dispatched", "en_route", "on_scene", "out_of_service")
# POST {"state": wanted} for a unit in `current`: 200, or 409 (illegal, or dispatched: that is assign's).
EXPECTED = """
current \\ wanted  available  dispatched  en_route  on_scene  out_of_service
available          409        409         409       409       200
dispatched         200        409         200       200       200
en_route           200        409         409       200       200
on_scene           200        409         409       409       200
out_of_service     200        409         409       409       409
"""
# The path from available to each state, through legal changes only.
PATH = {"available": [], "dispatched": ["dispatched"], "en_route": ["dispatched", "en_route"],
        "on_scene": ["dispatched", "on_scene"], "out_of_service": ["out_of_service"]}


def _table() -> dict[tuple[str, str], int]:
    header, *rows = (line.split() for line in EXPECTED.strip().splitlines())
    assert header[3:] == list(STATES)  # after "current \\ wanted"
    return {(row[0], wanted): int(cell) for row in rows for wanted, cell in zip(STATES, row[1:], strict=True)}


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    mosquitto = Mosquitto(Path(tmp_path_factory.mktemp("board-broker"))).start()
    yield mosquitto
    mosquitto.stop()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory, broker: Mosquitto) -> Iterator[RunningServer]:
    server = RunningServer(make_settings(Path(tmp_path_factory.mktemp("board")), broker.url)).start()
    for agency, unit in (("police", "P-1"), ("police", "P-2"), ("police", "P-3"), ("nemo", "N-1")):
        publish_fix(broker.url, agency, unit, 17.5, -88.2)
    wait_for(lambda: len(server.server.state) == 4)
    yield server
    server.stop()


def _reset(board: UnitBoard, unit: str, state: str) -> None:
    """Drives the unit to `state` through legal changes (out of service, then available, then its path)."""
    now = time.time()
    if board.state(unit)[0] != "out_of_service":
        board.change(unit, "out_of_service", now, actor="t", via="console")
    board.change(unit, "available", now, actor="t", via="console")
    for step in PATH[state]:
        board.change(unit, step, now, actor="t", via="console", incident="police-00001")


def _post(running: RunningServer, unit: str, body: object, agency: str = "police",
          *roles: Role) -> httpx.Response:
    return httpx.post(f"{running.base_url}/api/v1/units/{unit}/status", json=body,
                      headers=running.headers(agency, *roles))


def _metric(running: RunningServer, line: str) -> float:
    text = httpx.get(f"{running.base_url}/metrics", headers=running.headers("police", Role.NETWORK_ADMIN)).text
    found = re.search(rf"^{re.escape(line)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_every_current_and_wanted_state_against_the_table(running: RunningServer) -> None:
    board = running.server.cad.board
    for (current, wanted), status in _table().items():
        _reset(board, "police/P-2", current)
        response = _post(running, "police/P-2", {"state": wanted})
        assert response.status_code == status, (current, wanted, response.text)
        if status == 200:
            entry = response.json()
            assert (entry["unit"], entry["state"]) == ("police/P-2", wanted)
            assert entry["incident"] == ("police-00001" if wanted in ("en_route", "on_scene") else None)
        else:
            assert response.json()["detail"].startswith("state: ")
        assert board.state("police/P-2")[0] == (wanted if status == 200 else current)


@pytest.mark.parametrize(("unit", "body", "agency", "roles", "status"), [
    ("police/P-3", {"state": "lunch"}, "police", (), 422),
    ("police/P-3", {"state": 7}, "police", (), 422),
    ("police/P-3", {}, "police", (), 422),
    ("police/P-3", {"state": "x" * 33}, "police", (), 422),
    ("police/P-404", {"state": "out_of_service"}, "police", (), 404),
    ("nowhere/P-3", {"state": "out_of_service"}, "police", (), 404),
    ("police/P-3", {"state": "out_of_service"}, "nemo", (), 403),
    ("police/P-3", {"state": "out_of_service"}, "police", (Role.FIELD_OFFICER,), 403),
    ("police/P-3", {"state": "out_of_service"}, "police", (Role.TRAINER,), 403),
    ("police/_x", {"state": "out_of_service"}, "police", (), 404),  # psn's own names: never a unit
])
def test_bad_requests_are_refused_with_the_reason_and_change_nothing(running: RunningServer, unit: str,
                                                                     body: object, agency: str,
                                                                     roles: tuple[Role, ...], status: int) -> None:
    response = _post(running, unit, body, agency, *roles)
    assert response.status_code == status, response.text
    assert response.json()["detail"]
    assert running.server.cad.board.get("police/P-3") is None


@given(st.one_of(st.text(max_size=40), st.sampled_from(STATES), st.integers(), st.none()))
def test_any_state_field_is_a_clear_answer_never_a_server_error(running: RunningServer, value: object) -> None:
    _reset(running.server.cad.board, "police/P-2", "available")
    # From available: only out of service is legal; another state is a 409; anything else names the field.
    expected = 200 if value == "out_of_service" else 409 if value in STATES else 422
    response = _post(running, "police/P-2", {"state": value})
    assert response.status_code == expected, response.text
    if expected != 200:
        assert "state" in response.text


def test_status_words_move_the_board_illegal_ones_are_counted_and_the_board_survives_a_restart(
        running: RunningServer, broker: Mosquitto, tmp_path_factory: pytest.TempPathFactory) -> None:
    board = running.server.cad.board
    refused_before = _metric(running, 'psn_cad_status_refused_total{reason="illegal_transition"}')
    status_topic = "psn/v1/police/P-1/status"
    with consoles(running, police=running.token("police"), nemo=running.token("nemo")) as live:
        police, nemo = live["police"], live["nemo"]
        board.change("police/P-1", "dispatched", time.time(), actor="p.disp", via="console",
                     incident="police-00042")
        publish(broker.url, status_topic, {"ts": time.time(), "status": "responding"})
        wait_for(lambda: board.state("police/P-1")[0] == "en_route")
        publish(broker.url, status_topic, {"ts": time.time(), "status": "arrived"})
        wait_for(lambda: board.state("police/P-1")[0] == "on_scene")
        publish(broker.url, status_topic, {"ts": time.time(), "status": "responding"})  # on scene → en route: no
        wait_for(lambda: _metric(running, 'psn_cad_status_refused_total{reason="illegal_transition"}')
                 == refused_before + 1)
        wait_for(lambda: len(police.of("unit_status")) == 4)
        seen = police.of("unit_status")
        assert [(e["entry"]["state"], e["via"], e.get("refused")) for e in seen] == [
            ("dispatched", "console", None), ("en_route", "mqtt", None), ("on_scene", "mqtt", None),
            ("on_scene", "mqtt", "illegal_transition")]
        assert {e["entry"]["incident"] for e in seen} == {"police-00042"}
        assert nemo.of("unit_status") == []
    board_json = httpx.get(f"{running.base_url}/api/v1/board", headers=running.headers("police")).json()
    entry = next(e for e in board_json["units"] if e["unit"] == "police/P-1")
    assert (entry["state"], entry["incident"]) == ("on_scene", "police-00042")
    nemo_board = httpx.get(f"{running.base_url}/api/v1/board", headers=running.headers("nemo")).json()
    assert [e["unit"] for e in nemo_board["units"]] == ["nemo/N-1"]
    wait_for(running.server.bus.flush)  # the board's store has written every change

    running.stop()
    again = RunningServer(dataclasses.replace(running.settings, port=free_port())).start()
    try:
        restored = httpx.get(f"{again.base_url}/api/v1/board", headers=again.headers("police")).json()
        after = next(e for e in restored["units"] if e["unit"] == "police/P-1")
        assert after == entry
    finally:
        again.stop()

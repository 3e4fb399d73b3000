"""The alarm REST doors fuzzed against a real psn holding three alarms of a literal table: whatever the query or
the path, the answer is exactly the table's rows the filters select (newest change first, units hidden from a
network admin), or a 4xx naming its reason; never a 5xx."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psn.access import Role
from psn.clock import ManualClock
from psn.events import LinkAccepted
from telemetry import LinkReport, UnitRef
from tests.support import Mosquitto, RunningServer, make_settings, wait_for

T = 1_764_612_000.0
# (id, target as a network admin sees it, state, changed): U-1 out of coverage at T, back at T+30, cleared T+60
# (the 30 s clear delay); U-2 at T+10 and U-3 at T+20, still out.
TABLE = [("AL-1", "police/…", "cleared", T + 60), ("AL-2", "fire/…", "raised", T + 10),
         ("AL-3", "police/…", "raised", T + 20)]
ALARM_ID = re.compile(r"^AL-[0-9]{1,12}$")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    tmp = Path(tmp_path_factory.mktemp("alarms"))
    broker = Mosquitto(tmp).start()
    clock = ManualClock(T)
    running = RunningServer(make_settings(tmp, broker.url), clock).start()
    try:
        alarms = running.server.alarms
        for unit, at in (("police/U-1", T), ("fire/U-2", T + 10), ("police/U-3", T + 20)):
            clock.now = at
            agency, name = unit.split("/")
            for _ in range(2):
                running.server.bus.publish(LinkAccepted(LinkReport(UnitRef(agency, name), at, None, None, None,
                                                                   0.0, 0.0), at))
            wait_for(lambda u=unit: alarms.active_count(u) == 1)  # type: ignore[misc]
        clock.now = T + 30
        running.server.bus.publish(LinkAccepted(LinkReport(UnitRef("police", "U-1"), T + 30, "BZE-PMD-1", -90.0,
                                                           10.0, 1.0, 1.0), T + 30))
        assert running.server.bus.flush()
        clock.now = T + 60
        wait_for(lambda: alarms.active_count("police/U-1") == 0)
        yield running
    finally:
        running.stop()
        broker.stop()


@pytest.fixture(scope="module")
def netops(server: RunningServer) -> str:
    return server.token("police", Role.NETWORK_ADMIN, name="netops")


def expected(state: str, since: float | None, limit: int) -> list[tuple[str, str, str, float]]:
    rows = [r for r in TABLE if (state == "all" or r[2] != "cleared") and (since is None or r[3] >= since)]
    return sorted(rows, key=lambda r: -r[3])[:limit]


def numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


junk = st.text(max_size=12).filter(lambda text: not numeric(text) and text not in ("active", "all"))
state = st.one_of(st.sampled_from(["active", "all"]), junk)
since = st.one_of(st.none(), st.floats(T - 5, T + 70), st.sampled_from([T + 10, T + 20, T + 60]), junk,
                  st.sampled_from(["nan", "inf", "-1", "1e300"]))
limit = st.one_of(st.integers(-2, 5), st.sampled_from([5000, 5001]), junk)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(state, since, limit)
def test_the_list_is_exactly_the_rows_the_filters_select(server: RunningServer, netops: str, state: Any,
                                                         since: Any, limit: Any) -> None:
    params = {k: v for k, v in (("state", state), ("since", since), ("limit", limit)) if v is not None}
    response = httpx.get(f"{server.base_url}/api/v1/net/alarms", params=params,
                         headers={"Authorization": f"Bearer {netops}"})
    valid_since = since is None or (isinstance(since, float) and since >= 0)
    valid_limit = isinstance(limit, int) and 1 <= limit <= 5000
    if state in ("active", "all") and valid_since and valid_limit:
        assert response.status_code == 200, response.text
        got = [(a["id"], a["target"], a["state"], a["changed"]) for a in response.json()["alarms"]]
        assert got == expected(state, since, limit)
    else:
        assert response.status_code == 422, (params, response.text)
        assert response.json()["detail"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(min_size=1, max_size=20), st.from_regex(ALARM_ID, fullmatch=True),
                 st.sampled_from(["AL-1", "AL-2", "AL-3"])))
def test_one_alarm_by_any_path_is_the_table_row_or_a_named_refusal(server: RunningServer, netops: str,
                                                                   alarm_id: str) -> None:
    response = httpx.get(f"{server.base_url}/api/v1/net/alarms/{quote(alarm_id, safe='')}",
                         headers={"Authorization": f"Bearer {netops}"})
    row = next((r for r in TABLE if r[0] == alarm_id), None)
    if row is not None:
        body = response.json()
        assert (body["id"], body["target"], body["state"], body["changed"]) == row
        assert body["history"][0]["event"] == "raised"
    elif ALARM_ID.match(alarm_id):
        assert response.status_code == 404 and alarm_id in response.json()["detail"]
    else:
        assert response.status_code in (404, 405, 422), (alarm_id, response.status_code)
        assert response.json()["detail"]

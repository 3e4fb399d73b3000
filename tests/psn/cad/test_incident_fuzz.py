"""Near-valid incident bodies (a valid one with exactly one field replaced) against a real psn: what the rules
(written out here, independently of dispatch/ and the router) accept comes back exactly as sent; the rest is a 4xx
naming its reason, with nothing written. Plus two psn instances numbering incidents at once on one database."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch import create
from psn.cad.incident_store import IncidentStore
from psn.store import Database
from psn.store.schema import incidents
from tests.support import RunningServer, server_with_units

TYPES = ["traffic_collision", "assault", "robbery", "fire", "flood", "medical", "missing_person",
         "hurricane_shelter", "other"]
VALID: dict[str, Any] = {"type": "fire", "priority": 2, "lat": 17.25, "lon": -88.77, "address": "Ring Road",
                         "notes": "smoke from the market"}
DELETE = object()

ANY_JSON = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                     st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
                     st.lists(st.integers(), max_size=2))
VALUES: dict[str, st.SearchStrategy[object]] = {
    "type": st.one_of(st.sampled_from(TYPES), st.sampled_from(["Fire", "burglary", ""]), ANY_JSON),
    "priority": st.one_of(st.integers(-2, 7), st.sampled_from(["1", 1.0, True, 2.5]), ANY_JSON),
    "lat": st.one_of(st.floats(-95, 95), st.sampled_from([90, -90, 90.0000001, "17.2", True]), ANY_JSON),
    "lon": st.one_of(st.floats(-185, 185), st.sampled_from([180, -180.0000001, False]), ANY_JSON),
    "notes": st.one_of(st.text(min_size=0, max_size=40), st.sampled_from(["x" * 4096, "x" * 4097, "é" * 2048,
                                                                          "é" * 2049, " ", "\n"]), ANY_JSON),
    "address": st.one_of(st.text(max_size=40), st.sampled_from(["a" * 200, "a" * 201, " "]), ANY_JSON),
}


def number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float)


def accepted(field: str, value: object) -> bool:
    """The contract's rules for one field, by hand."""
    if value is DELETE:
        return field == "address"  # optional; everything else is required
    if field == "type":
        return value in TYPES
    if field == "priority":
        return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 4
    if field in ("lat", "lon"):
        bound = 90 if field == "lat" else 180
        return number(value) and math.isfinite(value) and -bound <= value <= bound  # type: ignore[arg-type]
    if field == "notes":
        return isinstance(value, str) and bool(value.strip()) and len(value.encode()) <= 4096
    return value is None or (isinstance(value, str) and bool(value.strip()) and len(value) <= 200)  # address


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with server_with_units(Path(tmp_path_factory.mktemp("incident-fuzz")), []) as running:
        yield running


def count(server: RunningServer) -> int:
    with server.server.db.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(incidents)).scalar_one())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_near_valid_bodies(server: RunningServer, data: st.DataObject) -> None:
    field = data.draw(st.sampled_from(sorted(VALUES)))
    value = data.draw(st.one_of(VALUES[field], st.just(DELETE)))
    body = {k: v for k, v in {**VALID, field: value}.items() if v is not DELETE}
    before = count(server)
    answer = httpx.post(f"{server.base_url}/api/v1/incidents", json=body,
                        headers={"Authorization": f"Bearer {server.token('police')}"})
    if accepted(field, value):
        assert answer.status_code == 201, answer.text
        sent = {**VALID, "address": None, **body}
        assert {k: answer.json()[k] for k in VALID} == {k: sent[k] for k in VALID}
        assert count(server) == before + 1
    else:
        assert answer.status_code in (409, 422) and answer.json()["detail"], answer.text
        assert count(server) == before


def test_two_instances_number_incidents_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'psn.db'}"
    Database(url).migrate()
    stores = [IncidentStore(Database(url), None) for _ in range(2)]  # two psn processes, no shared lock
    made: list[str] = []

    def work(store: IncidentStore) -> None:
        for n in range(50):
            incident, _ = store.insert("fire", lambda new_id, n=n: create(
                new_id, "fire.test", float(n), type="fire", priority=1, lat=17.0, lon=-88.0, notes="n",
                owner="fire"))
            made.append(incident.id)

    threads = [threading.Thread(target=work, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(made) == [f"fire-{n:05d}" for n in range(1, 101)]

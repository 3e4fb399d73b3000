"""The programme dashboard over real HTTP on a psn with its own Mosquitto: units, incidents, officers signed on,
security events and training records put in through the real ways in (MQTT fixes, the incident, phone, sign-in and
training APIs), then every figure compared to the value counted by hand below; who may see which scope; the
training POST fuzzed (201 with the record stored as sent, or 4xx with a reason)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from psn.access import Role
from psn.clock import ManualClock
from psn.store.programme_schema import trainings
from tests.support import Mosquitto, RunningServer, make_settings, publish_fix, wait_for

T = 1_764_000_000.0  # the server's clock stands still here
D = 86_400.0
UNITS = {("police", "P-1"): T - 60, ("police", "P-2"): T - 3600, ("fire", "F-1"): T - 3 * D,
         ("nemo", "N-1"): T - 20 * D, ("ems", "E-1"): T - 40 * D}
TRAININGS = [("pc-101", "police", "Body cams", T - 2 * D), ("pc-101", "police", "First aid", T - 40 * D),
             ("ff-7", "fire", "Body cams", T - D)]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    tmp: Path = tmp_path_factory.mktemp("programme")
    broker = Mosquitto(tmp).start()
    clock = ManualClock(T)
    running = RunningServer(make_settings(tmp, broker.url), clock=clock)
    # Incidents are opened and closed at hand-written times in the past: the incident book gets its own clock.
    book_clock = ManualClock(T - 40 * D)
    book = running.server.cad.incidents
    book.ctx = dataclasses.replace(book.ctx, clock=book_clock)
    running.start()
    try:
        for count, ((agency, unit), ts) in enumerate(UNITS.items(), start=1):
            clock.now = ts + 1  # ingest refuses fixes older than 7 days: each arrives when it was sent
            publish_fix(broker.url, agency, unit, 17.5, -88.2, ts=ts)
            wait_for(lambda count=count: len(running.server.state) == count)  # type: ignore[misc]
        clock.now = T
        _incidents(running, book_clock)
        _officers_and_security(running)
        trainer = running.headers("police", Role.TRAINER)
        for officer, agency, course, completed in TRAININGS:
            answer = _train(running, trainer, officer=officer, agency=agency, course=course, completed=completed)
            assert answer.status_code == 201, answer.text
        yield running
    finally:
        running.stop()
        broker.stop()


def _incidents(running: RunningServer, book_clock: ManualClock) -> None:
    police, fire = running.headers("police"), running.headers("fire")

    def at(ts: float, path: str, body: dict[str, Any], headers: dict[str, str]) -> str:
        book_clock.now = ts
        answer = httpx.post(f"{running.base_url}/api/v1/incidents{path}", json=body, headers=headers)
        assert answer.status_code in (200, 201), answer.text
        return str(answer.json()["id"])

    new = {"type": "robbery", "priority": 2, "lat": 17.5, "lon": -88.2, "notes": "caller"}
    old = at(T - 40 * D, "", new, police)
    at(T - 35 * D, f"/{old}/close", {"disposition": "arrest"}, police)
    handled = at(T - 31 * D, "", new, police)  # opened before the 30 days, handled within them
    at(T - 5 * D, "", new, fire)
    at(T - 2 * D, f"/{handled}/close", {"disposition": "resolved"}, police)
    at(T - 3600, "", new, police)


def _officers_and_security(running: RunningServer) -> None:
    officer = running.headers("police", Role.FIELD_OFFICER)
    assert httpx.put(f"{running.base_url}/api/v1/me/unit", json={"unit": "P-1"}, headers=officer).status_code == 200
    for _ in range(2):
        refused = httpx.post(f"{running.base_url}/api/v1/auth/login", data={"name": "nobody", "password": "wrong"})
        assert refused.status_code == 401
    bad = httpx.get(f"{running.base_url}/api/v1/units", headers={"Authorization": "Bearer forged"})
    assert bad.status_code == 401


def _train(running: RunningServer, headers: dict[str, str], **body: Any) -> httpx.Response:
    return httpx.post(f"{running.base_url}/api/v1/kpi/programme/training", json=body, headers=headers)


def _figures(running: RunningServer, headers: dict[str, str]) -> tuple[str, dict[str, dict[str, Any]]]:
    answer = httpx.get(f"{running.base_url}/api/v1/kpi/programme", headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["generated"] == T
    return body["scope"], {f["id"]: f for f in body["figures"]}


def _values(figures: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {key: (f["value"], f.get("parts", {})) for key, f in figures.items() if f["available"]}


def test_national_figures_counted_by_hand(seeded: RunningServer) -> None:
    scope, figures = _figures(seeded, seeded.headers("police", Role.NETWORK_ADMIN))
    assert scope == "national"
    assert _values(figures) == {
        "agencies_on_network": (3, {"fire": 1, "nemo": 1, "police": 2}),
        "units_active_now": (1, {"police": 1}),
        "units_active_24h": (2, {"police": 2}),
        "units_active_7d": (3, {"fire": 1, "police": 2}),
        "units_active_30d": (4, {"fire": 1, "nemo": 1, "police": 2}),
        "officers_on_duty": (1, {"police": 1}),
        "incidents_open": (2, {"fire": 1, "police": 1}),
        "incidents_opened_30d": (2, {"fire": 1, "police": 1}),
        "incidents_handled_30d": (1, {"police": 1}),
        "officers_trained": (2, {"fire": 1, "police": 1}),
        "trainings_30d": (2, {"Body cams": 2}),
        "security_events": (3, {"bad_token": 1, "failed_login": 2}),
        "alarms_active": (0, {}),  # no cell has reported and no uplift was asked for
        "uplifts_active": (0, {}),
    }
    opened = [n for _, n in figures["incidents_opened_30d"]["history"]]
    assert len(opened) == 30 and {i: n for i, n in enumerate(opened) if n} == {25: 1, 29: 1}
    unavailable = {key: f["why"] for key, f in figures.items() if not f["available"]}
    assert set(unavailable) == {"officers_active_30d", "offences_intercepted", "traffic_alerts_6h",
                                "corridors_monitored", "travel_time_index", "warnings_issued",
                                "incidents_captured", "cells_up"}
    assert all(f["value"] is None and f["source"] for key, f in figures.items() if key in unavailable)
    assert unavailable["traffic_alerts_6h"] == "traffic analytics are off on this server"
    assert unavailable["offences_intercepted"].startswith("not recorded yet")


def test_an_agency_admin_sees_its_agency(seeded: RunningServer) -> None:
    scope, figures = _figures(seeded, seeded.headers("police", Role.ADMIN))
    assert scope == "police"
    values = _values(figures)
    assert values["units_active_30d"] == (2, {"police": 2})
    assert values["incidents_open"] == (1, {"police": 1})
    assert values["incidents_handled_30d"] == (1, {"police": 1})
    assert values["officers_trained"] == (1, {"police": 1})
    assert values["agencies_on_network"][0] == 3 and figures["agencies_on_network"]["scope"] == "national"


@pytest.mark.parametrize("role", [Role.FIELD_OFFICER, Role.DISPATCHER, Role.TRAFFIC_MANAGER])
def test_others_are_refused_with_a_reason(seeded: RunningServer, role: Role) -> None:
    headers = seeded.headers("police", role)
    answer = httpx.get(f"{seeded.base_url}/api/v1/kpi/programme", headers=headers)
    assert answer.status_code == 403 and "programme" in answer.json()["detail"]
    refused = _train(seeded, headers, officer="pc-9", agency="police", course="x", completed=T - 1)
    assert refused.status_code == 403


def test_an_admin_may_not_record_training_and_a_retry_is_a_conflict(seeded: RunningServer) -> None:
    officer, agency, course, completed = TRAININGS[0]
    body = {"officer": officer, "agency": agency, "course": course, "completed": completed}
    assert _train(seeded, seeded.headers("police", Role.ADMIN), **body).status_code == 403
    again = _train(seeded, seeded.headers("fire", Role.TRAINER), **body)
    assert again.status_code == 409 and "recorded already" in again.json()["detail"]


OFFICERS = st.text("abcXYZ019._-", min_size=1, max_size=64)
# Python's isprintable() refuses every space but " " (no-break space included), as the validator does.
COURSES = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S"), include_characters=" "), min_size=1,
                  max_size=100).filter(lambda s: s.strip() != "")
VALID = st.fixed_dictionaries({"officer": OFFICERS, "agency": st.sampled_from(["bdf", "ems", "fire", "police"]),
                               "course": COURSES,
                               "completed": st.floats(T - 20 * 365 * D, T, allow_nan=False)})
# (what is changed, the value): each makes the record invalid.
BREAKAGES = st.sampled_from([
    ("officer", "pc 1"), ("officer", ""), ("officer", "x" * 65), ("officer", 7), ("agency", "army"),
    ("agency", None), ("course", ""), ("course", "  "), ("course", "x" * 101), ("course", "a\nb"),
    ("completed", "today"), ("completed", True), ("completed", T + 3600), ("completed", 0), ("extra", 1)])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(record={"officer": "pc-1", "agency": "police", "course": " Drone pilot (PART 107) ", "completed": T},
         breakage=None, drop=None)
@given(record=VALID, breakage=st.none() | BREAKAGES, drop=st.none() | st.sampled_from(
    ["officer", "agency", "course", "completed"]))
def test_training_post_fuzzed(seeded: RunningServer, record: dict[str, Any], breakage: tuple[str, Any] | None,
                              drop: str | None) -> None:
    body = dict(record)
    if breakage is not None:
        body[breakage[0]] = breakage[1]
    if drop is not None:
        body.pop(drop)
    answer = _train(seeded, seeded.headers("police", Role.TRAINER), **body)
    key = sa.and_(trainings.c.officer == record["officer"], trainings.c.agency == record["agency"],
                  trainings.c.course == record["course"], trainings.c.completed == record["completed"])
    with seeded.server.db.engine.connect() as conn:
        stored = conn.execute(sa.select(trainings).where(key)).all()
    if breakage is None and drop is None:
        assert answer.status_code in (201, 409), answer.text
        assert [(r.officer, r.agency, r.course, r.completed, r.recorded_by) for r in stored] == [
            (record["officer"], record["agency"], record["course"], record["completed"], "police.trainer")]
    else:
        assert answer.status_code == 422, answer.text
        assert isinstance(answer.json()["detail"], str | list) and answer.json()["detail"]


def test_each_stored_training_is_audited_once(seeded: RunningServer) -> None:
    entries = [e for e in seeded.server.audit.file.read().entries if e.action == "programme.training"]
    seeded_rows = [(e.actor, e.target, e.detail) for e in entries if e.target in ("police/pc-101", "fire/ff-7")]
    assert seeded_rows == [
        ("police.trainer", "police/pc-101", {"course": "Body cams", "completed": T - 2 * D}),
        ("police.trainer", "police/pc-101", {"course": "First aid", "completed": T - 40 * D}),
        ("police.trainer", "fire/ff-7", {"course": "Body cams", "completed": T - D}),
    ]  # the refused repeat (409) and the refused admin (403) are not in it

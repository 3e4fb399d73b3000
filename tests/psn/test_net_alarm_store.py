"""Network alarms in the database, on SQLite and PostgreSQL: each change upserts the alarm and appends its history;
what a restart resumes; the REST views' filters."""

from __future__ import annotations

from netmgmt.alarms import AlarmConfig, AlarmEngine, KpiSample, State
from psn.net.alarm_store import AlarmStore
from psn.store import Database


def sample(rejected: int = 0, preempted: int = 0, cell: str = "BZE-PMD-1") -> KpiSample:
    return KpiSample(cell, 0.2, 0.1, rejected, preempted)


def test_changes_are_stored_with_their_history_and_resumed(db: Database) -> None:
    store = AlarmStore(db)
    engine = AlarmEngine(AlarmConfig(clear_delay_s=0.0, period_s=1000.0))
    store.write(engine.kpi(sample(rejected=2), 100.0))
    store.write([engine.acknowledge("AL-1", "netops", 101.0)])
    store.write(engine.kpi(sample(), 110.0))  # clears at once (no clear delay)
    store.write(engine.kpi(sample(rejected=1, preempted=1), 120.0))  # AL-1 re-opens, AL-2 raised
    store.write(engine.kpi(sample(cell="BZE-PMD-2", preempted=1), 130.0))  # AL-3

    found = store.alarm("AL-1")
    assert found is not None
    alarm, history = found
    assert (alarm.state, alarm.count, alarm.raised, alarm.changed, alarm.acknowledged_by) == (
        State.RAISED, 2, 100.0, 120.0, None)
    assert [(h["at"], h["event"], h["state"], h["count"], h["by"]) for h in history] == [
        (100.0, "raised", "raised", 1, None), (101.0, "acknowledged", "acknowledged", 1, "netops"),
        (110.0, "cleared", "cleared", 1, None), (120.0, "reopened", "raised", 2, None)]
    assert history[0]["detail"] == "2 bearers rejected in the last period"
    assert store.alarm("AL-9") is None

    assert [a.id for a in store.alarms(True, None, 10)] == ["AL-3", "AL-2", "AL-1"]
    assert [a.id for a in store.alarms(True, 125.0, 10)] == ["AL-3"]
    assert [a.id for a in store.alarms(True, None, 2)] == ["AL-3", "AL-2"]

    store.write(engine.kpi(sample(), 140.0))  # AL-1 and AL-2 clear
    assert [a.id for a in store.alarms(True, None, 10)] == ["AL-3"]
    assert [(a.id, a.state) for a in store.alarms(False, None, 10)] == [
        ("AL-2", State.CLEARED), ("AL-1", State.CLEARED), ("AL-3", State.RAISED)]
    resumed, next_id = store.resumable(cleared_since=141.0)
    assert ([a.id for a in resumed], next_id) == (["AL-3"], 4)
    resumed, _ = store.resumable(cleared_since=140.0)
    assert [a.id for a in resumed] == ["AL-1", "AL-2", "AL-3"]
    assert resumed == [store.alarm(i)[0] for i in ("AL-1", "AL-2", "AL-3")]  # type: ignore[index]


def test_an_empty_store_resumes_nothing_and_numbers_from_one(db: Database) -> None:
    assert AlarmStore(db).resumable(0.0) == ([], 1)

"""The alarm engine on hand-written observation sequences, each with its literal table of expected transitions
(times worked out by hand from the thresholds, not from the engine), and a property test over random ones."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netmgmt.alarms import (
    Alarm,
    AlarmConfig,
    AlarmEngine,
    AlarmError,
    Change,
    Kind,
    KpiSample,
    Severity,
    State,
)

CELL = "BZE-PMD-1"
QUIET = KpiSample(CELL, 0.2, 0.1, 0, 0)


def load(util: float, rejected: int = 0, preempted: int = 0, cell: str = CELL) -> KpiSample:
    return KpiSample(cell, util, 0.1, rejected, preempted)


def rows(changes: list[Change]) -> list[tuple[Any, ...]]:
    return [(c.alarm.id, c.alarm.kind.value, c.transition.at, c.transition.event.value, c.alarm.state.value,
             c.alarm.count) for c in changes]


@dataclass
class Script:
    """Runs an engine over the seconds start..end: KPIs from `reporting(t)`, a tick every second."""

    engine: AlarmEngine

    def run(self, start: int, end: int, reporting: Any) -> list[Change]:
        changes: list[Change] = []
        for t in range(start, end + 1):
            sample = reporting(t)
            if sample is not None and t % 5 == 0:
                changes += self.engine.kpi(sample, float(t))
            changes += self.engine.tick(float(t))
        return changes


def test_a_cell_that_stops_reporting_is_silent_after_three_periods_and_clears_after_the_delay() -> None:
    # KPIs every 5 s until t=10; silent while 10 < t < 60; from t=60 again. The limit is 3 x 5 = 15 s without a
    # KPI, exceeded first at t=26 (26 - 10 = 16; at 25 it is exactly 15). Back at 60: clear 30 s later, at 90.
    script = Script(AlarmEngine(AlarmConfig()))
    changes = script.run(0, 120, lambda t: QUIET if t <= 10 or t >= 60 else None)
    assert rows(changes) == [
        ("AL-1", "cell_silent", 26.0, "raised", "raised", 1),
        ("AL-1", "cell_silent", 90.0, "cleared", "cleared", 1),
    ]
    assert changes[0].alarm.severity is Severity.CRITICAL
    assert changes[0].alarm.target == CELL


def test_a_flapping_cell_is_one_alarm_with_a_count() -> None:
    # Down 10<t<40 (raised 26), up 40..50 and down again before the 30 s clear delay ran out (66: updated,
    # count 2), up from 80 (cleared 110), down after 130 (146: re-opened within the 600 s hold-down, count 3),
    # up from 200 (cleared 230).
    up = [(0, 10), (40, 50), (80, 130), (200, 300)]
    script = Script(AlarmEngine(AlarmConfig()))
    changes = script.run(0, 300, lambda t: QUIET if any(a <= t <= b for a, b in up) else None)
    assert rows(changes) == [
        ("AL-1", "cell_silent", 26.0, "raised", "raised", 1),
        ("AL-1", "cell_silent", 66.0, "updated", "raised", 2),
        ("AL-1", "cell_silent", 110.0, "cleared", "cleared", 2),
        ("AL-1", "cell_silent", 146.0, "reopened", "raised", 3),
        ("AL-1", "cell_silent", 230.0, "cleared", "cleared", 3),
    ]


def test_a_cleared_alarm_past_the_hold_down_is_not_reopened() -> None:
    config = AlarmConfig(period_s=1000.0, hold_down_s=100.0)  # the long period: no cell_silent among the ticks
    engine = AlarmEngine(config)
    changes = engine.kpi(load(0.2, rejected=3), 0.0) + engine.kpi(load(0.2), 5.0) + engine.tick(35.0)
    changes += engine.kpi(load(0.2, rejected=1), 100.0)  # 65 s after the clear: the same alarm
    changes += engine.kpi(load(0.2), 105.0) + engine.tick(135.0)
    changes += engine.tick(236.0)  # 101 s after the clear: forgotten
    changes += engine.kpi(load(0.2, rejected=2), 240.0)
    assert rows(changes) == [
        ("AL-1", "admission_rejected", 0.0, "raised", "raised", 1),
        ("AL-1", "admission_rejected", 35.0, "cleared", "cleared", 1),
        ("AL-1", "admission_rejected", 100.0, "reopened", "raised", 2),
        ("AL-1", "admission_rejected", 135.0, "cleared", "cleared", 2),
        ("AL-2", "admission_rejected", 240.0, "raised", "raised", 1),
    ]
    assert changes[-1].alarm.detail == "2 bearers rejected in the last period"


def test_sustained_load_raises_a_short_spike_does_not_and_hysteresis_holds_it() -> None:
    # 0.95 for 0..100 then 0.5: a 100 s spike, under the 180 s needed. Then 0.95 from 200: present at 380
    # (200 + 180); 0.80 (between clear 0.70 and raise 0.85) from 500 holds it; 0.5 from 600 clears at 630.
    def util(t: int) -> float:
        for end, value in ((100, 0.95), (199, 0.5), (499, 0.95), (599, 0.80)):
            if t <= end:
                return value
        return 0.5

    script = Script(AlarmEngine(AlarmConfig()))
    changes = script.run(0, 700, lambda t: load(util(t)))
    assert rows(changes) == [
        ("AL-1", "cell_load", 380.0, "raised", "raised", 1),
        ("AL-1", "cell_load", 630.0, "cleared", "cleared", 1),
    ]
    assert changes[0].alarm.severity is Severity.MAJOR


def test_uplink_load_counts_as_much_as_downlink() -> None:
    engine = AlarmEngine(AlarmConfig(load_sustain_s=10.0))
    changes = [c for t in range(0, 20, 5) for c in engine.kpi(KpiSample(CELL, 0.1, 0.9, 0, 0), float(t))]
    assert rows(changes) == [("AL-1", "cell_load", 10.0, "raised", "raised", 1)]


def test_acknowledgement_is_kept_across_updates_and_an_acknowledged_alarm_still_clears() -> None:
    engine = AlarmEngine(AlarmConfig(period_s=1000.0))  # the long period: no cell_silent among the ticks
    changes = engine.kpi(load(0.2, preempted=2), 0.0)
    changes.append(engine.acknowledge("AL-1", "netops", 1.0))
    changes += engine.kpi(load(0.2), 5.0)
    changes += engine.kpi(load(0.2, preempted=1), 10.0)  # back within the clear delay: an update
    changes += engine.kpi(load(0.2), 15.0) + engine.tick(44.0) + engine.tick(45.0)
    assert rows(changes) == [
        ("AL-1", "preempted", 0.0, "raised", "raised", 1),
        ("AL-1", "preempted", 1.0, "acknowledged", "acknowledged", 1),
        ("AL-1", "preempted", 10.0, "updated", "acknowledged", 2),
        ("AL-1", "preempted", 45.0, "cleared", "cleared", 2),
    ]
    assert [c.alarm.acknowledged_by for c in changes] == [None, "netops", "netops", "netops"]
    assert changes[1].transition.by == "netops"
    assert changes[1].alarm.acknowledged == 1.0
    with pytest.raises(AlarmError, match="cleared"):
        engine.acknowledge("AL-1", "netops", 46.0)
    with pytest.raises(KeyError):
        engine.acknowledge("AL-9", "netops", 46.0)


def test_acknowledging_twice_is_refused_naming_who_did() -> None:
    engine = AlarmEngine(AlarmConfig())
    engine.kpi(load(0.2, rejected=1), 0.0)
    engine.acknowledge("AL-1", "netops", 1.0)
    with pytest.raises(AlarmError, match="acknowledged by netops"):
        engine.acknowledge("AL-1", "other", 2.0)


def test_a_reopened_alarm_needs_a_new_acknowledgement() -> None:
    engine = AlarmEngine(AlarmConfig(clear_delay_s=0.0))
    engine.kpi(load(0.2, rejected=1), 0.0)
    engine.acknowledge("AL-1", "netops", 1.0)
    engine.kpi(load(0.2), 5.0)
    [change] = engine.kpi(load(0.2, rejected=1), 10.0)
    assert (change.alarm.state, change.alarm.count, change.alarm.acknowledged_by) == (State.RAISED, 2, None)


def test_a_unit_without_a_cell_for_two_reports_is_out_of_coverage() -> None:
    engine = AlarmEngine(AlarmConfig())
    unit = "police/P-101"
    changes = engine.link(unit, None, 0.0)
    changes += engine.link(unit, "BZE-PMD-1", 5.0)  # one report without a cell is no alarm
    changes += engine.link(unit, None, 10.0) + engine.link(unit, None, 15.0)
    changes += engine.link(unit, "BZE-PMD-2", 20.0) + engine.tick(49.0) + engine.tick(50.0)
    assert rows(changes) == [
        ("AL-1", "unit_no_coverage", 15.0, "raised", "raised", 1),
        ("AL-1", "unit_no_coverage", 50.0, "cleared", "cleared", 1),
    ]
    assert changes[0].alarm.target == unit
    assert changes[0].alarm.severity is Severity.WARNING


def test_a_unit_the_network_stops_reporting_clears_and_is_forgotten() -> None:
    # Two reports without a cell (0, 5: raised at 5), then none: the equipment detaches a silent unit. No report
    # for more than 3 x 5 = 15 s first at t=21 (21 - 5 = 16): the condition ends there, and clears 30 s later, at 51;
    # 600 s of hold-down after that the engine holds nothing of it.
    engine = AlarmEngine(AlarmConfig())
    unit = "police/P-101"
    changes = engine.link(unit, None, 0.0) + engine.link(unit, None, 5.0)
    for t in range(6, 61):
        changes += engine.tick(float(t))
    assert rows(changes) == [
        ("AL-1", "unit_no_coverage", 5.0, "raised", "raised", 1),
        ("AL-1", "unit_no_coverage", 51.0, "cleared", "cleared", 1),
    ]
    assert engine.tick(652.0) == [] and engine.get("AL-1") is None
    # Reported again without a cell: the count starts afresh (one report is no alarm).
    assert engine.link(unit, None, 700.0) == []


def test_a_resumed_unit_alarm_clears_when_the_network_no_longer_reports_the_unit() -> None:
    lost = Alarm("AL-3", Kind.UNIT_NO_COVERAGE, "police/P-101", Severity.WARNING, State.RAISED, 100.0, 100.0, 1,
                 "2 consecutive link reports without a serving cell")
    engine = AlarmEngine(AlarmConfig(), [lost], next_id=4)
    changes = [c for t in range(101, 200) for c in engine.tick(float(t))]
    assert rows(changes) == [("AL-3", "unit_no_coverage", 146.0, "cleared", "cleared", 1)]


def test_more_cells_than_held_forget_the_one_reported_longest_ago_and_its_alarms_clear() -> None:
    # C-1 (bearers rejected: raised at 0), C-2 at 5, C-3 at 10: three cells, two held, so C-1 is forgotten at 10 and
    # its condition ends there; clear 30 s later, at 40. C-1 raises no cell_silent; C-2 and C-3 keep reporting.
    engine = AlarmEngine(AlarmConfig(max_cells=2))
    changes = engine.kpi(load(0.2, rejected=1, cell="C-1"), 0.0) + engine.kpi(load(0.2, cell="C-2"), 5.0)
    changes += engine.kpi(load(0.2, cell="C-3"), 10.0)
    changes += engine.kpi(load(0.2, cell="C-2"), 30.0) + engine.kpi(load(0.2, cell="C-3"), 35.0) + engine.tick(40.0)
    assert rows(changes) == [
        ("AL-1", "admission_rejected", 0.0, "raised", "raised", 1),
        ("AL-1", "admission_rejected", 40.0, "cleared", "cleared", 1),
    ]
    assert engine.forgotten_cells == 1
    engine.tick(641.0)  # past the hold-down (C-2 and C-3 fall silent by then)
    assert engine.get("AL-1") is None and "C-1" not in {a.target for a in engine.active()}


def test_more_units_than_held_forget_the_one_reported_longest_ago_and_its_alarm_clears() -> None:
    # U-1 without a cell at 0 and 5 (raised at 5); U-2 at 6 and U-3 at 7 with one: U-1 is forgotten at 7, its
    # condition ends there, and clears 30 s later at 37 (as a unit the network stopped reporting would, but sooner).
    engine = AlarmEngine(AlarmConfig(max_units=2))
    changes = engine.link("police/U-1", None, 0.0) + engine.link("police/U-1", None, 5.0)
    changes += engine.link("police/U-2", "C-1", 6.0) + engine.link("police/U-3", "C-1", 7.0) + engine.tick(37.0)
    assert rows(changes) == [
        ("AL-1", "unit_no_coverage", 5.0, "raised", "raised", 1),
        ("AL-1", "unit_no_coverage", 37.0, "cleared", "cleared", 1),
    ]
    assert engine.forgotten_units == 1


def test_restored_alarms_resume_with_their_acknowledgement_and_the_next_id() -> None:
    silent = Alarm("AL-7", Kind.CELL_SILENT, CELL, Severity.CRITICAL, State.ACKNOWLEDGED, 100.0, 120.0, 2,
                   "no KPI for 16 s", "netops", 120.0)
    engine = AlarmEngine(AlarmConfig(), [silent], next_id=8)
    assert engine.active() == [silent]
    changes = engine.kpi(load(0.2, rejected=1), 200.0)
    changes += engine.kpi(load(0.2), 205.0) + engine.kpi(load(0.2), 230.0) + engine.kpi(load(0.2), 235.0)
    assert rows(changes) == [
        ("AL-8", "admission_rejected", 200.0, "raised", "raised", 1),
        ("AL-7", "cell_silent", 230.0, "cleared", "cleared", 2),
        ("AL-8", "admission_rejected", 235.0, "cleared", "cleared", 1),
    ]
    assert changes[1].alarm.acknowledged_by == "netops"


def test_config_refuses_a_clear_threshold_above_the_raise_threshold() -> None:
    with pytest.raises(ValueError, match="load_clear"):
        AlarmConfig(load_raise=0.7, load_clear=0.8)


# The property test: any sequence of observations, in time order.
CELLS = ("C-1", "C-2")
UNITS = ("police/P-1", "fire/F-2")
ALLOWED = {  # state before -> states a history entry may hold next
    None: {State.RAISED},
    State.RAISED: {State.RAISED, State.ACKNOWLEDGED, State.CLEARED},
    State.ACKNOWLEDGED: {State.ACKNOWLEDGED, State.CLEARED},
    State.CLEARED: {State.RAISED},
}
step = st.one_of(
    st.tuples(st.just("kpi"), st.sampled_from(CELLS), st.sampled_from([0.1, 0.75, 0.9]), st.integers(0, 2),
              st.integers(0, 2)),
    st.tuples(st.just("link"), st.sampled_from(UNITS), st.sampled_from([None, "C-1"])),
    st.tuples(st.just("tick")),
    st.tuples(st.just("ack"), st.integers(1, 6)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), step), max_size=120))
def test_random_sequences_keep_one_active_alarm_per_condition_and_a_valid_lifecycle(
        steps: list[tuple[int, tuple[Any, ...]]]) -> None:
    engine = AlarmEngine(AlarmConfig(period_s=5.0, load_sustain_s=10.0, clear_delay_s=10.0, hold_down_s=60.0))
    now = 0.0
    state: dict[str, State] = {}
    count: dict[str, int] = {}
    owner: dict[str, tuple[Kind, str]] = {}
    for gap, (op, *args) in steps:
        now += gap
        changes: list[Change] = []
        if op == "kpi":
            changes = engine.kpi(KpiSample(args[0], args[1], 0.0, args[2], args[3]), now)
        elif op == "link":
            changes = engine.link(args[0], args[1], now)
        elif op == "tick":
            changes = engine.tick(now)
        else:
            with contextlib.suppress(KeyError, AlarmError):
                changes = [engine.acknowledge(f"AL-{args[0]}", "netops", now)]
        for change in changes:
            alarm = change.alarm
            assert alarm.state in ALLOWED[state.get(alarm.id)], (alarm.id, state.get(alarm.id), alarm.state)
            assert alarm.count >= count.get(alarm.id, 1)
            assert owner.setdefault(alarm.id, (alarm.kind, alarm.target)) == (alarm.kind, alarm.target)
            assert change.transition.state is alarm.state and change.transition.count == alarm.count
            state[alarm.id], count[alarm.id] = alarm.state, alarm.count
        active = [owner[i] for i, s in state.items() if s is not State.CLEARED]
        assert len(active) == len(set(active))
        assert sorted(a.id for a in engine.active()) == sorted(i for i, s in state.items() if s is not State.CLEARED)

"""The unit status machine against tables written out by hand (never dispatch.status.TRANSITIONS or
STATUS_WORDS): every one of the 25 (from, to) pairs, the refusal's wording, the status-word aliases, and
hypothesis properties over random sequences (reachable states, time per state)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch import (
    DispatchError,
    Reason,
    Reported,
    StatusChange,
    StatusClock,
    UnitState,
    from_status_word,
    transition,
)

# Y: the unit may go from the row's state to the column's; -: refused. Same state → same state is refused.
TABLE = """
from             available  dispatched  en_route  on_scene  out_of_service
available        -          Y           -         -         Y
dispatched       Y          -           Y         Y         Y
en_route         Y          Y           -         Y         Y
on_scene         Y          -           -         -         Y
out_of_service   Y          -           -         -         -
"""


def parse(table: str) -> dict[str, set[str]]:
    header, *rows = (line.split() for line in table.strip().splitlines())
    return {row[0]: {to for to, cell in zip(header[1:], row[1:], strict=True) if cell == "Y"} for row in rows}


ALLOWED = parse(TABLE)
NAMES = ["available", "dispatched", "en_route", "on_scene", "out_of_service"]
PAIRS = [(a, b) for a in NAMES for b in NAMES]
# What the refusal lists as the way out of each state (sorted by name), written out by hand.
WAYS_OUT = {
    "available": "dispatched, out_of_service",
    "dispatched": "available, en_route, on_scene, out_of_service",
    "en_route": "available, dispatched, on_scene, out_of_service",
    "on_scene": "available, out_of_service",
    "out_of_service": "available",
}
# A unit's own status words and the state each declares; any other word is a note.
WORDS = {
    "available": "available", "patrol": "available", "in_service": "available", "clear": "available",
    "cleared": "available",
    "en_route": "en_route", "en-route": "en_route", "enroute": "en_route", "responding": "en_route",
    "on_scene": "on_scene", "on-scene": "on_scene", "onscene": "on_scene", "arrived": "on_scene",
    "out_of_service": "out_of_service", "out-of-service": "out_of_service", "oos": "out_of_service",
    "off_duty": "out_of_service",
}
NOTES = ["dispatched", "assigned", "busy", "patrolling", "lunch", "10-8", "on_scene_", "x" * 32, "0"]


def test_the_hand_table_has_25_cells_and_13_ways() -> None:
    assert len(PAIRS) == 25 and sum(len(targets) for targets in ALLOWED.values()) == 13


@pytest.mark.parametrize(("current", "wanted"), PAIRS)
def test_every_pair(current: str, wanted: str) -> None:
    if wanted in ALLOWED[current]:
        assert transition(UnitState(current), wanted, 100.0) == (
            UnitState(wanted), StatusChange(100.0, UnitState(current), UnitState(wanted)))
    else:
        with pytest.raises(DispatchError) as refused:
            transition(UnitState(current), wanted, 100.0)
        assert refused.value.reason is Reason.ILLEGAL_TRANSITION
        assert refused.value.detail == (f"a unit cannot go from {current} to {wanted}; "
                                        f"from {current} it may go to {WAYS_OUT[current]}")


def test_a_refusal_reads_well() -> None:
    with pytest.raises(DispatchError) as refused:
        transition(UnitState.ON_SCENE, "en_route", 5.0)
    assert str(refused.value) == ("illegal_transition: a unit cannot go from on_scene to en_route; "
                                  "from on_scene it may go to available, out_of_service")


@pytest.mark.parametrize("wanted", ["", "On_scene", "enroute", "busy", None, 3, UnitState])
def test_an_unknown_state_is_refused(wanted: object) -> None:
    with pytest.raises(DispatchError) as refused:
        transition(UnitState.AVAILABLE, wanted, 1.0)
    assert refused.value.reason is Reason.UNKNOWN_STATE
    assert "available, dispatched, en_route, on_scene, out_of_service" in refused.value.detail


@pytest.mark.parametrize("now", [math.nan, math.inf, -math.inf])
def test_a_change_needs_a_finite_time(now: float) -> None:
    with pytest.raises(DispatchError) as refused:
        transition(UnitState.AVAILABLE, "dispatched", now)
    assert refused.value.reason is Reason.BAD_TIME


@pytest.mark.parametrize(("word", "declared"), sorted(WORDS.items()))
@pytest.mark.parametrize("current", NAMES)
def test_status_words(current: str, word: str, declared: str) -> None:
    reported_in = UnitState(current)
    if declared == current:  # units repeat their status: nothing changes, nothing is refused
        assert from_status_word(reported_in, word, 7.0) == Reported(reported_in)
    elif declared in ALLOWED[current]:
        result = from_status_word(reported_in, word, 7.0)
        assert result.state == declared and result.note is None
        assert result.change == StatusChange(7.0, reported_in, UnitState(declared))
    else:
        with pytest.raises(DispatchError) as refused:
            from_status_word(reported_in, word, 7.0)
        assert refused.value.reason is Reason.ILLEGAL_TRANSITION


@pytest.mark.parametrize("word", NOTES)
@pytest.mark.parametrize("current", NAMES)
def test_other_words_are_notes_and_change_nothing(current: str, word: str) -> None:
    assert from_status_word(UnitState(current), word, 7.0) == Reported(UnitState(current), note=word)


def test_the_fleet_simulator_s_words_are_all_known() -> None:
    # simulator/fleet.py sends these four today (its STATUSES); literal here, the simulator is not imported.
    for word in ("patrol", "responding", "on_scene", "available"):
        assert word in WORDS


def test_a_clock_by_hand() -> None:
    clock = StatusClock(UnitState.AVAILABLE, 1000.0)
    for ts, wanted in [(1060.0, "dispatched"), (1090.0, "en_route"), (1390.0, "on_scene"), (2290.0, "available")]:
        _, change = transition(clock.state, wanted, ts)
        clock = clock.advance(change)
    assert clock.seconds(2300.0) == {"available": 70.0, "dispatched": 30.0, "en_route": 300.0, "on_scene": 900.0}


def test_a_clock_refuses_a_change_it_did_not_see_or_that_goes_back() -> None:
    clock = StatusClock(UnitState.AVAILABLE, 1000.0)
    with pytest.raises(DispatchError) as refused:
        clock.advance(StatusChange(1100.0, UnitState.EN_ROUTE, UnitState.ON_SCENE))
    assert refused.value.reason is Reason.ILLEGAL_TRANSITION
    with pytest.raises(DispatchError) as refused:
        clock.advance(StatusChange(999.0, UnitState.AVAILABLE, UnitState.DISPATCHED))
    assert refused.value.reason is Reason.BAD_TIME
    with pytest.raises(DispatchError) as refused:
        clock.seconds(999.5)
    assert refused.value.reason is Reason.BAD_TIME
    assert clock.seconds(1000.0) == {"available": 0.0}


steps = st.lists(st.tuples(st.sampled_from([*NAMES, "busy", "patrol"]),
                           st.floats(min_value=0, max_value=86_400, allow_nan=False)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(start=st.sampled_from(NAMES), sequence=steps)
def test_random_sequences_stay_in_the_table_and_account_for_all_time(
        start: str, sequence: list[tuple[str, float]]) -> None:
    state, now = UnitState(start), 1_764_000_000.0
    clock = StatusClock(state, now)
    spent = dict.fromkeys(NAMES, 0.0)  # computed here, beside the clock
    for wanted, dt in sequence:
        spent[state] += dt
        now += dt
        try:
            new, change = transition(state, wanted, now)
        except DispatchError as refused:
            assert wanted not in ALLOWED[state]
            assert refused.reason is (Reason.ILLEGAL_TRANSITION if wanted in NAMES else Reason.UNKNOWN_STATE)
            continue
        assert new in ALLOWED[state] and new == wanted
        clock = clock.advance(change)
        state = new
    end = now + 1.0
    spent[state] += 1.0
    seconds = clock.seconds(end)
    assert clock.state == state
    assert math.fsum(seconds.values()) == pytest.approx(end - 1_764_000_000.0, rel=1e-12, abs=1e-6)
    for name in NAMES:
        assert seconds.get(UnitState(name), 0.0) == pytest.approx(spent[name], rel=1e-12, abs=1e-6)

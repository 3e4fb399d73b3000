from psn.state import LiveState
from telemetry import Fix, StatusReport, UnitRef

P1 = UnitRef("police", "P-1")


def test_newer_fix_moves_older_does_not() -> None:
    state = LiveState()
    assert state.apply_fix(Fix(P1, 10.0, 17.0, -88.0, battery=50))
    assert not state.apply_fix(Fix(P1, 9.0, 16.0, -89.0))
    assert not state.apply_fix(Fix(P1, 10.0, 16.0, -89.0))  # a duplicate is not news
    assert state.apply_fix(Fix(P1, 11.0, 17.1, -88.1))
    unit = state.get("police/P-1")
    assert unit is not None and (unit.lat, unit.ts, unit.battery) == (17.1, 11.0, 50)


def test_changes_are_coalesced_until_drained() -> None:
    state = LiveState()
    for i in range(10):
        state.apply_fix(Fix(P1, float(i), 17.0 + i / 100, -88.0))
    changed, removed = state.drain()
    assert [u.lat for u in changed] == [17.09] and removed == []
    assert state.drain() == ([], [])


def test_status_keeps_position_and_position_keeps_status() -> None:
    state = LiveState()
    state.apply_fix(Fix(P1, 10.0, 17.0, -88.0))
    state.apply_status(StatusReport(P1, 11.0, "responding"))
    assert not state.apply_status(StatusReport(P1, 5.0, "patrol"))
    state.apply_fix(Fix(P1, 12.0, 17.2, -88.0))
    unit = state.get("police/P-1")
    assert unit is not None and unit.status == "responding" and unit.lat == 17.2


def test_remove_is_reported() -> None:
    state = LiveState()
    state.apply_fix(Fix(P1, 1.0, 17.0, -88.0))
    state.drain()
    state.remove(P1)
    assert state.drain() == ([], ["police/P-1"])
    assert len(state) == 0


def test_streaming_flag_follows_stream_events_even_before_the_first_fix() -> None:
    state = LiveState()
    state.set_streaming("police/P-1", True)  # a body cam streams before its unit's first fix
    state.apply_fix(Fix(P1, 1.0, 17.0, -88.0))
    unit = state.get("police/P-1")
    assert unit is not None and unit.video is True
    state.drain()
    state.set_streaming("police/P-1", False)
    changed, _ = state.drain()
    assert [(u.id, u.video) for u in changed] == [("police/P-1", False)]
    state.apply_status(StatusReport(UnitRef("police", "P-2"), 1.0, "patrol"))
    state.set_streaming("police/P-2", True)
    unit = state.get("police/P-2")
    assert unit is not None and unit.video is True


def test_two_cameras_on_one_unit_keep_the_badge_until_both_end() -> None:
    state = LiveState()
    state.apply_fix(Fix(P1, 1.0, 17.0, -88.0))
    state.set_streaming("police/P-1", True)  # police:P-1:front
    state.set_streaming("police/P-1", True)  # police:P-1:rear
    state.set_streaming("police/P-1", False)
    unit = state.get("police/P-1")
    assert unit is not None and unit.video is True
    state.set_streaming("police/P-1", False)
    unit = state.get("police/P-1")
    assert unit is not None and unit.video is False


def test_late_fixes_and_statuses_are_counted() -> None:
    state = LiveState()
    state.apply_fix(Fix(P1, 10.0, 17.0, -88.0))
    state.apply_fix(Fix(P1, 9.0, 17.0, -88.0))
    state.apply_status(StatusReport(P1, 10.0, "patrol"))
    state.apply_status(StatusReport(P1, 10.0, "patrol"))
    assert state.late == 2

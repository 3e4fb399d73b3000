"""The unit board: one place a unit's dispatch state changes, with the transition table's refusals and a bus event
per change (expectations written out by hand from the status diagram in dispatch/status.py)."""

import pytest

from dispatch import DispatchError, Reason, UnitState
from psn.bus import Bus
from psn.cad.board import UnitBoard
from psn.events import UnitStatusChanged


def _board() -> tuple[UnitBoard, list[UnitStatusChanged]]:
    bus = Bus()
    seen: list[UnitStatusChanged] = []
    bus.subscribe("t", seen.append, (UnitStatusChanged,), inline=True)
    bus.start()
    return UnitBoard(bus), seen


def test_a_response_walks_the_diagram_and_each_change_is_published_with_its_incident() -> None:
    board, seen = _board()
    assert board.state("police/P-1") == (UnitState.AVAILABLE, None)
    board.change("police/P-1", "dispatched", 100.0, actor="disp", via="console", incident="police-00001")
    board.report_word("police/P-1", "responding", 130.0)
    board.report_word("police/P-1", "responding", 131.0)  # repeated: no change
    board.report_word("police/P-1", "arrived", 400.0)
    entry = board.change("police/P-1", "available", 1000.0, actor="disp", via="console")
    assert [(e.change.before, e.change.after, e.incident, e.actor, e.via) for e in seen] == [
        ("available", "dispatched", "police-00001", "disp", "console"),
        ("dispatched", "en_route", "police-00001", "police/P-1", "mqtt"),
        ("en_route", "on_scene", "police-00001", "police/P-1", "mqtt"),
        ("on_scene", "available", "police-00001", "disp", "console"),  # the incident it cleared from
    ]
    assert entry.incident is None and entry.state is UnitState.AVAILABLE
    assert entry.clock.totals == {"dispatched": 30.0, "en_route": 270.0, "on_scene": 600.0}


def test_illegal_changes_are_refused_with_a_reason_and_change_nothing() -> None:
    board, seen = _board()
    with pytest.raises(DispatchError) as refused:
        board.change("police/P-2", "on_scene", 1.0, actor="disp", via="console")
    assert refused.value.reason is Reason.ILLEGAL_TRANSITION
    with pytest.raises(DispatchError) as no_incident:
        board.change("police/P-2", "dispatched", 1.0, actor="disp", via="console")
    assert no_incident.value.reason is Reason.BAD_ARGUMENT
    assert board.get("police/P-2") is None and seen == []
    assert board.report_word("police/P-2", "on lunch", 2.0).note == "on lunch"
    assert seen == []


def test_a_unit_clock_behind_psn_never_counts_backwards() -> None:
    board, _seen = _board()
    board.change("fire/F-1", "dispatched", 500.0, actor="disp", via="console", incident="fire-00001")
    entry = board.get("fire/F-1")
    assert entry is not None
    board.report_word("fire/F-1", "en_route", 450.0)  # the unit's clock is 50 s behind
    after = board.get("fire/F-1")
    assert after is not None and after.clock.since == 500.0 and after.clock.totals == {"dispatched": 0.0}

"""The board at rest: every change upserts the unit's row; a new board loads exactly what was stored (state,
incident, since, time per state — values computed by hand from the changes below)."""

from __future__ import annotations

from dataclasses import replace

from dispatch import UnitState
from psn.bus import Bus
from psn.cad import Cad
from psn.events import UnitStatusChanged
from psn.stats import IngestStats
from tests.psn.cad.conftest import Recorded


def test_each_change_is_stored_and_a_restarted_board_has_them_all(recorded: Recorded) -> None:
    bus = Bus()
    ctx = replace(recorded.ctx, bus=bus)
    cad = Cad(ctx)
    bus.subscribe("store", cad.board_store.on_change, (UnitStatusChanged,), inline=True)
    bus.start()
    cad.board.change("police/P-1", "dispatched", 100.0, actor="d", via="console", incident="police-00001")
    cad.board.report_word("police/P-1", "responding", 160.0)
    cad.board.change("fire/F-1", "out_of_service", 50.0, actor="d", via="console")
    cad.board.change("fire/F-1", "available", 80.0, actor="d", via="console")

    again = Cad(replace(ctx, bus=Bus(), stats=IngestStats()))
    again.load()
    police, fire = again.board.get("police/P-1"), again.board.get("fire/F-1")
    assert police is not None and fire is not None
    assert (police.state, police.incident, police.clock.since) == (UnitState.EN_ROUTE, "police-00001", 160.0)
    assert police.clock.totals == {UnitState.DISPATCHED: 60.0}
    assert (fire.state, fire.incident, fire.clock.since) == (UnitState.AVAILABLE, None, 80.0)
    assert fire.clock.totals == {UnitState.OUT_OF_SERVICE: 30.0}
    assert len(again.board.snapshot()) == 2

"""A unit's own status words onto the board: legal ones move it, illegal ones are refused, counted by reason,
logged at most once a minute and shown to the unit's dispatchers (expectations from dispatch/status.py's diagram,
written out by hand)."""

from __future__ import annotations

import logging

import pytest

from dispatch import UnitState
from psn.access import Principal, Role
from psn.cad import Cad
from psn.events import StatusAccepted
from telemetry import StatusReport, UnitRef
from tests.psn.cad.conftest import Recorded

DISPATCHER = Principal("p.disp", "police", frozenset({Role.DISPATCHER}))
OFFICER = Principal("p.off", "police", frozenset({Role.FIELD_OFFICER}))
FIRE_DISPATCHER = Principal("f.disp", "fire", frozenset({Role.DISPATCHER}))


def _word(unit: str, word: str, ts: float) -> StatusAccepted:
    agency, name = unit.split("/")
    return StatusAccepted(StatusReport(UnitRef(agency, name), ts, word), ts)


def test_words_walk_the_board_and_illegal_ones_are_refused_counted_and_shown(recorded: Recorded,
                                                                             caplog: pytest.LogCaptureFixture,
                                                                             ) -> None:
    cad = Cad(recorded.ctx)
    words = cad.status_words
    cad.board.change("police/P-1", "dispatched", 100.0, actor="p.disp", via="console", incident="police-00003")
    # (word, state after, refused reason or None)
    for word, state, refused in [("responding", "en_route", None), ("arrived", "on_scene", None),
                                 ("responding", "on_scene", "illegal_transition"),  # on scene → en route: no
                                 ("having lunch", "on_scene", None),  # a note, no change
                                 ("clear", "available", None),
                                 ("arrived", "available", "illegal_transition")]:
        recorded.hub.events.clear()
        with caplog.at_level(logging.WARNING, logger="psn.cad.status_words"):
            words.on_status(_word("police/P-1", word, recorded.clock.time()))
        assert cad.board.state("police/P-1")[0] == UnitState(state), word
        shown = [(data["refused"], data["word"]) for kind, data, _ in recorded.hub.events if "refused" in data]
        assert shown == ([(refused, word)] if refused else []), word
        recorded.clock.advance(10)
    value = recorded.ctx.stats.registry.get_sample_value("psn_cad_status_refused_total",
                                                         {"reason": "illegal_transition"})
    assert value == 2
    # The two refusals came 30 s apart: one log line.
    assert len([r for r in caplog.records if "refused" in r.getMessage()]) == 1
    recorded.clock.advance(60)
    recorded.hub.events.clear()
    with caplog.at_level(logging.WARNING, logger="psn.cad.status_words"):
        words.on_status(_word("police/P-1", "arrived", recorded.clock.time()))
    assert len([r for r in caplog.records if "refused" in r.getMessage()]) == 2
    [(kind, data, audience)] = recorded.hub.events
    assert kind == "unit_status" and data["entry"]["unit"] == "police/P-1" and data["entry"]["state"] == "available"
    assert data["via"] == "mqtt" and data["actor"] == "police/P-1" and "on_scene" in data["detail"]
    assert [audience(p) for p in (DISPATCHER, OFFICER, FIRE_DISPATCHER)] == [True, False, False]


def test_a_word_from_a_unit_never_seen_is_refused_against_available(recorded: Recorded) -> None:
    cad = Cad(recorded.ctx)
    cad.status_words.on_status(_word("fire/F-9", "on_scene", 5.0))
    assert cad.board.get("fire/F-9") is None
    [(_kind, data, _audience)] = recorded.hub.events
    assert data["entry"] == {"unit": "fire/F-9", "state": "available", "incident": None, "since": None}
    assert data["refused"] == "illegal_transition"

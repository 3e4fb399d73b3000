"""`assign`: the board says dispatched, then the unit gets its assignment with everything its crew needs; an
illegal dispatch sends nothing. Field values are written out by hand from the incident built here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from dispatch import DispatchError, Reason, UnitState, create
from psn.cad import Cad
from psn.cad.assignments import assign
from tests.psn.cad.conftest import Recorded

NOW = 1_764_400_000.0
INCIDENT, _entry = create("police-00012", "p.disp", NOW - 60, type="traffic_collision", priority=2, lat=17.4921,
                          lon=-88.1869, notes="two cars, one trapped", owner="police", address="Northern Hwy mile 3",
                          place="Belize City")
CMD_SCHEMA = json.loads((Path(__file__).resolve().parents[3] / "docs" / "schemas" / "cmd.json").read_text())
ROUTE = [(-88.2, 17.5), (-88.19, 17.495), (-88.1869, 17.4921)]


def test_assign_dispatches_the_unit_and_sends_every_field(recorded: Recorded) -> None:
    cad = Cad(recorded.ctx)
    command_id = assign(cad.board, cad.commands, "police/P-12", INCIDENT, ROUTE, "p.disp", NOW)
    assert cad.board.state("police/P-12") == (UnitState.DISPATCHED, "police-00012")
    [(topic, payload, qos)] = recorded.published
    assert (topic, qos) == ("psn/v1/police/P-12/cmd", 1)
    assert json.loads(payload) == {
        "id": command_id, "ts": NOW, "type": "assignment", "incident": "police-00012",
        "incident_type": "traffic_collision", "priority": 2, "lat": 17.4921, "lon": -88.1869,
        "address": "Northern Hwy mile 3", "place": "Belize City", "notes": "two cars, one trapped",
        "route": [[-88.2, 17.5], [-88.19, 17.495], [-88.1869, 17.4921]],
    }
    Draft202012Validator(CMD_SCHEMA).validate(json.loads(payload))  # what psn sends is what the protocol says
    listed = cad.commands.store.listed(incident="police-00012")
    assert [(c.id, c.unit, c.type, c.actor, c.state) for c in listed] == [
        (command_id, "police/P-12", "assignment", "p.disp", "pending")]


def test_an_empty_route_is_sent_as_an_empty_list(recorded: Recorded) -> None:
    cad = Cad(recorded.ctx)
    assign(cad.board, cad.commands, "police/P-12", INCIDENT, [], "p.disp", NOW)
    assert json.loads(recorded.published[0][1])["route"] == []


def test_an_illegal_dispatch_raises_before_anything_is_sent(recorded: Recorded) -> None:
    cad = Cad(recorded.ctx)
    cad.board.change("police/P-12", "out_of_service", NOW - 10, actor="p.disp", via="console")
    with pytest.raises(DispatchError) as refused:
        assign(cad.board, cad.commands, "police/P-12", INCIDENT, ROUTE, "p.disp", NOW)
    assert refused.value.reason is Reason.ILLEGAL_TRANSITION
    assert recorded.published == [] and cad.commands.store.listed() == []
    assert cad.board.state("police/P-12") == (UnitState.OUT_OF_SERVICE, None)

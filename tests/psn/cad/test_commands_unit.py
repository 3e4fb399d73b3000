"""Commands without a broker: what `send` publishes and stores, the ack rules (forged, duplicate, unknown) and
the resend timer on a manual clock. Expectations are written out by hand from the contract (docs/protocol.md)."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import replace

import pytest
import sqlalchemy as sa

from psn.access import Principal, Role
from psn.cad import Cad
from psn.cad.command_store import CommandStore
from psn.cad.commands import Commands
from psn.cad.crew import Crew
from psn.events import AckAccepted
from psn.security_events import Kind
from psn.stats import IngestStats
from psn.store.schema import commands as commands_table
from telemetry import Ack, UnitRef
from tests.psn.cad.conftest import Recorded

DISPATCHER = Principal("p.disp", "police", frozenset({Role.DISPATCHER}))
NEMO_DISPATCHER = Principal("n.disp", "nemo", frozenset({Role.DISPATCHER}))
OFFICER = Principal("p.off", "police", frozenset({Role.FIELD_OFFICER}))
OTHER_OFFICER = Principal("p.off2", "police", frozenset({Role.FIELD_OFFICER}))


def _commands(recorded: Recorded) -> Commands:
    crew = Crew()
    crew.sign_on("p.off", "police/P-1")
    crew.sign_on("p.off2", "police/P-2")
    return Commands(recorded.ctx, crew, CommandStore(recorded.ctx.db, recorded.ctx.keys))


def _ack(unit: str, ref: str, result: str, ts: float = 1_764_400_005.0, note: str | None = None) -> AckAccepted:
    agency, name = unit.split("/")
    return AckAccepted(Ack(UnitRef(agency, name), ts, ref, result, note), ts)


def _state(commands: Commands, command_id: str) -> tuple[str, int]:
    command = commands.store.find(command_id)
    assert command is not None
    return command.state, command.attempts


def _value(recorded: Recorded, name: str, **labels: str) -> float:
    value = recorded.ctx.stats.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


def test_send_publishes_qos1_on_the_units_cmd_topic_stores_it_sealed_and_tells_its_crew(recorded: Recorded) -> None:
    commands = _commands(recorded)
    command_id = commands.send("police/P-1", "message", {"text": "call base", "n": 3}, actor="p.disp",
                               incident="police-00007")
    [(topic, payload, qos)] = recorded.published
    assert (topic, qos) == ("psn/v1/police/P-1/cmd", 1)
    assert json.loads(payload) == {"id": command_id, "ts": 1_764_400_000.0, "type": "message", "text": "call base",
                                   "n": 3}
    assert len(command_id) == 36 and command_id.count("-") == 4  # a uuid4
    [(kind, data, audience)] = recorded.hub.events
    assert kind == "command" and data == {"unit": "police/P-1", "command": json.loads(payload)}
    assert [audience(p) for p in (OFFICER, OTHER_OFFICER, DISPATCHER)] == [True, False, False]
    with recorded.ctx.db.engine.connect() as conn:
        row = conn.execute(sa.select(commands_table)).one()
    assert row.payload is None and b"call base" not in row.sealed and row.key_id
    assert [c.to_json() for c in commands.store.listed(incident="police-00007")] == [{
        "id": command_id, "unit": "police/P-1", "type": "message", "incident": "police-00007", "state": "pending",
        "sent": 1_764_400_000.0, "attempts": 1, "ack_ts": None, "result": None, "note": None}]


@pytest.mark.parametrize(("unit", "kind", "fields", "says"), [
    ("P-1", "message", {}, "agency/unit"),
    ("police/_x", "message", {}, "agency/unit"),
    ("police/P-1", "Assign", {}, "command type"),
    ("police/P-1", "", {}, "command type"),
    ("police/P-1", "message", {"id": "mine"}, "may not set id"),
    ("police/P-1", "message", {"ts": 1}, "may not set ts"),
    ("police/P-1", "message", {"when": object()}, "must be JSON"),
])
def test_bad_arguments_are_refused_before_anything_is_stored_or_sent(recorded: Recorded, unit: str, kind: str,
                                                                      fields: dict[str, object], says: str) -> None:
    commands = _commands(recorded)
    with pytest.raises(ValueError, match=says):
        commands.send(unit, kind, fields, actor="p.disp")
    assert recorded.published == [] and commands.store.listed() == []


def test_acks_move_a_command_forward_only_and_reach_the_units_dispatchers(recorded: Recorded) -> None:
    commands = _commands(recorded)
    command_id = commands.send("police/P-1", "assignment", {}, actor="p.disp")
    recorded.hub.events.clear()
    commands.on_ack(_ack("police/P-1", command_id, "accepted"))
    assert _state(commands, command_id) == ("acknowledged", 1)
    commands.on_ack(_ack("police/P-1", command_id, "accepted"))  # QoS 1 redelivery
    commands.on_ack(_ack("police/P-1", command_id, "done", note="cleared, one arrest"))
    commands.on_ack(_ack("police/P-1", command_id, "accepted"))  # late, after done
    commands.on_ack(_ack("police/P-1", command_id, "rejected"))  # after done: nothing moves
    command = commands.store.find(command_id)
    assert command is not None
    assert (command.state, command.result, command.note) == ("done", "done", "cleared, one arrest")
    assert [(kind, data["command"]["state"]) for kind, data, _ in recorded.hub.events] == [
        ("command_ack", "acknowledged"), ("command_ack", "done")]
    audience = recorded.hub.events[0][2]
    assert [audience(p) for p in (DISPATCHER, NEMO_DISPATCHER, OFFICER)] == [True, False, False]
    assert _value(recorded, "psn_cad_acks_total", outcome="matched") == 2
    assert _value(recorded, "psn_cad_acks_total", outcome="duplicate") == 3


def test_a_forged_ack_changes_nothing_and_is_a_security_event(recorded: Recorded) -> None:
    commands = _commands(recorded)
    command_id = commands.send("police/P-1", "assignment", {}, actor="p.disp")
    recorded.hub.events.clear()
    commands.on_ack(_ack("police/P-2", command_id, "done"))
    commands.on_ack(_ack("nemo/N-1", command_id, "accepted"))
    assert _state(commands, command_id) == ("pending", 1)
    assert recorded.hub.events == []
    assert recorded.security == [
        (Kind.FORGED_ACK, "police/P-2", {"ref": command_id, "unit": "police/P-1", "result": "done"}),
        (Kind.FORGED_ACK, "nemo/N-1", {"ref": command_id, "unit": "police/P-1", "result": "accepted"}),
    ]
    assert _value(recorded, "psn_cad_forged_acks_total") == 2
    commands.on_ack(_ack("police/P-1", "no-such-command", "accepted"))
    assert _value(recorded, "psn_cad_acks_total", outcome="unknown_ref") == 1


def test_no_ack_resends_the_same_bytes_twice_then_gives_up_with_a_sticky_alert(recorded: Recorded) -> None:
    commands = _commands(recorded)
    command_id = commands.send("police/P-1", "assignment", {"incident": "police-00001"}, actor="p.disp")
    first = recorded.published[0]
    recorded.hub.events.clear()
    start = recorded.clock.time()
    # (seconds after sending, sends so far, state, attempts): timeout 20 s, 2 resends.
    for after, sends, state, attempts in [(19.9, 1, "pending", 1), (20.0, 2, "pending", 2),
                                          (39.9, 2, "pending", 2), (40.0, 3, "pending", 3),
                                          (59.9, 3, "pending", 3), (60.0, 3, "unacknowledged", 3),
                                          (600.0, 3, "unacknowledged", 3)]:
        commands.tick(start + after)
        assert (len(recorded.published), *_state(commands, command_id)) == (sends, state, attempts), after
    assert recorded.published == [first, first, first]
    [(kind, data, audience)] = recorded.hub.events
    assert kind == "command_unacknowledged" and data["command"]["id"] == command_id
    assert data["command"]["state"] == "unacknowledged" and audience(DISPATCHER) and not audience(NEMO_DISPATCHER)
    assert _value(recorded, "psn_cad_command_resends_total") == 2
    commands.on_ack(_ack("police/P-1", command_id, "accepted"))  # a late answer still counts
    assert _state(commands, command_id) == ("acknowledged", 3)


def test_an_acknowledged_command_is_never_resent(recorded: Recorded) -> None:
    commands = _commands(recorded)
    command_id = commands.send("police/P-1", "assignment", {}, actor="p.disp")
    commands.on_ack(_ack("police/P-1", command_id, "accepted"))
    commands.tick(recorded.clock.time() + 1000)
    assert len(recorded.published) == 1 and _state(commands, command_id) == ("acknowledged", 1)


def test_pending_commands_survive_a_restart_and_are_resent_with_the_same_bytes(recorded: Recorded) -> None:
    before = Cad(recorded.ctx)
    command_id = before.commands.send("police/P-1", "assignment", {"notes": "gate code 4411"}, actor="p.disp")
    done_id = before.commands.send("police/P-2", "message", {}, actor="p.disp")
    before.commands.on_ack(_ack("police/P-2", done_id, "done"))
    after = Cad(replace(recorded.ctx, stats=IngestStats()))  # a new process: its own metrics
    after.load()
    after.commands.tick(recorded.clock.time() + 20)
    assert recorded.published[-1] == recorded.published[0]
    assert [topic for topic, _, _ in recorded.published] == ["psn/v1/police/P-1/cmd", "psn/v1/police/P-2/cmd",
                                                             "psn/v1/police/P-1/cmd"]
    assert _state(after.commands, command_id) == ("pending", 2)


def test_stop_waits_for_a_resend_round_in_its_thread(recorded: Recorded) -> None:
    """The server closes the database and MQTT right after `stop`: a round still writing must end first."""
    commands = _commands(recorded)
    entered, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow_round(_now: float) -> None:
        entered.set()
        release.wait(10)
        finished.set()

    commands.tick = slow_round  # type: ignore[method-assign]

    async def scenario() -> None:
        await commands.start()
        assert await asyncio.to_thread(entered.wait, 10)  # the first round starts within a tick (1 s)
        stopping = asyncio.create_task(commands.stop())
        await asyncio.sleep(0.3)
        assert not stopping.done()  # still in the round
        release.set()
        await stopping
        assert finished.is_set()

    asyncio.run(scenario())

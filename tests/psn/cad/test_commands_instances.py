"""Command resends with two psn instances on one database (two `Commands` sharing the store, a manual clock):
only the lease holder resends, commands sent and acks taken through the other count there, and an ack stored
while the holder was deciding wins over its resend. Expectations written out by hand from docs/protocol.md."""

from __future__ import annotations

from dataclasses import replace

import pytest

from psn.cad.command_store import CommandStore
from psn.cad.commands import Commands
from psn.cad.crew import Crew
from psn.events import AckAccepted
from psn.stats import IngestStats
from telemetry import Ack, UnitRef
from tests.psn.cad.conftest import Recorded


def instance(recorded: Recorded, holds: bool) -> Commands:
    ctx = replace(recorded.ctx, stats=IngestStats())  # a process of its own: its own metrics
    commands = Commands(ctx, Crew(), CommandStore(ctx.db, ctx.keys))
    commands.held = lambda: holds
    return commands


def accepted(command_id: str) -> AckAccepted:
    ts = 1_764_400_005.0
    return AckAccepted(Ack(UnitRef("police", "P-1"), ts, command_id, "accepted", None), ts)


def test_only_the_holder_resends_and_it_resends_what_the_other_sent(recorded: Recorded) -> None:
    other, holder = instance(recorded, False), instance(recorded, True)
    command_id = other.send("police/P-1", "assignment", {"incident": "police-00001"}, actor="p.disp")
    start = recorded.clock.time()
    other.tick(start + 20.0)
    assert len(recorded.published) == 1  # sent, not resent: the other does not hold the lease
    holder.tick(start + 20.0)
    assert recorded.published == [recorded.published[0]] * 2  # the same bytes, once more
    stored = holder.store.find(command_id)
    assert stored is not None and (stored.state, stored.attempts) == ("pending", 2)


def test_an_ack_taken_by_the_other_instance_ends_the_resends(recorded: Recorded) -> None:
    other, holder = instance(recorded, False), instance(recorded, True)
    command_id = holder.send("police/P-1", "assignment", {}, actor="p.disp")
    other.on_ack(accepted(command_id))
    holder.tick(recorded.clock.time() + 20.0)
    assert len(recorded.published) == 1


def test_an_ack_stored_while_the_holder_decides_wins(recorded: Recorded, monkeypatch: pytest.MonkeyPatch) -> None:
    other, holder = instance(recorded, False), instance(recorded, True)
    command_id = holder.send("police/P-1", "assignment", {}, actor="p.disp")
    pending = holder.store.pending()  # what the holder read just before the other stored the ack
    other.on_ack(accepted(command_id))
    monkeypatch.setattr(holder.store, "pending", lambda: pending)
    holder.tick(recorded.clock.time() + 20.0)
    stored = holder.store.find(command_id)
    assert stored is not None and (stored.state, stored.attempts) == ("acknowledged", 1)
    assert len(recorded.published) == 1

"""Commands to units over MQTT (`psn/v1/{agency}/{unit}/cmd`, QoS 1) and their acknowledgements.

`send` gives a command a message id (a uuid4), stores it (payload sealed), publishes `{"id", "ts", "type",
**fields}` and shows it on the phones of the unit's crew (live `command`). The unit answers on its own `ack`
topic with `ref` = id: `accepted`, `rejected` or `done` set the command's state and the unit's dispatchers get
a live `command_ack`. An ack must come from the unit the command went to: one from another unit is a forged
ack — refused, counted (`psn_cad_forged_acks_total`), reported as a `forged_ack` security event, nothing
changed. An ack that moves nothing (a QoS 1 redelivery, `accepted` after `done`) is a duplicate: counted only.

No answer within `cmd_ack_timeout_s`: the same bytes (same id) are published again, at most `cmd_resends`
times; then the command is `unacknowledged` and the dispatchers get a sticky live `command_unacknowledged`.
A unit may therefore receive a command more than once and must act on each id once. Resends are a once-only
job (lease `command-resends`, docs/deploy.md): only the instance holding it resends, and each round it reads the
pending commands from the database, so a command sent through any instance, and an ack taken by any instance,
count there; a resend is written only while the command is still pending (an ack stored meanwhile wins).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

import orjson
from prometheus_client import Counter

from psn.cad.audience import crew_of, dispatchers_of
from psn.cad.command_store import (
    ACKNOWLEDGED,
    DONE,
    PENDING,
    REJECTED,
    UNACKNOWLEDGED,
    Command,
    CommandStore,
)
from psn.cad.crew import Crew
from psn.events import AckAccepted
from psn.security_events import Kind
from telemetry.topics import NAME, UnitTopic, cmd_topic, parse

if TYPE_CHECKING:  # service.py builds Commands
    from psn.cad.service import CadContext

log = logging.getLogger(__name__)
TYPE = re.compile(r"^[a-z0-9_\-]{1,32}$")  # docs/schemas/cmd.json
ENVELOPE = frozenset({"id", "ts", "type"})
STATE_OF_RESULT = {"accepted": ACKNOWLEDGED, "rejected": REJECTED, "done": DONE}
# How far along a command is: an ack moves it only forward (so a redelivered ack changes nothing).
PROGRESS = {PENDING: 0, UNACKNOWLEDGED: 0, ACKNOWLEDGED: 1, REJECTED: 2, DONE: 2}
TOLD = frozenset({"command", "command_ack", "command_unacknowledged"})  # a command's live events
MAX_TICK_S = 1.0  # how often the resend timer looks at the clock (at most; tighter for short time-outs)
LEASE = "command-resends"


class Commands:
    def __init__(self, ctx: CadContext, crew: Crew, store: CommandStore) -> None:
        self.ctx = ctx
        self.crew = crew
        self.store = store
        self.timeout_s = ctx.settings.cmd_ack_timeout_s
        self.resends = ctx.settings.cmd_resends
        self.held: Callable[[], bool] = lambda: True  # the server's lease LEASE: whether this instance resends
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[Command, bytes]] = {}
        self._task: asyncio.Task[None] | None = None
        self._round: asyncio.Future[None] | None = None  # the resend round running in its thread
        registry = ctx.stats.registry
        self.forged = Counter("psn_cad_forged_acks", "Acks from a unit for a command sent to another unit",
                              registry=registry)
        self.acks = Counter("psn_cad_acks", "Acks by outcome: matched, duplicate, unknown_ref", ["outcome"],
                            registry=registry)
        self.resent = Counter("psn_cad_command_resends", "Commands published again for want of an ack",
                              registry=registry)
        self.unanswered = Counter("psn_cad_commands_unacknowledged", "Commands whose resends were exhausted",
                                  registry=registry)

    def load(self) -> None:
        """Takes back the commands still waiting for an answer (after a restart)."""
        pending = self.store.pending()
        with self._lock:
            self._pending = {command.id: (command, payload) for command, payload in pending}

    def send(self, unit: str, type: str, fields: Mapping[str, object], *, actor: str,
             incident: str | None = None) -> str:
        """Publishes the command to `unit` ("agency/unit") and returns its message id; a ValueError names what
        is wrong with the arguments before anything is stored or sent."""
        agency, _, name = unit.partition("/")
        topic = cmd_topic(agency, name)
        if not isinstance(parse(topic), UnitTopic):  # the namespace's own rules: names, reserved words
            raise ValueError(f"unit must be agency/unit, each matching {NAME.pattern} and not reserved, "
                             f"not {unit!r:.80}")
        if not TYPE.fullmatch(type):
            raise ValueError(f"command type must match {TYPE.pattern}, not {type!r:.40}")
        if ENVELOPE & fields.keys():
            raise ValueError(f"fields may not set {', '.join(sorted(ENVELOPE & fields.keys()))}: psn sets them")
        now = self.ctx.clock.time()
        command_id = str(uuid.uuid4())
        try:
            payload = orjson.dumps({"id": command_id, "ts": now, "type": type, **fields})
        except TypeError as exc:
            raise ValueError(f"command fields must be JSON: {exc}") from None
        command = Command(command_id, unit, type, incident, actor, PENDING, now, now, 1)
        with self._lock:
            self.store.insert(command, payload)
            self._pending[command_id] = (command, payload)
        self.ctx.publish(topic, payload, 1)
        self.ctx.audit.record(actor, "command.send", unit, id=command_id, type=type, incident=incident)
        self._tell("command", command, payload)
        return command_id

    def refresh(self, command_id: str, told: str) -> None:
        """Another instance sent, resent or settled the command: no longer waited for here once it is answered
        (nor resent), and this instance's consoles are told what that one's were. A command sent elsewhere is not
        taken into this instance's resends: whoever resends (`load`) reads the pending ones from the database."""
        found = self.store.get(command_id)
        if found is None:
            return
        command, payload = found
        with self._lock:
            if command.state != PENDING:
                self._pending.pop(command.id, None)
            elif command.id in self._pending:
                self._pending[command.id] = (command, payload)
        if told in TOLD:
            self._tell(told, command, payload)

    def _tell(self, told: str, command: Command, payload: bytes) -> None:
        """The live event of a command: its crew's phones see it sent, the unit's dispatchers see it settled."""
        if told == "command":
            self.ctx.hub.notify("command", {"unit": command.unit, "command": orjson.loads(payload)},
                                crew_of(command.unit, self.crew))
        else:
            self.ctx.hub.notify(told, {"command": command.to_json()}, dispatchers_of(command.unit, self.ctx.sharing))

    def on_ack(self, event: AckAccepted) -> None:
        ack = event.ack
        with self._lock:
            held = self._pending.get(ack.ref)
            command = held[0] if held is not None else self.store.find(ack.ref)
            if command is None:
                self.acks.labels("unknown_ref").inc()
                return
            if command.unit != ack.who.id:
                forged = True
            else:
                forged = False
                state = STATE_OF_RESULT[ack.result]
                if PROGRESS[state] <= PROGRESS[command.state]:
                    self.acks.labels("duplicate").inc()
                    return
                command = replace(command, state=state, ack_ts=ack.ts, result=ack.result, note=ack.note)
                self.store.update(command, told="command_ack")
                self._pending.pop(command.id, None)
        if forged:
            self.forged.inc()
            self.ctx.report_security(Kind.FORGED_ACK, ack.who.id, ref=ack.ref, unit=command.unit,
                                     result=ack.result)
            return
        self.acks.labels("matched").inc()
        self._tell("command_ack", command, b"")

    def tick(self, now: float) -> None:
        """Resends what waited `timeout_s` without an answer; gives up on what was resent `resends` times. Only
        while holding the lease; the pending commands are read again from the database first (sent or acked
        through another instance)."""
        again: list[tuple[Command, bytes]] = []
        expired: list[Command] = []
        if not self.held():
            with self._lock:
                self._pending.clear()  # acks look commands up in the database; the holder resends
            return
        pending = self.store.pending()
        with self._lock:
            self._pending = {command.id: (command, payload) for command, payload in pending}
            for command, payload in pending:
                if now - command.last_sent < self.timeout_s:
                    continue
                if command.attempts > self.resends:
                    command = replace(command, state=UNACKNOWLEDGED)
                    del self._pending[command.id]
                    if self.store.progress(command, told="command_unacknowledged"):
                        expired.append(command)
                else:
                    command = replace(command, attempts=command.attempts + 1, last_sent=now)
                    self._pending[command.id] = (command, payload)
                    if self.store.progress(command):
                        again.append((command, payload))
                    else:  # acknowledged through another instance since it was read
                        del self._pending[command.id]
        for command, payload in again:
            agency, _, name = command.unit.partition("/")
            self.ctx.publish(cmd_topic(agency, name), payload, 1)
            self.resent.inc()
        for command in expired:
            self.unanswered.inc()
            self._tell("command_unacknowledged", command, b"")

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="psn-cad-commands")

    async def stop(self) -> None:
        """Ends the timer, after the round in its thread (if any): the server closes MQTT and the store next."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._round is not None:
            with contextlib.suppress(Exception):  # logged by _run when it failed
                await self._round
            self._round = None

    async def _run(self) -> None:
        period = min(MAX_TICK_S, self.timeout_s / 4)
        while True:
            await asyncio.sleep(period)
            # Shielded: cancelling the timer must not orphan a round still writing in its thread.
            self._round = asyncio.ensure_future(asyncio.to_thread(self.tick, self.ctx.clock.time()))
            try:
                await asyncio.shield(self._round)
            except Exception:  # one failed round (the database away) must not end resending for good
                log.exception("command resend round failed")

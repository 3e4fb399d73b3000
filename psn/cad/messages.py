"""Messages between dispatchers and to units: to an incident's thread (everyone who may view the incident: the
owner's and the partners' dispatchers), to an agency (its dispatchers; across agencies only while the two share
an open incident or a standing agreement), or to a unit (sent as a `cmd` of type `message` through the
commands service, so the unit acknowledges it).

One rule decides who reads a message (`may_read`): it filters `GET /api/v1/messages`, it is the live `message`
event's audience, and with the cross-agency check (`may_post`) it decides who may send. Text is sealed at rest —
an incident's messages with the incident owner's key, others with the sender's agency key — and the audit log
records ids, never text.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from psn.access import Action, Decision, Principal, Resource, Role, Sharing, Target, decide
from psn.cad.sealed import open_columns, seal_columns
from psn.store.changes import MESSAGE
from psn.store.schema import messages

if TYPE_CHECKING:
    from psn.cad.service import CadContext

KINDS = ("incident", "agency", "unit")
TEXT_MAX = 2000
HISTORY = 500  # messages one thread lists (the newest)
SendCommand = Callable[..., str]  # cad.commands.send(unit, type, fields, *, actor, incident=None) -> command id


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    ts: float
    sender: str
    sender_agency: str
    kind: str  # incident, agency or unit
    to: str  # the incident id, the agency, or "agency/unit"
    owner: str  # the incident's owner for an incident message; else the sender's agency (whose key seals it)
    text: str
    command: str | None = None  # the cmd id a unit message went out as

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "ts": self.ts, "from": self.sender, "from_agency": self.sender_agency,
                                "to": {self.kind: self.to}, "text": self.text}
        if self.command is not None:
            data["command"] = self.command
        return data


def may_read(who: Principal, kind: str, to: str, owner: str, sender_agency: str, sharing: Sharing) -> Decision:
    """Who reads a message: an incident's, whoever may view the incident; an agency's, the dispatchers of that
    agency and of the sender's; a unit's, the dispatchers who may view the unit."""
    if kind == "incident":
        return decide(who, Action.VIEW, Target(Resource.INCIDENT, owner, incident=to), sharing)
    if Role.DISPATCHER not in who.roles:
        return Decision(False, f"only dispatchers read and send messages to an agency or a unit; {who.name} is "
                               "not one")
    if kind == "agency":
        return (Decision(True, "own agency's messages") if who.agency in (to, sender_agency)
                else Decision(False, f"messages to {to} from {sender_agency} are theirs"))
    return decide(who, Action.VIEW, Target(Resource.UNIT, to.split("/", 1)[0], unit_id=to), sharing)


def may_post(who: Principal, kind: str, to: str, owner: str, sharing: Sharing) -> Decision:
    """Reading the thread, and for another agency: an open incident or a standing agreement between the two."""
    decision = may_read(who, kind, to, owner, who.agency, sharing)
    if not decision or kind != "agency" or to == who.agency:
        return decision
    return linked(who.agency, to, sharing)


def linked(a: str, b: str, sharing: Sharing) -> Decision:
    """Do agencies `a` and `b` work together now: an open incident of one shared with the other, or an
    agreement in force between them (either way round; emergency-only ones while an emergency is declared)."""
    for share in sharing.incidents:
        if share.open and {a, b} <= {share.owner, *share.partners} and share.owner in (a, b):
            return Decision(True, f"they share the open incident {share.incident}", cross_agency=True)
    for agreement in sharing.agreements:
        if ({agreement.owner, agreement.grantee} == {a, b}
                and (sharing.emergency or not agreement.only_during_emergency)):
            return Decision(True, f"agreement {agreement.owner}→{agreement.grantee}", cross_agency=True)
    return Decision(False, f"{a} and {b} share no open incident and no standing agreement")


class Messages:
    def __init__(self, ctx: CadContext, send_command: SendCommand, owner_of: Callable[[str], str | None],
                 incident_of: Callable[[str], str | None]) -> None:
        self.ctx = ctx
        self.send_command = send_command
        self.owner_of = owner_of  # incident id → its owner agency, None for no such incident
        self.incident_of = incident_of  # unit → the incident it is on, if any

    def post(self, who: Principal, kind: str, to: str, owner: str, text: str) -> Message:
        """Sends (a unit's as a command), stores sealed, audits and announces a message the caller was allowed
        to send (`may_post`)."""
        message_id = uuid.uuid4().hex
        command = None
        if kind == "unit":
            incident = self.incident_of(to)
            fields: dict[str, object] = {"text": text, "from": who.name}
            if incident is not None:
                fields["incident"] = incident
            command = self.send_command(to, "message", fields, actor=who.name, incident=incident)
        message = Message(message_id, self.ctx.clock.time(), who.name, who.agency, kind, to, owner, text, command)
        with self.ctx.db.engine.begin() as conn:
            conn.execute(messages.insert().values(
                id=message.id, ts=message.ts, sender=who.name, sender_agency=who.agency, to_kind=kind, to_id=to,
                owner=owner, command=command, **seal_columns(self.ctx.keys, owner, "messages", message.id,
                                                             {"text": text})))
            self.ctx.db.announce(conn, MESSAGE, message.id)
        self.ctx.audit.record(who.name, "message.send", message.id, to_kind=kind, to=to, command=command)
        self._notify(message)
        return message

    def arrived(self, message_id: str) -> None:
        """Another instance stored the message: read it back and tell this instance's readers as it told its own."""
        with self.ctx.db.engine.connect() as conn:
            row = conn.execute(sa.select(messages).where(messages.c.id == message_id)).first()
        if row is not None:
            self._notify(self._from_row(row))

    def _notify(self, m: Message) -> None:
        self.ctx.hub.notify("message", {"message": m.to_json()}, lambda reader: bool(
            may_read(reader, m.kind, m.to, m.owner, m.sender_agency, self.ctx.sharing.snapshot)))

    def _from_row(self, r: sa.Row[Any]) -> Message:
        return Message(r.id, r.ts, r.sender, r.sender_agency, r.to_kind, r.to_id, r.owner,
                       open_columns(self.ctx.keys, "messages", r, ("text",))["text"], r.command)

    def thread(self, who: Principal, kind: str, to: str) -> list[Message]:
        """The newest messages to `to` the caller may read, oldest first."""
        query = sa.select(messages).where(messages.c.to_kind == kind, messages.c.to_id == to)
        if kind == "agency" and who.agency != to:
            query = query.where(messages.c.sender_agency == who.agency)
        with self.ctx.db.engine.connect() as conn:
            rows = conn.execute(query.order_by(messages.c.ts.desc()).limit(HISTORY)).all()
        found = [self._from_row(r) for r in reversed(rows)]
        sharing = self.ctx.sharing.snapshot
        return [m for m in found if may_read(who, m.kind, m.to, m.owner, m.sender_agency, sharing)]

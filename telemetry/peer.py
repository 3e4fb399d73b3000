"""The peer wire format: what one psn instance tells the others on `psn/v1/_peer/{instance}/{kind}`.

Pure, like every decoder: bytes (+ topic) to a typed `PeerBatch` or a `Rejection` with its reason. One message
carries a batch of records of one kind, each with the time its instance received it:

    {"v": 1, "items": [[received, {field: value, …}], …]}

The records are the decoders' own types (a `Fix`, a `StatusReport` …, `who` as {"agency", "unit", "bound"}), so a
peer's record becomes the very event its instance published; `StreamState` and `AlertState` carry what is not a
device's message (a stream starting or ending on that instance, an alert record as that instance merged it).
A peer's record was already checked by the decoder that took it from a device; here only its shape is checked
(every field present with its type, numbers finite), so a malformed or hostile peer message costs one rejection.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telemetry import topics
from telemetry.fix import CellKpi, Fix, LinkReport, ProbeFix, Reason, Rejection, StatusReport, UnitRef

VERSION = 1
MAX_ITEMS = 500  # records in one message: 500 fixes ≈ 60 kB of JSON, far below the broker's limits
# The largest message an instance sends: MAX_ITEMS alert records with 1,000-character notes (psn_v1.MAX_NOTE) of
# characters JSON escapes as 12 bytes each measured 6.19 MB (1 MiB refused such a batch whole, and with it
# those alerts on every peer: tests/telemetry/test_peer.py).
MAX_PAYLOAD = 8 * 1_048_576


@dataclass(frozen=True, slots=True)
class StreamState:
    """A video stream started (`live`) or ended on the instance that holds it."""

    stream: str
    unit: str  # `{agency}/{unit}` the stream is of
    live: bool


@dataclass(frozen=True, slots=True)
class AlertState:
    """An alert record as the instance that took (or acknowledged) it left it: psn.cad.alerts' fields."""

    id: str
    unit: str
    agency: str
    type: str
    ts: float
    lat: float | None
    lon: float | None
    note: str | None
    raised: float
    count: int
    acknowledged_by: str | None = None
    acknowledged_at: float | None = None


Record = Fix | StatusReport | CellKpi | LinkReport | ProbeFix | StreamState | AlertState
# Plural on purpose: `psn/v1/_peer/{instance}/alert` or `…/status` would also match the device filters
# `psn/v1/+/+/alert|status` every instance holds (shared), and reach an instance twice (seen in the alert test).
KINDS: dict[str, type[Any]] = {
    "fixes": Fix, "statuses": StatusReport, "kpis": CellKpi, "links": LinkReport, "probes": ProbeFix,
    "streams": StreamState, "alerts": AlertState,
}
KIND_OF: dict[type[Any], str] = {record: kind for kind, record in KINDS.items()}


@dataclass(frozen=True, slots=True)
class PeerItem:
    record: Record
    received: float  # when its instance received it (epoch seconds)


@dataclass(frozen=True, slots=True)
class PeerBatch:
    instance: str  # who sent it
    kind: str
    items: tuple[PeerItem, ...]


class _Bad(Exception):
    pass


Check = Callable[[Any, str], Any]


def _number(value: Any, name: str) -> float:
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**1023):
        number = float(value)
        if math.isfinite(number):
            return number
    raise _Bad(f"{name} must be a finite number")


def _integer(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _Bad(f"{name} must be an integer")


def _text(value: Any, name: str) -> str:
    if isinstance(value, str):
        return value
    raise _Bad(f"{name} must be a string")


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    raise _Bad(f"{name} must be true or false")


def _optional(check: Check) -> Check:
    return lambda value, name: None if value is None else check(value, name)


_CHECKS: dict[Any, Check] = {float: _number, int: _integer, str: _text, bool: _flag}


def _check(kind: Any) -> Check:
    """The checker of one field's type, built once per record type (measured: resolving the type per value made a
    peer's fix cost 2.5 times its device message's decoding)."""
    if isinstance(kind, types.UnionType):  # `X | None`, the only unions the records use
        (inner,) = (k for k in typing.get_args(kind) if k is not type(None))
        return _optional(_check(inner))
    if kind is UnitRef:
        return lambda value, _name: _record(UnitRef, value)
    return _CHECKS[kind]


def _fields(record: type[Any]) -> tuple[tuple[str, Check, bool], ...]:
    """(name, checker, required) of each field."""
    hints = typing.get_type_hints(record)
    return tuple((f.name, _check(hints[f.name]), f.default is dataclasses.MISSING) for f in dataclasses.fields(record))


_RECORDS: tuple[type[Any], ...] = (UnitRef, *KINDS.values())  # UnitRef first: the others' checkers use its fields
_FIELDS: dict[type[Any], tuple[tuple[str, Check, bool], ...]] = {}
for _type in _RECORDS:
    _FIELDS[_type] = _fields(_type)
_NAMES = {record: frozenset(name for name, _c, _r in fields) for record, fields in _FIELDS.items()}


def encode(items: list[PeerItem]) -> bytes:
    """One message of records of one kind (the caller groups them and keeps to MAX_ITEMS)."""
    return json.dumps({"v": VERSION, "items": [[i.received, _plain(i.record)] for i in items]},
                      separators=(",", ":"), allow_nan=False).encode()


def _plain(record: Any) -> dict[str, Any]:
    return {name: (_plain(value) if type(value) is UnitRef else value)
            for name, value in ((n, getattr(record, n)) for n, _c, _r in _FIELDS[type(record)])}


def decode(topic: str, payload: bytes) -> PeerBatch | Rejection:
    """Never raises: a batch, or why not."""
    parts = topics.peer_parts(topic)
    if parts is None:
        return Rejection(Reason.BAD_TOPIC, f"expected psn/v1/_peer/{{instance}}/{{kind}}, got {topic[:80]!r}")
    instance, kind = parts
    record = KINDS.get(kind)
    if record is None:
        return Rejection(Reason.UNSUPPORTED_TYPE, f"no peer record kind {kind!r} (known: {', '.join(KINDS)})")
    if len(payload) > MAX_PAYLOAD:
        return Rejection(Reason.OVERSIZED, f"{len(payload)} bytes > {MAX_PAYLOAD}")
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        return Rejection(Reason.MALFORMED_JSON, f"peer message: {type(exc).__name__}")
    if not isinstance(body, dict):
        return Rejection(Reason.NOT_AN_OBJECT, "peer message must be a JSON object")
    if body.get("v") != VERSION:
        return Rejection(Reason.UNSUPPORTED_TYPE, f"peer format version {body.get('v')!r}, this psn reads {VERSION}")
    raw = body.get("items")
    if not isinstance(raw, list) or len(raw) > MAX_ITEMS:
        return Rejection(Reason.BAD_FIELD, f"items must be a list of at most {MAX_ITEMS}")
    try:
        items = tuple(_item(record, entry) for entry in raw)
    except _Bad as exc:
        return Rejection(Reason.BAD_FIELD, f"peer {kind}: {exc}")
    return PeerBatch(instance, kind, items)


def _item(record: type[Any], entry: Any) -> PeerItem:
    if not isinstance(entry, list) or len(entry) != 2:
        raise _Bad("each item must be [received, record]")
    return PeerItem(_record(record, entry[1]), _number(entry[0], "received"))


def _record(record: type[Any], data: Any) -> Any:
    if not isinstance(data, dict):
        raise _Bad(f"{record.__name__} must be an object")
    if not data.keys() <= _NAMES[record]:
        raise _Bad(f"unknown field {sorted(data.keys() - _NAMES[record])[0]!r}")
    values = {}
    for name, check, required in _FIELDS[record]:
        if name in data:
            values[name] = check(data[name], name)
        elif required:
            raise _Bad(f"missing field {name!r}")
    return record(**values)

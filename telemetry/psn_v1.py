"""Decoder for psn's own wire format: `psn/v1/{agency}/{unit}/telemetry|status|alert|ack` with a JSON object.

The router (`telemetry.decode`) has already placed the topic in the namespace (`telemetry.topics`).
See docs/protocol.md for the contract.
"""

from __future__ import annotations

import re
from typing import Any

from telemetry.fix import Ack, Alert, Decoded, Fix, Reason, Rejection, StatusReport, UnitRef
from telemetry.rules import DecodeContext, Refused, in_range, load_object, number, position, timestamp
from telemetry.topics import UnitKind, UnitTopic

STATUS = re.compile(r"^[a-z0-9_\-]{1,32}$")  # a status word, or an alert's type
REF = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")  # the id of the command an ack answers
ACK_RESULTS = frozenset({"accepted", "rejected", "done"})
MAX_NOTE = 1000
_KINDS = frozenset(UnitKind)


def decode(route: UnitTopic, payload: bytes, ctx: DecodeContext) -> Decoded:
    agency, kind = route.agency, route.kind
    who = UnitRef(agency, route.unit)
    if agency not in ctx.agencies:
        return Rejection(Reason.UNKNOWN_AGENCY, f"agency {agency!r} is not registered", who)
    if kind not in _KINDS:
        return Rejection(Reason.BAD_TOPIC, f"unknown message kind {kind!r}", who)
    try:
        obj = load_object(payload, ctx)
        ts = timestamp(obj, "ts", ctx)
        if kind == UnitKind.TELEMETRY:
            lat, lon = position(obj, ctx)
            return Fix(
                who=who,
                ts=ts,
                lat=lat,
                lon=lon,
                alt=in_range("alt", number(obj, "alt"), -500.0, 20_000.0),
                speed=in_range("speed", number(obj, "speed"), 0.0, 350.0),
                heading=heading(number(obj, "heading")),
                accuracy=in_range("accuracy", number(obj, "accuracy"), 0.0, 100_000.0),
                battery=in_range("battery", number(obj, "battery"), 0.0, 100.0),
            )
        if kind == UnitKind.STATUS:
            return StatusReport(who=who, ts=ts, status=_word(obj, "status"))
        if kind == UnitKind.ALERT:
            # An optional field that is null counts as absent (docs/protocol.md): a position is both or neither.
            located = obj.get("lat") is not None or obj.get("lon") is not None
            where: tuple[float, float] | tuple[None, None] = position(obj, ctx) if located else (None, None)
            return Alert(who=who, ts=ts, type=_word(obj, "type"), lat=where[0], lon=where[1], note=_note(obj))
        ref, result = obj.get("ref"), obj.get("result")  # UnitKind.ACK, the last of _KINDS
        if ref is None or result is None:
            raise Refused(Reason.MISSING_FIELD, "fields 'ref' and 'result' are required")
        if not isinstance(ref, str) or not REF.fullmatch(ref):
            raise Refused(Reason.BAD_FIELD, f"'ref' must match {REF.pattern}")
        if not isinstance(result, str) or result not in ACK_RESULTS:
            raise Refused(Reason.BAD_FIELD, f"'result' must be one of {', '.join(sorted(ACK_RESULTS))}")
        return Ack(who=who, ts=ts, ref=ref, result=result, note=_note(obj))
    except Refused as refused:
        return refused.rejection(who)


def _word(obj: dict[str, Any], key: str) -> str:
    """A status word or an alert type; absent is a bad word too (docs/protocol.md)."""
    value = obj.get(key)
    if not isinstance(value, str) or not STATUS.fullmatch(value):
        raise Refused(Reason.BAD_FIELD, f"'{key}' must match {STATUS.pattern}")
    return value


def _note(obj: dict[str, Any]) -> str | None:
    note = obj.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        raise Refused(Reason.BAD_FIELD, f"'note' must be text of at most {MAX_NOTE} characters")
    return note


def heading(value: float | None) -> float | None:
    """A course in −360…360 degrees, normalised to 0…360 (the probe decoder shares it)."""
    in_range("heading", value, -360.0, 360.0)
    return None if value is None else value % 360.0

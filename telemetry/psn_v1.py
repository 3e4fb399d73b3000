"""Decoder for psn's own wire format: `psn/v1/{agency}/{unit}/telemetry|status` with a JSON object.

The router (`telemetry.decode`) has already placed the topic in the namespace (`telemetry.topics`).
See docs/protocol.md for the contract.
"""

from __future__ import annotations

import re

from telemetry.fix import Decoded, Fix, Reason, Rejection, StatusReport, UnitRef
from telemetry.rules import DecodeContext, Refused, in_range, load_object, number, position, timestamp
from telemetry.topics import UnitKind, UnitTopic

STATUS = re.compile(r"^[a-z0-9_\-]{1,32}$")


def decode(route: UnitTopic, payload: bytes, ctx: DecodeContext) -> Decoded:
    agency, kind = route.agency, route.kind
    who = UnitRef(agency, route.unit)
    if agency not in ctx.agencies:
        return Rejection(Reason.UNKNOWN_AGENCY, f"agency {agency!r} is not registered", who)
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
                heading=_heading(number(obj, "heading")),
                accuracy=in_range("accuracy", number(obj, "accuracy"), 0.0, 100_000.0),
                battery=in_range("battery", number(obj, "battery"), 0.0, 100.0),
            )
        if kind == UnitKind.STATUS:
            status = obj.get("status")
            if not isinstance(status, str) or not STATUS.fullmatch(status):
                raise Refused(Reason.BAD_FIELD, f"'status' must match {STATUS.pattern}")
            return StatusReport(who=who, ts=ts, status=status)
    except Refused as refused:
        return refused.rejection(who)
    return Rejection(Reason.BAD_TOPIC, f"unknown message kind {kind!r}", who)


def _heading(value: float | None) -> float | None:
    in_range("heading", value, -360.0, 360.0)
    return None if value is None else value % 360.0

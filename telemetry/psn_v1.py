"""Decoder for psn's own wire format: `psn/v1/{agency}/{unit}/telemetry|status` with a JSON object.

See docs/protocol.md for the contract.
"""

from __future__ import annotations

import re

from telemetry.fix import Decoded, Fix, Reason, Rejection, StatusReport, UnitRef
from telemetry.rules import DecodeContext, Refused, in_range, load_object, number, position, timestamp

PREFIX = "psn/v1/"
NAME_PART = r"[A-Za-z0-9_.\-]{1,64}"  # an agency, unit, OwnTracks user or device name
NAME = re.compile(rf"^{NAME_PART}$")
STATUS = re.compile(r"^[a-z0-9_\-]{1,32}$")


def decode(topic: str, payload: bytes, ctx: DecodeContext) -> Decoded:
    parts = topic.split("/")
    if len(parts) != 5 or parts[0] != "psn" or parts[1] != "v1":
        return Rejection(Reason.BAD_TOPIC, f"expected psn/v1/{{agency}}/{{unit}}/{{kind}}, got {topic[:80]!r}")
    agency, unit, kind = parts[2], parts[3], parts[4]
    if not NAME.match(unit) or not NAME.match(agency):
        return Rejection(Reason.BAD_TOPIC, f"agency and unit must match {NAME.pattern}")
    who = UnitRef(agency, unit)
    if agency not in ctx.agencies:
        return Rejection(Reason.UNKNOWN_AGENCY, f"agency {agency!r} is not registered", who)
    try:
        obj = load_object(payload, ctx)
        ts = timestamp(obj, "ts", ctx)
        if kind == "telemetry":
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
        if kind == "status":
            status = obj.get("status")
            if not isinstance(status, str) or not STATUS.match(status):
                raise Refused(Reason.BAD_FIELD, f"'status' must match {STATUS.pattern}")
            return StatusReport(who=who, ts=ts, status=status)
    except Refused as refused:
        return refused.rejection(who)
    return Rejection(Reason.BAD_TOPIC, f"unknown message kind {kind!r}", who)


def _heading(value: float | None) -> float | None:
    in_range("heading", value, -360.0, 360.0)
    return None if value is None else value % 360.0

"""Decoder for anonymous probe-vehicle positions: `psn/v1/probes/{source}` with a JSON object.

A probe is a pseudonymous vehicle of a fleet or app feed (`source`), used only for traffic speeds: the payload
is `{"ts", "vehicle", "lat", "lon", "speed"?, "heading"?}` with the telemetry decoder's rules (size limit, time
and service-area checks, `speed` m/s 0…350, `heading` −360…360 normalised to 0…360). See docs/protocol.md
"Probes" and docs/schemas/probe.json.
"""

from __future__ import annotations

from telemetry.fix import ProbeFix, Reason, Rejection
from telemetry.psn_v1 import heading
from telemetry.rules import DecodeContext, Refused, in_range, load_object, number, position, timestamp
from telemetry.topics import NAME

MAX_SPEED_MPS = 350.0


def decode(source: str, payload: bytes, ctx: DecodeContext) -> ProbeFix | Rejection:
    """Decodes a probe position published by `source` (the `{source}` of its topic); never raises."""
    try:
        obj = load_object(payload, ctx)
        ts = timestamp(obj, "ts", ctx)
        vehicle = obj.get("vehicle")
        if vehicle is None:
            raise Refused(Reason.MISSING_FIELD, "field 'vehicle' is required")
        if not isinstance(vehicle, str) or not NAME.fullmatch(vehicle):
            raise Refused(Reason.BAD_FIELD, f"'vehicle' must match {NAME.pattern}")
        lat, lon = position(obj, ctx)
        return ProbeFix(source=source, vehicle=vehicle, ts=ts, lat=lat, lon=lon,
                        speed=in_range("speed", number(obj, "speed"), 0.0, MAX_SPEED_MPS),
                        heading=heading(number(obj, "heading")))
    except Refused as refused:
        return refused.rejection()

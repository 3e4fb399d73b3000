"""Decoder for the OwnTracks app's MQTT format, accepted unchanged: `owntracks/{user}/{device}`.

Only `_type: "location"` carries a fix; other types are ignored. Units: `vel` km/h, `cog` degrees,
`acc` metres, `batt` percent, `tst` epoch seconds. A device not bound by an operator becomes a provisional
unit of the default agency, flagged unbound (`UnitRef.bound == False`).
"""

from __future__ import annotations

import hashlib

from telemetry.fix import Decoded, Fix, Ignored, Reason, UnitRef
from telemetry.rules import DecodeContext, Refused, in_range, load_object, number, position, timestamp
from telemetry.topics import OwnTracksTopic


def device_key(user: str, device: str) -> str:
    return f"{user}/{device}"


def provisional_unit(user: str, device: str) -> str:
    """`ot-{user}-{device}`, kept within the 64 characters of a unit name (the REST paths' limit): a longer one
    keeps its first 47 characters and a hash of the whole, so two long devices never share a unit."""
    name = f"ot-{user}-{device}"
    if len(name) <= 64:
        return name
    return f"{name[:47]}-{hashlib.sha256(name.encode()).hexdigest()[:16]}"


def decode(route: OwnTracksTopic, payload: bytes, ctx: DecodeContext) -> Decoded:
    if route.sub is not None:  # owntracks/{user}/{device}/event, /cmd, /info … are not positions
        return Ignored(f"owntracks sub-topic {route.sub.split('/')[0]!r}")
    user, device = route.user, route.device
    key = device_key(user, device)
    who = ctx.devices.get(key) or UnitRef(ctx.default_agency, provisional_unit(user, device), bound=False)
    try:
        obj = load_object(payload, ctx)
        kind = obj.get("_type")
        if kind != "location":
            if isinstance(kind, str):
                return Ignored(f"owntracks _type {kind!r}")
            if kind is None:
                raise Refused(Reason.MISSING_FIELD, "field '_type' is required")
            raise Refused(Reason.BAD_FIELD, f"'_type' must be a string, got {type(kind).__name__}")
        lat, lon = position(obj, ctx)
        vel = in_range("vel", number(obj, "vel"), 0.0, 1260.0)
        cog = in_range("cog", number(obj, "cog"), 0.0, 360.0)
        return Fix(
            who=who,
            ts=timestamp(obj, "tst", ctx),
            lat=lat,
            lon=lon,
            alt=in_range("alt", number(obj, "alt"), -500.0, 20_000.0),
            speed=None if vel is None else vel / 3.6,
            heading=None if cog is None else cog % 360.0,
            accuracy=in_range("acc", number(obj, "acc"), 0.0, 100_000.0),
            battery=in_range("batt", number(obj, "batt"), 0.0, 100.0),
            source="owntracks",
        )
    except Refused as refused:
        return refused.rejection(who)

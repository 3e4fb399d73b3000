"""Checks every decoder shares: payload size, coordinate ranges, the service area and timestamp sanity."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from telemetry.fix import Reason, Rejection, UnitRef


@dataclass(frozen=True, slots=True)
class BBox:
    west: float
    south: float
    east: float
    north: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lon <= self.east



@dataclass(frozen=True, slots=True)
class DecodeContext:
    """Everything a decoder needs beyond the bytes; `now` is injected so decoding is deterministic, and the
    deployment's facts (its agencies, its service area) come from the server's settings."""

    now: float
    agencies: frozenset[str]
    service_area: BBox
    max_payload: int = 4096
    max_future_s: float = 30.0
    max_age_s: float = 7 * 24 * 3600.0
    devices: dict[str, UnitRef] = field(default_factory=dict)
    default_agency: str = "police"


class Refused(Exception):
    """Raised inside a decoder to refuse a message; the decoder returns it as a `Rejection`."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail

    def rejection(self, who: UnitRef | None = None) -> Rejection:
        return Rejection(self.reason, self.detail, who)


def load_object(payload: bytes, ctx: DecodeContext) -> dict[str, Any]:
    if len(payload) > ctx.max_payload:
        raise Refused(Reason.OVERSIZED, f"payload of {len(payload)} bytes exceeds {ctx.max_payload}")
    try:
        obj = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise Refused(Reason.MALFORMED_JSON, f"not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise Refused(Reason.NOT_AN_OBJECT, f"expected a JSON object, got {type(obj).__name__}")
    return obj


def number(obj: dict[str, Any], key: str, *, required: bool = False) -> float | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise Refused(Reason.MISSING_FIELD, f"field '{key}' is required")
        return None
    # bool is an int subclass: `true` as a latitude is a client bug, not 1.0. (A tuple, not `int | float`:
    # building the union on every call cost ~8% of ingest.)
    if type(value) is bool or not isinstance(value, (int, float)):
        raise Refused(Reason.BAD_FIELD, f"field '{key}' must be a number, got {json.dumps(value)[:40]}")
    result = float(value)
    if not math.isfinite(result):
        raise Refused(Reason.BAD_FIELD, f"field '{key}' must be finite")
    return result


def in_range(key: str, value: float | None, low: float, high: float) -> float | None:
    if value is not None and not low <= value <= high:
        raise Refused(Reason.OUT_OF_RANGE, f"{key}={value} outside [{low}, {high}]")
    return value


def position(obj: dict[str, Any], ctx: DecodeContext) -> tuple[float, float]:
    lat = in_range("lat", number(obj, "lat", required=True), -90.0, 90.0)
    lon = in_range("lon", number(obj, "lon", required=True), -180.0, 180.0)
    assert lat is not None and lon is not None
    if not ctx.service_area.contains(lat, lon):
        raise Refused(Reason.OUTSIDE_SERVICE_AREA, f"({lat:.5f}, {lon:.5f}) is far outside the service area")
    return lat, lon


def timestamp(obj: dict[str, Any], key: str, ctx: DecodeContext) -> float:
    raw = obj.get(key)
    if raw is None:
        raise Refused(Reason.MISSING_FIELD, f"field '{key}' is required")
    if isinstance(raw, str):
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise Refused(Reason.BAD_FIELD, f"'{key}' is neither epoch seconds nor RFC 3339: {raw[:40]!r}") from None
        if parsed.tzinfo is None:
            raise Refused(Reason.BAD_FIELD, f"'{key}' has no time zone: {raw[:40]!r}")
        ts = parsed.timestamp()
    else:
        value = number(obj, key)
        assert value is not None
        ts = value
    if ts > ctx.now + ctx.max_future_s:
        raise Refused(Reason.FUTURE_TIMESTAMP, f"'{key}' is {ts - ctx.now:.0f} s in the future")
    if ts < ctx.now - ctx.max_age_s:
        raise Refused(Reason.STALE_TIMESTAMP, f"'{key}' is {(ctx.now - ts) / 3600:.0f} h old")
    return ts

"""The decoding context tests use: Belize's deployment facts written out here as literals, not read from psn's
settings, so a wrong default in the settings cannot agree with itself."""

from __future__ import annotations

from typing import Any

from telemetry import BBox, DecodeContext

BELIZE = BBox(west=-90.5, south=15.0, east=-86.5, north=19.5)
AGENCIES = frozenset({"police", "nemo", "fire", "ems", "bdf"})


def context(now: float, **extra: Any) -> DecodeContext:
    return DecodeContext(now=now, agencies=extra.pop("agencies", AGENCIES),
                         service_area=extra.pop("service_area", BELIZE), **extra)

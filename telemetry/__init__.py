"""Telemetry decoding: pure functions from (topic, payload bytes, context) to a typed fix or a rejection.

One module per wire format (`psn_v1`, `owntracks`), routed by the one topic namespace (`telemetry.topics`);
adapters that move bytes live in `psn.mqtt` and `psn.gateways`.
"""

from telemetry.decode import decode
from telemetry.fix import (
    Ack,
    Alert,
    CellKpi,
    Decoded,
    Fix,
    Ignored,
    LinkReport,
    ProbeFix,
    Reason,
    Rejection,
    StatusReport,
    UnitRef,
)
from telemetry.owntracks import device_key
from telemetry.rules import BBox, DecodeContext

__all__ = [
    "Ack",
    "Alert",
    "BBox",
    "CellKpi",
    "DecodeContext",
    "Decoded",
    "Fix",
    "Ignored",
    "LinkReport",
    "ProbeFix",
    "Reason",
    "Rejection",
    "StatusReport",
    "UnitRef",
    "decode",
    "device_key",
]

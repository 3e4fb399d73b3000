"""Telemetry decoding: pure functions from (topic, payload bytes, context) to a typed fix or a rejection.

One module per wire format (`psn_v1`, `owntracks`); adapters that move bytes live in `psn.mqtt`.
"""

from telemetry.decode import SUBSCRIPTIONS, decode
from telemetry.fix import Decoded, Fix, Ignored, Reason, Rejection, StatusReport, UnitRef
from telemetry.owntracks import device_key
from telemetry.rules import BELIZE_SERVICE_AREA, DEFAULT_AGENCIES, BBox, DecodeContext

__all__ = [
    "BELIZE_SERVICE_AREA",
    "DEFAULT_AGENCIES",
    "SUBSCRIPTIONS",
    "BBox",
    "DecodeContext",
    "Decoded",
    "Fix",
    "Ignored",
    "Reason",
    "Rejection",
    "StatusReport",
    "UnitRef",
    "decode",
    "device_key",
]

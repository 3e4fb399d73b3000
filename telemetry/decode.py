"""Routes a message to the decoder of its wire format by topic."""

from __future__ import annotations

from telemetry import owntracks, psn_v1
from telemetry.fix import Decoded, Reason, Rejection
from telemetry.rules import DecodeContext

# MQTT subscriptions that cover every format we decode.
SUBSCRIPTIONS = ("psn/v1/+/+/telemetry", "psn/v1/+/+/status", "owntracks/+/+")


def decode(topic: str, payload: bytes, ctx: DecodeContext) -> Decoded:
    if topic.startswith(psn_v1.PREFIX):
        return psn_v1.decode(topic, payload, ctx)
    if topic.startswith(owntracks.PREFIX):
        return owntracks.decode(topic, payload, ctx)
    return Rejection(Reason.BAD_TOPIC, f"no decoder for topic {topic[:80]!r}")

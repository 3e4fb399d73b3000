"""Routes a message to the decoder of its wire format by its place in the topic namespace."""

from __future__ import annotations

from telemetry import kpi, link, owntracks, probe, psn_v1, topics
from telemetry.fix import Decoded, Reason, Rejection
from telemetry.rules import DecodeContext


def decode(topic: str, payload: bytes, ctx: DecodeContext) -> Decoded:
    route = topics.parse(topic)
    if isinstance(route, topics.UnitTopic):
        return psn_v1.decode(route, payload, ctx)
    if isinstance(route, topics.CellKpiTopic):
        return kpi.decode(route.cell, payload, ctx)
    if isinstance(route, topics.OwnTracksTopic):
        return owntracks.decode(route, payload, ctx)
    if isinstance(route, topics.ProbeTopic):
        return probe.decode(route.source, payload, ctx)
    if isinstance(route, topics.LinkTopic):
        return link.decode(route, payload, ctx)
    return Rejection(Reason.BAD_TOPIC, route.detail)

"""Decoder for a unit's radio link as the network reports it: `psn/v1/net/ue/{agency}/{unit}/link`, JSON object.

The router parses the topic (`telemetry.topics`) and passes its `LinkTopic`; the payload names its agency and unit
too, and they must agree. `cell` is required but may be null (the unit is out of coverage). Units: RSRP dBm, SINR
dB, rates Mbit/s, `ts` epoch seconds or RFC 3339. See docs/protocol.md and docs/schemas/link-report.json.
"""

from __future__ import annotations

from typing import Any

from telemetry.fix import LinkReport, Reason, Rejection, UnitRef
from telemetry.kpi import MAX_SINR_DB, MAX_THROUGHPUT_MBPS, MIN_SINR_DB
from telemetry.rules import DecodeContext, Refused, in_range, load_object, number, timestamp
from telemetry.topics import NAME, LinkTopic

MIN_RSRP_DBM, MAX_RSRP_DBM = -156.0, -30.0  # TS 36.133 §9.1.4 reporting range
MIN_ARP, MAX_ARP = 1, 15  # TS 23.203 allocation and retention priority levels


def decode(route: LinkTopic, payload: bytes, ctx: DecodeContext) -> LinkReport | Rejection:
    """Decodes the link report of the unit named by `route`; never raises."""
    who = UnitRef(route.agency, route.unit)
    if route.agency not in ctx.agencies:
        return Rejection(Reason.UNKNOWN_AGENCY, f"agency {route.agency!r} is not registered", who)
    try:
        obj = load_object(payload, ctx)
        for key, expected in (("agency", route.agency), ("unit", route.unit)):
            named = obj.get(key)
            if named is None:
                raise Refused(Reason.MISSING_FIELD, f"field '{key}' is required")
            if named != expected:
                raise Refused(Reason.BAD_FIELD,
                              f"payload is about {key} {named!r:.40} but its topic names {key} {expected!r}")
        return LinkReport(
            who=who,
            ts=timestamp(obj, "ts", ctx),
            cell=_cell(obj),
            rsrp_dbm=in_range("rsrp_dbm", number(obj, "rsrp_dbm"), MIN_RSRP_DBM, MAX_RSRP_DBM),
            sinr_db=in_range("sinr_db", number(obj, "sinr_db"), MIN_SINR_DB, MAX_SINR_DB),
            ul_mbps=_rate(obj, "ul_mbps"),
            dl_mbps=_rate(obj, "dl_mbps"),
            arp=_arp(obj),
            uplifted=_flag(obj, "uplifted"),
        )
    except Refused as refused:
        return refused.rejection(who)


def _cell(obj: dict[str, Any]) -> str | None:
    if "cell" not in obj:
        raise Refused(Reason.MISSING_FIELD, "field 'cell' is required (null when out of coverage)")
    cell = obj["cell"]
    if cell is not None and not (isinstance(cell, str) and NAME.fullmatch(cell)):
        raise Refused(Reason.BAD_FIELD, f"field 'cell' must be null or a cell id matching {NAME.pattern}")
    return cell


def _rate(obj: dict[str, Any], key: str) -> float:
    value = in_range(key, number(obj, key, required=True), 0.0, MAX_THROUGHPUT_MBPS)
    assert value is not None
    return value


def _arp(obj: dict[str, Any]) -> int | None:
    value = in_range("arp", number(obj, "arp"), MIN_ARP, MAX_ARP)
    if value is None:
        return None
    if not value.is_integer():
        raise Refused(Reason.BAD_FIELD, f"field 'arp' must be a whole number, got {value}")
    return int(value)


def _flag(obj: dict[str, Any], key: str) -> bool:
    value = obj.get(key, False)
    if value is None:
        return False
    if type(value) is not bool:
        raise Refused(Reason.BAD_FIELD, f"field '{key}' must be true or false")
    return value

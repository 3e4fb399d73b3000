"""Decoder for cell KPIs from the radio network: `psn/v1/net/cell/{cell}/kpi` with a JSON object.

The router parses the topic (`telemetry.topics`) and passes its `{cell}`; the payload names its cell too, and the
two must agree. Units: PRB utilisation as a fraction of the cell's resource blocks, throughput Mbit/s, SINR dB,
`ts` epoch seconds or RFC 3339. See docs/protocol.md and docs/schemas/cell-kpi.json for the contract.
"""

from __future__ import annotations

from typing import Any

from telemetry.fix import CellKpi, Reason, Rejection
from telemetry.rules import DecodeContext, Refused, in_range, load_object, number, timestamp

MAX_THROUGHPUT_MBPS = 10_000.0
MAX_COUNT = 1_000_000  # UEs or bearers of one cell: far above any real cell, far below float's exact integers
MIN_SINR_DB, MAX_SINR_DB = -30.0, 60.0


def decode(cell: str, payload: bytes, ctx: DecodeContext) -> CellKpi | Rejection:
    """Decodes the KPI document of `cell` (the `{cell}` of its topic); never raises."""
    try:
        obj = load_object(payload, ctx)
        named = obj.get("cell")
        if named is None:
            raise Refused(Reason.MISSING_FIELD, "field 'cell' is required")
        if named != cell:
            raise Refused(Reason.BAD_FIELD, f"payload is about cell {named!r:.40} but its topic names cell {cell!r}")
        return CellKpi(
            cell=cell,
            ts=timestamp(obj, "ts", ctx),
            connected_ues=_count(obj, "connected_ues"),
            prb_util_dl=_required(obj, "prb_util_dl", 0.0, 1.0),
            prb_util_ul=_required(obj, "prb_util_ul", 0.0, 1.0),
            thr_dl_mbps=_required(obj, "thr_dl_mbps", 0.0, MAX_THROUGHPUT_MBPS),
            thr_ul_mbps=_required(obj, "thr_ul_mbps", 0.0, MAX_THROUGHPUT_MBPS),
            mean_dl_sinr_db=in_range("mean_dl_sinr_db", number(obj, "mean_dl_sinr_db"), MIN_SINR_DB, MAX_SINR_DB),
            bearers_rejected=_count(obj, "bearers_rejected"),
            bearers_preempted=_count(obj, "bearers_preempted"),
        )
    except Refused as refused:
        return refused.rejection()


def _required(obj: dict[str, Any], key: str, low: float, high: float) -> float:
    value = in_range(key, number(obj, key, required=True), low, high)
    assert value is not None
    return value


def _count(obj: dict[str, Any], key: str) -> int:
    """A required count: a whole number (12 or 12.0, as JSON Schema's "integer") in [0, MAX_COUNT]."""
    value = number(obj, key, required=True)
    assert value is not None
    if not value.is_integer():
        raise Refused(Reason.BAD_FIELD, f"field '{key}' must be a whole number, got {value}")
    in_range(key, value, 0, MAX_COUNT)
    return int(value)

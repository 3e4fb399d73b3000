import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telemetry import Reason, Rejection
from telemetry.kpi import CellKpi, decode
from tests.decoding import context
from tests.near_valid import DELETE, mutated

NOW = 1_764_566_405.0
CTX = context(NOW)

# Real payloads of psn/v1/net/cell/{cell}/kpi, keyed by the topic's {cell}: simulator.sim.cell_kpis on the
# Belize Band 14 plan and the carnival-hurricane scenario (rng seed 1, timestamp 1764566400), serialised as
# simulator.kpi_publisher sends them. They cover a saturated cell with pre-emptions, an uplink-only cell and a
# rural cell with negative SINR.
SAMPLES = {
    "BZE-CTR-1": b'{"cell":"BZE-CTR-1","ts":1764566400.0,"connected_ues":21,"prb_util_dl":1.0,"prb_util_ul":0.883,'
                 b'"thr_dl_mbps":7.173,"thr_ul_mbps":10.77,"mean_dl_sinr_db":24.5,"bearers_rejected":12,'
                 b'"bearers_preempted":2}',
    "BZE-CTR-3": b'{"cell":"BZE-CTR-3","ts":1764566400.0,"connected_ues":12,"prb_util_dl":0.0,"prb_util_ul":0.831,'
                 b'"thr_dl_mbps":0.0,"thr_ul_mbps":6.15,"mean_dl_sinr_db":13.5,"bearers_rejected":6,'
                 b'"bearers_preempted":4}',
    "HWY-22-2": b'{"cell":"HWY-22-2","ts":1764566400.0,"connected_ues":1,"prb_util_dl":1.0,"prb_util_ul":0.0,'
                b'"thr_dl_mbps":0.0,"thr_ul_mbps":0.0,"mean_dl_sinr_db":-13.0,"bearers_rejected":1,'
                b'"bearers_preempted":0}',
}

EXPECTED = {
    "BZE-CTR-1": CellKpi("BZE-CTR-1", 1764566400.0, 21, 1.0, 0.883, 7.173, 10.77, 24.5, 12, 2),
    "BZE-CTR-3": CellKpi("BZE-CTR-3", 1764566400.0, 12, 0.0, 0.831, 0.0, 6.15, 13.5, 6, 4),
    "HWY-22-2": CellKpi("HWY-22-2", 1764566400.0, 1, 1.0, 0.0, 0.0, 0.0, -13.0, 1, 0),
}


@pytest.mark.parametrize("cell", sorted(SAMPLES))
def test_simulator_samples_are_accepted(cell: str) -> None:
    result = decode(cell, SAMPLES[cell], CTX)
    assert result == EXPECTED[cell]
    assert isinstance(result, CellKpi) and result.source == "net"
    assert type(result.connected_ues) is int and type(result.bearers_preempted) is int


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("cell", "BZE-CTR-2", Reason.BAD_FIELD),
        ("cell", "bze-ctr-1", Reason.BAD_FIELD),
        ("cell", 1, Reason.BAD_FIELD),
        ("cell", DELETE, Reason.MISSING_FIELD),
        ("ts", DELETE, Reason.MISSING_FIELD),
        ("ts", "yesterday", Reason.BAD_FIELD),
        ("ts", "2025-12-01T05:20:00", Reason.BAD_FIELD),
        ("ts", 1764566500.0, Reason.FUTURE_TIMESTAMP),
        ("ts", 1700000000, Reason.STALE_TIMESTAMP),
        ("connected_ues", 3.5, Reason.BAD_FIELD),
        ("connected_ues", True, Reason.BAD_FIELD),
        ("connected_ues", "21", Reason.BAD_FIELD),
        ("connected_ues", -1, Reason.OUT_OF_RANGE),
        ("connected_ues", None, Reason.MISSING_FIELD),
        ("bearers_rejected", 0.5, Reason.BAD_FIELD),
        ("bearers_rejected", -3, Reason.OUT_OF_RANGE),
        ("bearers_rejected", 1_000_001, Reason.OUT_OF_RANGE),
        ("bearers_preempted", False, Reason.BAD_FIELD),
        ("bearers_preempted", DELETE, Reason.MISSING_FIELD),
        ("prb_util_dl", 1.01, Reason.OUT_OF_RANGE),
        ("prb_util_dl", 88, Reason.OUT_OF_RANGE),
        ("prb_util_dl", "0.4", Reason.BAD_FIELD),
        ("prb_util_ul", -0.001, Reason.OUT_OF_RANGE),
        ("prb_util_ul", DELETE, Reason.MISSING_FIELD),
        ("thr_dl_mbps", 10000.5, Reason.OUT_OF_RANGE),
        ("thr_dl_mbps", [7.1], Reason.BAD_FIELD),
        ("thr_ul_mbps", -1, Reason.OUT_OF_RANGE),
        ("thr_ul_mbps", None, Reason.MISSING_FIELD),
        ("mean_dl_sinr_db", 60.5, Reason.OUT_OF_RANGE),
        ("mean_dl_sinr_db", -31, Reason.OUT_OF_RANGE),
        ("mean_dl_sinr_db", "good", Reason.BAD_FIELD),
        ("mean_dl_sinr_db", {"db": 3}, Reason.BAD_FIELD),
    ],
)
def test_near_valid_mutations_are_refused(field: str, value: object, reason: Reason) -> None:
    result = decode("BZE-CTR-1", mutated(SAMPLES["BZE-CTR-1"], field, value), CTX)
    assert isinstance(result, Rejection), result
    assert result.reason is reason
    assert result.detail and result.who is None


@pytest.mark.parametrize(
    ("field", "value", "attribute"),
    [
        ("prb_util_dl", 0, 0.0),
        ("prb_util_ul", 1, 1.0),
        ("thr_dl_mbps", 10000, 10000.0),
        ("mean_dl_sinr_db", -30, -30.0),
        ("mean_dl_sinr_db", 60, 60.0),
        ("mean_dl_sinr_db", None, None),
        ("mean_dl_sinr_db", DELETE, None),
        ("connected_ues", 21.0, 21),
        ("bearers_rejected", 0, 0),
        ("bearers_preempted", 1_000_000, 1_000_000),
        ("ts", "2025-12-01T05:20:00Z", 1764566400.0),
        ("vendor", "ericsson", None),  # unknown fields are ignored
    ],
)
def test_edges_and_optional_fields_are_accepted(field: str, value: object, attribute: object) -> None:
    result = decode("BZE-CTR-1", mutated(SAMPLES["BZE-CTR-1"], field, value), CTX)
    assert isinstance(result, CellKpi), result
    if hasattr(result, field):
        assert getattr(result, field) == attribute


def test_cell_mismatch_names_both_cells() -> None:
    result = decode("BZE-PMD-1", SAMPLES["BZE-CTR-1"], CTX)
    assert isinstance(result, Rejection) and result.reason is Reason.BAD_FIELD
    assert "BZE-CTR-1" in result.detail and "BZE-PMD-1" in result.detail


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b'{"cell":"BZE-CTR-1",', Reason.MALFORMED_JSON),
        (b'[{"cell":"BZE-CTR-1"}]', Reason.NOT_AN_OBJECT),
        (SAMPLES["BZE-CTR-1"][:-1] + b',"pad":"' + b"x" * 5000 + b'"}', Reason.OVERSIZED),
    ],
)
def test_bad_documents_are_refused(payload: bytes, reason: Reason) -> None:
    result = decode("BZE-CTR-1", payload, CTX)
    assert isinstance(result, Rejection) and result.reason is reason


# What replacing one field with any JSON value may be refused for (an unknown field is never refused).
REFUSALS = {
    "cell": {Reason.MISSING_FIELD, Reason.BAD_FIELD},
    "ts": {Reason.MISSING_FIELD, Reason.BAD_FIELD, Reason.FUTURE_TIMESTAMP, Reason.STALE_TIMESTAMP},
    "connected_ues": {Reason.MISSING_FIELD, Reason.BAD_FIELD, Reason.OUT_OF_RANGE},
    "prb_util_dl": {Reason.MISSING_FIELD, Reason.BAD_FIELD, Reason.OUT_OF_RANGE},
    "prb_util_ul": {Reason.MISSING_FIELD, Reason.BAD_FIELD, Reason.OUT_OF_RANGE},
    "thr_dl_mbps": {Reason.MISSING_FIELD, Reason.BAD_FIELD, Reason.OUT_OF_RANGE},
    "thr_ul_mbps": {Reason.MISSING_FIELD, Reason.BAD_FIELD, Reason.OUT_OF_RANGE},
    "mean_dl_sinr_db": {Reason.BAD_FIELD, Reason.OUT_OF_RANGE},
    "bearers_rejected": {Reason.MISSING_FIELD, Reason.BAD_FIELD, Reason.OUT_OF_RANGE},
    "bearers_preempted": {Reason.MISSING_FIELD, Reason.BAD_FIELD, Reason.OUT_OF_RANGE},
    "vendor": set(),
}

scalars = (
    st.none() | st.booleans() | st.integers(-5, 100) | st.integers()
    | st.floats(-1.5, 1.5) | st.floats(-100.0, 20_000.0) | st.floats(NOW - 8 * 86400, NOW + 100)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["BZE-CTR-1", "BZE-CTR-3", "2025-12-01T05:19:00Z", "2025-12-01T05:19:00"])
    | st.text(max_size=12)
)
json_values = scalars | st.lists(scalars, max_size=3) | st.dictionaries(st.text(max_size=6), scalars, max_size=3)


@settings(max_examples=500)
@given(st.sampled_from(sorted(SAMPLES)), st.sampled_from(sorted(REFUSALS)), json_values)
def test_one_field_replaced_by_any_json_value(cell: str, field: str, value: object) -> None:
    result = decode(cell, mutated(SAMPLES[cell], field, value), CTX)
    if isinstance(result, Rejection):
        assert result.reason in REFUSALS[field], (field, value, result)
        return
    assert isinstance(result, CellKpi)
    assert result.cell == cell
    assert CTX.now - CTX.max_age_s <= result.ts <= CTX.now + CTX.max_future_s
    assert 0 <= result.prb_util_dl <= 1 and 0 <= result.prb_util_ul <= 1
    assert 0 <= result.thr_dl_mbps <= 10_000 and 0 <= result.thr_ul_mbps <= 10_000
    assert result.mean_dl_sinr_db is None or -30 <= result.mean_dl_sinr_db <= 60
    for count in (result.connected_ues, result.bearers_rejected, result.bearers_preempted):
        assert type(count) is int and 0 <= count <= 1_000_000
    for name in REFUSALS.keys() - {"vendor"}:  # the replaced field has its new value, every other the sample's
        if name != field:
            assert getattr(result, name) == getattr(EXPECTED[cell], name)
        elif isinstance(value, int | float):
            assert getattr(result, name) == value and math.isfinite(value)

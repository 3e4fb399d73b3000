"""The link report decoder (psn/v1/net/ue/{agency}/{unit}/link): literal samples, near-valid mutations, fuzz."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telemetry import LinkReport, Reason, Rejection, UnitRef, decode
from tests.decoding import context
from tests.near_valid import DELETE, mutated

NOW = 1_764_566_405.0
CTX = context(NOW)

# Payloads as the contract writes them (docs/protocol.md): a unit served with an uplift, one at the cell edge,
# one out of coverage (cell null, no RSRP or SINR, rates 0), keyed by topic.
SAMPLES = {
    "psn/v1/net/ue/police/P-101/link":
        b'{"agency":"police","unit":"P-101","ts":1764566400.0,"cell":"BZE-PMD-1","rsrp_dbm":-97.5,"sinr_db":12.3,'
        b'"ul_mbps":1.08,"dl_mbps":0.2,"arp":1,"uplifted":true}',
    "psn/v1/net/ue/ems/AMB-3/link":
        b'{"agency":"ems","unit":"AMB-3","ts":1764566400.0,"cell":"HWY-22-2","rsrp_dbm":-121.0,"sinr_db":-4.5,'
        b'"ul_mbps":0.05,"dl_mbps":0.3,"arp":9,"uplifted":false}',
    "psn/v1/net/ue/bdf/R-7/link":
        b'{"agency":"bdf","unit":"R-7","ts":1764566399.5,"cell":null,"rsrp_dbm":null,"sinr_db":null,'
        b'"ul_mbps":0,"dl_mbps":0,"arp":null,"uplifted":false}',
}
EXPECTED = {
    "psn/v1/net/ue/police/P-101/link":
        LinkReport(UnitRef("police", "P-101"), 1764566400.0, "BZE-PMD-1", -97.5, 12.3, 1.08, 0.2, 1, True),
    "psn/v1/net/ue/ems/AMB-3/link":
        LinkReport(UnitRef("ems", "AMB-3"), 1764566400.0, "HWY-22-2", -121.0, -4.5, 0.05, 0.3, 9, False),
    "psn/v1/net/ue/bdf/R-7/link":
        LinkReport(UnitRef("bdf", "R-7"), 1764566399.5, None, None, None, 0.0, 0.0, None, False),
}
TOPIC = "psn/v1/net/ue/police/P-101/link"
WHO = UnitRef("police", "P-101")


@pytest.mark.parametrize("topic", sorted(SAMPLES))
def test_samples_are_accepted(topic: str) -> None:
    result = decode(topic, SAMPLES[topic], CTX)
    assert result == EXPECTED[topic]
    assert isinstance(result, LinkReport) and result.source == "net"
    assert result.arp is None or type(result.arp) is int


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("agency", "fire", Reason.BAD_FIELD),
        ("agency", DELETE, Reason.MISSING_FIELD),
        ("unit", "P-102", Reason.BAD_FIELD),
        ("unit", 101, Reason.BAD_FIELD),
        ("unit", None, Reason.MISSING_FIELD),
        ("ts", DELETE, Reason.MISSING_FIELD),
        ("ts", 1764566500.0, Reason.FUTURE_TIMESTAMP),
        ("ts", 1700000000, Reason.STALE_TIMESTAMP),
        ("cell", DELETE, Reason.MISSING_FIELD),
        ("cell", "BZE PMD 1", Reason.BAD_FIELD),
        ("cell", 7, Reason.BAD_FIELD),
        ("cell", "", Reason.BAD_FIELD),
        ("rsrp_dbm", -156.5, Reason.OUT_OF_RANGE),
        ("rsrp_dbm", -29, Reason.OUT_OF_RANGE),
        ("rsrp_dbm", "-97", Reason.BAD_FIELD),
        ("sinr_db", 60.1, Reason.OUT_OF_RANGE),
        ("sinr_db", -30.5, Reason.OUT_OF_RANGE),
        ("ul_mbps", -0.1, Reason.OUT_OF_RANGE),
        ("ul_mbps", 10000.5, Reason.OUT_OF_RANGE),
        ("ul_mbps", DELETE, Reason.MISSING_FIELD),
        ("dl_mbps", None, Reason.MISSING_FIELD),
        ("dl_mbps", True, Reason.BAD_FIELD),
        ("arp", 0, Reason.OUT_OF_RANGE),
        ("arp", 16, Reason.OUT_OF_RANGE),
        ("arp", 1.5, Reason.BAD_FIELD),
        ("arp", "1", Reason.BAD_FIELD),
        ("uplifted", 1, Reason.BAD_FIELD),
        ("uplifted", "true", Reason.BAD_FIELD),
    ],
)
def test_near_valid_mutations_are_refused(field: str, value: object, reason: Reason) -> None:
    result = decode(TOPIC, mutated(SAMPLES[TOPIC], field, value), CTX)
    assert isinstance(result, Rejection), result
    assert result.reason is reason and result.detail and result.who == WHO


@pytest.mark.parametrize(
    ("field", "value", "attribute"),
    [
        ("rsrp_dbm", -156, -156.0), ("rsrp_dbm", -30, -30.0), ("rsrp_dbm", None, None), ("rsrp_dbm", DELETE, None),
        ("sinr_db", -30, -30.0), ("sinr_db", 60, 60.0), ("ul_mbps", 10000, 10000.0), ("dl_mbps", 0, 0.0),
        ("arp", 15, 15), ("arp", 1.0, 1), ("arp", DELETE, None), ("uplifted", DELETE, False),
        ("uplifted", None, False), ("cell", None, None), ("ts", "2025-12-01T05:20:00Z", 1764566400.0),
        ("vendor", "nokia", None),
    ],
)
def test_edges_and_optional_fields_are_accepted(field: str, value: object, attribute: object) -> None:
    result = decode(TOPIC, mutated(SAMPLES[TOPIC], field, value), CTX)
    assert isinstance(result, LinkReport), result
    if hasattr(result, field):
        assert getattr(result, field) == attribute


def test_an_unknown_agency_is_refused_by_its_topic() -> None:
    payload = mutated(SAMPLES[TOPIC], "agency", "coastguard")
    result = decode("psn/v1/net/ue/coastguard/P-101/link", payload, CTX)
    assert isinstance(result, Rejection) and result.reason is Reason.UNKNOWN_AGENCY
    assert result.who == UnitRef("coastguard", "P-101") and "coastguard" in result.detail


def test_a_mismatch_names_both_units() -> None:
    result = decode("psn/v1/net/ue/police/P-102/link", SAMPLES[TOPIC], CTX)
    assert isinstance(result, Rejection) and result.reason is Reason.BAD_FIELD
    assert "P-101" in result.detail and "P-102" in result.detail


REFUSALS = {
    "agency": {Reason.MISSING_FIELD, Reason.BAD_FIELD},
    "unit": {Reason.MISSING_FIELD, Reason.BAD_FIELD},
    "ts": {Reason.MISSING_FIELD, Reason.BAD_FIELD, Reason.FUTURE_TIMESTAMP, Reason.STALE_TIMESTAMP},
    "cell": {Reason.MISSING_FIELD, Reason.BAD_FIELD},
    "rsrp_dbm": {Reason.BAD_FIELD, Reason.OUT_OF_RANGE},
    "sinr_db": {Reason.BAD_FIELD, Reason.OUT_OF_RANGE},
    "ul_mbps": {Reason.MISSING_FIELD, Reason.BAD_FIELD, Reason.OUT_OF_RANGE},
    "dl_mbps": {Reason.MISSING_FIELD, Reason.BAD_FIELD, Reason.OUT_OF_RANGE},
    "arp": {Reason.BAD_FIELD, Reason.OUT_OF_RANGE},
    "uplifted": {Reason.BAD_FIELD},
    "vendor": set(),
}
# The range of each ranged field, written out from the contract (docs/protocol.md).
RANGES = {"rsrp_dbm": (-156, -30), "sinr_db": (-30, 60), "ul_mbps": (0, 10_000), "dl_mbps": (0, 10_000),
          "arp": (1, 15)}

scalars = (
    st.none() | st.booleans() | st.integers(-200, 100) | st.integers()
    | st.floats(-200.0, 20_000.0) | st.floats(NOW - 8 * 86400, NOW + 100)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["police", "P-101", "BZE-PMD-1", "2025-12-01T05:19:00Z", "a b"]) | st.text(max_size=12)
)
json_values = scalars | st.lists(scalars, max_size=3) | st.dictionaries(st.text(max_size=6), scalars, max_size=3)


@settings(max_examples=500)
@given(st.sampled_from(sorted(SAMPLES)), st.sampled_from(sorted(REFUSALS)), json_values)
def test_one_field_replaced_by_any_json_value(topic: str, field: str, value: object) -> None:
    result = decode(topic, mutated(SAMPLES[topic], field, value), CTX)
    expected = EXPECTED[topic]
    if isinstance(result, Rejection):
        assert result.reason in REFUSALS[field], (field, value, result)
        assert result.who == expected.who
        return
    assert isinstance(result, LinkReport) and result.who == expected.who
    assert CTX.now - CTX.max_age_s <= result.ts <= CTX.now + CTX.max_future_s
    for name, (low, high) in RANGES.items():
        kept = getattr(result, name)
        assert kept is None or low <= kept <= high, (name, kept)
    assert result.arp is None or type(result.arp) is int
    assert type(result.uplifted) is bool
    for name in ("ts", "cell", *RANGES, "uplifted"):  # the replaced field has its new value, every other the sample's
        if name != field:
            assert getattr(result, name) == getattr(expected, name)
        elif name in RANGES and isinstance(value, int | float) and not isinstance(value, bool):
            assert getattr(result, name) == value and math.isfinite(value)

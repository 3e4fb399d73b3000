"""The equipment's doors: psn's policy document, fault commands and the fault schedule file.

Valid documents are generated with the values they must yield; broken ones must be refused with a reason and
leave what the equipment had in force."""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from simulator.equipment import Equipment
from simulator.netpolicy import (
    Fault,
    NetDocumentError,
    Policy,
    Profile,
    UnitPolicy,
    load_fault_schedule,
    parse_fault,
    parse_policy,
)
from simulator.plan import parse_plan
from telemetry.topics import NET_FAULT_TOPIC, NET_POLICY_TOPIC

PLAN = parse_plan({"name": "two sites", "sites": [{"id": "A", "lon": -88.5, "lat": 17.2},
                                                   {"id": "B", "lon": -88.4, "lat": 17.3}]})
FAULT_SCHEMA = Draft202012Validator(json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "schemas" / "net-fault.json").read_text()))
POLICY_SCHEMA = Draft202012Validator(json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "schemas" / "net-policy.json").read_text()))
QCIS = (1, 2, 5, 8, 9, 65, 66, 67, 69, 70)
NAMES = st.text("abcdefgh-/0123456789", min_size=1, max_size=12)


def test_the_contract_example_policy() -> None:
    doc = {"ts": 1764612345.0, "seq": 17,
           "agencies": {"police": {"qci": 69, "video_qci": 67, "voice_qci": 65, "arp": 6, "pci": False, "pvi": True}},
           "default": {"qci": 70, "video_qci": 67, "voice_qci": 65, "arp": 9, "pci": False, "pvi": True},
           "units": {"police/P-101": {"video_ul_mbps": 1.08},
                     "police/P-102": {"uplift": "UP-3", "until": 1764613245.0, "arp": 1, "pci": True, "pvi": False}}}
    got = parse_policy(doc)
    assert got == Policy(1764612345.0, 17, {"police": Profile(69, 67, 65, 6, False, True)},
                         Profile(70, 67, 65, 9, False, True),
                         {"police/P-101": UnitPolicy(1.08), "police/P-102": UnitPolicy(None, "UP-3", 1764613245.0)})
    assert got.profile("nemo") == Profile(70, 67, 65, 9, False, True)
    assert got.uplifted("police/P-102", 1764613244.9) and not got.uplifted("police/P-102", 1764613245.0)
    assert not got.uplifted("police/P-101", 0.0)


profiles = st.tuples(st.sampled_from(QCIS), st.sampled_from(QCIS), st.sampled_from(QCIS), st.integers(1, 15),
                     st.booleans(), st.booleans())
units = st.one_of(st.tuples(st.floats(0.001, 100), st.none(), st.none()),
                  st.tuples(st.none() | st.floats(0.001, 100), NAMES, st.floats(0, 1e10)))


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(agencies=st.dictionaries(NAMES, profiles, max_size=4), unit_rows=st.dictionaries(NAMES, units, max_size=4),
       seq=st.integers(0, 10**9))
def test_a_generated_policy_is_taken_as_written(agencies, unit_rows, seq) -> None:
    keys = ("qci", "video_qci", "voice_qci", "arp", "pci", "pvi")
    doc = {"ts": 5.0, "seq": seq, "agencies": {a: dict(zip(keys, p, strict=True)) for a, p in agencies.items()},
           "units": {u: {k: v for k, v in zip(("video_ul_mbps", "uplift", "until"), row, strict=True)
                         if v is not None} for u, row in unit_rows.items()}}
    eq = Equipment(PLAN, np.random.default_rng(0))
    assert eq.receive(NET_POLICY_TOPIC, json.dumps(doc).encode(), 0.0) is None
    assert eq.policy == Policy(5.0, seq, {a: Profile(*p) for a, p in agencies.items()}, Profile(),
                               {u: UnitPolicy(*row) for u, row in unit_rows.items()})


BROKEN_POLICIES = [
    (b"{", "JSON"),
    (b"[]", "expected an object"),
    (b'{"agencies": {"police": {"qci": 3}}}', "known QCI"),
    (b'{"agencies": {"police": {"arp": 16}}}', "outside 1..15"),
    (b'{"agencies": {"police": {"arp": 2.5}}}', "whole number"),
    (b'{"agencies": {"police": {"pci": "yes"}}}', "true or false"),
    (b'{"units": {"police/P-1": {"video_ul_mbps": -1}}}', "outside"),
    (b'{"units": {"police/P-1": {"uplift": "UP-1"}}}', "'until' is required"),
    (b'{"units": {"police/P-1": {"uplift": 7, "until": 5}}}', "uplift's id"),
    (b'{"units": []}', "expected an object"),
    (b'\xff\xfe', ""),
    (b"[" * 100_000, "nested too deeply"),
]


@pytest.mark.parametrize(("payload", "reason"), BROKEN_POLICIES)
def test_a_broken_policy_is_refused_and_the_one_in_force_stays(payload: bytes, reason: str) -> None:
    eq = Equipment(PLAN, np.random.default_rng(0))
    good = {"ts": 1.0, "seq": 1, "units": {"police/P-1": {"video_ul_mbps": 1.08}}}
    assert eq.receive(NET_POLICY_TOPIC, json.dumps(good).encode(), 0.0) is None
    why = eq.receive(NET_POLICY_TOPIC, payload, 0.0)
    assert why is not None and reason in why
    assert eq.policy.units == {"police/P-1": UnitPolicy(1.08)}


@pytest.mark.parametrize("rate", [100.5, 216.0, 10_000.0])
def test_every_video_rate_the_schema_allows_is_taken(rate: float) -> None:
    """psn asks a unit's live video rate up to 10,000 Mbit/s (its setting and docs/schemas/net-policy.json): a high
    rate must not cost the equipment the whole document, the other units' uplifts with it."""
    profile = {"qci": 70, "video_qci": 67, "voice_qci": 65, "arp": 9, "pci": False, "pvi": True}
    doc = {"ts": 5.0, "seq": 1, "agencies": {}, "default": profile,
           "units": {"police/P-1": {"video_ul_mbps": rate},
                     "police/P-2": {"uplift": "UP-1", "until": 100.0, "arp": 1, "pci": True, "pvi": False}}}
    POLICY_SCHEMA.validate(doc)
    eq = Equipment(PLAN, np.random.default_rng(0))
    assert eq.receive(NET_POLICY_TOPIC, json.dumps(doc).encode(), 0.0) is None
    assert eq.policy.units == {"police/P-1": UnitPolicy(rate), "police/P-2": UnitPolicy(None, "UP-1", 100.0)}


def test_a_fault_command_nested_too_deeply_is_refused() -> None:
    eq = Equipment(PLAN, np.random.default_rng(0))
    why = eq.receive(NET_FAULT_TOPIC, b"[" * 100_000, 0.0)
    assert why is not None and "nested too deeply" in why


def test_an_empty_retained_policy_means_back_to_defaults() -> None:
    eq = Equipment(PLAN, np.random.default_rng(0))
    assert eq.receive(NET_POLICY_TOPIC, b'{"units": {"police/P-1": {"video_ul_mbps": 1}}}', 0.0) is None
    assert eq.receive(NET_POLICY_TOPIC, b"", 0.0) is None
    assert eq.policy == Policy()


faults = st.one_of(
    st.tuples(st.just("cell_down"), st.sampled_from(["A-1", "A-2", "A-3", "B-1", "B-2", "B-3"]), st.none()),
    st.tuples(st.just("site_down"), st.sampled_from(["A", "B"]), st.none()),
    st.tuples(st.just("backhaul"), st.sampled_from(["A", "B-2"]), st.floats(0, 1)),
)


@settings(max_examples=100)
@given(injected=st.lists(faults, max_size=5), payload=st.binary(max_size=60) | st.from_regex(r'\{"fault": ?"\w+"'))
def test_fault_commands_take_effect_and_garbage_changes_nothing(injected, payload) -> None:
    eq = Equipment(PLAN, np.random.default_rng(0))
    expected: dict[tuple[str, str], str] = {}
    for kind, target, capacity in injected:
        doc = {"fault": kind, "target": target, "action": "inject"} | ({"capacity": capacity} if capacity is not None
                                                                        else {})
        FAULT_SCHEMA.validate(doc)  # what the equipment takes, docs/schemas/net-fault.json describes
        assert eq.receive(NET_FAULT_TOPIC, json.dumps(doc).encode(), 0.0) is None
        expected[(kind, target)] = f"{kind} {target}" + (f" x{capacity:g}" if capacity is not None else "")
    raw = payload if isinstance(payload, bytes) else payload.encode()
    assert eq.receive(NET_FAULT_TOPIC, raw, 0.0) is not None
    period = eq.step(1.0)
    assert period.faults == tuple(expected.values())
    down = {f"{t}-{k}" for kind, t, _ in injected if kind == "site_down" for k in (1, 2, 3)}
    down |= {t for kind, t, _ in injected if kind == "cell_down"}
    assert {k["cell"] for k in period.kpis} == {"A-1", "A-2", "A-3", "B-1", "B-2", "B-3"} - down


@pytest.mark.parametrize(("doc", "reason"), [
    ({"fault": "flood", "target": "A-1"}, "must be one of"),
    ({"fault": "cell_down"}, "'target'"),
    ({"fault": "cell_down", "target": "A-1", "action": "repair"}, "inject or clear"),
    ({"fault": "backhaul", "target": "A-1", "action": "inject"}, "'capacity' is required"),
    ({"fault": "backhaul", "target": "A-1", "capacity": 1.5}, "outside 0..1"),
    ({"fault": "cell_down", "target": "A-1", "duration_s": 0}, "outside"),
])
def test_a_broken_fault_says_why(doc: dict, reason: str) -> None:
    with pytest.raises(NetDocumentError, match=reason):
        parse_fault(doc)
    assert not FAULT_SCHEMA.is_valid(doc)  # and the schema refuses it too


def test_the_fault_schedule_file(tmp_path) -> None:
    path = tmp_path / "faults.json"
    path.write_text(json.dumps([
        {"at_s": 120, "fault": "backhaul", "target": "A", "action": "inject", "capacity": 0.3},
        {"at_s": 60, "fault": "cell_down", "target": "A-1", "action": "inject", "duration_s": 300},
    ]))
    assert load_fault_schedule(path) == [(60.0, Fault("cell_down", "A-1", True, 300.0)),
                                         (120.0, Fault("backhaul", "A", True, None, 0.3))]
    path.write_text('[{"fault": "cell_down", "target": "A-1"}]')
    with pytest.raises(NetDocumentError, match=r"faults\[0\]: 'at_s' is required"):
        load_fault_schedule(path)
    with pytest.raises(NetDocumentError, match="cannot read"):
        load_fault_schedule(tmp_path / "missing.json")
    with pytest.raises(NetDocumentError, match="no cell 'Z-1'"):
        Equipment(PLAN, np.random.default_rng(0), faults=[(1.0, Fault("cell_down", "Z-1", True))])


@settings(max_examples=150)
@given(st.lists(st.tuples(st.sampled_from([NET_FAULT_TOPIC, NET_POLICY_TOPIC, "psn/v1/police/P-1/telemetry",
                                           "owntracks/alice/phone", "psn/v1/net/cell/A-1/kpi"]),
                          st.binary(max_size=80) | st.just(b"{}") | st.just(b'{"ts": 1, "lat": 17.2}')),
                max_size=8))
def test_garbage_on_every_door_is_refused_and_attaches_or_breaks_nothing(messages) -> None:
    eq = Equipment(PLAN, np.random.default_rng(0))
    for topic, payload in messages:
        why = eq.receive(topic, payload, 100.0)
        # a policy document may be as empty as {} (every default); nothing else here is acceptable
        assert why is not None or topic in (NET_POLICY_TOPIC, "psn/v1/net/cell/A-1/kpi")
    period = eq.step(100.0)
    assert period.links == [] and period.faults == () and len(period.kpis) == 6

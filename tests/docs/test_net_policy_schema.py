"""docs/schemas/net-policy.json against what psn sends: every policy document `policy_document` builds from
profiles the checks accept validates, and documents that break a documented rule do not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from netmgmt.qos import Profile, Profiles, QosError, Uplift, check_profiles, policy_document, unit_video_ul_mbps

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "schemas" / "net-policy.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA)
AGENCIES = ("fire", "police")
T = 1_764_612_345.0

profiles = st.builds(Profile, st.sampled_from([65, 69, 70, 71]), st.sampled_from([65, 66, 67, 70]),
                     st.sampled_from([65, 66, 67]), st.integers(0, 16), st.booleans(), st.booleans())
units = st.sampled_from(["police/P-1", "police/P-2", "fire/E-1"])
uplifts = st.lists(st.builds(lambda n, us, length: Uplift(n, tuple(us), None, "r", "a", T - 10, T + length),
                             st.integers(1, 10**6), st.lists(units, min_size=1, max_size=3, unique=True),
                             st.floats(-100, 43200)), max_size=4)


@given(st.dictionaries(st.sampled_from(AGENCIES), profiles, max_size=2), profiles,
       # Any rate the setting allows (0.001–100 Mbit/s a stream, docs/network.md) times any number of live streams.
       st.dictionaries(units, st.builds(unit_video_ul_mbps, st.floats(0.001, 100), st.integers(1, 10**5))),
       uplifts, st.integers(1, 10**6))
def test_every_document_psn_can_send_validates(agencies: dict[str, Profile], default: Profile,
                                               rates: dict[str, float], running: list[Uplift], seq: int) -> None:
    chosen = Profiles(agencies, default)
    try:
        check_profiles(chosen, AGENCIES)
    except QosError:
        return  # refused profiles never reach a document
    VALIDATOR.validate(json.loads(json.dumps(policy_document(T, seq, chosen, rates, running))))


GOOD: dict[str, Any] = {
    "ts": T, "seq": 3,
    "agencies": {"police": {"qci": 69, "video_qci": 67, "voice_qci": 65, "arp": 6, "pci": False, "pvi": True}},
    "default": {"qci": 70, "video_qci": 67, "voice_qci": 65, "arp": 9, "pci": False, "pvi": True},
    "units": {"police/P-2": {"uplift": "UP-3", "until": T + 60, "arp": 1, "pci": True, "pvi": False}},
}


@pytest.mark.parametrize("change", [
    lambda d: d["default"].update(arp=2),  # reserved for uplifts
    lambda d: d["default"].update(qci=67),  # a GBR QCI for the default bearer
    lambda d: d["agencies"]["police"].update(video_qci=71),
    lambda d: d["units"]["police/P-2"].pop("until"),  # an uplift must say when it ends
    lambda d: d["units"].update({"P-9": {"video_ul_mbps": 1.0}}),  # not agency/unit
    lambda d: d["units"].update({"police/P-9": {}}),  # an entry that says nothing
    lambda d: d["units"].update({"police/P-9": {"video_ul_mbps": 0}}),
    lambda d: d.pop("units"),
])
def test_broken_documents_are_refused(change: Any) -> None:
    document = json.loads(json.dumps(GOOD))
    assert VALIDATOR.is_valid(document)
    change(document)
    assert not VALIDATOR.is_valid(document)

"""The two QoS doors that take a body, fuzzed over real HTTP (psn on a real Mosquitto): what comes out is checked
against an oracle written out here from the documented rules, never from psn's code. An uplift: 201 with exactly
the units asked, or the 4xx the rules give, with a reason; profiles: 200 and read back as sent, or 422."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from psn.access import Role
from tests.psn.net.qos_support import bearer, known, qos_server, token
from tests.support import RunningServer

AGENCIES = ("bdf", "ems", "fire", "nemo", "police")  # the test server's (the settings' default)
PART = r"[A-Za-z0-9_.\-]{1,64}"  # a name part of the MQTT namespace (docs/protocol.md)
FIELDS = {"units", "incident", "reason", "duration_s"}
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    # Every accepted body stays in force (the clock stands still): room for all of them, the cap is tested apart.
    with qos_server(Path(tmp_path_factory.mktemp("qos-fuzz")), qos_max_uplifts=10_000) as (running, _clock, _broker):
        known(running, *KNOWN)
        yield running


KNOWN = [f"police/P-{i}" for i in range(1, 9)] + ["fire/E-1", "nemo/N-2", "bdf/B-3"]  # each sent a fix first
OWN = st.sampled_from(KNOWN[:8])  # the caller's own
OTHERS = st.sampled_from(KNOWN[8:])  # other agencies': no grant
UNKNOWN = st.sampled_from(["police/P-404", "police/p-1", "fire/E-404"])  # well formed, never heard of
units = st.one_of(
    OWN,
    OTHERS,
    UNKNOWN,
    st.sampled_from(["army/A-1", "Police/P-1"]),  # well formed, no such agency
    st.sampled_from(["P-1", "police/", "/P-1", "police/P 1", "a/b/c", "police/P-1\n", ""]),
    TEXT,
)
DURATIONS = st.one_of(st.sampled_from([59.99, 60, 1800, 43200, 43200.01, -1]), st.floats(-1e6, 1e6))
near_valid = st.fixed_dictionaries(
    {"units": st.one_of(st.lists(OWN, min_size=1, max_size=5, unique=True),
                        st.lists(st.one_of(OWN, OTHERS), min_size=1, max_size=4, unique=True),
                        st.lists(st.one_of(OWN, UNKNOWN), min_size=1, max_size=4, unique=True),
                        st.lists(units, max_size=4)),
     "reason": st.one_of(st.just("pursuit"), TEXT)},
    optional={"duration_s": DURATIONS},
)
wild = st.fixed_dictionaries({}, optional={
    "units": st.one_of(st.lists(units, max_size=6), st.none(), st.just("police/P-1"), st.integers()),
    "incident": st.one_of(st.none(), st.sampled_from(["INC-404", "bad name", ""])),
    "reason": st.one_of(st.sampled_from(["pursuit", "  ", "", "a" * 500, "a" * 501, "x\x00y"]), TEXT, st.none(),
                        st.integers()),
    "duration_s": st.one_of(DURATIONS, st.lists(st.integers(), max_size=1)),
    "priority": st.integers(),
})
uplift_bodies = st.one_of(near_valid, wild)


def uplift_expected(body: dict[str, Any]) -> int:
    """The status the documented rules give, checked in their documented order."""
    reason, duration = body.get("reason"), body.get("duration_s", 1800.0)
    asked, incident = body.get("units"), body.get("incident")
    shape = (not set(body) <= FIELDS or not isinstance(reason, str) or not 1 <= len(reason) <= 500
             or "\x00" in reason or not isinstance(duration, (int, float))
             or (asked is not None and not (isinstance(asked, list) and len(asked) <= 100 and all(
                 isinstance(u, str) and re.fullmatch(f"{PART}/{PART}", u) for u in asked)))
             or (incident is not None and not re.fullmatch(PART, incident)) or (asked is None) == (incident is None))
    if shape:
        return 422
    if incident is not None:
        return 404  # no incident exists on this server
    agencies = {u.split("/")[0] for u in asked}
    if (not asked or len(set(asked)) < len(asked) or not reason.strip() or not 60 <= duration <= 43200
            or not agencies <= set(AGENCIES)):
        return 422
    if agencies != {"police"}:
        return 403  # before whether the units exist: another agency's are not probed
    return 201 if set(asked) <= set(KNOWN) else 422


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=uplift_bodies)
def test_uplift_bodies(server: RunningServer, body: dict[str, Any]) -> None:
    answer = httpx.post(f"{server.base_url}/api/v1/net/uplifts", json=body,
                        headers=bearer(token(server, "police", Role.DISPATCHER)))
    expected = uplift_expected(body)
    event(f"status {expected}")
    assert answer.status_code == expected, (body, answer.text)
    if expected == 201:
        row = answer.json()
        assert row["units"] == body["units"] and row["state"] == "active"
        assert row["reason"] == body["reason"].strip()
        assert row["until"] - row["started"] == pytest.approx(float(body.get("duration_s", 1800.0)))
        assert server.server.qos.get(row["id"]) is not None
    else:
        assert isinstance(answer.json()["detail"], (str, list)) and answer.json()["detail"]


QCI_VALUES = st.sampled_from([0, 1, 2, 3, 6, 9, 15, 16, 64, 65, 66, 67, 68, 69, 70, 71])
near_profile = st.fixed_dictionaries({
    "qci": st.sampled_from([69, 70]), "video_qci": st.sampled_from([65, 66, 67]),
    "voice_qci": st.sampled_from([65, 66, 67]), "arp": st.integers(0, 16), "pci": st.booleans(), "pvi": st.booleans(),
})
profile = near_profile.flatmap(lambda p: st.fixed_dictionaries(
    {k: st.one_of(st.just(v), QCI_VALUES if k in ("qci", "video_qci", "voice_qci", "arp") else st.just(v))
     for k, v in p.items()}))
odd_profile = st.one_of(near_profile, profile, profile.map(lambda p: {**p, "arp": True}),
                        profile.map(lambda p: {**p, "x": 1}),
                        profile.map(lambda p: {k: v for k, v in p.items() if k != "pvi"}),
                        profile.map(lambda p: {**p, "pci": 1}))
profile_bodies = st.fixed_dictionaries({
    "agencies": st.one_of(st.dictionaries(st.sampled_from(["police", "fire", "nemo"]), near_profile, max_size=3),
                          st.dictionaries(st.sampled_from(["police", "fire", "nemo", "army", "bad name"]), odd_profile,
                                          max_size=3)),
    "default": odd_profile,
})


def profile_ok(p: dict[str, Any]) -> bool:
    """The documented rules: a non-GBR default bearer (69, 70), GBR video and voice (65–67), ARP 3–15."""
    return (set(p) == {"qci", "video_qci", "voice_qci", "arp", "pci", "pvi"}
            and all(type(p[k]) is int for k in ("qci", "video_qci", "voice_qci", "arp"))
            and all(type(p[k]) is bool for k in ("pci", "pvi"))
            and p["qci"] in (69, 70) and p["video_qci"] in (65, 66, 67) and p["voice_qci"] in (65, 66, 67)
            and 3 <= p["arp"] <= 15)


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=profile_bodies)
def test_profile_bodies(server: RunningServer, body: dict[str, Any]) -> None:
    url = f"{server.base_url}/api/v1/net/qos/profiles"
    admin = bearer(token(server, "police", Role.NETWORK_ADMIN))
    answer = httpx.put(url, json=body, headers=admin)
    valid = (set(body["agencies"]) <= set(AGENCIES) and profile_ok(body["default"])
             and all(profile_ok(p) for p in body["agencies"].values()))
    assert answer.status_code == (200 if valid else 422), (body, answer.text)
    event(f"valid {valid}")
    if valid:
        now = httpx.get(url, headers=admin).json()
        assert (now["agencies"], now["default"]) == (body["agencies"], body["default"])
    else:
        assert answer.json()["detail"]

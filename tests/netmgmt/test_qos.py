"""The pure QoS core: the policy document for hand-written inputs against a literal, profile and uplift checks
with their reasons, expiry and overlapping uplifts on hand-picked times."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netmgmt.qos import (
    NATIONAL_DEFAULT,
    Profile,
    Profiles,
    QosError,
    Uplift,
    check_profiles,
    check_uplift,
    due,
    ended,
    initial_profiles,
    policy_document,
    profile_problems,
    unit_video_ul_mbps,
    uplifted_units,
)

POLICE = Profile(qci=69, video_qci=67, voice_qci=65, arp=6, pci=False, pvi=True)
T = 1_764_612_345.0


def uplift(number: int, *units: str, started: float = T - 100, until: float = T + 900) -> Uplift:
    return Uplift(number, units, None, "shots fired", "police.dispatcher", started, until)


def test_policy_document_for_hand_written_inputs() -> None:
    profiles = Profiles({"police": POLICE}, NATIONAL_DEFAULT)
    uplifts = [
        uplift(3, "police/P-102", "fire/E-1", until=T + 900),
        uplift(4, "fire/E-1", until=T + 1800),  # E-1 is in two: the later end counts
        uplift(2, "police/P-200", until=T),  # its `until` has come: not in the document
        Uplift(5, ("police/P-300",), None, "x", "a", T - 50, T + 50, T - 10, "cancelled by a"),  # cancelled
    ]
    document = policy_document(T, 17, profiles, {"police/P-101": 1.08, "fire/E-1": 2.16}, uplifts)
    assert document == {
        "ts": 1764612345.0, "seq": 17,
        "agencies": {"police": {"qci": 69, "video_qci": 67, "voice_qci": 65, "arp": 6, "pci": False, "pvi": True}},
        "default": {"qci": 70, "video_qci": 67, "voice_qci": 65, "arp": 9, "pci": False, "pvi": True},
        "units": {
            "fire/E-1": {"video_ul_mbps": 2.16, "uplift": "UP-4", "until": 1764614145.0, "arp": 1, "pci": True,
                         "pvi": False},
            "police/P-101": {"video_ul_mbps": 1.08},
            "police/P-102": {"uplift": "UP-3", "until": 1764613245.0, "arp": 1, "pci": True, "pvi": False},
        },
    }


@pytest.mark.parametrize(("per_stream", "streams", "rate"), [
    (1.08, 1, 1.08), (1.08, 2, 2.16), (0.001, 1, 0.001), (0.3333, 3, 1.0), (100.0, 100, 10_000.0),
    (100.0, 101, 10_000.0), (100.0, 10_000, 10_000.0),
])
def test_a_units_video_rate_stays_within_the_policy_schema(per_stream: float, streams: int, rate: float) -> None:
    assert unit_video_ul_mbps(per_stream, streams) == rate


def test_nothing_in_force_is_profiles_only() -> None:
    document = policy_document(5.0, 1, Profiles({}, NATIONAL_DEFAULT), {}, [])
    assert document == {"ts": 5.0, "seq": 1, "agencies": {},
                        "default": {"qci": 70, "video_qci": 67, "voice_qci": 65, "arp": 9, "pci": False, "pvi": True},
                        "units": {}}


def test_initial_profiles_give_first_response_its_own() -> None:
    profiles = initial_profiles(("bdf", "ems", "fire", "nemo", "police"))
    assert sorted(profiles.agencies) == ["ems", "fire", "police"]
    assert profiles.of("police") == POLICE
    assert profiles.of("nemo") == NATIONAL_DEFAULT


@pytest.mark.parametrize(("profile", "reasons"), [
    (POLICE, []),
    (Profile(71, 67, 65, 6, False, True), ["p.qci: 71 is not a public-safety QCI (65, 66, 67, 69, 70)"]),
    (Profile(67, 67, 65, 6, False, True), ["p.qci: QCI 67 is GBR, this bearer needs non-GBR"]),
    (Profile(70, 70, 69, 6, False, True), ["p.video_qci: QCI 70 is non-GBR, this bearer needs GBR",
                                           "p.voice_qci: QCI 69 is non-GBR, this bearer needs GBR"]),
    (Profile(70, 67, 66, 2, True, False), ["p.arp: levels 1–2 are reserved for uplifts"]),
    (Profile(70, 67, 66, 16, True, False), ["p.arp: 16 is outside 1–15"]),
    (Profile(70, 67, 66, 0, True, False), ["p.arp: 0 is outside 1–15"]),
    (Profile(70, 67, 66, 15, True, True), []),
])
def test_profile_problems(profile: Profile, reasons: list[str]) -> None:
    assert profile_problems(profile, "p") == reasons


def test_check_profiles_names_unknown_agencies_and_every_bad_field() -> None:
    bad = Profiles({"army": POLICE, "police": Profile(70, 67, 65, 1, True, False)}, Profile(1, 67, 65, 9, False, True))
    with pytest.raises(QosError) as caught:
        check_profiles(bad, ("police", "fire"))
    assert str(caught.value) == ("agencies.army: no such agency (the agencies are fire, police); "
                                 "agencies.police.arp: levels 1–2 are reserved for uplifts; "
                                 "default.qci: 1 is not a public-safety QCI (65, 66, 67, 69, 70)")
    check_profiles(Profiles({"police": POLICE}, NATIONAL_DEFAULT), ("police",))


@pytest.mark.parametrize(("units", "reason", "duration", "message"), [
    ([], "r", 600.0, "units: no unit to uplift"),
    (["police/P-1", "police/P-1"], "r", 600.0, "units: named more than once: police/P-1"),
    (["P-1"], "r", 600.0, "units: not agency/unit: 'P-1'"),
    (["police/P-1"], "  ", 600.0, "reason: say why the units need priority"),
    (["police/P-1"], "r", 59.0, "duration_s: 59.0 is outside 60–43200 s"),
    (["police/P-1"], "r", 43201.0, "duration_s: 43201.0 is outside 60–43200 s"),
    (["police/P-1"], "r", math.nan, "duration_s: nan is outside 60–43200 s"),
    ([f"police/P-{i}" for i in range(101)], "r", 600.0,
     r"units: 101 units, at most 100 in one uplift \(ask for several\)"),
])
def test_check_uplift_refusals(units: list[str], reason: str, duration: float, message: str) -> None:
    with pytest.raises(QosError, match=f"^{message}$"):
        check_uplift(units, reason, duration)


def test_check_uplift_keeps_the_units_as_asked() -> None:
    assert check_uplift(["fire/E-1", "police/P-1"], "fire", 60.0) == ("fire/E-1", "police/P-1")
    assert check_uplift(["police/P-1"], "x", 43200.0) == ("police/P-1",)
    hundred = tuple(f"police/P-{i}" for i in range(100))
    assert check_uplift(hundred, "x", 600.0) == hundred


def test_a_deployment_may_lower_the_shortest_uplift() -> None:
    assert check_uplift(["police/P-1"], "drill", 5.0, min_duration_s=5.0) == ("police/P-1",)
    with pytest.raises(QosError, match=r"^duration_s: 4\.5 is outside 5–43200 s$"):
        check_uplift(["police/P-1"], "drill", 4.5, min_duration_s=5.0)


def test_expiry_at_until_and_states() -> None:
    first, second = uplift(1, "police/P-1", until=T + 10), uplift(2, "police/P-2", until=T + 20)
    assert due([first, second], T + 9.999) == []
    assert due([first, second], T + 10) == [ended(first, T + 10, "expired")]
    done = due([first, second], T + 30)
    assert [(u.id, u.ended, u.end_reason, u.state(T + 30)) for u in done] == [
        ("UP-1", T + 10, "expired", "expired"), ("UP-2", T + 20, "expired", "expired")]
    assert first.state(T) == "active" and first.state(T + 10) == "expired"  # due, not yet ended: still expired
    cancelled = ended(first, T + 5, "cancelled by police.dispatcher")
    assert cancelled.state(T + 6) == "cancelled" and not cancelled.active(T + 6)
    assert ended(cancelled, T + 10, "expired") == cancelled  # an ended uplift stays as it ended
    assert due([cancelled], T + 100) == []


def test_a_unit_in_overlapping_uplifts_stays_uplifted_until_the_last_ends() -> None:
    short, long = uplift(1, "police/P-1", until=T + 60), uplift(2, "police/P-1", "police/P-2", until=T + 600)
    assert {u: x.id for u, x in uplifted_units([short, long], T).items()} == {"police/P-1": "UP-2",
                                                                                "police/P-2": "UP-2"}
    cancelled = ended(long, T + 1, "cancelled by x")
    assert {u: x.id for u, x in uplifted_units([short, cancelled], T + 2).items()} == {"police/P-1": "UP-1"}
    assert uplifted_units([short, cancelled], T + 60) == {}
    tie = uplift(3, "police/P-1", until=T + 600)
    assert uplifted_units([tie, long], T)["police/P-1"].id == "UP-2"  # the earlier id on a tie


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(1, 50), st.booleans()), max_size=8),
       st.integers(-10, 60))
def test_uplifted_units_are_exactly_the_units_of_active_uplifts(specs: list[tuple[int, int, bool]],
                                                                 offset: int) -> None:
    """Oracle written out: a unit is uplifted at t iff some uplift naming it started by t, is not ended, and
    t < until; the one named ends last."""
    uplifts = [Uplift(n + 1, (f"police/P-{unit}",), None, "r", "a", T, T + length,
                      T if cancelled else None, "cancelled by a" if cancelled else None)
               for n, (unit, length, cancelled) in enumerate(specs)]
    now = T + offset
    expected: dict[str, float] = {}
    for unit, length, cancelled in specs:
        if not cancelled and 0 <= offset < length:
            expected[f"police/P-{unit}"] = max(expected.get(f"police/P-{unit}", 0.0), T + length)
    assert {u: x.until for u, x in uplifted_units(uplifts, now).items()} == expected

"""Recommendation: hand-ranked units with hand-written exclusion reasons, ETAs as an array and as a function,
the requirement table (default and configured), and bad calls refused."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from dispatch import (
    DEFAULT_REQUIREMENTS,
    Candidate,
    DispatchError,
    Incident,
    IncidentType,
    Reason,
    Requirement,
    UnitState,
    add_partner,
    close,
    create,
    parse_requirements,
    recommend,
)

T0 = 1_764_590_400.0
HERE = (17.25, -88.77)
S = UnitState


def medical(partners: tuple[str, ...] = ("fire",)) -> Incident:
    return create("INC-1", "ems.dispatch", T0, type="medical", priority=1, lat=17.25, lon=-88.77,
                  notes="Man collapsed at the market.", owner="ems", partners=partners)[0]


# (unit, agency, status, position, incident it is on, ETA in seconds from the caller's one search)
FLEET: list[tuple[str, str, UnitState, tuple[float, float] | None, str | None, float]] = [
    ("fire/F-1", "fire", S.AVAILABLE, HERE, None, 300.0),  # listed before E-2, ranked after it (same ETA)
    ("ems/E-1", "ems", S.AVAILABLE, HERE, None, 420.0),
    ("ems/E-2", "ems", S.AVAILABLE, HERE, None, 300.0),
    ("fire/F-2", "fire", S.AVAILABLE, HERE, None, math.inf),
    ("ems/E-3", "ems", S.OUT_OF_SERVICE, HERE, None, 10.0),
    ("ems/E-4", "ems", S.EN_ROUTE, HERE, "INC-9", 20.0),
    ("ems/E-5", "ems", S.ON_SCENE, HERE, "INC-1", 0.0),
    ("police/P-1", "police", S.AVAILABLE, HERE, None, 5.0),
    ("ems/E-6", "ems", S.AVAILABLE, None, None, 1.0),
    ("ems/E-7", "ems", S.AVAILABLE, HERE, None, math.nan),
    ("ems/E-8", "ems", S.AVAILABLE, HERE, None, 900.0),
    ("ems/E-9", "ems", S.AVAILABLE, HERE, None, 60.5),
    ("ems/E-10", "ems", S.DISPATCHED, HERE, None, 30.0),
    ("fire/F-3", "fire", S.AVAILABLE, HERE, None, -3.0),
]
UNITS = [Candidate(uid, agency, status, pos, incident=inc) for uid, agency, status, pos, inc, _ in FLEET]
ETAS = np.array([eta for *_, eta in FLEET])

# Worked out by hand from FLEET: medical needs ems or fire; both are on the incident.
TOP3 = [("ems/E-9", 60.5), ("ems/E-2", 300.0), ("fire/F-1", 300.0)]  # E-2 before F-1: same ETA, id order
EXCLUDED = [
    ("ems/E-10", "assigned_elsewhere", "dispatched on incident unknown"),
    ("ems/E-3", "out_of_service", "out of service"),
    ("ems/E-4", "assigned_elsewhere", "en_route on incident INC-9"),
    ("ems/E-5", "assigned_here", "on_scene on this incident"),
    ("ems/E-6", "no_position", "no position reported"),
    ("ems/E-7", "bad_eta", "ETA nan s is not a travel time"),
    ("fire/F-2", "unreachable", "no road path to the incident"),
    ("fire/F-3", "bad_eta", "ETA -3.0 s is not a travel time"),
    ("police/P-1", "wrong_agency", "medical needs ems, fire, not police"),
]


def shown(result: Any) -> tuple[list[tuple[str, float]], int, list[tuple[str, str, str]]]:
    return ([(r.unit.id, r.eta_s) for r in result.ranked], result.more,
            [(e.unit.id, e.reason.value, e.detail) for e in result.excluded])


def test_ranked_by_eta_with_every_exclusion_explained() -> None:
    assert shown(recommend(medical(), UNITS, ETAS, top=3)) == (TOP3, 2, EXCLUDED)


def test_all_that_fit_when_top_is_large() -> None:
    ranked, more, _ = shown(recommend(medical(), UNITS, ETAS, top=50))
    assert ranked == [*TOP3, ("ems/E-1", 420.0), ("ems/E-8", 900.0)] and more == 0


def test_an_agency_that_is_needed_but_not_on_the_incident() -> None:
    ranked, more, excluded = shown(recommend(medical(partners=()), UNITS, ETAS, top=3))
    assert ranked == [("ems/E-9", 60.5), ("ems/E-2", 300.0), ("ems/E-1", 420.0)] and more == 1
    assert ("fire/F-1", "wrong_agency", "fire is not on incident INC-1 (owner ems, partners none)") in excluded
    # Adding fire as a partner brings its units back.
    with_fire, _ = add_partner(medical(partners=()), "ems.dispatch", T0 + 1, "fire")
    assert shown(recommend(with_fire, UNITS, ETAS, top=3))[0] == TOP3


def test_the_eta_function_is_asked_only_about_units_that_fit() -> None:
    asked: list[str] = []
    by_id = {uid: eta for uid, *_, eta in FLEET}

    def eta(unit: Candidate) -> float:
        asked.append(unit.id)
        return by_id[unit.id]

    assert shown(recommend(medical(), UNITS, eta, top=3)) == (TOP3, 2, EXCLUDED)
    assert sorted(asked) == sorted(["ems/E-1", "ems/E-2", "fire/F-1", "fire/F-2", "ems/E-7", "ems/E-8", "ems/E-9",
                                    "fire/F-3"])


def test_a_list_of_etas_works_like_an_array() -> None:
    assert shown(recommend(medical(), UNITS, list(ETAS), top=3)) == (TOP3, 2, EXCLUDED)


def test_capabilities() -> None:
    table = {**DEFAULT_REQUIREMENTS,
             IncidentType.MEDICAL: Requirement(frozenset({"ems", "fire"}), frozenset({"als", "defib"}))}
    units = [Candidate("ems/E-1", "ems", S.AVAILABLE, HERE, frozenset({"als", "defib", "bls"})),
             Candidate("ems/E-2", "ems", S.AVAILABLE, HERE, frozenset({"als"})),
             Candidate("fire/F-1", "fire", S.AVAILABLE, HERE)]
    ranked, more, excluded = shown(recommend(medical(), units, [500.0, 100.0, 50.0], requirements=table))
    assert ranked == [("ems/E-1", 500.0)] and more == 0
    assert excluded == [("ems/E-2", "lacks_capability", "medical needs defib"),
                        ("fire/F-1", "lacks_capability", "medical needs als, defib")]


def test_no_units_no_recommendation() -> None:
    assert shown(recommend(medical(), [], [])) == ([], 0, [])


@pytest.mark.parametrize(("call", "reason"), [
    (lambda: recommend(close(medical(), "e", T0 + 1, "done")[0], UNITS, ETAS), Reason.INCIDENT_CLOSED),
    (lambda: recommend(medical(), UNITS, ETAS, top=0), Reason.BAD_ARGUMENT),
    (lambda: recommend(medical(), UNITS, ETAS[:-1]), Reason.BAD_ETAS),
    (lambda: recommend(medical(), UNITS, ETAS.reshape(2, -1)), Reason.BAD_ETAS),
    (lambda: recommend(medical(), [*UNITS, UNITS[0]], [*ETAS, 1.0]), Reason.BAD_ARGUMENT),
    (lambda: recommend(medical(), UNITS, ETAS, requirements={}), Reason.BAD_REQUIREMENTS),
])
def test_bad_calls(call: Any, reason: Reason) -> None:
    with pytest.raises(DispatchError) as refused:
        call()
    assert refused.value.reason is reason


# The default table, as docs/dispatch.md states it.
DEFAULT_BY_HAND = {
    "traffic_collision": {"police", "ems", "fire"},
    "assault": {"police"},
    "robbery": {"police"},
    "fire": {"fire"},
    "flood": {"nemo", "fire", "bdf"},
    "medical": {"ems", "fire"},
    "missing_person": {"police", "nemo"},
    "hurricane_shelter": {"nemo", "police", "bdf"},
    "other": {"police", "nemo", "fire", "ems", "bdf"},
}


def test_the_default_table() -> None:
    assert {t.value: set(r.agencies) for t, r in DEFAULT_REQUIREMENTS.items()} == DEFAULT_BY_HAND
    assert all(not r.capabilities for r in DEFAULT_REQUIREMENTS.values())


def configured(**changes: Any) -> dict[str, Any]:
    return {**{name: {"agencies": sorted(agencies)} for name, agencies in DEFAULT_BY_HAND.items()}, **changes}


def test_a_configured_table() -> None:
    table = parse_requirements(configured(fire={"agencies": ["fire", "bdf"], "capabilities": ["pump"]}))
    assert table[IncidentType.FIRE] == Requirement(frozenset({"fire", "bdf"}), frozenset({"pump"}))
    assert table[IncidentType.ASSAULT] == Requirement(frozenset({"police"}))


@pytest.mark.parametrize("raw", [
    configured(arson={"agencies": ["fire"]}),
    {k: v for k, v in configured().items() if k != "other"},
    configured(fire={"agencies": []}),
    configured(fire={"agencies": "fire"}),
    configured(fire={"agencies": ["fire", "fire"]}),
    configured(fire={"agencies": ["fire", ""]}),
    configured(fire={"agencies": ["fire"], "capabilities": [3]}),
    configured(fire={"agencies": ["fire"], "units": 3}),
    configured(fire=["fire"]),
])
def test_a_bad_configured_table_is_refused(raw: dict[str, Any]) -> None:
    with pytest.raises(DispatchError) as refused:
        parse_requirements(raw)
    assert refused.value.reason is Reason.BAD_REQUIREMENTS

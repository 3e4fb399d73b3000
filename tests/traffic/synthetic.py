"""A tiny road network with one finding of each kind of `psn roads check` at a known place and distance.

All on or near the central meridian of UTM 16N (87° W), where hand formulas are exact enough: a north-south
distance is k0 · M(φ) · Δφ and an east-west one off the meridian k0 · N(φ) · cos φ · Δλ, with WGS84's
a = 6378137 m, e² = 0.00669438, k0 = 0.9996, M = a(1 − e²)/(1 − e² sin²φ)^1.5 and N = a/(1 − e² sin²φ)^0.5.
"""

from __future__ import annotations

from traffic import Road

ROADS = [
    Road("Main", "trunk", [(-87.0, 17.0), (-87.0, 17.05), (-87.0, 17.1)]),
    # The same road goes on 0.0015° further north: a gap of k0 · M(17.10075°) · 0.0015° = 165.94 m.
    Road("Main", "trunk", [(-87.0, 17.1015), (-87.0, 17.12)]),
    # Joins both pieces of Main at their far ends, so the gap is 11 km by road.
    Road("Loop", "primary", [(-87.0, 17.12), (-86.98, 17.12), (-86.98, 17.025), (-86.98, 17.0), (-87.0, 17.0)]),
    # Ends 0.002° east of Main, in the middle of its segment (2.8 km from its vertices):
    # k0 · N(17.025°) · cos 17.025° · 0.002° = 212.86 m.
    Road("Spur", "primary", [(-86.998, 17.025), (-86.98, 17.025)]),
    # Two pieces of one road 0.0015° apart (159.64 m) that a bridge joins: no gap.
    Road("East Road", "primary", [(-86.98, 17.025), (-86.96, 17.025)]),
    Road("Creek Bridge", "primary", [(-86.96, 17.025), (-86.9585, 17.025)]),
    Road("East Road", "primary", [(-86.9585, 17.025), (-86.94, 17.025)]),
    # Cut off: 0.01° long (k0 · M(17.13°) · 0.01° = 1106.26 m), its south end 0.005° north of Main's end
    # (k0 · M(17.1225°) · 0.005° = 553.13 m), beyond the 300 m that makes a dead end worth a look.
    Road("Island", "primary", [(-87.0, 17.125), (-87.0, 17.135)]),
]
GAP_M = 165.94
SPUR_M = 212.86
ISLAND_M = 1106.26
ISLAND_FROM_MAIN_M = 553.13


def as_file(roads: list[Road]) -> dict[str, object]:
    """The roads in the JSON form of the shipped extract."""
    return {"roads": [{"n": r.name, "c": r.road_class, "g": [list(p) for p in r.coords]} for r in roads]}

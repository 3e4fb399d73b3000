"""psn's travel times against SUMO's router on a generated town (bench/roads_vs_sumo.py with fewer pairs):
the issue's targets (median relative difference ≤ 2 %, 95th percentile ≤ 10 %), both agreeing on which pairs
are reachable, and no pair off by more than 1 %: SUMO's only difference measured is its speeds, written to the
net file with two decimals (25 km/h = 6.944 m/s becomes 6.94, 0.064 % slower), so a larger gap is a routing
difference (a one-way driven the wrong way, a maxspeed misread) even where the percentiles stay within target."""

from pathlib import Path

from bench.roads_vs_sumo import compare


def test_psn_and_sumo_agree_on_travel_times(tmp_path: Path) -> None:
    figures = compare(pairs=120, seed=2, size=12, workdir=tmp_path)
    assert figures["crossings_in_sumo"] == figures["crossings"] == 144
    assert figures["reachability_disagreements"] == 0
    assert figures["pairs_routed_by_both"] >= 100
    assert figures["median_relative_difference"] <= 0.02, figures
    assert figures["p95_relative_difference"] <= 0.10, figures
    assert figures["max_relative_difference"] <= 0.01, figures["worst"]

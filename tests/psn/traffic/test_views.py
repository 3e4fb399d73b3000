"""The traffic REST readers (`psn.traffic.views`) on the real analytics (`psn.traffic.engines.build`, not the
stand-ins, whose history holds every bin): a time slider position inside the last 6 h whose history bin holds
nothing is an empty bin, not a server error; corridor rows name their route's edges."""

from __future__ import annotations

import numpy as np
import pytest

from psn.traffic import engines as analytics
from psn.traffic import rows, views
from psn.traffic.tick import Picture
from tests.psn.traffic import standins
from traffic.corridors import Corridor
from traffic.detect import TrafficAlert
from traffic.router import Router
from traffic.samples import SpeedSample

T0 = 1_764_400_000.0  # 100 s into its 5-minute bin, which starts at 1_764_399_900
SIX_HOURS_AGO = T0 - 6 * 3600 + 30  # 1_764_378_430: in the bin starting at 1_764_378_300


@pytest.fixture
def picture() -> Picture:
    return Picture(analytics.build(Router(standins.road())))


def test_a_bin_before_the_first_sample_is_empty(picture: Picture) -> None:
    body = views.segments_at(picture, T0, T0 - 30, everything=False)
    assert (body["ts"], body["bin_s"], body["features"]) == (1_764_399_900.0, 300.0, [])
    every = views.segments_at(picture, T0, T0 - 30, everything=True)["features"]
    assert [(f["properties"]["edge"], f["properties"]["speed_kmh"], f["properties"]["samples"],
             f["properties"]["level"]) for f in every] == [(0, None, 0, "unknown"), (1, None, 0, "unknown")]


def test_a_bin_older_than_the_ring_but_within_six_hours_is_empty(picture: Picture) -> None:
    picture.engines.history.add([SpeedSample(0, T0, 10.0, True)])
    old = views.segments_at(picture, T0, SIX_HOURS_AGO, everything=False)
    assert (old["ts"], old["features"]) == (1_764_378_300.0, [])
    # 10 m/s is 36 km/h; half the road's 20 m/s: "slow" (>= .5, < .75).
    [now] = views.segments_at(picture, T0, T0 - 30, everything=False)["features"]
    assert (now["properties"]["speed_kmh"], now["properties"]["samples"], now["properties"]["level"]) == \
        (36.0, 1, "slow")


def test_the_corridor_rows_name_their_route_edges_for_the_map(picture: Picture) -> None:
    engines = picture.engines
    engines.corridors = {"w--e": Corridor("w--e", "West – East", "West", "East", standins.WEST, standins.EAST)}
    engines.corridor_edges = {"w--e": np.array([0])}
    picture.tick(T0)
    [row] = views.corridors(picture)
    # The page highlights a corridor by its edges (psn/web/static/traffic/corridors.js): the eastbound edge 0.
    assert (row["id"], row["edges"], row["length_km"]) == ("w--e", [0], 2.0)
    assert "edges" not in picture.corridors[0]  # the live event's rows stay small: the page keeps them


def test_a_history_bin_is_levelled_against_the_learned_free_flow_as_live_segments_are(picture: Picture) -> None:
    # 60 samples of 12 m/s teach edge 0 its free flow (ff_min 50): the 85th percentile, linear within the 1 m/s
    # bin [12, 13): 12 + 51/60 = 12.85 m/s = 46.3 km/h, under the road's 20 m/s.
    picture.engines.speeds.add([SpeedSample(0, T0 - 60 + i, 12.0, True) for i in range(60)])
    picture.engines.history.add([SpeedSample(0, T0, 10.0, True)])
    [live] = views.segments(picture, T0, everything=False)["features"]
    [past] = views.segments_at(picture, T0, T0 - 30, everything=False)["features"]
    assert live["properties"]["free_flow_kmh"] == 46.3
    # 10 / 12.85 = .78: free (>= .75); against the road's 20 m/s it would have been .5, slow.
    assert (past["properties"]["speed_kmh"], past["properties"]["free_flow_kmh"], past["properties"]["level"]) == \
        (36.0, 46.3, "free")


def test_an_alert_on_a_piece_of_an_edge_is_placed_at_that_piece() -> None:
    engines = analytics.build(Router(standins.road()))
    # The road's 2,002.5 m edges are cut into 5 pieces of 400.5 m for the detector.
    assert engines.detector.pieces.count.tolist() == [5, 5]
    alert = TrafficAlert("a", 0, T0, 1.0, 20.0, None, 1602.0126, 2002.5158)
    row = rows.alert_row(engines, alert, None)
    # The last piece's middle is 0.9 of the way from the west end (-88.20) to the east end (-88.18114):
    # -88.20 + 0.9 x 0.01886 = -88.183026.
    assert (row["from_m"], row["to_m"], row["lat"], row["lon"]) == (1602.0, 2002.5, 17.5, -88.183026)


def test_an_empty_bin_before_the_analytics_are_built_keeps_the_window_rule() -> None:
    assert views.empty_bin(T0, T0 - 30) == {"type": "FeatureCollection", "ts": 1_764_399_900.0, "bin_s": 300.0,
                                            "features": []}
    with pytest.raises(views.Refused) as refused:
        views.empty_bin(T0, T0 + 60)
    assert refused.value.status == 400


def test_the_live_corridor_rows_carry_their_history_only_when_a_bin_closed(picture: Picture) -> None:
    engines = picture.engines
    engines.corridors = {"w--e": Corridor("w--e", "West – East", "West", "East", standins.WEST, standins.EAST)}
    engines.corridor_edges = {"w--e": np.array([0])}
    engines.speeds.add([SpeedSample(0, T0 - 5 + i, 10.0, True) for i in range(5)])  # 2 km at 10 m/s: 200 s
    # T0 is in the bin starting 1_764_399_900; the next starts at 1_764_400_200.
    sent = {at: picture.tick(at).corridors[0] for at in (T0, T0 + 10, T0 + 190, T0 + 200, T0 + 210)}
    assert [("history" in sent[at]) for at in sorted(sent)] == [True, False, False, True, False]
    about_200 = pytest.approx(200.0, abs=1.0)  # the road is 2 km to within 10 m (length_km 2.0 above)
    assert sent[T0]["history"] == [[1_764_399_900.0, about_200]]
    assert sent[T0 + 10]["travel_s"] == about_200
    assert sent[T0 + 200]["history"] == [[1_764_399_900.0, about_200], [1_764_400_200.0, about_200]]
    assert picture.corridors[0]["history"] == sent[T0 + 200]["history"]  # REST: always the whole 6 h

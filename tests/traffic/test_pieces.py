"""Pieces of edges and the detector's recent window on them; every expected number worked out by hand."""

import math

import numpy as np

from traffic.pieces import Pieces, RecentPieces
from traffic.samples import SpeedSample


def add(recent: RecentPieces, batch: list[SpeedSample]) -> None:
    recent.add(np.array([s.edge for s in batch], dtype=np.intp), np.array([s.ts for s in batch]),
               np.array([s.speed_mps for s in batch]), np.array([s.pos_m for s in batch]),
               np.array([s.token for s in batch], dtype=np.int64))


def test_edges_are_cut_into_equal_pieces_of_at_most_500_m() -> None:
    pieces = Pieces.of(np.array([3500.0, 500.0, 501.0, math.nan]))
    # 3500 / 500 = 7 pieces; 500 m is one; 501 m is two of 250.5 m; an unknown length is one piece.
    assert pieces.count.tolist() == [7, 1, 2, 1] and pieces.first.tolist() == [0, 7, 8, 10]
    assert pieces.edge.tolist() == [0] * 7 + [1, 2, 2, 3]
    assert pieces.from_m[:7].tolist() == [0.0, 500.0, 1000.0, 1500.0, 2000.0, 2500.0, 3000.0]
    assert pieces.from_m[8:10].tolist() == [0.0, 250.5] and pieces.to_m[8:10].tolist() == [250.5, 501.0]
    assert pieces.from_m[10] == 0.0 and pieces.to_m[10] == math.inf
    # 3499 m is in the last piece, 500 m starts the second, beyond the end or before the start clip to the
    # edge, no position is the first piece.
    got = pieces.locate(np.array([0, 0, 0, 0, 0, 2, 3]), np.array([3499.0, 500.0, 3600.0, -5.0, math.nan,
                                                                   251.0, 7.0]))
    assert got.tolist() == [6, 1, 6, 0, 0, 9, 10]


def test_the_window_keeps_a_minute_per_piece_and_counts_two_vehicles() -> None:
    recent = RecentPieces(Pieces.of(np.array([1000.0])))  # pieces [0, 500) and [500, 1000)
    batch = [SpeedSample(0, 100.0, 2.0, True, 900.0, 1), SpeedSample(0, 101.0, 4.0, True, 950.0, 1),
             SpeedSample(0, 130.0, 3.0, True, 990.0, 2), SpeedSample(0, 150.0, 20.0, False),  # whole edge
             SpeedSample(0, 155.0, 18.0, True, 100.0, 3)]
    add(recent, batch)
    signal = recent.signal(160.0)  # [100, 160)
    # Piece 1: 2, 4, 3 and the interval sample 20 -> 29 / 4 = 7.25, tokens 1, 2 and one unknown: 2 (at most).
    # Piece 0: 20 and 18 -> 19, tokens unknown and 3: 2.
    assert signal.speed_mps.tolist() == [19.0, 7.25] and signal.samples.tolist() == [2, 4]
    assert signal.vehicles.tolist() == [2, 2]
    later = recent.signal(200.0)  # [140, 200): the samples at 150 and 155 on piece 0, the one at 150 on 1
    assert later.speed_mps.tolist() == [19.0, 20.0] and later.samples.tolist() == [2, 1]
    assert later.vehicles.tolist() == [2, 1]  # piece 1: token 2 was last seen at 130, before 140
    assert recent.signal(230.0).samples.tolist() == [0, 0] and math.isnan(recent.signal(230.0).speed_mps[0])


def test_one_vehicle_is_one_vehicle_however_many_samples_it_gives() -> None:
    recent = RecentPieces(Pieces.of(np.array([300.0])))
    batch = [SpeedSample(0, float(t), 0.0, True, 280.0, 7) for t in range(60)]
    add(recent, batch)
    signal = recent.signal(60.0)
    assert signal.samples.tolist() == [60] and signal.vehicles.tolist() == [1]


def test_samples_without_a_token_are_a_vehicle_each() -> None:
    recent = RecentPieces(Pieces.of(np.array([300.0])))
    batch = [SpeedSample(0, float(t), 5.0, True) for t in (10, 11, 12)]  # no token: three unknown vehicles
    add(recent, batch)
    assert recent.signal(20.0).vehicles.tolist() == [2]  # at least two


def test_a_vehicle_keeps_its_newest_time_when_an_older_sample_of_it_arrives_later() -> None:
    recent = RecentPieces(Pieces.of(np.array([300.0])))
    first = [SpeedSample(0, 31.0, 5.0, True, 10.0, 1)]
    add(recent, first)
    # Then vehicle 1's interval sample (the middle of its traversal: 25 s) and vehicle 2 at 37 s.
    later = [SpeedSample(0, 25.0, 5.0, False, token=1), SpeedSample(0, 37.0, 5.0, True, 20.0, 2)]
    add(recent, later)
    # At 90 s the window starts at 30 s: vehicle 2 (37 s) and vehicle 1, last seen at 31 s, not 25 s.
    assert recent.signal(90.0).vehicles.tolist() == [2]

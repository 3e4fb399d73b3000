"""What `Matcher.push_many` decides, packed into numpy arrays to cross the matcher's process boundary: each push's
outcome and the speed samples, each with the push that decided it. The matched positions (`Pushed.matched`) stay
in the child: psn uses only the outcomes and the samples.

Why: pickled, the 5,000 `Pushed` of one batch (each with its `SpeedSample` and `matched` tuples) took psn's
process 29–34 ms to unpickle, GIL held, every second at 5,000 units at 1 Hz (the result thread was 7 % of the
GIL samples of a py-spy profile under that load), and the child 24 ms to pickle; packed, the child packs and
pickles them in 5.4 ms and psn unpickles the arrays in well under 1 ms (measured 2026-12-01 on the shared
machine, one `Pushed` with one sample each).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from traffic.graph import FloatArray, IntArray
from traffic.matching import CODE, Pushed


@dataclass(frozen=True, eq=False)
class Packed:
    outcome: IntArray  # per push: its index in traffic.matching.OUTCOMES
    sample_of: IntArray  # per sample: the push (index in the batch) that decided it
    edge: IntArray
    ts: FloatArray
    speed_mps: FloatArray
    spot: IntArray  # 1: the vehicle's own reported speed at a matched fix; 0: path length / time between fixes


def pack(pushed: Sequence[Pushed]) -> Packed:
    rows = [(i, s.edge, s.ts, s.speed_mps, s.spot) for i, p in enumerate(pushed) for s in p.samples]
    table = np.array(rows, dtype=float).reshape(-1, 5)  # edges and indices are far below 2**53: exact as floats
    return Packed(np.array([CODE[p.outcome] for p in pushed], dtype=np.int8), table[:, 0].astype(np.int64),
                  table[:, 1].astype(np.int64), table[:, 2], table[:, 3], table[:, 4].astype(np.int8))

"""What `Matcher.push_many` decides, packed into numpy arrays to cross the matcher's process boundary: each push's
outcome and the speed samples, each with the push that decided it. The matched positions (`Pushed.matched`) stay
in the child: psn uses only the outcomes and the samples.

Why: pickled as objects, one second's answers at 5,000 units (4,751 samples) took psn's process 22.8 ms to
unpickle, GIL held (the result thread was 7 % of the GIL samples of a py-spy profile under that load); packed,
0.16 ms, and the child packs and pickles them in 3.5 ms (`python -m bench.traffic boundary`, docs/benchmarks.md).
psn then makes the `SpeedSample`s the segment speeds take from the arrays (about 2 ms for 5,000).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from traffic.graph import FloatArray, IntArray
from traffic.matching import CODE, Pushed
from traffic.samples import SpeedSample


@dataclass(frozen=True, eq=False)
class Packed:
    outcome: IntArray  # per push: its index in traffic.matching.OUTCOMES
    sample_of: IntArray  # per sample: the push (index in the batch) that decided it
    edge: IntArray
    ts: FloatArray
    speed_mps: FloatArray
    spot: IntArray  # 1: the vehicle's own reported speed at a matched fix; 0: path length / time between fixes
    pos_m: FloatArray  # metres along the edge (NaN: the whole edge), for the drop detector's pieces
    token: IntArray  # the anonymous trace number (-1: unknown), the detector's distinct vehicles

    def samples(self, keep: NDArray[np.bool_]) -> list[SpeedSample]:
        """The kept samples as the segment speeds take them."""
        return [SpeedSample(*row) for row in zip(
            self.edge[keep].tolist(), self.ts[keep].tolist(), self.speed_mps[keep].tolist(),
            self.spot[keep].astype(bool).tolist(), self.pos_m[keep].tolist(), self.token[keep].tolist(), strict=True)]


def pack(pushed: Sequence[Pushed]) -> Packed:
    rows = [(i, s.edge, s.ts, s.speed_mps, s.spot, s.pos_m, s.token) for i, p in enumerate(pushed) for s in p.samples]
    # edges, indices and tokens are far below 2**53: exact as floats
    table = np.array(rows, dtype=float).reshape(-1, 7)
    return Packed(np.array([CODE[p.outcome] for p in pushed], dtype=np.int8), table[:, 0].astype(np.int64),
                  table[:, 1].astype(np.int64), table[:, 2], table[:, 3], table[:, 4].astype(np.int8), table[:, 5],
                  table[:, 6].astype(np.int64))

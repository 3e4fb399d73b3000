"""The drop detector's signal: recent speeds on bounded pieces of edges, and how many vehicles gave them.

Pieces: each directed edge is cut into `ceil(length / piece_m)` equal pieces (`piece_m` = 500 m; an edge of
unknown length is one piece). A queue at the end of a long edge is then a drop of its last piece: on the Belize
clip the crash's edge is 3.5 km long and its queue filled only its end, so the whole edge's mean mixed the queue
with free-flowing kilometres (raised 270 s and 320 s after the crash at 5 % and 10 %; measured figures in
docs/traffic-validation.md).

A spot sample goes to the piece holding its position along the edge (`SpeedSample.pos_m`); a sample without
one (a traversal's interval sample: the whole edge) counts on every piece of its edge.

Per piece, `RecentPieces` keeps the sum and count of its samples in `bins` time bins of `bin_s` (6 x 10 s: the
detector's 60 s window; a ring of bins, not of samples, so a busy piece — ten 1 Hz probes in a queue — keeps a
whole minute), and the two most recent distinct vehicle tokens with when each was last seen: enough to tell
whether at least two vehicles gave the window's samples (one probe standing for a minute gives 60 samples on
its own: a false alarm on the town, measured). A sample without a token (< 0) counts as a vehicle of its own.
Tokens are the matcher's anonymous per-trace numbers; they never leave the analytics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from traffic.graph import FloatArray, IntArray

PIECE_M = 500.0


@dataclass(frozen=True, eq=False)
class Pieces:
    """How edges are cut: per piece its edge and where along it it starts and ends; per edge its first piece."""

    edge: IntArray
    from_m: FloatArray
    to_m: FloatArray
    first: IntArray  # per edge: index of its first piece
    count: IntArray  # per edge: how many pieces

    @classmethod
    def of(cls, length_m: FloatArray, piece_m: float = PIECE_M) -> Pieces:
        length = np.asarray(length_m, dtype=float)
        finite = np.isfinite(length) & (length > 0)
        count = np.where(finite, np.ceil(np.where(finite, length, 0) / piece_m), 1).astype(np.intp)
        count = np.maximum(count, 1)
        first = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.intp)
        edge = np.repeat(np.arange(len(length)), count)
        k = np.arange(len(edge)) - first[edge]
        size = np.where(finite, length, np.inf)[edge] / count[edge]
        with np.errstate(invalid="ignore"):
            return cls(edge, np.where(np.isfinite(size), k * size, 0.0), (k + 1) * size, first, count)

    @classmethod
    def whole(cls, edges: int) -> Pieces:
        """One piece per edge (no lengths known)."""
        return cls.of(np.full(edges, np.nan))

    def __len__(self) -> int:
        return len(self.edge)

    def locate(self, edge: IntArray, pos_m: FloatArray) -> IntArray:
        """The piece of each (edge, position); the edge's first piece where the position is unknown."""
        length = self.to_m[self.first[edge] + self.count[edge] - 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            k = np.floor(np.nan_to_num(pos_m / length * self.count[edge], nan=0.0))
        return (self.first[edge] + np.clip(k, 0, self.count[edge] - 1)).astype(np.intp)


@dataclass(frozen=True, eq=False)
class PieceSignal:
    """Per piece over the recent window: mean speed (NaN without a sample), samples, vehicles (0, 1 or 2: at
    least two), and the pieces' layout."""

    speed_mps: FloatArray
    samples: NDArray[np.int64]
    vehicles: NDArray[np.int64]
    pieces: Pieces


class RecentPieces:
    def __init__(self, pieces: Pieces, bin_s: float = 10.0, bins: int = 6) -> None:
        self.pieces, self.bin_s, self.bins = pieces, bin_s, bins
        n, ring = len(pieces), bins + 1  # the window's bins and the one being filled
        self._sum = np.zeros((n, ring))
        self._n = np.zeros((n, ring), dtype=np.int64)
        self._bin = np.full((n, ring), np.iinfo(np.int64).min, dtype=np.int64)  # which time bin a slot holds
        self._tok = np.full((n, 2), -1, dtype=np.int64)  # newest distinct tokens: [newest, the one before]
        self._tok_ts = np.full((n, 2), -np.inf)

    def add(self, edge: IntArray, ts: FloatArray, v: FloatArray, pos: FloatArray, tok: IntArray) -> None:
        """Checked samples: edge, time, speed, position along the edge (NaN: the whole edge), vehicle token."""
        if not len(edge):
            return
        p = self.pieces
        spread = np.isnan(pos) & (p.count[edge] > 1)  # no position on a long edge: every piece of it
        rows = np.flatnonzero(~spread)
        piece = p.locate(edge[rows], pos[rows])
        if spread.any():
            many = np.flatnonzero(spread)
            reps = p.count[edge[many]]
            rows = np.concatenate([rows, np.repeat(many, reps)])
            offset = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
            piece = np.concatenate([piece, p.first[edge[many]].repeat(reps) + offset])
        self._bins(piece, ts[rows], v[rows])
        self._tokens(piece, ts[rows], tok[rows])

    def _bins(self, piece: IntArray, ts: FloatArray, v: FloatArray) -> None:
        k = np.floor(np.clip(ts / self.bin_s, -2.0**62, 2.0**62)).astype(np.int64)  # any finite time is a bin
        slot = k % self._bin.shape[1]
        newest = np.full(self._bin.shape, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(newest, (piece, slot), k)
        newer = newest > self._bin
        self._sum[newer], self._n[newer], self._bin[newer] = 0.0, 0, newest[newer]
        keep = k == self._bin[piece, slot]  # a sample older than what its slot now holds is out of the window
        np.add.at(self._sum, (piece[keep], slot[keep]), v[keep])
        np.add.at(self._n, (piece[keep], slot[keep]), 1)

    def _tokens(self, piece: IntArray, ts: FloatArray, tok: IntArray) -> None:
        """Per piece, the two newest distinct tokens after this batch (its samples taken as newer than those
        before it); a token < 0 differs from every other."""
        order = np.lexsort((ts, piece))
        sp, st, sk = piece[order], ts[order], tok[order]
        start = np.flatnonzero(np.concatenate([[True], sp[1:] != sp[:-1]]))
        last = np.append(start[1:], len(sp)) - 1
        size = last - start + 1
        newest = np.repeat(sk[last], size)
        idx = np.arange(len(sp))
        other = np.where(((sk != newest) | (sk < 0)) & (idx != np.repeat(last, size)), idx, -1)
        before = np.maximum.reduceat(other, start)  # the newest sample of another vehicle in the batch, or -1
        q, k, t = sp[last], sk[last], st[last]
        same = (before < 0) & (k >= 0) & (self._tok[q, 0] == k)  # only the newest vehicle so far, again
        shift = (before < 0) & ~same  # the previous newest becomes the one before
        self._tok[q[shift], 1], self._tok_ts[q[shift], 1] = self._tok[q[shift], 0], self._tok_ts[q[shift], 0]
        found = before >= 0
        b, qf = before[found], q[found]
        again = (sk[b] >= 0) & (sk[b] == self._tok[qf, 0])  # the one before is the newest before this batch
        self._tok[qf, 1] = sk[b]
        self._tok_ts[qf, 1] = np.maximum(st[b], np.where(again, self._tok_ts[qf, 0], -np.inf))
        self._tok[q, 0], self._tok_ts[q, 0] = k, np.maximum(t, np.where(same, self._tok_ts[q, 0], -np.inf))

    def signal(self, now: float) -> PieceSignal:
        """The window: the `bins` time bins that end at or before the bin boundary at or after `now`, so
        [now − bins·bin_s, now) for a `now` on a boundary (psn's 10 s tick)."""
        top = int(np.ceil(now / self.bin_s))  # bins k < top lie before now
        inside = (self._bin >= top - self.bins) & (self._bin < top)
        n = np.where(inside, self._n, 0).sum(axis=1)
        total = np.where(inside, self._sum, 0.0).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, total / n, np.nan)
        # Vehicles seen since the window's start (the one that gave the sample being filled in counts too: the
        # two newest tokens only are kept, and the newest is often from `now` itself).
        vehicles = (self._tok_ts >= (top - self.bins) * self.bin_s).sum(axis=1).astype(np.int64)
        return PieceSignal(mean, n.astype(np.int64), vehicles, self.pieces)

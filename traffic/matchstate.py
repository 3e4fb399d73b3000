"""The map matcher's per-vehicle state, one slot per vehicle in flat numpy arrays (batches index them at once).

A slot holds the vehicle's last fix (time, place, reported speed), the candidates of that fix with their Viterbi
scores and the route to each from the last decided fix (pending: the fixed lag of one fix), the last decided fix,
and the edge traversal being measured (`traffic.traversal.Traversals`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from traffic.graph import FloatArray, IntArray
from traffic.traversal import Traversals

Array = TypeVar("Array", bound=NDArray[Any])
INITIAL = 64  # slots at first; doubled when full


class Slots:
    """Vehicle name -> slot, and the arrays of every slot; `width` candidates per fix at most."""

    def __init__(self, width: int, timed_m: float) -> None:
        self.width = width
        self.of: dict[str, int] = {}
        n = INITIAL
        self._free: list[int] = list(range(n - 1, -1, -1))
        self.last_ts: FloatArray = np.full(n, np.nan)
        self.last_xy: FloatArray = np.full((n, 2), np.nan)
        self.pend_speed: FloatArray = np.full(n, np.nan)
        self.layer_edge: IntArray = np.full((n, width), -1, dtype=np.intp)
        self.layer_pos: FloatArray = np.zeros((n, width))
        self.layer_score: FloatArray = np.full((n, width), -np.inf)
        self.layer_route: FloatArray = np.full((n, width), np.nan)
        self.layer_kind: NDArray[np.int8] = np.zeros((n, width), dtype=np.int8)
        self.dec_edge: IntArray = np.full(n, -1, dtype=np.intp)
        self.dec_pos: FloatArray = np.zeros(n)
        self.dec_ts: FloatArray = np.full(n, np.nan)
        self.head_deg: FloatArray = np.full(n, np.nan)  # the last heading trusted, and where it was reported
        self.head_xy: FloatArray = np.full((n, 2), np.nan)
        self.token: IntArray = np.full(n, -1, dtype=np.int64)  # anonymous, new per vehicle taken on (samples.py)
        self._tokens = 0
        self.trav = Traversals(n, timed_m)

    def _grow(self) -> None:
        n = len(self.last_ts)

        def more(a: Array, fill: float) -> Array:
            return np.concatenate([a, np.full((n, *a.shape[1:]), fill, dtype=a.dtype)])  # type: ignore[return-value]
        self.last_ts, self.last_xy, self.pend_speed = (more(self.last_ts, np.nan), more(self.last_xy, np.nan),
                                                       more(self.pend_speed, np.nan))
        self.layer_edge, self.layer_pos = more(self.layer_edge, -1), more(self.layer_pos, 0)
        self.layer_score, self.layer_route = more(self.layer_score, -np.inf), more(self.layer_route, np.nan)
        self.layer_kind = more(self.layer_kind, 0)
        self.dec_edge, self.dec_pos, self.dec_ts = more(self.dec_edge, -1), more(self.dec_pos, 0), more(
            self.dec_ts, np.nan)
        self.head_deg, self.head_xy = more(self.head_deg, np.nan), more(self.head_xy, np.nan)
        self.token = more(self.token, -1)
        self.trav.grow(2 * n)
        self._free.extend(range(2 * n - 1, n - 1, -1))

    def lookup(self, vehicles: Sequence[str], create: NDArray[np.bool_]) -> IntArray:
        """Each vehicle's slot; a new one where `create` (else 0 for a vehicle not seen: never read then)."""
        out = np.zeros(len(vehicles), dtype=np.intp)
        for i, vehicle in enumerate(vehicles):
            slot = self.of.get(vehicle)
            if slot is None and create[i]:
                if not self._free:
                    self._grow()
                slot = self.of[vehicle] = self._free.pop()
                self.token[slot], self._tokens = self._tokens, self._tokens + 1
            out[i] = -1 if slot is None else slot
        return out

    def restart(self, slot: int, edge: IntArray, pos: FloatArray, log_p: FloatArray) -> None:
        """A new trace whose only fix so far has these candidates."""
        self.end(slot)
        w = len(edge)
        self.layer_edge[slot, :w], self.layer_pos[slot, :w] = edge, pos
        self.layer_score[slot, :w] = log_p - np.max(log_p)

    def store(self, at: IntArray, edge: IntArray, pos: FloatArray, score: FloatArray, route: FloatArray,
              kind: NDArray[np.int8]) -> None:
        """The scored candidates of the slots' newest fixes and the routes to them from the last decisions."""
        w = edge.shape[1]
        self.layer_edge[at], self.layer_score[at] = -1, -np.inf
        self.layer_edge[at, :w], self.layer_pos[at, :w], self.layer_score[at, :w] = edge, pos, score
        self.layer_route[at, :w], self.layer_kind[at, :w] = route, kind

    def end(self, slot: int) -> None:
        """No trace (the vehicle's last fix time stays, for the order checks)."""
        self.layer_edge[slot], self.layer_score[slot], self.dec_edge[slot] = -1, -np.inf, -1

    def drop(self, vehicle: str) -> None:
        slot = self.of.pop(vehicle)
        self.end(slot)
        self.last_ts[slot], self.head_deg[slot], self.head_xy[slot] = np.nan, np.nan, np.nan
        self._free.append(slot)

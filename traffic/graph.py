"""A directed road graph: nodes in UTM 16N metres, one straight edge per pair of consecutive road vertices.

Each directed edge has a length (m), a free-flow speed (m/s), a road class and a name; a two-way road is two
edges, one each way, a one-way street only the one its traffic may drive. Travel times are length / speed.

Live speeds: traffic analytics will measure segment speeds; `with_speeds(edge_speeds)` returns the same graph
with those speeds (m/s, one per edge, NaN where nothing was measured) overriding the free-flow speed, and
`travel_s` then gives the travel times they imply. Entries that are not a finite positive speed are not used
(the edge keeps its free-flow speed) and are counted in `ignored_speeds` for the caller to report.

Built from the shipped network by `traffic.roads.RoadNetwork.graph()` and from an OpenStreetMap extract by
`traffic.osm.load_osm`; routed by `traffic.router.Router`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

# The shortest edge time: traffic.roads has always floored zero-length snap joins at 1 ms, and the same floor
# keeps the shipped network's travel times unchanged.
MIN_EDGE_S = 0.001


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """Nodes `xy` (n, 2) and directed edges `tail[e] -> head[e]`; at most one edge per ordered node pair."""

    xy: FloatArray
    tail: IntArray
    head: IntArray
    length_m: FloatArray
    speed_mps: FloatArray  # free flow
    road_class: tuple[str, ...]
    name: tuple[str, ...]
    live_speed_mps: FloatArray | None = None
    ignored_speeds: int = 0

    @classmethod
    def build(cls, xy: FloatArray, tail: Sequence[int] | IntArray, head: Sequence[int] | IntArray,
              speed_mps: Sequence[float] | FloatArray, road_class: Sequence[str], name: Sequence[str]) -> RoadGraph:
        """Edges from node pairs: lengths from `xy`, loops dropped, of parallel edges the quickest kept."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        tail_a, head_a = np.asarray(tail, dtype=np.intp), np.asarray(head, dtype=np.intp)
        speed = np.asarray(speed_mps, dtype=float)
        if not (len(tail_a) == len(head_a) == len(speed) == len(road_class) == len(name)):
            raise ValueError("tail, head, speed, road_class and name must have one entry per edge")
        if len(tail_a) and (min(tail_a.min(), head_a.min()) < 0 or max(tail_a.max(), head_a.max()) >= len(xy)):
            raise ValueError("an edge names a node that does not exist")
        if not np.all(np.isfinite(speed) & (speed > 0)):
            raise ValueError("every free-flow speed must be a finite positive number of m/s")
        length = np.linalg.norm(xy[head_a] - xy[tail_a], axis=1)
        seconds = np.maximum(length / speed, MIN_EDGE_S) if len(speed) else length
        # Sort by (tail, head, seconds) and keep the first of each pair: the quickest of parallel edges.
        order = np.lexsort((seconds, head_a, tail_a))
        order = order[tail_a[order] != head_a[order]]
        first = np.ones(len(order), dtype=bool)
        first[1:] = (tail_a[order][1:] != tail_a[order][:-1]) | (head_a[order][1:] != head_a[order][:-1])
        keep = order[first]
        if not len(keep):
            raise ValueError("a road graph needs at least one edge between two distinct nodes")
        return cls(xy, tail_a[keep], head_a[keep], length[keep], speed[keep],
                   tuple(road_class[i] for i in keep), tuple(name[i] for i in keep))

    def arrays(self) -> dict[str, NDArray[np.generic]]:
        """The free-flow graph as plain arrays (for `np.savez`); `from_arrays` reads them back."""
        classes, class_code = np.unique(np.array(self.road_class, dtype=str), return_inverse=True)
        names, name_code = np.unique(np.array(self.name, dtype=str), return_inverse=True)
        return {"xy": self.xy, "tail": self.tail, "head": self.head, "length_m": self.length_m,
                "speed_mps": self.speed_mps, "classes": classes, "class_code": class_code, "names": names,
                "name_code": name_code}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, NDArray[np.generic]]) -> RoadGraph:
        """A graph from `arrays()`'s output (e.g. an `np.load`ed file); ValueError if it is not one."""
        try:
            classes, names = arrays["classes"], arrays["names"]
            return cls.build(np.asarray(arrays["xy"], dtype=float), np.asarray(arrays["tail"], dtype=np.intp),
                             np.asarray(arrays["head"], dtype=np.intp), np.asarray(arrays["speed_mps"], dtype=float),
                             [str(c) for c in classes[arrays["class_code"]]],
                             [str(n) for n in names[arrays["name_code"]]])
        except (KeyError, IndexError, TypeError) as exc:
            raise ValueError(f"not a road graph's arrays: {type(exc).__name__}: {exc}") from None

    @property
    def nodes(self) -> int:
        return len(self.xy)

    @property
    def edges(self) -> int:
        return len(self.tail)

    @property
    def speed(self) -> FloatArray:
        """The speed each edge is driven at: live where measured, free flow elsewhere (m/s)."""
        if self.live_speed_mps is None:
            return self.speed_mps
        return np.where(np.isnan(self.live_speed_mps), self.speed_mps, self.live_speed_mps)

    @cached_property
    def travel_s(self) -> FloatArray:
        """Seconds to drive each edge at `speed` (never below MIN_EDGE_S)."""
        return np.maximum(self.length_m / self.speed, MIN_EDGE_S)

    def with_speeds(self, edge_speeds: Sequence[float] | FloatArray) -> RoadGraph:
        """This graph with measured speeds (m/s per edge, NaN = not measured) instead of free flow."""
        speeds = np.array(edge_speeds, dtype=float)
        if speeds.shape != (self.edges,):
            raise ValueError(f"edge_speeds must hold one speed per edge ({self.edges}), not shape {speeds.shape}")
        bad = ~np.isnan(speeds) & ~(np.isfinite(speeds) & (speeds > 0))
        speeds[bad] = np.nan
        return replace(self, live_speed_mps=speeds, ignored_speeds=int(bad.sum()))

    @cached_property
    def segments(self) -> tuple[IntArray, IntArray]:
        """The undirected pieces of road (a < b), one per node pair that has an edge either way."""
        pairs = np.unique(np.column_stack([np.minimum(self.tail, self.head), np.maximum(self.tail, self.head)]),
                          axis=0)
        return pairs[:, 0], pairs[:, 1]

    @cached_property
    def _edge_keys(self) -> tuple[NDArray[np.int64], IntArray]:
        keys = self.tail.astype(np.int64) * self.nodes + self.head
        order = np.argsort(keys)
        return keys[order], order

    def edge_index(self, tail: IntArray, head: IntArray) -> IntArray:
        """Index of the edge tail -> head for each pair, -1 where there is none."""
        keys, order = self._edge_keys
        wanted = np.asarray(tail, dtype=np.int64) * self.nodes + np.asarray(head, dtype=np.int64)
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        return np.where(keys[at] == wanted, order[at], -1)

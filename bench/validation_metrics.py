"""How estimated segment speeds and traffic alerts are scored against SUMO's ground truth.

Inputs are plain arrays aligned with SUMO's edgeData intervals (rows) and the graph's directed edges (columns):
- speed errors on the cells where the probes gave at least `min_samples` samples and SUMO saw traffic: MAE in
  km/h and MAPE (mean of |estimate − truth| / truth);
- "affected" (congested by the bottleneck or the incident) is SUMO's own verdict: edgeData speed below
  AFFECTED of the edge's free-flow speed (its speed limit) in that interval;
- the incident's detection delay: the first alert raised at or after the closure began on an edge the closure
  affected (the closed edge, or an edge within QUEUE_M by road upstream of it that SUMO shows affected during
  the closure but not in the interval before it: the queue behind it), minus the closure's start. Without the
  upstream bound, any edge that congested by chance while the closure lasted counted: 224 edges of the Belize
  clip, whose "740 s" detection was an alert 3.9 km away;
- false alarms: alerts raised on an edge SUMO shows unaffected in the interval of the raise and in both
  neighbouring intervals (a queue that builds late in one interval drags its mean below the line only in the
  next), per 100 segment-hours of monitored edges (edges with any probe sample) x scenario hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from traffic.graph import FloatArray, RoadGraph

AFFECTED = 0.6
# Where the incident's queue can reach, by road back from the closed edge. Measured: the town's queue reached
# the one 250 m edge before it, the Belize crash's stayed on its own 3.5 km edge. At 2 km, every edge of the
# town's grid within 2 km counted, downstream ones too (reached by driving round a block): the town's 10 % run
# was "detected" at 180 s by an alert two edges downstream of the crash.
QUEUE_M = 600.0


@dataclass(frozen=True, slots=True)
class SpeedErrors:
    cells: int  # (interval, edge) pairs compared
    mae_kmh: float  # NaN when no cell qualifies
    mape: float  # fraction, NaN when no cell qualifies


@dataclass(frozen=True, slots=True)
class Raised:
    """An alert as scored: the edge and when it was raised, in simulation seconds."""

    edge: int
    raised_s: float


def speed_errors(estimate_mps: FloatArray, samples: NDArray[np.int64], truth_mps: FloatArray,
                 min_samples: int = 3) -> SpeedErrors:
    cells = (samples >= min_samples) & np.isfinite(estimate_mps) & np.isfinite(truth_mps) & (truth_mps > 0)
    if not cells.any():
        return SpeedErrors(0, float("nan"), float("nan"))
    error = np.abs(estimate_mps[cells] - truth_mps[cells])
    return SpeedErrors(int(cells.sum()), float(error.mean() * 3.6), float((error / truth_mps[cells]).mean()))


def distinct_vehicles(begin: FloatArray, period_s: float, ts: FloatArray, edge: NDArray[np.integer],
                      vehicle: NDArray[np.integer], edges: int) -> NDArray[np.int64]:
    """(intervals, edges): how many distinct vehicles have an FCD row on the edge in the interval (rows on no
    edge or outside the intervals are left out). Beside the issue's "≥ 3 probe samples" (a 1 Hz probe gives 3 in
    3 s): one or two probe vehicles standing for all traffic in a cell is the metric's floor (the town's, measured
    in docs/traffic-validation.md)."""
    row = np.floor((ts - begin[0]) / period_s).astype(np.int64)
    ok = (row >= 0) & (row < len(begin)) & (edge >= 0) & (edge < edges)
    cells = np.unique(np.column_stack([row[ok], edge[ok], vehicle[ok]]), axis=0)
    out = np.zeros((len(begin), edges), dtype=np.int64)
    np.add.at(out, (cells[:, 0], cells[:, 1]), 1)
    return out


def affected(truth_mps: FloatArray, free_flow_mps: FloatArray) -> NDArray[np.bool_]:
    """(intervals, edges): SUMO's mean speed below AFFECTED x free flow (False where SUMO saw no vehicle)."""
    with np.errstate(invalid="ignore"):
        return np.nan_to_num(truth_mps, nan=np.inf) < AFFECTED * free_flow_mps[None, :]


def interval_of(t: float, begin: FloatArray) -> int:
    return int(np.clip(np.searchsorted(begin, t, side="right") - 1, 0, len(begin) - 1))


def upstream(graph: RoadGraph, edge: int, within_m: float = QUEUE_M) -> set[int]:
    """The edges from whose end the start of `edge` is at most `within_m` by road (where its queue can reach)."""
    order = np.lexsort((graph.length_m, graph.tail, graph.head))  # parallel edges: the shortest first
    pair = graph.head[order] * graph.nodes + graph.tail[order]
    first = order[np.concatenate([[True], pair[1:] != pair[:-1]])]
    # csgraph drops explicit zeros: a 0 m edge (coincident nodes, seen in the shipped roads) keeps a millimetre
    back = csr_matrix((np.maximum(graph.length_m[first], 1e-3), (graph.head[first], graph.tail[first])),
                      shape=(graph.nodes, graph.nodes))
    metres = dijkstra(back, indices=int(graph.tail[edge]), limit=within_m)
    reverse = (graph.tail == graph.head[edge]) & (graph.head == graph.tail[edge])
    return {int(e) for e in np.flatnonzero(np.isfinite(metres[graph.head]) & ~reverse)}


def incident_edges(hit: NDArray[np.bool_], begin: FloatArray, period_s: float, edge: int, start: float,
                   end: float, near: set[int] | None = None) -> set[int]:
    """The closed edge and the edges (of `near`, if given) SUMO shows affected during [start, end + one
    interval) and not before."""
    during = (begin + period_s > start) & (begin < end + period_s)
    before = begin + period_s <= start
    last_before = hit[np.flatnonzero(before)[-1]] if before.any() else np.zeros(hit.shape[1], dtype=bool)
    newly = {int(e) for e in np.flatnonzero(hit[during].any(axis=0) & ~last_before)}
    return {edge} | (newly if near is None else newly & near)


def detection_delay(alerts: Sequence[Raised], edges: set[int], start: float, end: float) -> float | None:
    """Seconds from the closure's start to the first alert on one of `edges` raised in [start, end]."""
    delays = [a.raised_s - start for a in alerts if a.edge in edges and start <= a.raised_s <= end]
    return min(delays) if delays else None


def false_alarms(alerts: Sequence[Raised], hit: NDArray[np.bool_], begin: FloatArray) -> list[Raised]:
    """Alerts on edges SUMO shows unaffected in the interval raised and in both its neighbours."""
    wrong = []
    for alert in alerts:
        k = interval_of(alert.raised_s, begin)
        if not hit[max(k - 1, 0):k + 2, alert.edge].any():
            wrong.append(alert)
    return wrong


def per_100_segment_hours(count: int, monitored_edges: int, duration_s: float) -> float:
    hours = monitored_edges * duration_s / 3600.0
    return 100.0 * count / hours if hours else float("nan")

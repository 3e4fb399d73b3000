"""Synthetic drives with a known truth: a vehicle at a constant speed along a given chain of edges, sampled every
`every_s` seconds with Gaussian GPS noise; the truth is the edge and the point it was on at each fix.

Also the accuracy measure the matching tests use: a fix is right when it was decided on the true edge, or (at a
junction, where an incoming and an outgoing edge meet) within `near_m` of the true point on an edge of the
drive's own route.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from traffic.graph import RoadGraph
from traffic.matching import Matcher, Pushed


@dataclass(frozen=True)
class Drive:
    ts: np.ndarray
    xy: np.ndarray  # noisy fixes
    true_xy: np.ndarray
    edge: np.ndarray  # true edge at each fix
    heading: np.ndarray  # degrees clockwise from north, of the true edge
    route: list[int]  # the edges driven, in order
    speed_mps: float


def drive(graph: RoadGraph, edges: list[int], speed_mps: float, every_s: float, sigma_m: float,
          rng: np.random.Generator, t0: float = 1_000_000.0) -> Drive:
    """From the tail of edges[0] to the head of edges[-1] at `speed_mps`, one fix every `every_s`."""
    length = graph.length_m[edges]
    ends = np.concatenate([[0.0], np.cumsum(length)])
    at = np.arange(0.0, ends[-1], speed_mps * every_s)
    which = np.minimum(np.searchsorted(ends, at, side="right") - 1, len(edges) - 1)
    edge = np.asarray(edges)[which]
    start, vector = graph.xy[graph.tail[edge]], graph.xy[graph.head[edge]] - graph.xy[graph.tail[edge]]
    true_xy = start + ((at - ends[which]) / length[which])[:, None] * vector
    heading = np.degrees(np.arctan2(vector[:, 0], vector[:, 1])) % 360
    noisy = true_xy + rng.normal(0.0, sigma_m, true_xy.shape)
    return Drive(t0 + at / speed_mps, noisy, true_xy, edge, heading, list(edges), speed_mps)


def run(matcher: Matcher, vehicle: str, d: Drive, speed: float | None = None, heading: bool = True) -> list[Pushed]:
    """Pushes the whole drive (and flushes it): every Pushed, the flush's last."""
    out = [matcher.push(vehicle, float(t), float(x), float(y), speed, float(h) if heading else None)
           for t, (x, y), h in zip(d.ts, d.xy, d.heading, strict=True)]
    return [*out, matcher.flush(vehicle)]


def run_many(matcher: Matcher, drives: list[Drive], prefix: str, speed: float = np.nan, heading: bool = True
             ) -> list[list[Pushed]]:
    """Pushes the drives side by side, one `push_many` per fix index (and flushes each): each drive's Pushed."""
    out: list[list[Pushed]] = [[] for _ in drives]
    for i in range(max(len(d.ts) for d in drives)):
        live = [j for j, d in enumerate(drives) if i < len(d.ts)]
        pushed = matcher.push_many([f"{prefix}{j}" for j in live], np.array([drives[j].ts[i] for j in live]),
                                   np.array([drives[j].xy[i] for j in live]), np.full(len(live), speed),
                                   np.array([drives[j].heading[i] if heading else np.nan for j in live]))
        for j, p in zip(live, pushed, strict=True):
            out[j].append(p)
    for j in range(len(drives)):
        out[j].append(matcher.flush(f"{prefix}{j}"))
    return out


def accuracy(graph: RoadGraph, d: Drive, pushed: list[Pushed], near_m: float = 15.0) -> float:
    """Share of the drive's fixes decided right (see the module docstring)."""
    decided = {ts: (edge, frac) for p in pushed for ts, edge, frac in p.matched}
    right = 0
    for t, edge, true_xy in zip(d.ts, d.edge, d.true_xy, strict=True):
        if float(t) not in decided:
            continue
        got, frac = decided[float(t)]
        point = graph.xy[graph.tail[got]] + frac * (graph.xy[graph.head[got]] - graph.xy[graph.tail[got]])
        right += got == edge or (got in d.route and float(np.linalg.norm(point - true_xy)) <= near_m)
    return right / len(d.ts)

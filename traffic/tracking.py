"""Centroid tracking across frames and the counting line: which blob is which vehicle, and when it crossed.

Pure geometry on plain floats (pixels of the analysed frame): no OpenCV here. A track is matched to the
nearest blob of the next frame (greedy, closest pairs first, within `max_jump_px` of where it was heading);
a track unmatched for more than `max_misses` frames is dropped. A track counts once, when its centroid is
seen beyond the line's dead band on the other side from where it was first seen beyond it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Point = tuple[float, float]
Direction = Literal["a_to_b", "b_to_a"]


@dataclass(frozen=True, slots=True)
class CountingLine:
    """A segment in frame pixels. Side "a" is where cross(b - a, p - a) > 0: with image y pointing down, the
    right-hand side of an observer walking from the first point to the second as seen on screen."""

    a: Point
    b: Point
    dead_band_px: float  # |distance| below this is "on the line": no side, so jitter on the line never counts
    margin: float = 0.1  # a crossing counts up to this fraction of the length beyond either end of the segment

    def side(self, p: Point) -> int:
        """+1 (side a), -1 (side b) or 0 (within the dead band, or beyond the ends of the segment)."""
        (ax, ay), (bx, by) = self.a, self.b
        dx, dy = bx - ax, by - ay
        length = math.hypot(dx, dy)
        px, py = p[0] - ax, p[1] - ay
        along = (px * dx + py * dy) / (length * length)
        if along < -self.margin or along > 1 + self.margin:
            return 0
        distance = (dx * py - dy * px) / length
        if abs(distance) < self.dead_band_px:
            return 0
        return 1 if distance > 0 else -1


@dataclass(slots=True)
class Track:
    id: int
    position: Point
    velocity: Point = (0.0, 0.0)
    hits: int = 1
    misses: int = 0
    origin: int = 0  # the first side the track was seen on (0 until it has been on one)
    counted: bool = False

    def predicted(self) -> Point:
        steps = self.misses + 1
        return self.position[0] + self.velocity[0] * steps, self.position[1] + self.velocity[1] * steps


@dataclass(frozen=True, slots=True)
class TrackerConfig:
    max_jump_px: float = 40.0  # the farthest a blob may be from a new track (no speed known yet) to continue it
    settled_jump_px: float = 16.0  # the same once its speed is known, from where it was heading: a vehicle
    # leaving the frame otherwise takes over one entering in the other lane (seen in the synthetic scene)
    max_misses: int = 4  # frames a track survives without a blob (a vehicle hidden by another, a missed frame)
    min_hits: int = 2  # frames a track must have been seen on before its crossing counts


class CentroidTracker:
    """Tracks blobs' centroids over frames and reports each track's one crossing of the counting line."""

    def __init__(self, line: CountingLine, config: TrackerConfig = TrackerConfig()) -> None:
        self.line = line
        self.config = config
        self.tracks: list[Track] = []
        self._next_id = 0

    def reset(self) -> None:
        self.tracks = []

    def miss(self) -> None:
        """A frame with nothing to see (black, bad): every track misses it."""
        self.update([])

    def update(self, centroids: list[Point]) -> list[Direction]:
        """Associates this frame's blobs with the tracks; returns the crossings completed in it."""
        pairs = sorted(
            (math.dist(track.predicted(), c), t, j)
            for t, track in enumerate(self.tracks) for j, c in enumerate(centroids)
        )
        used_tracks: set[int] = set()
        used_blobs: set[int] = set()
        crossings: list[Direction] = []
        for distance, t, j in pairs:
            if distance > self.config.max_jump_px:
                break
            gate = self.config.settled_jump_px if self.tracks[t].hits > 1 else self.config.max_jump_px
            if t in used_tracks or j in used_blobs or distance > gate:
                continue
            used_tracks.add(t)
            used_blobs.add(j)
            crossing = self._move(self.tracks[t], centroids[j])
            if crossing is not None:
                crossings.append(crossing)
        for t, track in enumerate(self.tracks):
            if t not in used_tracks:
                track.misses += 1
        self.tracks = [track for track in self.tracks if track.misses <= self.config.max_misses]
        for j, c in enumerate(centroids):
            if j not in used_blobs:
                self._next_id += 1
                self.tracks.append(Track(self._next_id, c, origin=self.line.side(c)))
        return crossings

    def _move(self, track: Track, c: Point) -> Direction | None:
        steps = track.misses + 1
        track.velocity = ((c[0] - track.position[0]) / steps, (c[1] - track.position[1]) / steps)
        track.position = c
        track.hits += 1
        track.misses = 0
        side = self.line.side(c)
        if side == 0:
            return None
        if track.origin == 0:
            track.origin = side
            return None
        if side == track.origin or track.counted or track.hits < self.config.min_hits:
            return None
        track.counted = True
        return "a_to_b" if track.origin > 0 else "b_to_a"

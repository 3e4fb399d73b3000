"""Vehicle counting on a fixed camera's frames: background subtraction, blobs, centroid tracks, a counting line.

OpenCV from the wheel alone, no model weights. Each frame is checked (shape, dtype, black or flat), scaled down
to `width` pixels wide and turned grey; MOG2 background subtraction marks what moves (its shadow label, for
pixels at most a quarter darker than the background, is dropped), an opening removes speckle and a closing
joins a vehicle's parts; contours larger than `min_area` of the frame are the blobs, whose centroids
`traffic.tracking` follows across frames. Counts are aggregates per direction per minute (`MinuteCounts`):
nothing of a vehicle's picture or path is kept.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np
from cv2.typing import MatLike
from numpy.typing import NDArray

from traffic.tracking import CentroidTracker, CountingLine, Direction, TrackerConfig

Status = Literal["ok", "black", "no_motion", "bad_frame"]
FractionLine = tuple[tuple[float, float], tuple[float, float]]
MIN_SIDE = 16  # pixels: a frame smaller than this either way is not a picture of a road
SHADOW = 127  # MOG2's label for a pixel it takes for a shadow (kept apart from 255, foreground)


@dataclass(frozen=True, slots=True)
class CounterConfig:
    width: int = 320  # frames are analysed at this width (height kept in proportion)
    min_area: float = 0.0015  # a blob's least area, as a fraction of the frame
    max_area: float = 0.25  # larger blobs are a lighting change or a shaken camera, not a vehicle
    var_threshold: float = 25.0  # MOG2: squared Mahalanobis distance from the background that marks motion
    learning_rate: float = 0.01  # MOG2 after warm-up: 10 s of memory at 10 frames/s follows a lighting drift
    background_ratio: float = 0.7  # MOG2: weight of the modes taken as background; at its default (0.9) a
    # lane busy a tenth of the time makes its commonest vehicle colour background (seen with dark vehicles)
    shadow_ratio: float = 0.75  # MOG2: a pixel down to this fraction of the background's grey is a shadow
    black_level: int = 16  # a frame whose brightest pixel (grey) is below this is black
    flat_std: float = 1.5  # a frame whose grey levels vary less than this is flat (a test card, a frozen feed)
    warmup: int = 8  # first frames only teach the background model
    dead_band: float = 0.012  # fraction of the frame width either side of the line where no side is taken
    max_jump: float = 0.14  # fraction of the frame width a vehicle may move between two analysed frames
    settled_jump: float = 0.05  # fraction of the frame width a tracked vehicle may stray from its predicted path
    max_misses: int = 4
    min_hits: int = 2


@dataclass(frozen=True, slots=True)
class Crossing:
    ts: float
    direction: Direction


@dataclass(frozen=True, slots=True)
class FrameResult:
    crossings: list[Crossing]
    status: Status
    blobs: int = 0


def _valid_line(line: FractionLine) -> FractionLine:
    (x0, y0), (x1, y1) = line
    values = (x0, y0, x1, y1)
    if not all(isinstance(v, int | float) and math.isfinite(v) and 0.0 <= v <= 1.0 for v in values):
        raise ValueError(f"line: points must be frame fractions in [0, 1], got {line!r}")
    if (x0, y0) == (x1, y1):
        raise ValueError("line: its two points must differ")
    return (float(x0), float(y0)), (float(x1), float(y1))


class VehicleCounter:
    """Feeds on BGR frames of one camera; counts vehicles crossing `line` (two points in frame fractions)."""

    def __init__(self, line: FractionLine, config: CounterConfig = CounterConfig()) -> None:
        self.line = _valid_line(line)
        self.config = config
        self.statuses: Counter[str] = Counter()  # frames seen, by status
        self.counts: Counter[str] = Counter()  # crossings, by direction
        self._shape: tuple[int, ...] | None = None
        self._size = (0, 0)
        self._tracker: CentroidTracker | None = None
        self._subtractor: cv2.BackgroundSubtractorMOG2 | None = None
        self._kernel_open = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        self._kernel_close = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
        self._learned = 0

    def feed(self, frame_bgr: NDArray[np.uint8], ts: float) -> FrameResult:
        """Never raises on a bad frame: it is counted under its status and the tracks miss it."""
        status, result = self._feed(frame_bgr, ts)
        self.statuses[status] += 1
        for crossing in result.crossings:
            self.counts[crossing.direction] += 1
        return result

    def _feed(self, frame: object, ts: float) -> tuple[Status, FrameResult]:
        grey = self._grey(frame)
        if grey is None or not math.isfinite(ts):
            self._miss()
            return "bad_frame", FrameResult([], "bad_frame")
        if int(grey.max()) < self.config.black_level or float(grey.std()) < self.config.flat_std:
            self._miss()
            return "black", FrameResult([], "black")
        assert self._subtractor is not None and self._tracker is not None
        self._learned += 1
        # Warm-up learns at MOG2's own rate (1/frames seen), fast; afterwards slowly, so that passing vehicles
        # do not become background.
        rate = -1.0 if self._learned <= self.config.warmup else self.config.learning_rate
        mask = self._subtractor.apply(grey, learningRate=rate)
        if self._learned <= self.config.warmup:
            return "no_motion", FrameResult([], "no_motion")
        centroids = self._blobs(mask)
        crossings = [Crossing(ts, d) for d in self._tracker.update(centroids)]
        status: Status = "ok" if centroids or crossings else "no_motion"
        return status, FrameResult(crossings, status, len(centroids))

    def _grey(self, frame: object) -> NDArray[np.uint8] | None:
        """The frame scaled down and grey; None for what is not a BGR picture. A new frame size starts over."""
        if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            return None
        height, width = frame.shape[:2]
        if height < MIN_SIDE or width < MIN_SIDE:
            return None
        if frame.shape != self._shape:
            self._start(frame.shape)
        small = cv2.resize(frame, self._size, interpolation=cv2.INTER_AREA) if width > self.config.width else frame
        return cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)  # type: ignore[return-value]

    def _start(self, shape: tuple[int, ...]) -> None:
        c = self.config
        height, width = shape[:2]
        scale = min(1.0, c.width / width)
        w, h = max(1, round(width * scale)), max(1, round(height * scale))
        self._shape, self._size, self._learned = shape, (w, h), 0
        self._subtractor = cv2.createBackgroundSubtractorMOG2(round(1 / c.learning_rate), c.var_threshold, True)
        self._subtractor.setShadowThreshold(c.shadow_ratio)
        self._subtractor.setBackgroundRatio(c.background_ratio)
        (x0, y0), (x1, y1) = self.line
        line = CountingLine((x0 * w, y0 * h), (x1 * w, y1 * h), c.dead_band * w)
        tracking = TrackerConfig(c.max_jump * w, c.settled_jump * w, c.max_misses, c.min_hits)
        self._tracker = CentroidTracker(line, tracking)

    def _miss(self) -> None:
        if self._tracker is not None:
            self._tracker.miss()

    def _blobs(self, mask: MatLike) -> list[tuple[float, float]]:
        h, w = mask.shape
        _, moving = cv2.threshold(mask, SHADOW, 255, cv2.THRESH_BINARY)
        moving = cv2.morphologyEx(moving, cv2.MORPH_OPEN, self._kernel_open)
        moving = cv2.morphologyEx(moving, cv2.MORPH_CLOSE, self._kernel_close)
        contours, _ = cv2.findContours(moving, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        least, most = self.config.min_area * w * h, self.config.max_area * w * h
        centroids = []
        for contour in contours:
            m = cv2.moments(contour)
            if least <= m["m00"] <= most:
                centroids.append((m["m10"] / m["m00"], m["m01"] / m["m00"]))
        return centroids


@dataclass
class MinuteCounts:
    """Crossings per direction per minute, the last `keep_s` seconds: minute start → [a_to_b, b_to_a]."""

    keep_s: float = 24 * 3600.0
    minutes: dict[float, list[int]] = field(default_factory=dict)

    def add(self, crossings: list[Crossing]) -> None:
        for crossing in crossings:
            row = self.minutes.setdefault(math.floor(crossing.ts / 60.0) * 60.0, [0, 0])
            row[0 if crossing.direction == "a_to_b" else 1] += 1

    def prune(self, now: float) -> None:
        for minute in [m for m in self.minutes if m < now - self.keep_s]:
            del self.minutes[minute]

    def rows(self) -> list[list[float]]:
        """[[minute start, a_to_b, b_to_a]] oldest first."""
        return [[minute, a, b] for minute, (a, b) in sorted(self.minutes.items())]

    def last(self, now: float) -> tuple[int, int]:
        """(a_to_b, b_to_a) of the newest minute with a count if it is the current minute or the one before;
        (0, 0) otherwise: nothing crossed for over a minute (a stopped road reads 0, not its last busy minute)."""
        if not self.minutes:
            return 0, 0
        newest = max(self.minutes)
        if newest < math.floor(now / 60.0) * 60.0 - 60.0:
            return 0, 0
        a, b = self.minutes[newest]
        return a, b

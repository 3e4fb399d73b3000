"""A synthetic fixed camera over a two-way road, with a known true count per direction.

Seen from above: a vertical road (one lane down, one up) across grass, a dashed centre line, textured asphalt,
mild sensor noise and a slow lighting drift. Vehicles are rectangles with a windscreen, of varied size, colour
(dark ones included) and speed, some close behind each other; `vehicles(seed, n)` draws them so that none
overlaps the one ahead while in view, and every one of them crosses the whole frame, so the truth is simply how
many went each way (`true_counts`): it comes from the generator, never from the counter.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

WIDTH, HEIGHT = 320, 240
LANES = ((118, 158), (162, 202))  # x ranges: lane 0 drives down (y grows), lane 1 up
LINE = ((0.3, 0.5), (0.7, 0.5))  # across the road at mid-height; side "a" (below, on screen) first
DIRECTION = ("b_to_a", "a_to_b")  # lane 0 goes from above the line (side b) to below it (side a)
ROAD_GREY = 100
# BGR bodies: dark, light, coloured; each differs from the asphalt's grey by at least 30 levels.
PALETTE = ((28, 28, 30), (45, 40, 55), (235, 235, 235), (190, 190, 195), (20, 20, 150), (160, 70, 30),
           (40, 210, 230), (30, 60, 30), (0, 140, 255), (210, 210, 120))


@dataclass(frozen=True, slots=True)
class Vehicle:
    lane: int
    enter: float  # s: its front reaches the frame's edge
    speed: float  # px/s
    length: int  # px along the road
    width: int
    colour: tuple[int, int, int]


def vehicles(seed: int, per_lane: int, close: float = 0.2) -> list[Vehicle]:
    """`per_lane` vehicles in each direction; `close` of them follow the one ahead at a 4-10 px gap."""
    rng = random.Random(seed)
    out: list[Vehicle] = []
    for lane in (0, 1):
        t = rng.uniform(1.5, 2.5)  # the camera's first second sees an empty road
        ahead: Vehicle | None = None
        for _ in range(per_lane):
            speed = rng.uniform(60.0, 180.0)
            length, width = rng.randint(18, 40), rng.randint(12, 20)
            if ahead is not None:
                gap = rng.uniform(4.0, 10.0) if rng.random() < close else rng.uniform(15.0, 60.0)
                behind = ahead.enter + (ahead.length + gap) / ahead.speed  # the gap as it enters
                gone = ahead.enter + (HEIGHT + ahead.length) / ahead.speed
                t = max(behind, gone - (HEIGHT - gap) / speed, t + rng.expovariate(1.2) * (rng.random() > close))
            ahead = Vehicle(lane, t, speed, length, width, rng.choice(PALETTE))
            out.append(ahead)
    return out


def true_counts(entries: list[Vehicle]) -> Counter[str]:
    return Counter(DIRECTION[v.lane] for v in entries)


def duration(entries: list[Vehicle]) -> float:
    """Seconds until the last vehicle has left the frame."""
    return max(v.enter + (HEIGHT + v.length) / v.speed for v in entries) + 1.0


def _background(rng: np.random.Generator) -> NDArray[np.int16]:
    grass = rng.normal(0, 9, (HEIGHT, WIDTH, 1)) + np.array([60, 120, 70])
    frame = grass.copy()
    frame[:, LANES[0][0] - 6:LANES[1][1] + 6] = rng.normal(ROAD_GREY, 6, (HEIGHT, 96, 1))
    frame[:, LANES[0][0] - 4:LANES[0][0] - 2] = 215  # edge lines
    frame[:, LANES[1][1] + 2:LANES[1][1] + 4] = 215
    for y in range(0, HEIGHT, 24):
        frame[y:y + 12, 159:161] = 200  # dashed centre line
    return np.clip(frame, 0, 255).astype(np.int16)


class Scene:
    """Renders frame i (at `fps`) of the camera: `frame(i)` is a BGR uint8 array HEIGHT x WIDTH."""

    def __init__(self, entries: list[Vehicle], seed: int = 0, fps: float = 10.0, noise: float = 4.0,
                 drift: float = 12.0) -> None:
        rng = np.random.default_rng(seed)
        self.entries = sorted(entries, key=lambda v: v.enter)
        self.fps = fps
        self.drift = drift
        self.frames = math.ceil(duration(entries) * fps) if entries else 0
        self._background = _background(rng)
        self._noise = [rng.normal(0, noise, (HEIGHT, WIDTH, 3)).astype(np.int16) for _ in range(8)]

    def frame(self, i: int) -> NDArray[np.uint8]:
        t = i / self.fps
        frame = self._background.copy()
        for v in self.entries:
            if v.enter > t:
                break
            travelled = (t - v.enter) * v.speed
            if travelled > HEIGHT + v.length:
                continue
            x0 = (LANES[v.lane][0] + LANES[v.lane][1] - v.width) // 2
            top = round(travelled - v.length) if v.lane == 0 else round(HEIGHT - travelled)
            self._draw(frame, v, x0, top)
        light = self.drift * math.sin(2 * math.pi * t / 120.0)
        frame += self._noise[i % len(self._noise)] + round(light)
        return np.clip(frame, 0, 255).astype(np.uint8)

    @staticmethod
    def _draw(frame: NDArray[np.int16], v: Vehicle, x0: int, top: int) -> None:
        y0, y1 = max(top, 0), min(top + v.length, HEIGHT)
        if y0 >= y1:
            return
        frame[y0:y1, x0:x0 + v.width] = v.colour
        # The windscreen: a dark band from a fifth to a third of the way back from the front.
        front, back = (top + v.length, -1) if v.lane == 0 else (top, 1)
        band = sorted((front + back * (v.length // 5), front + back * (v.length // 3)))
        w0, w1 = max(band[0], y0), min(band[1], y1)
        if w0 < w1:
            frame[w0:w1, x0 + 2:x0 + v.width - 2] = (25, 25, 25)

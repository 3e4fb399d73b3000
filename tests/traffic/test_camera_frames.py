"""Bad frames at the counter's door: never an exception, the status each deserves, no crossing from them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays, scalar_dtypes

from bench.camera_scene import LINE, Scene, Vehicle
from traffic.camera import VehicleCounter

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LONE = [Vehicle(0, 2.0, 90.0, 30, 16, (235, 235, 235))]  # down the left lane: one "b_to_a" crossing


def not_a_bgr_picture() -> st.SearchStrategy[Any]:
    wrong_dtype = arrays(scalar_dtypes().filter(lambda d: d != np.uint8), array_shapes(min_dims=3, max_dims=3,
                                                                                       max_side=40))
    wrong_shape = arrays(np.uint8, array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=40)).filter(
        lambda a: a.ndim != 3 or a.shape[2] != 3 or min(a.shape[:2]) < 16)
    return st.one_of(wrong_dtype, wrong_shape, st.none(), st.integers(), st.text(max_size=5),
                     st.lists(st.integers(0, 255), max_size=10))


@FAST
@given(not_a_bgr_picture())
def test_what_is_not_a_bgr_picture_is_a_bad_frame(frame: Any) -> None:
    counter = VehicleCounter(LINE)
    result = counter.feed(frame, 1.0)
    assert (result.status, result.crossings) == ("bad_frame", [])
    assert counter.statuses == {"bad_frame": 1}


@FAST
@given(st.integers(16, 64), st.integers(16, 64), st.integers(0, 255))
def test_a_constant_frame_is_black(height: int, width: int, level: int) -> None:
    counter = VehicleCounter(LINE)
    result = counter.feed(np.full((height, width, 3), level, np.uint8), 1.0)
    assert (result.status, result.crossings) == ("black", [])


@FAST
@given(arrays(np.uint8, (48, 64, 3), elements=st.integers(0, 15)))
def test_a_dark_frame_is_black(frame: np.ndarray) -> None:
    assert VehicleCounter(LINE).feed(frame, 1.0).status == "black"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(arrays(np.uint8, (48, 64, 3)), min_size=1, max_size=6), st.integers(0, 2**32 - 1))
def test_random_pictures_never_raise(frames: list[np.ndarray], seed: int) -> None:
    counter = VehicleCounter(LINE)
    noise = np.random.default_rng(seed).integers(0, 256, (len(frames), 48, 64, 3), dtype=np.uint8)
    for i, frame in enumerate([*frames, *noise]):
        result = counter.feed(frame, float(i))
        assert result.status in ("ok", "no_motion", "black")
    assert sum(counter.statuses.values()) == 2 * len(frames)


def test_a_static_scene_is_no_motion() -> None:
    scene = Scene([], seed=3)
    scene.frames = 40
    counter = VehicleCounter(LINE)
    statuses = {counter.feed(scene.frame(i), i / 10).status for i in range(scene.frames)}
    assert statuses == {"no_motion"}


@pytest.mark.parametrize(("kind", "every"), [("black", 2), ("bad", 3)])
def test_bad_frames_among_good_ones_lose_no_crossing_and_make_none(kind: str, every: int) -> None:
    scene = Scene(LONE, seed=5)
    counter = VehicleCounter(LINE)
    bad = np.zeros((240, 320, 3), np.uint8) if kind == "black" else np.zeros((240, 320), np.uint8)
    crossings = []
    for i in range(scene.frames):
        crossings += counter.feed(scene.frame(i), i / 10).crossings
        if i % every == 0:
            assert counter.feed(bad, i / 10 + 0.05).crossings == []
    assert [c.direction for c in crossings] == ["b_to_a"]
    assert counter.statuses["black" if kind == "black" else "bad_frame"] == len(range(0, scene.frames, every))

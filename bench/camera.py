"""Vehicle counting on the synthetic camera (bench/camera_scene.py): accuracy per direction and frames/s.

For each seed, `--per-lane` vehicles each way are rendered (320x240, 10 frames/s) and counted by
`traffic.camera.VehicleCounter` with its defaults; the truth is the generator's. Baseline in the same run: the
same counter with OpenCV's MOG2 defaults (variance threshold 16, background ratio 0.9, shadow ratio 0.5, 500
frames of memory). Frames/s is the counter alone on pre-rendered frames, at 320x240 and on the same frames
scaled up to 1280x720 (the downscale included). Writes bench/results/camera-<UTC>.json.

    .venv/bin/python -m bench.camera --seeds 1 2 3 --per-lane 100
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import cv2
import numpy as np

from bench import raw_results
from bench.camera_scene import LINE, Scene, true_counts, vehicles
from traffic.camera import CounterConfig, VehicleCounter

OPENCV_DEFAULTS = CounterConfig(var_threshold=16.0, background_ratio=0.9, shadow_ratio=0.5, learning_rate=1 / 500)


def run(frames: list[np.ndarray], config: CounterConfig, fps: float) -> tuple[dict[str, int], float]:
    counter = VehicleCounter(LINE, config)
    start = time.perf_counter()
    for i, frame in enumerate(frames):
        counter.feed(frame, 1_000_000.0 + i / fps)
    return dict(counter.counts), len(frames) / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--per-lane", type=int, default=100)
    args = parser.parse_args()
    runs: list[dict[str, Any]] = []
    for seed in args.seeds:
        entries = vehicles(seed, args.per_lane)
        scene = Scene(entries, seed)
        frames = [scene.frame(i) for i in range(scene.frames)]
        counted, fps = run(frames, CounterConfig(), scene.fps)
        baseline, _ = run(frames, OPENCV_DEFAULTS, scene.fps)
        big = [cv2.resize(f, (1280, 720)) for f in frames[:100]]
        _, fps_720p = run(big, CounterConfig(), scene.fps)
        runs.append({"seed": seed, "truth": dict(true_counts(entries)), "counted": counted,
                     "baseline_opencv_defaults": baseline, "frames": len(frames), "frames_per_s_320x240": fps,
                     "frames_per_s_1280x720": fps_720p})
    figures: dict[str, Any] = {"runs": runs}
    for key in ("counted", "baseline_opencv_defaults"):
        figures[f"accuracy_{key}"] = {d: sum(r[key].get(d, 0) for r in runs) / sum(r["truth"][d] for r in runs)
                                      for d in ("a_to_b", "b_to_a")}
    figures["over_counted"] = any(r["counted"].get(d, 0) > r["truth"][d] for r in runs for d in r["truth"])
    print(json.dumps(figures, indent=2))
    print(f"raw results: {raw_results.save('camera', figures)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

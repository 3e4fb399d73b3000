"""One live camera's counting: frames off the video tap into a bounded queue, counted in a worker thread.

The frame tap calls `offer` on the event loop; the conversion to BGR and the counting run in the feed's own
thread, so neither the loop nor aiortc's decoder thread waits for OpenCV. When the worker is behind, the queue
is full and the newest frame is dropped and counted: a count from fewer frames beats a video path held up.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable
from typing import cast

import av
import numpy as np
from numpy.typing import NDArray

from traffic.camera import Crossing, FractionLine, VehicleCounter

log = logging.getLogger(__name__)
_STOP = None


class CameraFeed:
    def __init__(self, camera: str, line: FractionLine, clock: Callable[[], float],
                 on_crossings: Callable[[list[Crossing]], None], tally: Callable[[str], None],
                 queue_frames: int = 20) -> None:
        self.counter = VehicleCounter(line)
        self.dropped = 0
        self._clock = clock
        self._on_crossings = on_crossings
        self._tally = tally  # "counted", "dropped" and the counter's status of each frame, server-wide
        self._queue: queue.Queue[tuple[av.VideoFrame, float] | None] = queue.Queue(queue_frames)
        self._thread = threading.Thread(target=self._run, name=f"camera-{camera}", daemon=True)
        self._thread.start()

    def offer(self, frame: av.VideoFrame) -> None:
        """From the frame tap (the event loop): queued with its wall-clock time, or dropped when full."""
        try:
            self._queue.put_nowait((frame, self._clock()))
        except queue.Full:
            self.dropped += 1
            self._tally("dropped")

    def stop(self) -> None:
        """Ends the worker after the frames already queued (never blocks the caller)."""
        while True:
            try:
                self._queue.put_nowait(_STOP)
                return
            except queue.Full:
                with contextlib.suppress(queue.Empty):
                    self._queue.get_nowait()

    def _run(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            frame, ts = item
            try:
                result = self.counter.feed(cast(NDArray[np.uint8], frame.to_ndarray(format="bgr24")), ts)
            except Exception:  # a frame pyav cannot convert: counted as bad, the feed goes on
                log.exception("camera frame conversion failed")
                self._tally("bad_frame")
                continue
            self._tally("counted")
            self._tally(result.status)
            if result.crossings:
                self._on_crossings(result.crossings)


def tally_into(counts: Counter[str], lock: threading.Lock) -> Callable[[str], None]:
    def tally(key: str) -> None:
        with lock:
            counts[key] += 1
    return tally
